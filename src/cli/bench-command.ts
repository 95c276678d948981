import { resolve } from 'node:path';
import { benchLoop, benchProviders, formatLoopBench, formatProviderComparison } from '../runtime/bench/loop-bench.js';
import { benchTransportLatency } from '../runtime/bench/transport-bench.js';
import { benchChunking, formatChunkingBench } from '../runtime/bench/chunking-bench.js';
import { benchRoundTrip, formatRoundTrip } from '../runtime/bench/policy-server-bench.js';
import { benchWithViewer, formatViewerBench } from '../foxglove/viewer-bench.js';
import { BLEND_MODES, type BlendMode } from '../runtime/chunking/action-queue.js';
import { PROVIDER_NAMES, type RealtimeSettings } from '../core/config/schema.js';
import { parseCpuList } from '../runtime/realtime/proc-threads.js';
import { packageRoot } from '../core/util/package-root.js';
import { CliError, parse, positiveNumber, providerList, transportKind } from './args.js';

export async function benchCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    ticks: { type: 'string' },
    'rate-hz': { type: 'string' },
    'camera-hz': { type: 'string' },
    ep: { type: 'string' },
    'compare-eps': { type: 'boolean' },
    model: { type: 'string' },
    transport: { type: 'string' },
    json: { type: 'boolean' },
    'image-latency': { type: 'boolean' },
    baseline: { type: 'boolean' },
    'block-ticks': { type: 'string' },
    peer: { type: 'string' },
    priority: { type: 'string' },
    'cpu-affinity': { type: 'string' },
    'inference-cpus': { type: 'string' },
    'lock-memory': { type: 'boolean' },
    'gc-every-ticks': { type: 'string' },
    worker: { type: 'boolean' },
    chunked: { type: 'boolean' },
    'inference-delay-ms': { type: 'string' },
    blend: { type: 'string' },
    remote: { type: 'boolean' },
    'round-trip': { type: 'boolean' },
    'skip-round-trip': { type: 'boolean' },
    requests: { type: 'string' },
    foxglove: { type: 'boolean' },
  });
  const root = packageRoot();
  const transport = transportKind(values.transport);
  const ticks = Math.round(positiveNumber(values.ticks, '--ticks', values.chunked ? 10_000 : 2000));
  const rateHz = positiveNumber(values['rate-hz'], '--rate-hz', 100);
  if (rateHz > 200) throw new Error(`--rate-hz must be ≤ 200, got ${rateHz}`);
  const common = {
    modelPath: values.model ? resolve(values.model) : resolve(root, 'models/pilot-drive.onnx'),
    ticks,
    rateHz,
    cameraHz: positiveNumber(values['camera-hz'], '--camera-hz', 30),
    transport,
    projectDir: root,
    calibrationDir: resolve(root, 'calibration'),
    ...(values.baseline ? { baselineRuns: ticks } : {}),
    ...(values['block-ticks'] !== undefined ? { blockTicks: blockTicks(values['block-ticks'], values.baseline) } : {}),
    inferenceThread: values.worker ? ('worker' as const) : ('main' as const),
    ...realtimeOptions(values),
    ...(values.peer !== undefined ? { peer: peerPlace(values.peer) } : {}),
    ...(values.json || !process.stderr.isTTY ? {} : { onProgress: progress }),
  };
  const chunkedModel = values.model ? resolve(values.model) : resolve(root, 'models/chunked-test.onnx');
  const roundTrip = () =>
    benchRoundTrip({ modelPath: chunkedModel, projectDir: root, requests: Math.round(positiveNumber(values.requests, '--requests', 2000)) });
  if (values['round-trip'] && !values.chunked) {
    const rt = await roundTrip();
    console.log(values.json ? JSON.stringify({ roundTrip: rt }, null, 2) : formatRoundTrip(rt));
    return 0;
  }
  if (values.chunked) {
    if (values['compare-eps'] || values['image-latency'] || values.baseline) throw new CliError('--chunked runs its own comparison; leave out --compare-eps, --image-latency and --baseline');
    const { onProgress: _plain, ...rest } = common;
    const result = await benchChunking({
      ...rest,
      modelPath: chunkedModel,
      ...(values.remote ? { remote: {} } : {}),
      providers: providerList(values.ep, ['cpu']),
      ...(values['inference-delay-ms'] !== undefined ? { inferenceDelayMs: nonNegative(values['inference-delay-ms'], '--inference-delay-ms') } : {}),
      ...(values.blend !== undefined ? { blend: blendMode(values.blend) } : {}),
      ...(common.onProgress ? { onProgress: (label: string, done: number, total: number) => progress(done, total, label) } : {}),
    });
    if (process.stderr.isTTY && !values.json) process.stderr.write('\r\x1b[K');
    const rt = values['skip-round-trip'] ? undefined : await roundTrip();
    if (values.json) console.log(JSON.stringify({ chunking: result, ...(rt ? { roundTrip: rt } : {}) }, null, 2));
    else console.log(formatChunkingBench(result) + (rt ? `\n\n${formatRoundTrip(rt)}` : ''));
    return 0;
  }
  for (const flag of ['inference-delay-ms', 'blend', 'remote', 'skip-round-trip', 'requests'] as const) {
    if (values[flag] !== undefined) throw new CliError(`--${flag} goes with --chunked (or --round-trip)`);
  }
  if (values.foxglove) {
    if (values['compare-eps'] || values['image-latency']) throw new CliError('--foxglove compares the loop with and without a viewer; run --compare-eps and --image-latency separately');
    const result = await benchWithViewer({ ...common, providers: providerList(values.ep, ['cpu']) });
    if (process.stderr.isTTY && !values.json) process.stderr.write('\r\x1b[K');
    console.log(values.json ? JSON.stringify({ foxglove: result }, null, 2) : `${formatLoopBench(result.withoutViewer)}\n\n${formatViewerBench(result)}`);
    return 0;
  }
  if (values['compare-eps']) {
    if (values['image-latency']) throw new CliError('--compare-eps measures the loop per provider; run --image-latency separately');
    const providers = providerList(values.ep, PROVIDER_NAMES);
    let current = '';
    const rows = await benchProviders(
      { ...common, ...(common.onProgress ? { onProgress: (done: number, total: number) => progress(done, total, current) } : {}) },
      providers,
      (p) => (current = p),
    );
    if (process.stderr.isTTY && !values.json) process.stderr.write('\r\x1b[K');
    console.log(values.json ? JSON.stringify({ compare: rows }, null, 2) : formatProviderComparison(rows));
    return 0;
  }
  const result = await benchLoop({ ...common, providers: providerList(values.ep, ['cpu']) });
  const imageLatency = values['image-latency'] ? await benchTransportLatency({ transport, count: 500, width: 640, height: 480 }) : undefined;
  if (process.stderr.isTTY && !values.json) process.stderr.write('\r\x1b[K');
  if (values.json) {
    console.log(JSON.stringify({ loop: result, ...(imageLatency ? { imageLatency } : {}) }, null, 2));
  } else {
    console.log(formatLoopBench(result));
    if (imageLatency) {
      console.log(
        `image 640×480  p50 ${imageLatency.p50Ms.toFixed(3)}  p99 ${imageLatency.p99Ms.toFixed(3)}  max ${imageLatency.maxMs.toFixed(3)} ms ` +
          `(publish → callback over ${transport}), ${imageLatency.received}/${imageLatency.sent} received, ${imageLatency.drops} drops`,
      );
    }
  }
  return 0;
}

