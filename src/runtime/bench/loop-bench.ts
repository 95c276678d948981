/**
 * `pilot bench`: the real loop, transport and model on synthetic camera frames; prints latency
 * percentiles, deadline misses and heap growth per tick.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../../core/config/load.js';
import type { PilotConfig, PilotConfigInput, ProviderName, RealtimeSettings } from '../../core/config/schema.js';
import { WallClock } from '../loop/clock.js';
import type { BlendMode } from '../chunking/action-queue.js';
import { createPolicy } from '../policy/create-policy.js';
import type { Policy } from '../policy/policy.js';
import { DelayedPolicy } from '../policy/delayed-policy.js';
import { RemotePolicy } from '../policy/remote-policy.js';
import { formatProviderReport, NoProviderError, type ProviderStartup } from '../policy/providers.js';
import { threadsStartedDuring } from '../realtime/proc-threads.js';
import { formatRealtimeReport, type RealtimeReport } from '../realtime/realtime-report.js';
import { Pilot } from '../pilot.js';
import { createTransport } from '../../transport/index.js';
import type { Transport } from '../../transport/transport.js';
import type { SampleWindow } from '../../core/util/sample-window.js';
import { runInterleaved, type CameraFeed, type InterleavedResult } from './interleaved.js';
import { formatInterleaved } from './interleaved-report.js';
import type { Percentiles } from './percentiles.js';
import { InlinePeer } from './synthetic-camera.js';
import { ProcessPeer } from './peer-process.js';

export interface LoopBenchOptions {
  readonly modelPath: string;
  readonly providers: readonly ProviderName[];
  readonly ticks: number;
  readonly rateHz: number;
  readonly cameraHz: number;
  readonly transport: 'zeromq' | 'inprocess';
  readonly projectDir: string;
  readonly calibrationDir?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Also time the bare model, paced at the loop rate with no transport or camera around it, this many
   * ticks, in blocks taking turns with the loop's (the loop then runs this many measured ticks too).
   */
  readonly baselineRuns?: number;
  /** Ticks per block of the interleaved comparison (default 100). */
  readonly blockTicks?: number;
  /**
   * Where the synthetic camera and the command subscriber run: `process`, a child process (the default
   * over ZeroMQ: the runtime's process then does only the runtime's work), or `inline`, this process.
   */
  readonly peer?: 'process' | 'inline';
  /** The runtime's `realtime:` settings (priority, CPUs, memory locking) for this run. */
  readonly realtime?: Partial<RealtimeSettings>;
  readonly inferenceThread?: 'main' | 'worker';
  /** Only the given providers, without CPU appended: fails with E_NO_PROVIDER when none loads. */
  readonly strictProviders?: boolean;
  /** Every inference takes this much longer (ms): a slow policy on purpose. */
  readonly inferenceDelayMs?: number;
  /** A chunked model: run its action queue (default) or, with enabled false, one inference per tick. */
  readonly chunking?: { readonly enabled: boolean; readonly blend?: BlendMode };
  /** Run until `ticks` control periods have passed (ticks run + cycles skipped), not `ticks` ticks run. */
  readonly countPeriods?: boolean;
  /** The policy runs in a policy server (`pilot serve`) at this endpoint. */
  readonly policyServer?: string;
  /** The runtime publishes its per-tick timeline (outputs.timeline) on /bench/timeline. */
  readonly publishTimeline?: boolean;
  /** Called with the transport and config once the runtime exists, before the first frame (a live viewer taps in here). */
  readonly onTransport?: (transport: Transport, config: PilotConfig) => void | Promise<void>;
}

/** A chunked model's action queue over the run. */
export interface ChunkBenchStats {
  inferences: number;
  chunksQueued: number;
  chunksExpiredOnArrival: number;
  chunksExpiredUnused: number;
  inferenceErrors: number;
  emptyQueueFallbacks: number;
  blendedActions: number;
  freshActions: number;
  /** Inference start → chunk back, wall ms. */
  inferenceMs: Percentiles;
  /** Age of the newest chunk at use (now − observation time), ms. */
  chunkAgeMs: Percentiles;
  /** Steps left in the newest chunk at each tick. */
  queueDepthSteps: Percentiles & { min: number };
}

export type { Percentiles } from './percentiles.js';

