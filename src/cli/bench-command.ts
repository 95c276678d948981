import { resolve } from 'node:path';
import { benchLoop, benchProviders, formatLoopBench, formatProviderComparison } from '../runtime/bench/loop-bench.js';
import { benchTransportLatency } from '../runtime/bench/transport-bench.js';
import { benchChunking, formatChunkingBench } from '../runtime/bench/chunking-bench.js';
import { benchRoundTrip, formatRoundTrip } from '../runtime/bench/policy-server-bench.js';
import { benchWithViewer, formatViewerBench } from '../foxglove/viewer-bench.js';
import { BLEND_MODES } from '../runtime/chunking/action-queue.js';
import { PROVIDER_NAMES } from '../core/config/schema.js';
import { packageRoot } from '../core/util/package-root.js';
import { CliError } from './args.js';
import { REALTIME_OPTIONS, realtimeOptions } from './bench-realtime-options.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { choice, flag, number, text } from './options.js';
import type { Output } from './output.js';
import { epOption, transportOption } from './shared-options.js';

const OPTIONS = {
  ticks: number('--ticks <n>', 'loop ticks to measure', { integer: true, positive: true, defaultLabel: '2000; 10000 with --chunked' }),
  'rate-hz': number('--rate-hz <hz>', 'loop rate', { default: 100, positive: true, max: 200 }),
  'camera-hz': number('--camera-hz <hz>', 'simulated camera rate', { default: 30, positive: true }),
  ep: epOption('cpu; every provider with --compare-eps'),
  'compare-eps': flag('--compare-eps', 'the loop once per execution provider, side by side'),
  model: text('-m, --model <onnx>', 'the model in the loop', { defaultLabel: 'models/pilot-drive.onnx; models/chunked-test.onnx with --chunked/--round-trip' }),
  transport: transportOption(),
  json: flag('--json', 'the results as JSON on stdout'),
  'image-latency': flag('--image-latency', 'also time a 640×480 image through the transport'),
  baseline: flag('--baseline', 'the loop and the bare model take turns in blocks, in the same process, and are compared'),
  'block-ticks': number('--block-ticks <n>', 'with --baseline: ticks per block', { integer: true, positive: true, defaultLabel: '100' }),
  peer: choice('--peer <where>', 'where the synthetic camera and the command subscriber run: a child process or this one', ['process', 'inline'], {
    defaultLabel: 'process over zeromq, inline in process',
    message: (flag, raw) => `${flag} must be process (camera and command subscriber in a child process) or inline (in this process), got '${raw}'`,
  }),
  ...REALTIME_OPTIONS,
  worker: flag('--worker', 'run inference on a worker thread'),
  foxglove: flag('--foxglove', 'the loop without and then with a connected Foxglove viewer, side by side'),
  chunked: flag('--chunked', 'the chunked loop against the plain loop, with the same slow model'),
  'inference-delay-ms': number('--inference-delay-ms <ms>', 'with --chunked: extra inference time', { min: 0, defaultLabel: '3 loop periods' }),
  blend: choice('--blend <mode>', 'with --chunked: how overlapping chunks combine', BLEND_MODES, {
    message: (flag, raw) => `${flag} must be one of ${BLEND_MODES.join(', ')}, got '${raw}'`,
  }),
  remote: flag('--remote', 'with --chunked: the chunked policy on a policy server in another process'),
  'round-trip': flag('--round-trip', 'the policy server round trip on loopback'),
  'skip-round-trip': flag('--skip-round-trip', 'with --chunked: leave out the round trip'),
  requests: number('--requests <n>', 'with --round-trip: requests to time', { default: 2000, integer: true, positive: true }),
} as const;

export const BENCH = defineCommand({
  name: 'bench',
  summary: 'measure the real control loop: tick latency, deadline misses, heap growth (results on stdout, progress on stderr)',
  options: OPTIONS,
  examples: [
    'pilot bench --ticks 2000 --ep cpu --json',
    'pilot bench --compare-eps',
    'pilot bench --baseline --ticks 10000 --priority 50 --gc-every-ticks 20',
    'pilot bench --chunked --ticks 10000',
    'pilot bench --foxglove',
  ],
  run: runBench,
});

type BenchValues = Parsed<typeof OPTIONS>['values'];

export function benchCommand(args: readonly string[]): Promise<number> {
  return invoke(BENCH, args);
}