/** --priority, --cpu-affinity, --inference-cpus and --lock-memory: the config's `realtime:` for this run. */
function realtimeOptions(values: {
  priority?: string;
  'cpu-affinity'?: string;
  'inference-cpus'?: string;
  'lock-memory'?: boolean;
  'gc-every-ticks'?: string;
}): { realtime?: Partial<RealtimeSettings> } {
  const realtime: Partial<RealtimeSettings> = {
    ...(values.priority !== undefined ? { priority: priority(values.priority) } : {}),
    ...(values['cpu-affinity'] !== undefined ? { cpu_affinity: cpuList(values['cpu-affinity'], '--cpu-affinity') } : {}),
    ...(values['inference-cpus'] !== undefined ? { inference_cpus: cpuList(values['inference-cpus'], '--inference-cpus') } : {}),
    ...(values['lock-memory'] ? { lock_memory: true } : {}),
    ...(values['gc-every-ticks'] !== undefined ? { gc_every_ticks: Math.round(positiveNumber(values['gc-every-ticks'], '--gc-every-ticks', 0)) } : {}),
  };
  return Object.keys(realtime).length ? { realtime } : {};
}

function priority(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new CliError(`--priority must be a SCHED_FIFO priority 1–99 (0: normal scheduling), got '${value}'`);
  return n;
}

function cpuList(value: string, flag: string): number[] {
  try {
    const cpus = parseCpuList(value);
    if (cpus.length === 0 || cpus.some((c) => c > 1023)) throw new Error('empty or beyond CPU 1023');
    return cpus;
  } catch {
    throw new CliError(`${flag} must be a CPU list like 1 or 0-1,3 (CPU ids as in /proc/cpuinfo), got '${value}'`);
  }
}

function peerPlace(value: string): 'process' | 'inline' {
  if (value !== 'process' && value !== 'inline') throw new CliError(`--peer must be process (camera and command subscriber in a child process) or inline (in this process), got '${value}'`);
  return value;
}

function blockTicks(value: string, baseline: boolean | undefined): number {
  if (!baseline) throw new CliError('--block-ticks goes with --baseline');
  return Math.round(positiveNumber(value, '--block-ticks', 100));
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}

function blendMode(value: string): BlendMode {
  if (!(BLEND_MODES as readonly string[]).includes(value)) throw new CliError(`--blend must be one of ${BLEND_MODES.join(', ')}, got '${value}'`);
  return value as BlendMode;
}

function progress(done: number, total: number, label = ''): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label ? `${label} ` : ''}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ticks`);
}