export interface LoopBenchResult {
  model: string;
  provider: string;
  providers: string;
  /** The start-up report: provider chosen, providers skipped and why, first inference apart from warm-up. */
  startup: ProviderStartup;
  transport: string;
  rateHz: number;
  /** Ticks measured: the figures below leave out the warm-up (see runTicks) unless said otherwise. */
  ticks: number;
  tickLatencyMs: Percentiles;
  inferenceMs: Percentiles;
  preprocessMs: Percentiles;
  deadlineMisses: number;
  skippedCycles: number;
  maxStartLatenessMs: number;
  heapGrowthBytesPerTick: number;
  commandsReceived: number;
  transportDrops: number;
  /** Camera frames preprocessed right after a tick because they arrived during it or just before it was due. */
  framesDeferred: number;
  safetyReasons: Record<string, number>;
  /** Control periods covered: ticks run + cycles skipped. */
  periods: number;
  /** Measured ticks that published a fresh policy action (safety reason ok). */
  policyTicks: number;
  /** Added to every inference on purpose, ms (0: none). */
  inferenceDelayMs: number;
  /** Whole policy runs as the loop waited for them (slow policy on purpose, or a policy server's round trip), ms. */
  policyRunMs?: Percentiles;
  /** Present for a chunked model run through its action queue. */
  chunks?: ChunkBenchStats;
  /**
   * Bare inference paced at the loop period (`--baseline`), in blocks taking turns with the loop's:
   * its inference percentiles, runs, and control periods it missed the deadline in.
   */
  baselineInferenceMs?: Percentiles & { runs: number; overDeadline: number };
  /** `--baseline`: the pilot loop and the bare model side by side, interleaved (interleaved.ts). */
  interleaved?: InterleavedResult;
  /** What the real-time settings were granted, when any were asked. */
  realtime?: RealtimeReport;
}

export async function benchLoop(options: LoopBenchOptions): Promise<LoopBenchResult> {
  const gc = exposeGc();
  const config = benchConfig(options);
  const clock = new WallClock();
  const warmupTicks = Math.min(500, Math.floor(options.ticks / 5));
  const { pilot, policy, transport } = await openBenchPilot(options, config, clock, options.ticks + warmupTicks);
  await options.onTransport?.(transport, config);
  // The robot side: a synthetic camera and a command subscriber, in a child process or in this one.
  const peerSettings = { cameraTopic: config.inputs.camera.topic, commandTopic: config.outputs.command.topic, width: pilot.cameraCalibration.width, height: pilot.cameraCalibration.height, cameraHz: options.cameraHz };
  const peer = (options.peer ?? defaultPeer(options.transport)) === 'process' ? await ProcessPeer.start(peerSettings) : new InlinePeer(transport, peerSettings, clock);
  const camera = peer.camera;
  await firstFrame(pilot, camera, options.transport);

  pilot.start();
  let interleaved: InterleavedResult | undefined;
  let run: MeasureStart;
  if (options.baselineRuns) {
    run = await runTicks(pilot, { ...options, ticks: 0 }, warmupTicks, gc);
    await pilot.loop.stop();
    interleaved = await runInterleaved({ pilot, clock, camera, ticks: options.baselineRuns, ...blockOption(options), ...progressOption(options, warmupTicks) });
  } else {
    run = await runTicks(pilot, options, warmupTicks, gc);
  }
  await pilot.stop();
  const periods = pilot.loop.stats.ticks - run.ticks + pilot.loop.stats.skippedCycles - run.skippedCycles;
  const measuredTicks = options.countPeriods ? periods : pilot.loop.stats.ticks - run.ticks;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  camera.pause();
  await sleep(50);
  const commandsReceived = await peer.close();

  const result = benchResult(pilot, policy, transport, options, { heapGrowthBytesPerTick: measuredTicks > 0 ? (heapAfter - run.heapBefore) / measuredTicks : NaN, commandsReceived, periods, start: run });
  if (interleaved) {
    result.interleaved = interleaved;
    const { inferenceMs, ticks: runs, misses } = interleaved.bare;
    result.baselineInferenceMs = { ...inferenceMs, runs, overDeadline: misses };
  }
  await pilot.dispose();
  await transport.close();
  return result;
}

