/**
 * Per-tick samples of one side of an interleaved benchmark (the pilot loop, or the bare model paced by
 * the same loop runner): preallocated columns written once per tick (no allocation), then percentiles,
 * misses and, for each late tick, where its time went.
 */
import { percentilesOf, type Percentiles } from './percentiles.js';

/** The stages a late tick's time is split into (bare ticks have only wait and inference). */
export const LATE_STAGES = ['wait', 'input', 'inference', 'frameDecode', 'framePreprocess', 'safety', 'publish', 'gc'] as const;
export type LateStage = (typeof LATE_STAGES)[number];

/** One tick's record, as the recorder gets it (ms; stages that did not run are 0). */
export interface TickSample {
  /** When the tick was due, on the loop clock. */
  dueMs: number;
  /** Due → command out (pilot) or due → inference done (bare). */
  responseMs: number;
  waitMs: number;
  inputMs: number;
  inferenceMs: number;
  frameDecodeMs: number;
  framePreprocessMs: number;
  safetyMs: number;
  publishMs: number;
  /** Ticks that ran inference (the pilot's ok ticks; every bare tick). */
  inferred: boolean;
}

/** A late tick: when (ms after the measured run began), in which block, and its time by stage. */
export interface LateTick {
  readonly side: 'pilot' | 'bare';
  readonly block: number;
  readonly atMs: number;
  readonly responseMs: number;
  /** Per stage, ms; `gc` is garbage collection overlapping the tick, `other` what no stage accounts for. */
  readonly stagesMs: Readonly<Record<LateStage | 'other', number>>;
  /** The stage that took longest. */
  readonly dominant: LateStage | 'other';
}

/**
 * Cycles skipped between two ticks of a block: the thread was not free to start a tick for more than a
 * period. `gapMs` is the previous tick's end → this tick's start; `gcMs` the GC inside that gap.
 */
export interface Stall {
  readonly side: 'pilot' | 'bare';
  readonly block: number;
  /** Due time of the tick after the gap, ms after the measured run began. */
  readonly atMs: number;
  readonly skipped: number;
  readonly gapMs: number;
  readonly gcMs: number;
}

export interface SideStats {
  /** Ticks run in the measured blocks. */
  ticks: number;
  /** Cycles not run because the thread woke up more than a period late (no command in that period). */
  skippedCycles: number;
  /** Ticks that finished after the deadline. */
  late: number;
  /** late + skippedCycles: control periods without a command by the deadline. */
  misses: number;
  /** Due → command out (pilot), due → inference done (bare). */
  responseMs: Percentiles;
  inferenceMs: Percentiles;
  /** Tick start − due time. */
  startLatenessMs: Percentiles;
}

const COLUMNS = ['dueMs', 'responseMs', 'waitMs', 'inputMs', 'inferenceMs', 'frameDecodeMs', 'framePreprocessMs', 'safetyMs', 'publishMs', 'block'] as const;
type Column = (typeof COLUMNS)[number];

export class TickSamples {
  readonly #columns: Record<Column, Float64Array>;
  readonly #inferred: Uint8Array;
  #count = 0;
  skippedCycles = 0;

  constructor(
    readonly side: 'pilot' | 'bare',
    readonly capacity: number,
    readonly periodMs: number,
  ) {
    this.#columns = {} as Record<Column, Float64Array>;
    for (const c of COLUMNS) this.#columns[c] = new Float64Array(capacity);
    this.#inferred = new Uint8Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= this.capacity;
  }

  /** Copies one tick in; ignored once full. */
  record(s: TickSample, block: number): void {
    const i = this.#count;
    if (i >= this.capacity) return;
    const c = this.#columns;
    c.dueMs[i] = s.dueMs;
    c.responseMs[i] = s.responseMs;
    c.waitMs[i] = s.waitMs;
    c.inputMs[i] = s.inputMs;
    c.inferenceMs[i] = s.inferenceMs;
    c.frameDecodeMs[i] = s.frameDecodeMs;
    c.framePreprocessMs[i] = s.framePreprocessMs;
    c.safetyMs[i] = s.safetyMs;
    c.publishMs[i] = s.publishMs;
    c.block[i] = block;
    this.#inferred[i] = s.inferred ? 1 : 0;
    this.#count = i + 1;
  }