async function runBench({ values, given, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (values['block-ticks'] !== undefined && !values.baseline) throw new CliError('--block-ticks goes with --baseline');
  const root = packageRoot();
  const ticks = values.ticks ?? (values.chunked ? 10_000 : 2000);
  const common = {
    modelPath: values.model ? resolve(values.model) : resolve(root, 'models/pilot-drive.onnx'),
    ticks,
    rateHz: values['rate-hz'],
    cameraHz: values['camera-hz'],
    transport: values.transport,
    projectDir: root,
    calibrationDir: resolve(root, 'calibration'),
    ...(values.baseline ? { baselineRuns: ticks } : {}),
    ...(values['block-ticks'] !== undefined ? { blockTicks: values['block-ticks'] } : {}),
    ...(values.peer !== undefined ? { peer: values.peer } : {}),
    ...realtimeOptions(values),
    inferenceThread: values.worker ? ('worker' as const) : ('main' as const),
    ...(values.json || !out.live ? {} : { onProgress: progress }),
  };
  const chunkedModel = values.model ? resolve(values.model) : resolve(root, 'models/chunked-test.onnx');
  const roundTrip = () => benchRoundTrip({ modelPath: chunkedModel, projectDir: root, requests: values.requests });
  if (values['round-trip'] && !values.chunked) {
    const rt = await roundTrip();
    out.result(values.json ? JSON.stringify({ roundTrip: rt }, null, 2) : formatRoundTrip(rt));
    return 0;
  }
  if (values.chunked) return chunked(values, common, chunkedModel, roundTrip, out);
  for (const flag of ['inference-delay-ms', 'blend', 'remote', 'skip-round-trip', 'requests'] as const) {
    if (given.has(flag)) throw new CliError(`--${flag} goes with --chunked (or --round-trip)`);
  }
  if (values.foxglove) return withViewer(values, common, out);
  if (values['compare-eps']) return compareEps(values, common, out);
  const result = await benchLoop({ ...common, providers: values.ep ?? ['cpu'] });
  const imageLatency = values['image-latency'] ? await benchTransportLatency({ transport: values.transport, count: 500, width: 640, height: 480 }) : undefined;
  if (common.onProgress) process.stderr.write('\r\x1b[K');
  if (values.json) {
    out.result(JSON.stringify({ loop: result, ...(imageLatency ? { imageLatency } : {}) }, null, 2));
    return 0;
  }
  out.result(formatLoopBench(result));
  if (imageLatency) {
    out.result(
      `image 640×480  p50 ${imageLatency.p50Ms.toFixed(3)}  p99 ${imageLatency.p99Ms.toFixed(3)}  max ${imageLatency.maxMs.toFixed(3)} ms ` +
        `(publish → callback over ${values.transport}), ${imageLatency.received}/${imageLatency.sent} received, ${imageLatency.drops} drops`,
    );
  }
  return 0;
}

type Common = Omit<Parameters<typeof benchLoop>[0], 'providers'>;

async function chunked(values: BenchValues, common: Common, modelPath: string, roundTrip: () => ReturnType<typeof benchRoundTrip>, out: Output): Promise<number> {
  if (values['compare-eps'] || values['image-latency'] || values.baseline) throw new CliError('--chunked runs its own comparison; leave out --compare-eps, --image-latency and --baseline');
  const { onProgress: plain, ...rest } = common;
  const result = await benchChunking({
    ...rest,
    modelPath,
    ...(values.remote ? { remote: {} } : {}),
    providers: values.ep ?? ['cpu'],
    ...(values['inference-delay-ms'] !== undefined ? { inferenceDelayMs: values['inference-delay-ms'] } : {}),
    ...(values.blend !== undefined ? { blend: values.blend } : {}),
    ...(plain ? { onProgress: (label: string, done: number, total: number) => progress(done, total, label) } : {}),
  });
  if (plain) process.stderr.write('\r\x1b[K');
  const rt = values['skip-round-trip'] ? undefined : await roundTrip();
  if (values.json) out.result(JSON.stringify({ chunking: result, ...(rt ? { roundTrip: rt } : {}) }, null, 2));
  else out.result(formatChunkingBench(result) + (rt ? `\n\n${formatRoundTrip(rt)}` : ''));
  return 0;
}

/** `--foxglove`: the loop without and with a connected viewer (foxglove/viewer-bench.ts). */
async function withViewer(values: BenchValues, common: Common, out: Output): Promise<number> {
  if (values['compare-eps'] || values['image-latency']) throw new CliError('--foxglove compares the loop with and without a viewer; run --compare-eps and --image-latency separately');
  const result = await benchWithViewer({ ...common, providers: values.ep ?? ['cpu'] });
  if (common.onProgress) process.stderr.write('\r\x1b[K');
  out.result(values.json ? JSON.stringify({ foxglove: result }, null, 2) : `${formatLoopBench(result.withoutViewer)}\n\n${formatViewerBench(result)}`);
  return 0;
}

async function compareEps(values: BenchValues, common: Common, out: Output): Promise<number> {
  if (values['image-latency']) throw new CliError('--compare-eps measures the loop per provider; run --image-latency separately');
  let current = '';
  const rows = await benchProviders(
    { ...common, ...(common.onProgress ? { onProgress: (done: number, total: number) => progress(done, total, current) } : {}) },
    values.ep ?? PROVIDER_NAMES,
    (p) => (current = p),
  );
  if (common.onProgress) process.stderr.write('\r\x1b[K');
  out.result(values.json ? JSON.stringify({ compare: rows }, null, 2) : formatProviderComparison(rows));
  return 0;
}

function progress(done: number, total: number, label = ''): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label ? `${label} ` : ''}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ticks`);
}
