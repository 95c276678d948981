import { blackBoxTopics, recordBlackBox } from '../data/bags/black-box.js';
import { createBagWriter } from '../data/bags/node-io.js';
import { loadConfig } from '../core/config/load.js';
import { WallClock } from '../runtime/loop/clock.js';
import { Pilot } from '../runtime/pilot.js';
import { createTransport } from '../transport/index.js';
import { CliError, TRANSPORT_KINDS } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { closeLiveViewOption, foxgloveOption, startLiveViewOption } from './foxglove-option.js';
import { choice, flag, number, text } from './options.js';

const OPTIONS = {
  config: text('-c, --config <yaml>', 'the runtime config (required)'),
  transport: choice('--transport <kind>', 'the message transport', TRANSPORT_KINDS, { defaultLabel: "the config's transport.kind" }),
  duration: number('--duration <s>', 'stop after this many seconds', { positive: true }),
  record: text('--record <bag dir>', 'record what pilot reads and writes (the black box) into this bag'),
  'allow-nonfinite': flag('--allow-nonfinite', 'load a model whose check inference returns NaN/Infinity (testing the safety layer)'),
  foxglove: foxgloveOption(),
} as const;

export const RUN = defineCommand({
  name: 'run',
  summary: 'run the control loop from a config until Ctrl-C or --duration',
  options: OPTIONS,
  examples: ['pilot run --config launch/drive.yaml --duration 60 --record runs/black-box', 'pilot run --config launch/pilot.yaml --foxglove'],
  run: runRun,
});

export function runCommand(args: readonly string[]): Promise<number> {
  return invoke(RUN, args);
}

async function runRun({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (!values.config) throw new CliError('run needs --config <yaml>');
  const fromFile = loadConfig(values.config);
  const loaded = values['allow-nonfinite'] ? { ...fromFile, model: { ...fromFile.model, allow_nonfinite: true } } : fromFile;
  // The black box records the per-tick timeline too (and the live view shows it), so the runtime publishes it then.
  const config = values.record || values.foxglove !== undefined ? { ...loaded, outputs: { ...loaded.outputs, timeline: { ...loaded.outputs.timeline, enabled: true } } } : loaded;
  const kind = values.transport ?? config.transport.kind;
  const transport = createTransport(kind, {
    ...(config.transport.ipc_dir ? { ipcDir: config.transport.ipc_dir, ipcDirSetting: `transport.ipc_dir in ${values.config}` } : {}),
    endpoints: config.transport.endpoints,
    allowRemote: config.transport.allow_remote,
    allowRemoteSetting: `transport.allow_remote: true in ${values.config}`,
  });
  let pilot: Pilot;
  try {
    pilot = await Pilot.create(config, { transport, clock: new WallClock(), log: out.log });
  } catch (err) {
    await transport.close(); // what it advertised before failing goes too
    throw err;
  }
  const recorder = values.record
    ? recordBlackBox({ transport, writer: await createBagWriter(values.record), config, onError: (e) => out.warn(`pilot: record: ${e.message}`) })
    : undefined;
  const live = await startLiveViewOption(values.foxglove, out);
  live?.tapTransport(transport, blackBoxTopics(config));
  pilot.start();
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (values.duration) setTimeout(done, values.duration * 1000);
  });
  await pilot.dispose();
  if (recorder) {
    const stats = await recorder.stop();
    out.result(`pilot: recorded ${stats.written} messages (${(stats.bytesWritten / 1e6).toFixed(1)} MB, ${stats.dropped} dropped) to ${values.record}`);
  }
  await closeLiveViewOption(live, out);
  await transport.close();
  out.result(
    `pilot: stopped after ${pilot.loop.stats.ticks} ticks, ${pilot.counters.lateResults} deadline misses, safety: ` +
      Object.entries(pilot.safety.counters.byReason).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', '),
  );
  return 0;
}
