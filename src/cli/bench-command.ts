import { resolve } from 'node:path';
import { benchLoop, benchProviders, formatLoopBench, formatProviderComparison } from '../bench/loop-bench.js';
import { benchTransportLatency } from '../bench/transport-bench.js';
import { PROVIDER_NAMES } from '../config/schema.js';
import { packageRoot } from '../util/package-root.js';
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
    worker: { type: 'boolean' },
  });
  const root = packageRoot();
  const transport = transportKind(values.transport);
  const ticks = Math.round(positiveNumber(values.ticks, '--ticks', 2000));
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
    inferenceThread: values.worker ? ('worker' as const) : ('main' as const),
    ...(values.json || !process.stderr.isTTY ? {} : { onProgress: progress }),
  };
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

function progress(done: number, total: number, label = ''): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r${label ? `${label} ` : ''}[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ticks`);
}
