/** `pilot bag play <bag>`: publish a bag's topics with their recorded timing, like `ros2 bag play`. */
import { formatSize } from '../data/bags/format.js';
import { openBag } from '../data/bags/node-io.js';
import { CliError, distroOption, parse, positiveNumber, transportKind } from './args.js';
import { createTransport } from '../transport/index.js';
import { playBag } from '../data/replay/bag-player.js';
import { parseRemaps } from '../data/replay/remap.js';

export const PLAY_USAGE = `pilot bag play <bag> [--rate 1] [--loop] [--topics /a,/b]... [--remap /from:=/to]... [--clock [--clock-hz 40]]
              [--start s] [--end s] [--delay s] [--transport zeromq|inprocess] [--ipc-dir <dir>] [--recover] [--distro humble|iron|jazzy]`;

export async function playCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      rate: { type: 'string', short: 'r' },
      loop: { type: 'boolean', short: 'l' },
      topics: { type: 'string', multiple: true },
      remap: { type: 'string', multiple: true },
      clock: { type: 'boolean' },
      'clock-hz': { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      delay: { type: 'string', short: 'd' },
      transport: { type: 'string' },
      'ipc-dir': { type: 'string' },
      recover: { type: 'boolean' },
      distro: { type: 'string' },
    },
    true,
  );
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new CliError('bag play needs one bag folder or file');
  if (values['clock-hz'] !== undefined && !values.clock) throw new CliError('--clock-hz needs --clock');
  const kind = transportKind(values.transport);
  if (kind === 'inprocess') console.error('pilot: warning: the in-process transport only reaches subscribers in this process: nothing will receive the messages');
  const topics = values.topics?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  const reader = await openBag(path, { warn: (m) => console.error(`pilot: warning: ${m}`), ...distroOption(values.distro) });
  const transport = createTransport(kind, values['ipc-dir'] ? { ipcDir: values['ipc-dir'] } : {});
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const info = reader.info();
  console.error(
    `pilot: playing ${path} (${(Number(info.durationNs) / 1e9).toFixed(3)} s, ${info.messageCount} messages, ${formatSize(info.sizeBytes)}) over ${kind}` +
      `${values.rate ? ` at ${values.rate}×` : ''}${values.loop ? ', looping' : ''} (Ctrl-C stops)`,
  );
  let stats;
  try {
    stats = await playBag({
      reader,
      transport,
      rate: positiveNumber(values.rate, '--rate', 1),
      loop: values.loop ?? false,
      ...(topics ? { topics } : {}),
      remap: parseRemaps(values.remap),
      clock: values.clock ?? false,
      ...(values['clock-hz'] ? { clockHz: positiveNumber(values['clock-hz'], '--clock-hz', 40) } : {}),
      ...(values.start ? { startS: nonNegative(values.start, '--start') } : {}),
      ...(values.end ? { endS: positiveNumber(values.end, '--end', 0) } : {}),
      // ZeroMQ subscribers connect after the publisher binds (slow joiner): give them a moment.
      delayS: values.delay !== undefined ? nonNegative(values.delay, '--delay') : kind === 'zeromq' ? 0.3 : 0,
      recover: values.recover ?? false,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reader.close();
  }
  const transportStats = transport.stats();
  await transport.close();
  for (const [topic, n] of Object.entries(stats.published)) {
    const s = transportStats.get(topic);
    console.error(`  ${topic}: ${n} published${s && s.sendDrops > 0 ? `, ${s.sendDrops} dropped by the transport (subscribers too slow)` : ''}`);
  }
  if (stats.clockMessages > 0) console.error(`  /clock: ${stats.clockMessages} published`);
  for (const n of stats.skippedNotes) console.error(`  skipped: ${n}`);
  console.error(
    `pilot: ${stats.interrupted ? 'stopped' : 'done'}: ${stats.messages} messages in ${(stats.durationMs / 1000).toFixed(2)} s` +
      `${stats.loops > 1 ? ` (${stats.loops} loops)` : ''}; largest delay behind schedule ${stats.maxLateMs.toFixed(1)} ms` +
      `${stats.skipped ? `; ${stats.skipped} skipped` : ''}`,
  );
  return 0;
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}