/** The policy first (with strict providers it may refuse while nothing else is open), then the transport and the runtime. */
async function openBenchPilot(options: LoopBenchOptions, config: PilotConfig, clock: WallClock, timelineCapacity: number): Promise<{ pilot: Pilot; policy: Policy; transport: Transport }> {
  const { value: policy, tids: inferenceThreads } = await threadsStartedDuring(() =>
    createPolicy(config, { log: () => {}, strictProviders: options.strictProviders ?? false, inferenceDelayMs: options.inferenceDelayMs ?? 0 }),
  );
  const transport = createTransport(options.transport, { ipcDir: undefined });
  try {
    const pilot = await Pilot.create(config, { transport, clock, timelineCapacity, log: () => {}, policy, inferenceThreads });
    return { pilot, policy, transport };
  } catch (err) {
    await policy.dispose();
    await transport.close();
    throw err;
  }
}

/** The run's figures from the stopped runtime, plus what the caller measured around it. */
function benchResult(
  pilot: Pilot,
  policy: Policy,
  transport: Transport,
  options: LoopBenchOptions,
  measured: { heapGrowthBytesPerTick: number; commandsReceived: number; periods: number; start: MeasureStart },
): LoopBenchResult {
  const { start } = measured;
  const summary = (stage: 'tickLatencyMs' | 'inferenceMs' | 'preprocessMs'): Percentiles => {
    const s = pilot.timeline.summary(stage);
    return { p50: s.p50, p99: s.p99, p999: s.p999, max: s.max };
  };
  let transportDrops = 0;
  for (const s of transport.stats().values()) transportDrops += s.sendDrops + s.receiveGaps + s.decodeErrors;
  return {
    model: pilot.policy.contract.id,
    provider: pilot.policy.activeProvider,
    providers: pilot.policy.providerSummary,
    startup: pilot.policy.startup,
    transport: options.transport,
    rateHz: options.rateHz,
    ticks: pilot.loop.stats.ticks - start.ticks,
    tickLatencyMs: summary('tickLatencyMs'),
    inferenceMs: summary('inferenceMs'),
    preprocessMs: summary('preprocessMs'),
    deadlineMisses: pilot.counters.lateResults - start.lateResults,
    skippedCycles: pilot.loop.stats.skippedCycles - start.skippedCycles,
    maxStartLatenessMs: pilot.loop.stats.maxStartLatenessMs,
    heapGrowthBytesPerTick: measured.heapGrowthBytesPerTick,
    commandsReceived: measured.commandsReceived,
    transportDrops,
    framesDeferred: pilot.counters.framesDeferred,
    safetyReasons: { ...pilot.safety.counters.byReason },
    periods: measured.periods,
    policyTicks: pilot.safety.counters.byReason.ok - start.policyTicks,
    inferenceDelayMs: options.inferenceDelayMs ?? 0,
    ...(pilot.chunks ? { chunks: chunkStats(pilot) } : {}),
    ...(policy instanceof DelayedPolicy ? { policyRunMs: windowPercentiles(policy.runMs) } : {}),
    ...(policy instanceof RemotePolicy ? { policyRunMs: windowPercentiles(policy.roundTripMs) } : {}),
    ...(pilot.realtime ? { realtime: pilot.realtime } : {}),
  };
}

function chunkStats(pilot: Pilot): ChunkBenchStats {
  const c = pilot.chunks!;
  const w = c.windows;
  const pct = windowPercentiles;
  return {
    inferences: c.counters.inferences,
    chunksQueued: c.counters.chunksQueued,
    chunksExpiredOnArrival: c.queue.counters.expiredOnArrival,
    chunksExpiredUnused: c.queue.counters.expiredUnused,
    inferenceErrors: c.counters.inferenceErrors,
    emptyQueueFallbacks: c.counters.emptyQueueFallbacks,
    blendedActions: c.counters.blendedActions,
    freshActions: c.counters.freshActions,
    inferenceMs: pct(w.inferenceMs),
    chunkAgeMs: pct(w.chunkAgeMs),
    queueDepthSteps: { ...pct(w.queueDepthSteps), min: w.queueDepthSteps.percentile(0) },
  };
}

function windowPercentiles(x: SampleWindow): Percentiles {
  return { p50: x.percentile(50), p99: x.percentile(99), p999: x.percentile(99.9), max: x.maxEver };
}

