/**
 * `pilot bench --baseline`: the pilot loop and the bare model take turns in blocks of ticks in one
 * process (pilot block, bare block, pilot block…), so both see the same machine load however it varies.
 * The bare model is ONNX Runtime's run on the same session, paced by the same loop runner and clock
 * as the pilot loop: what the pilot side has on top is pilot's own work (inputs, frames, safety,
 * publishing). The camera is paused during bare blocks, so the bare model has the process to itself.
 */
import { cpus, loadavg } from 'node:os';
import type { Clock } from '../loop/clock.js';
import { LoopRunner, type LoopTask } from '../loop/loop-runner.js';
import type { TickRecord } from '../loop/timeline.js';
import type { Policy } from '../policy/policy-session.js';
import type { Pilot } from '../pilot.js';
import { GcLog, type GcSummary } from './gc-log.js';
import type { Percentiles } from './percentiles.js';
import { LATE_STAGES, TickSamples, type LateStage, type LateTick, type SideStats, type Stall, type TickSample } from './tick-samples.js';

/** The synthetic camera: paused while the bare model runs. */
export interface CameraFeed {
  pause(): void;
  resume(): void;
}

export interface InterleaveOptions {
  readonly pilot: Pilot;
  readonly clock: Clock;
  readonly camera: CameraFeed;
  /** Measured ticks per side. */
  readonly ticks: number;
  /** Ticks per block (default 100: one second at 100 Hz). */
  readonly blockTicks?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Late ticks of one side by the stage that took longest, and the time each stage took in them. */
export type LateStageTable = Record<LateStage | 'other', { dominant: number; totalMs: number }>;

export interface InterleavedResult {
  rateHz: number;
  periodMs: number;
  deadlineMs: number;
  /** performance.now() when the measured blocks began: late ticks' and stalls' `atMs` count from here. */
  originMs: number;
  blockTicks: number;
  /** Blocks per side. */
  blocks: number;
  /** os.loadavg() (1, 5, 15 min) before and after, and the CPU count. */
  load: { before: number[]; after: number[]; cpus: number };
  pilot: SideStats;
  bare: SideStats;
  /** Per pilot tick: response − wait − inference (input, safety, publish and anything between), ms. */
  overheadMs: Percentiles;
  /** Pilot tick latency p99 (start → command out) − pilot inference p99, ms. */
  overheadP99Ms: number;
  /** Garbage collection over the measured blocks (both sides). */
  gc: GcSummary;
  pilotLateStages: LateStageTable;
  bareLateStages: LateStageTable;
  /** Every late tick of both sides in time order (at most 500). */
  lateTicks: LateTick[];
  /** Where cycles were skipped between ticks, both sides, in time order (at most 500). */
  stalls: Stall[];
}

const MAX_LATE_TICKS = 500;

export async function runInterleaved(options: InterleaveOptions): Promise<InterleavedResult> {
  const { pilot, clock, camera, ticks } = options;
  const blockTicks = Math.max(1, Math.min(options.blockTicks ?? 100, ticks));
  const periodMs = 1000 / pilot.config.loop.rate_hz;
  const deadlineMs = pilot.config.loop.deadline_ms ?? 0.8 * periodMs;
  const pilotSide = new PilotRecorder(pilot, ticks, periodMs);
  const bareSide = new BareRecorder(pilot.policy, clock, ticks, periodMs, deadlineMs);
  const gcLog = new GcLog();
  const before = loadavg();
  const originMs = clock.now();
  gcLog.start();
  let block = 0;
  try {
    for (; !pilotSide.samples.full || !bareSide.samples.full; block++) {
      if (!pilotSide.samples.full) await pilotSide.runBlock(block, blockTicks, camera, clock);
      if (!bareSide.samples.full) await bareSide.runBlock(block, blockTicks);
      options.onProgress?.(pilotSide.samples.count + bareSide.samples.count, 2 * ticks);
    }
  } finally {
    pilot.timeline.onCommit = undefined;
    camera.resume();
  }
  const endMs = clock.now();
  await settle();
  gcLog.stop();
  const pilotSamples = pilotSide.samples;
  const gcMs = (from: number, to: number) => gcLog.overlapMs(from, to);
  const pilotLate = pilotSamples.lateTicks(deadlineMs, originMs, gcMs);
  const bareLate = bareSide.samples.lateTicks(deadlineMs, originMs, gcMs);
  return {
    rateHz: pilot.config.loop.rate_hz,
    periodMs,
    deadlineMs,
    originMs,
    blockTicks,
    blocks: block,
    load: { before, after: loadavg(), cpus: cpus().length },
    pilot: pilotSamples.stats(deadlineMs),
    bare: bareSide.samples.stats(deadlineMs),
    overheadMs: pilotSamples.percentiles('overheadMs'),
    overheadP99Ms: pilotSamples.percentiles('tickMs').p99 - pilotSamples.percentiles('inferenceMs').p99,
    gc: gcLog.summary(originMs, endMs),
    pilotLateStages: stageTable(pilotLate),
    bareLateStages: stageTable(bareLate),
    lateTicks: [...pilotLate, ...bareLate].sort((a, b) => a.atMs - b.atMs).slice(0, MAX_LATE_TICKS),
    stalls: [...pilotSamples.stalls(originMs, gcMs), ...bareSide.samples.stalls(originMs, gcMs)].sort((a, b) => a.atMs - b.atMs).slice(0, MAX_LATE_TICKS),
  };
}

export function stageTable(late: readonly LateTick[]): LateStageTable {
  const table = {} as LateStageTable;
  for (const stage of [...LATE_STAGES, 'other'] as const) table[stage] = { dominant: 0, totalMs: 0 };
  for (const t of late) {
    table[t.dominant].dominant++;
    for (const stage of [...LATE_STAGES, 'other'] as const) table[stage].totalMs += t.stagesMs[stage];
  }
  return table;
}

/** The pilot's ticks, taken from its timeline as each one commits. */
class PilotRecorder {
  readonly samples: TickSamples;
  readonly #sample: TickSample = emptySample();
  #block = 0;
  #left = 0;
  #blockDone: (() => void) | undefined;

