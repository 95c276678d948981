/**
 * `pilot bench --chunked` / `npm run bench:chunking`: the same slow policy (inference ≈ 3× the control
 * period, on purpose) through the chunked loop (action queue, asynchronous inference) and through the
 * plain loop (one inference per tick), one after the other in one process, over the same number of
 * control periods. Prints both side by side with the machine's load average.
 */
import { cpus, loadavg } from 'node:os';
import type { BlendMode } from '../chunking/action-queue.js';
import { benchLoop, type LoopBenchOptions, type LoopBenchResult, type Percentiles } from './loop-bench.js';
import { spawnPolicyServer, type SpawnedServer } from './policy-server-bench.js';

export interface ChunkingBenchOptions extends Omit<LoopBenchOptions, 'chunking' | 'countPeriods' | 'inferenceDelayMs' | 'onProgress'> {
  /** Added to every inference, ms. Default 3 × the period. */
  readonly inferenceDelayMs?: number;
  readonly blend?: BlendMode;
  /** Also run the plain loop with no delay: what this machine's load alone costs. Default true. */
  readonly reference?: boolean;
  /**
   * Run the policy in `pilot serve` (a child process on loopback tcp, the delay injected there) instead
   * of in this process; `command` says how to start pilot (default: node bin/pilot.js).
   */
  readonly remote?: { readonly command?: readonly string[]; readonly readyTimeoutMs?: number };
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

export interface ChunkingBenchResult {
  readonly model: string;
  readonly rateHz: number;
  readonly periodMs: number;
  readonly deadlineMs: number;
  readonly inferenceDelayMs: number;
  readonly periods: number;
  /** The policy server's endpoint, when the policy ran in `pilot serve`. */
  readonly policyServer?: string;
  /** os.loadavg() (1, 5, 15 min) before and after, and the CPU count. */
  readonly load: { readonly before: number[]; readonly after: number[]; readonly cpus: number };
  readonly chunked: LoopBenchResult;
  readonly plain: LoopBenchResult;
  /** The plain loop with the same model and no delay (the machine's own misses under its load). */
  readonly reference?: LoopBenchResult;
}

export async function benchChunking(options: ChunkingBenchOptions): Promise<ChunkingBenchResult> {
  const periodMs = 1000 / options.rateHz;
  const inferenceDelayMs = options.inferenceDelayMs ?? 3 * periodMs;
  const before = loadavg();
  const { onProgress: _label, blend: _blend, reference: _reference, remote: _remote, ...loop } = options;
  let server: SpawnedServer | undefined;
  if (options.remote) {
    server = await spawnPolicyServer({ modelPath: options.modelPath, projectDir: options.projectDir, inferenceDelayMs, ...(options.remote.command ? { command: options.remote.command } : {}), ...(options.remote.readyTimeoutMs ? { readyTimeoutMs: options.remote.readyTimeoutMs } : {}) });
  }
  // Remote: the server sleeps; here no delay, and no reference run (it would need a second server).
  const common: LoopBenchOptions = server
    ? { ...loop, inferenceDelayMs: 0, countPeriods: true, policyServer: server.endpoint }
    : { ...loop, inferenceDelayMs, countPeriods: true, inferenceThread: 'worker' };
  const progress = (label: string) => (options.onProgress ? { onProgress: (d: number, t: number) => options.onProgress!(label, d, t) } : {});
  let chunked: LoopBenchResult;
  let plain: LoopBenchResult;
  let reference: LoopBenchResult | undefined;
  try {
    chunked = await benchLoop({ ...common, chunking: { enabled: true, ...(options.blend ? { blend: options.blend } : {}) }, ...progress('chunked') });
    if (!chunked.chunks) throw new Error(`bench --chunked: ${options.modelPath} is not a chunked model (its contract output has no chunk: { steps, step_ms })`);
    plain = await benchLoop({ ...common, chunking: { enabled: false }, ...progress('plain') });
    if (options.reference !== false && !server) reference = await benchLoop({ ...common, inferenceDelayMs: 0, chunking: { enabled: false }, ...progress('reference') });
  } finally {
    await server?.stop();
  }
  return {
    model: chunked.model,
    rateHz: options.rateHz,
    periodMs,
    deadlineMs: 0.8 * periodMs,
    inferenceDelayMs,
    periods: options.ticks,
    ...(server ? { policyServer: server.endpoint } : {}),
    load: { before, after: loadavg(), cpus: cpus().length },
    chunked,
    plain,
    ...(reference ? { reference } : {}),
  };
}

export function formatChunkingBench(r: ChunkingBenchResult): string {
  const runs = [r.chunked, r.plain, ...(r.reference ? [r.reference] : [])];
  const q = r.chunked.chunks!;
  const la = (x: readonly number[]) => x.map((v) => v.toFixed(2)).join(' ');
  const pc = (x: Percentiles) => `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)} / ${x.max.toFixed(2)}`;
  const row = (label: string, ...cells: (string | number)[]) => [label.padEnd(34), ...cells.slice(0, runs.length).map((c) => String(c).padEnd(24))].join(' ').trimEnd();
  const each = (f: (x: LoopBenchResult) => string | number) => runs.map(f);
  const none = (first: string | number) => [first, '—', '—'];
  return [
    `chunking benchmark: ${r.model}, ${r.rateHz} Hz (period ${r.periodMs} ms, deadline ${r.deadlineMs} ms), ` +
      `inference +${r.inferenceDelayMs} ms on purpose${r.policyServer ? ` in pilot serve at ${r.policyServer}` : ''}, ${r.periods} control periods each`,
    `load average ${la(r.load.before)} before, ${la(r.load.after)} after (${r.load.cpus} CPUs)`,
    row('', 'chunked, slow model', 'plain, slow model', 'plain, no delay (ref.)'),
    row('control periods', ...each((x) => x.periods)),
    row('ticks run', ...each((x) => x.ticks)),
    row('skipped cycles', ...each((x) => x.skippedCycles)),
    row('deadline misses', ...each((x) => x.deadlineMisses)),
    row('empty-queue fallbacks', ...none(q.emptyQueueFallbacks)),
    row('ticks publishing a policy action', ...each((x) => x.policyTicks)),
    row('inference ms p50 / p99 / max', pc(q.inferenceMs), ...runs.slice(1).map((x) => pc(x.policyRunMs ?? x.inferenceMs))),
    row('tick latency ms p50 / p99 / max', ...each((x) => pc(x.tickLatencyMs))),
    row('chunk age at use ms p50/p99/max', ...none(pc(q.chunkAgeMs))),
    row('queue depth (steps) p50 / min', ...none(`${q.queueDepthSteps.p50.toFixed(1)} / ${q.queueDepthSteps.min.toFixed(1)}`)),
    row('actions blended / single chunk', ...none(`${q.blendedActions} / ${q.freshActions}`)),
    row('inferences / chunks queued', `${q.inferences} / ${q.chunksQueued}`, ...runs.slice(1).map((x) => x.ticks)),
    row('chunks expired (arrival / unused)', ...none(`${q.chunksExpiredOnArrival} / ${q.chunksExpiredUnused}`)),
    row('heap growth bytes/tick', ...each((x) => x.heapGrowthBytesPerTick.toFixed(1))),
    ...runs.map((x, i) => `safety reasons (${['chunked', 'plain', 'reference'][i]}, warm-up included): ${reasons(x.safetyReasons)}`),
  ].join('\n');
}

function reasons(byReason: Record<string, number>): string {
  return Object.entries(byReason)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
