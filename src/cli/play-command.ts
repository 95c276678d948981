/** `pilot bag play <bag>`: publish a bag's topics with their recorded timing, like `ros2 bag play`. */
import { formatSize } from '../data/bags/format.js';
import { openBag } from '../data/bags/node-io.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { closeLiveViewOption, foxgloveOption, startLiveViewOption } from './foxglove-option.js';
import { flag, number, repeated, text } from './options.js';
import { distroOption, transportOption } from './shared-options.js';
import { bagLiveTap } from '../foxglove/bag-live.js';
import { createTransport } from '../transport/index.js';
import { playBag } from '../data/replay/bag-player.js';
import { parseRemaps } from '../data/replay/remap.js';

const OPTIONS = {
  rate: number('-r, --rate <x>', 'playback speed factor', { default: 1, positive: true }),
  loop: flag('-l, --loop', 'start again at the end, until Ctrl-C'),
  topics: repeated('--topics <topics>', 'only these topics, comma separated (repeatable)', { split: true }),
  remap: repeated('--remap <from:=to>', 'publish a topic under another name (repeatable)'),
  clock: flag('--clock', 'publish /clock with the bag time'),
  'clock-hz': number('--clock-hz <hz>', 'with --clock: its rate', { positive: true, defaultLabel: '40' }),
  start: number('--start <s>', 'skip the first seconds of the bag', { min: 0 }),
  end: number('--end <s>', 'stop at this time into the bag', { positive: true }),
  delay: number('-d, --delay <s>', 'wait before the first message (ZeroMQ subscribers connect late)', { min: 0, defaultLabel: '0.3 on zeromq, 0 in process' }),
  transport: transportOption(),
  'ipc-dir': text('--ipc-dir <dir>', 'the ZeroMQ ipc folder'),
  recover: flag('--recover', 'skip unreadable parts of a damaged bag, saying what was skipped'),
  distro: distroOption(),
  foxglove: foxgloveOption(),
} as const;

export const PLAY = defineCommand({
  name: 'play',
  summary: "publish a bag's topics with their recorded timing, like ros2 bag play",
  arguments: [{ name: '<bag>', description: 'a bag folder or one .mcap file' }],
  options: OPTIONS,
  examples: ['pilot bag play runs/lake-drive --clock --rate 0.5', 'pilot bag play runs/oval --foxglove'],
  run: play,
});

export function playCommand(args: readonly string[]): Promise<number> {
  return invoke(PLAY, args);
}

async function play({ values, positionals, out }: Parsed<typeof OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  if (values['clock-hz'] !== undefined && !values.clock) throw new CliError('--clock-hz needs --clock');
  const kind = values.transport;
  if (kind === 'inprocess') out.warn('pilot: warning: the in-process transport only reaches subscribers in this process: nothing will receive the messages');
  const topics = values.topics;
  const reader = await openBag(path, { warn: (m) => out.warn(`pilot: warning: ${m}`), ...(values.distro ? { distro: values.distro } : {}) });
  const transport = createTransport(kind, values['ipc-dir'] ? { ipcDir: values['ipc-dir'] } : {});
  const remap = parseRemaps(values.remap);
  const liveView = await startLiveViewOption(values.foxglove, out);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const info = reader.info();
  out.log(
    `pilot: playing ${path} (${(Number(info.durationNs) / 1e9).toFixed(3)} s, ${info.messageCount} messages, ${formatSize(info.sizeBytes)}) over ${kind}` +
      `${values.rate ? ` at ${values.rate}×` : ''}${values.loop ? ', looping' : ''} (Ctrl-C stops)`,
  );
  let stats;
  try {
    stats = await playBag({
      reader,
      transport,
      rate: values.rate,
      loop: values.loop,
      ...(topics ? { topics } : {}),
      remap,
      clock: values.clock,
      ...(values['clock-hz'] !== undefined ? { clockHz: values['clock-hz'] } : {}),
      ...(values.start !== undefined ? { startS: values.start } : {}),
      ...(values.end !== undefined ? { endS: values.end } : {}),
      // ZeroMQ subscribers connect after the publisher binds (slow joiner): give them a moment.
      delayS: values.delay ?? (kind === 'zeromq' ? 0.3 : 0),
      recover: values.recover,
      signal: controller.signal,
      ...(liveView ? { onMessage: bagLiveTap(liveView, reader, remap, topics) } : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await closeLiveViewOption(liveView, out);
    await reader.close();
  }
  const transportStats = transport.stats();
  await transport.close();
  for (const [topic, n] of Object.entries(stats.published)) {
    const s = transportStats.get(topic);
    out.result(`  ${topic}: ${n} published${s && s.sendDrops > 0 ? `, ${s.sendDrops} dropped by the transport (subscribers too slow)` : ''}`);
  }
  if (stats.clockMessages > 0) out.result(`  /clock: ${stats.clockMessages} published`);
  for (const n of stats.skippedNotes) out.result(`  skipped: ${n}`);
  out.result(
    `pilot: ${stats.interrupted ? 'stopped' : 'done'}: ${stats.messages} messages in ${(stats.durationMs / 1000).toFixed(2)} s` +
      `${stats.loops > 1 ? ` (${stats.loops} loops)` : ''}; largest delay behind schedule ${stats.maxLateMs.toFixed(1)} ms` +
      `${stats.skipped ? `; ${stats.skipped} skipped` : ''}`,
  );
  return 0;
}