/** Starts the camera and waits until frames flow end to end (ZeroMQ subscriptions join asynchronously), at most 2 s. */
async function firstFrame(pilot: Pilot, camera: CameraFeed, transport: string): Promise<void> {
  camera.resume();
  for (let i = 0; i < 200 && pilot.camera.received === 0; i++) await sleep(10);
  if (pilot.camera.received === 0) throw new Error(`bench: no camera frame arrived over ${transport} within 2 s`);
}

/** The robot side in a child process over ZeroMQ (where the compiled child script is there), else in this process. */
function defaultPeer(transport: LoopBenchOptions['transport']): 'process' | 'inline' {
  return transport === 'zeromq' && ProcessPeer.available() ? 'process' : 'inline';
}

/** Where the measured part of a run began: the counters then (the figures are differences from them). */
export interface MeasureStart {
  heapBefore: number;
  measuredFrom: number;
  lateResults: number;
  skippedCycles: number;
  ticks: number;
  policyTicks: number;
}

/**
 * Runs the warm-up, then (loop stopped, so no tick pays for it) a full GC for the heap baseline and a
 * fresh start of the timeline and the loop's figures; then waits until the run is over (ticks, or
 * periods with countPeriods).
 */
async function runTicks(pilot: Pilot, options: LoopBenchOptions, warmupTicks: number, gc: () => void): Promise<MeasureStart> {
  const total = options.ticks + warmupTicks;
  const counted = (): number => pilot.loop.stats.ticks + (options.countPeriods ? pilot.loop.stats.skippedCycles : 0);
  await ticksReached(counted, warmupTicks, (n) => options.onProgress?.(Math.min(n, total), total));
  await pilot.loop.stop();
  gc();
  const start: MeasureStart = {
    heapBefore: process.memoryUsage().heapUsed,
    measuredFrom: counted(),
    lateResults: pilot.counters.lateResults,
    skippedCycles: pilot.loop.stats.skippedCycles,
    ticks: pilot.loop.stats.ticks,
    policyTicks: pilot.safety.counters.byReason.ok,
  };
  pilot.timeline.clear();
  pilot.loop.stats.maxStartLatenessMs = 0;
  pilot.loop.start();
  await ticksReached(counted, start.measuredFrom + options.ticks, (n) => options.onProgress?.(Math.min(n - start.measuredFrom + warmupTicks, total), total));
  return start;
}

