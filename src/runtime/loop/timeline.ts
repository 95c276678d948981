/**
 * Per-tick timing of each stage, kept as windows of recent samples for percentiles.
 * Recording allocates nothing.
 */
import { SampleWindow } from '../../core/util/sample-window.js';

export const TIMELINE_STAGES = ['inputAgeMs', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'publishMs', 'tickLatencyMs'] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

/**
 * The stage times of the tick just finished (reused object: copy to keep). `preprocessMs` is NaN in
 * ticks: frames are preprocessed on arrival and that time is pushed to its window directly.
 */
export interface TickRecord {
  scheduledMs: number;
  inputAgeMs: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
  publishMs: number;
  /** Input ready → command published. */
  tickLatencyMs: number;
  reason: string;
  /** Tick start − due time (timer wake-up or a busy thread), ms. */
  startLatenessMs: number;
  /** Input checks and state reads before inference, ms. */
  inputMs: number;
  /** Camera frames handled during this tick (they arrived while it awaited inference): decode, then preprocess, ms. */
  frameDecodeMs: number;
  framePreprocessMs: number;
}

export class Timeline {
  readonly windows: Record<TimelineStage, SampleWindow>;
  readonly last: TickRecord = {
    scheduledMs: 0,
    inputAgeMs: 0,
    preprocessMs: 0,
    inferenceMs: 0,
    postprocessMs: 0,
    publishMs: 0,
    tickLatencyMs: 0,
    reason: '',
    startLatenessMs: 0,
    inputMs: 0,
    frameDecodeMs: 0,
    framePreprocessMs: 0,
  };
  /** Called with `last` after each commit (a benchmark's per-tick recorder); must not keep the object. */
  onCommit: ((rec: TickRecord) => void) | undefined = undefined;

  constructor(capacity = 4096) {
    this.windows = {} as Record<TimelineStage, SampleWindow>;
    for (const s of TIMELINE_STAGES) this.windows[s] = new SampleWindow(capacity);
  }

  /** Push `last` into the windows; stages that did not run this tick (NaN) are skipped. */
  commit(): void {
    for (const s of TIMELINE_STAGES) {
      const v = this.last[s];
      if (!Number.isNaN(v)) this.windows[s].push(v);
    }
    this.onCommit?.(this.last);
  }

  /** Forget every recorded tick (a benchmark's warm-up). */
  clear(): void {
    for (const s of TIMELINE_STAGES) this.windows[s].reset();
  }

  summary(stage: TimelineStage): { p50: number; p90: number; p99: number; p999: number; max: number; n: number } {
    const w = this.windows[stage];
    return { p50: w.percentile(50), p90: w.percentile(90), p99: w.percentile(99), p999: w.percentile(99.9), max: w.maxEver, n: w.total };
  }
}