  constructor(
    readonly pilot: Pilot,
    ticks: number,
    periodMs: number,
  ) {
    this.samples = new TickSamples('pilot', ticks, periodMs);
  }

  readonly #onCommit = (rec: TickRecord): void => {
    if (this.#left <= 0) return;
    const s = this.#sample;
    s.dueMs = rec.scheduledMs;
    // Timer-triggered (the bench): tick latency is tick start → command out.
    s.responseMs = rec.startLatenessMs + rec.tickLatencyMs;
    s.waitMs = rec.startLatenessMs;
    s.inputMs = rec.inputMs;
    s.inferred = !Number.isNaN(rec.inferenceMs);
    s.inferenceMs = s.inferred ? rec.inferenceMs : 0;
    s.frameDecodeMs = rec.frameDecodeMs;
    s.framePreprocessMs = rec.framePreprocessMs;
    s.safetyMs = rec.postprocessMs;
    s.publishMs = rec.publishMs;
    this.samples.record(s, this.#block);
    if (--this.#left === 0 || this.samples.full) this.#blockDone?.();
  };

  async runBlock(block: number, blockTicks: number, camera: CameraFeed, clock: Clock): Promise<void> {
    const { pilot } = this;
    camera.resume();
    await freshFrame(pilot, clock);
    const skippedBefore = pilot.loop.stats.skippedCycles;
    this.#block = block;
    this.#left = Math.min(blockTicks, this.samples.capacity - this.samples.count);
    pilot.timeline.onCommit = this.#onCommit;
    await new Promise<void>((resolve) => {
      this.#blockDone = resolve;
      pilot.loop.start();
    });
    await pilot.loop.stop();
    this.#left = 0;
    this.samples.skippedCycles += pilot.loop.stats.skippedCycles - skippedBefore;
    camera.pause();
    await settle(); // frames already sent are taken in before the bare block
  }
}

/** The bare model: policy.run() alone, paced by a loop runner like the pilot's. */
class BareRecorder implements LoopTask {
  readonly samples: TickSamples;
  readonly #runner: LoopRunner;
  readonly #sample: TickSample = emptySample();
  #block = 0;
  #left = 0;
  #blockDone: (() => void) | undefined;

  constructor(
    readonly policy: Policy,
    readonly clock: Clock,
    ticks: number,
    periodMs: number,
    deadlineMs: number,
  ) {
    this.samples = new TickSamples('bare', ticks, periodMs);
    this.#runner = new LoopRunner({ clock, periodMs, deadlineMs, trigger: 'timer' }, this);
  }

  async tick(scheduledMs: number): Promise<void> {
    if (this.#left <= 0) return;
    const start = this.clock.now();
    await this.policy.run();
    const end = this.clock.now();
    const s = this.#sample;
    s.dueMs = scheduledMs;
    s.responseMs = end - scheduledMs;
    s.waitMs = start - scheduledMs;
    s.inferenceMs = end - start;
    s.inferred = true;
    this.samples.record(s, this.#block);
    if (--this.#left === 0 || this.samples.full) this.#blockDone?.();
  }

  async runBlock(block: number, blockTicks: number): Promise<void> {
    const skippedBefore = this.#runner.stats.skippedCycles;
    this.#block = block;
    this.#left = Math.min(blockTicks, this.samples.capacity - this.samples.count);
    await new Promise<void>((resolve) => {
      this.#blockDone = resolve;
      this.#runner.start();
    });
    await this.#runner.stop();
    this.#left = 0;
    this.samples.skippedCycles += this.#runner.stats.skippedCycles - skippedBefore;
  }
}

function emptySample(): TickSample {
  return { dueMs: 0, responseMs: 0, waitMs: 0, inputMs: 0, inferenceMs: 0, frameDecodeMs: 0, framePreprocessMs: 0, safetyMs: 0, publishMs: 0, inferred: false };
}

/** Waits for a camera frame newer than now (at most 2 s). */
async function freshFrame(pilot: Pilot, clock: Clock): Promise<void> {
  const since = clock.now();
  for (let i = 0; i < 400 && pilot.camera.receivedAtMs <= since; i++) await sleep(5);
  if (pilot.camera.receivedAtMs <= since) throw new Error('bench: the camera did not resume within 2 s');
}

/** Lets messages in flight and GC notifications arrive. */
function settle(): Promise<void> {
  return sleep(20);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