/** Resolves once `count()` reaches `target`, polling every 50 ms. */
function ticksReached(count: () => number, target: number, onProgress: (n: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      const n = count();
      onProgress(n);
      if (n >= target) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
}

/** The runtime config of a benchmark run: synthetic camera and command topics under /bench. */
function benchConfig(options: LoopBenchOptions): PilotConfig {
  const raw: PilotConfigInput = {
    model: { path: options.modelPath, providers: [...options.providers], inference_thread: options.inferenceThread ?? 'main' },
    ...(options.policyServer ? { policy_server: { endpoint: options.policyServer } } : {}),
    ...(options.realtime ? { realtime: options.realtime } : {}),
    ...(options.chunking ? { chunking: { enabled: options.chunking.enabled, ...(options.chunking.blend ? { blend: options.chunking.blend } : {}) } } : {}),
    transport: { kind: options.transport },
    loop: { rate_hz: options.rateHz, trigger: 'timer' },
    inputs: { camera: { topic: '/bench/camera/image_raw', type: 'image', max_age_ms: Math.max(100, 3000 / options.cameraHz) } },
    outputs: {
      command: { topic: '/bench/cmd', type: 'ackermann' },
      diagnostics: { topic: '/bench/diagnostics', rate_hz: 1 },
      ...(options.publishTimeline ? { timeline: { topic: '/bench/timeline', enabled: true } } : {}),
    },
    safety: { estop_topic: '/bench/estop' },
  };
  if (options.calibrationDir) raw.calibration = { camera: `${options.calibrationDir}/camera.yaml`, vehicle: `${options.calibrationDir}/vehicle.yaml` };
  return parseConfig(raw, 'bench', options.projectDir);
}

function blockOption(options: LoopBenchOptions): { blockTicks?: number } {
  return options.blockTicks ? { blockTicks: options.blockTicks } : {};
}

function progressOption(options: LoopBenchOptions, warmupTicks: number): { onProgress?: (done: number, total: number) => void } {
  const report = options.onProgress;
  return report ? { onProgress: (done, total) => report(warmupTicks + done, warmupTicks + total) } : {};
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function exposeGc(): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function formatLoopBench(r: LoopBenchResult): string {
  const p = (x: Percentiles) => `p50 ${x.p50.toFixed(3)}  p99 ${x.p99.toFixed(3)}  p99.9 ${x.p999.toFixed(3)}  max ${x.max.toFixed(3)} ms`;
  return [
    `model          ${r.model}`,
    `provider       ${r.provider}`,
    ...formatProviderReport(r.startup).map((l) => `  ${l}`),
    ...(r.realtime ? formatRealtimeReport(r.realtime) : []),
    `transport      ${r.transport}, loop ${r.rateHz} Hz, ${r.ticks} ticks`,
    `tick latency   ${p(r.tickLatencyMs)}   (input ready → command published)`,
    `inference      ${p(r.inferenceMs)}`,
    `preprocess     ${p(r.preprocessMs)}`,
    `deadline miss  ${r.deadlineMisses}   skipped cycles ${r.skippedCycles}   max start lateness ${r.maxStartLatenessMs.toFixed(3)} ms`,
    `heap growth    ${r.heapGrowthBytesPerTick.toFixed(1)} bytes/tick`,
    `commands       ${r.commandsReceived} received, transport drops ${r.transportDrops}; ${r.framesDeferred} camera frames preprocessed after the tick they arrived in or just before`,
    `safety         ${Object.entries(r.safetyReasons).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...(r.interleaved ? [formatInterleaved(r.interleaved)] : []),
  ].join('\n');
}

/** One provider's row in `pilot bench --compare-eps`: measured, or skipped with the reason. */
export type ProviderBenchRow =
  | { readonly provider: ProviderName; readonly status: 'ran'; readonly loop: LoopBenchResult }
  | { readonly provider: ProviderName; readonly status: 'skipped'; readonly reason: string };

/**
 * The same loop benchmark once per provider, one after another in this process, each provider alone
 * (no CPU fallback), so the rows compare providers on the same machine, model and load.
 */
export async function benchProviders(
  options: Omit<LoopBenchOptions, 'providers' | 'strictProviders'>,
  providers: readonly ProviderName[],
  onProvider?: (provider: ProviderName) => void,
): Promise<ProviderBenchRow[]> {
  const rows: ProviderBenchRow[] = [];
  for (const provider of providers) {
    onProvider?.(provider);
    try {
      rows.push({ provider, status: 'ran', loop: await benchLoop({ ...options, providers: [provider], strictProviders: true }) });
    } catch (err) {
      if (!(err instanceof NoProviderError)) throw err;
      rows.push({ provider, status: 'skipped', reason: err.attempts.map((a) => a.reason).join('; ') });
    }
  }
  return rows;
}

export function formatProviderComparison(rows: readonly ProviderBenchRow[]): string {
  const ran = rows.find((r) => r.status === 'ran');
  const header = ran ? `model ${ran.loop.model}, ${ran.loop.transport}, loop ${ran.loop.rateHz} Hz; inference ms per tick (first inference at start-up apart)` : 'no provider ran';
  const n = (x: number) => x.toFixed(3).padStart(8);
  const lines = [header, `${'provider'.padEnd(9)} ${'first'.padStart(8)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'p99.9'.padStart(8)} ${'max'.padStart(8)} ${'tick p99'.padStart(8)}  misses  ticks`];
  for (const r of rows) {
    if (r.status === 'skipped') {
      lines.push(`${r.provider.padEnd(9)} skipped: ${r.reason}`);
      continue;
    }
    const l = r.loop;
    lines.push(
      `${r.provider.padEnd(9)} ${n(l.startup.warmup.firstInferenceMs)} ${n(l.inferenceMs.p50)} ${n(l.inferenceMs.p99)} ${n(l.inferenceMs.p999)} ${n(l.inferenceMs.max)} ${n(l.tickLatencyMs.p99)}  ${String(l.deadlineMisses).padStart(6)}  ${l.ticks}`,
    );
  }
  return lines.join('\n');
}