  /**
   * Percentiles over the recorded ticks: a column (inference over the ticks that ran it), `tickMs`
   * (tick start → done: response − wait) or `overheadMs` (response − wait − inference).
   */
  percentiles(column: 'responseMs' | 'inferenceMs' | 'waitMs' | 'tickMs' | 'overheadMs'): Percentiles {
    const values: number[] = [];
    const c = this.#columns;
    for (let i = 0; i < this.#count; i++) {
      if (column === 'inferenceMs' && !this.#inferred[i]) continue;
      if (column === 'tickMs' || column === 'overheadMs') {
        const tickMs = c.responseMs[i]! - c.waitMs[i]!;
        values.push(column === 'tickMs' ? tickMs : tickMs - c.inferenceMs[i]!);
      } else {
        values.push(c[column][i]!);
      }
    }
    return percentilesOf(values);
  }

  stats(deadlineMs: number): SideStats {
    let late = 0;
    for (let i = 0; i < this.#count; i++) if (this.#columns.responseMs[i]! > deadlineMs) late++;
    return {
      ticks: this.#count,
      skippedCycles: this.skippedCycles,
      late,
      misses: late + this.skippedCycles,
      responseMs: this.percentiles('responseMs'),
      inferenceMs: this.percentiles('inferenceMs'),
      startLatenessMs: this.percentiles('waitMs'),
    };
  }

  /** Gaps of more than a period between consecutive ticks of one block (cycles skipped there). */
  stalls(originMs: number, gcMs: (fromMs: number, toMs: number) => number): Stall[] {
    const out: Stall[] = [];
    const c = this.#columns;
    for (let i = 1; i < this.#count; i++) {
      if (c.block[i] !== c.block[i - 1]) continue;
      const skipped = Math.round((c.dueMs[i]! - c.dueMs[i - 1]!) / this.periodMs) - 1;
      if (skipped < 1) continue;
      const prevEnd = c.dueMs[i - 1]! + c.responseMs[i - 1]!;
      const start = c.dueMs[i]! + c.waitMs[i]!;
      out.push({ side: this.side, block: c.block[i]!, atMs: c.dueMs[i]! - originMs, skipped, gapMs: start - prevEnd, gcMs: gcMs(prevEnd, start) });
    }
    return out;
  }

  /**
   * The ticks that finished after the deadline, in time order, with their time split by stage. `gcMs`
   * says how much garbage collection overlapped [from, to] (clock ms); `originMs` is the run's start.
   */
  lateTicks(deadlineMs: number, originMs: number, gcMs: (fromMs: number, toMs: number) => number): LateTick[] {
    const out: LateTick[] = [];
    const c = this.#columns;
    for (let i = 0; i < this.#count; i++) {
      const responseMs = c.responseMs[i]!;
      if (responseMs <= deadlineMs) continue;
      const stagesMs: Record<LateStage | 'other', number> = {
        wait: c.waitMs[i]!,
        input: c.inputMs[i]!,
        inference: c.inferenceMs[i]!,
        frameDecode: c.frameDecodeMs[i]!,
        framePreprocess: c.framePreprocessMs[i]!,
        safety: c.safetyMs[i]!,
        publish: c.publishMs[i]!,
        gc: gcMs(c.dueMs[i]!, c.dueMs[i]! + responseMs),
        other: 0,
      };
      // Frame work and GC happen inside the other stages (mostly while inference is awaited): the stages
      // proper are wait, input, inference, safety and publish; what they leave of the response is `other`.
      stagesMs.other = Math.max(0, responseMs - stagesMs.wait - stagesMs.input - stagesMs.inference - stagesMs.safety - stagesMs.publish);
      out.push({ side: this.side, block: c.block[i]!, atMs: c.dueMs[i]! - originMs, responseMs, stagesMs, dominant: dominantStage(stagesMs) });
    }
    return out;
  }
}

/**
 * The largest contributor: frame work or GC when it makes up most of the stage it landed in (they are
 * measured inside wait/inference), else the largest stage proper.
 */
export function dominantStage(stagesMs: Readonly<Record<LateStage | 'other', number>>): LateStage | 'other' {
  let best: LateStage | 'other' = 'wait';
  for (const stage of ['wait', 'input', 'inference', 'safety', 'publish', 'other'] as const) if (stagesMs[stage] > stagesMs[best]) best = stage;
  const frame = stagesMs.frameDecode + stagesMs.framePreprocess;
  const inside = Math.max(frame, stagesMs.gc);
  if (inside > 0.5 * stagesMs[best]) return stagesMs.gc >= frame ? 'gc' : stagesMs.frameDecode > stagesMs.framePreprocess ? 'frameDecode' : 'framePreprocess';
  return best;
}
