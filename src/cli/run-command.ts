import { recordBlackBox } from '../data/bags/black-box.js';
import { createBagWriter } from '../data/bags/node-io.js';
import { loadConfig } from '../core/config/load.js';
import { WallClock } from '../runtime/loop/clock.js';
import { Pilot } from '../runtime/pilot.js';
import { createTransport } from '../transport/index.js';
import { CliError, parse, positiveNumber, transportKind } from './args.js';

export async function runCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string', short: 'c' },
    transport: { type: 'string' },
    duration: { type: 'string' },
    record: { type: 'string' },
    'allow-nonfinite': { type: 'boolean' },
  });
  if (!values.config) throw new CliError('run needs --config <yaml>');
  const fromFile = loadConfig(values.config);
  // --allow-nonfinite: load a model whose check inference returns NaN/Infinity (testing the safety layer).
  const loaded = values['allow-nonfinite'] ? { ...fromFile, model: { ...fromFile.model, allow_nonfinite: true } } : fromFile;
  // The black box records the per-tick timeline too, so the runtime publishes it while recording.
  const config = values.record ? { ...loaded, outputs: { ...loaded.outputs, timeline: { ...loaded.outputs.timeline, enabled: true } } } : loaded;
  const kind = values.transport ? transportKind(values.transport) : config.transport.kind;
  const transport = createTransport(kind, {
    ...(config.transport.ipc_dir ? { ipcDir: config.transport.ipc_dir, ipcDirSetting: `transport.ipc_dir in ${values.config}` } : {}),
    endpoints: config.transport.endpoints,
  });
  const pilot = await Pilot.create(config, { transport, clock: new WallClock(), log: (l) => console.error(l) });
  const recorder = values.record
    ? recordBlackBox({ transport, writer: await createBagWriter(values.record), config, onError: (e) => console.error(`pilot: record: ${e.message}`) })
    : undefined;
  pilot.start();
  const durationS = values.duration ? positiveNumber(values.duration, '--duration', 0) : undefined;
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationS) setTimeout(done, durationS * 1000);
  });
  await pilot.dispose();
  if (recorder) {
    const stats = await recorder.stop();
    console.error(`pilot: recorded ${stats.written} messages (${(stats.bytesWritten / 1e6).toFixed(1)} MB, ${stats.dropped} dropped) to ${values.record}`);
  }
  await transport.close();
  console.error(
    `pilot: stopped after ${pilot.loop.stats.ticks} ticks, ${pilot.counters.lateResults} deadline misses, safety: ` +
      Object.entries(pilot.safety.counters.byReason).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', '),
  );
  return 0;
}
