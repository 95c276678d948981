/**
 * Chunk labels: a frame at time t is labelled with the commands in force at t + latency + i·step_ms,
 * i = 0..steps−1 (what a chunked policy observing at t should execute over its horizon). A frame
 * whose future runs past the last command of its episode is skipped (`chunk_past_end`); a step that
 * falls in a command gap is skipped as a single-step label would be (`stale_command`, `bad_command`).
 *
 * The same lookup labels bag frames (from-bags.ts) and the frames of a simulated drive (DAgger:
 * chunkDriveDataset, the expert's clean command per frame, the future frames of the same drive).
 */
import type { ChunkSpec } from '../export/chunk-fields.js';
import { chunkTargetNames } from '../export/chunk-fields.js';
import { subsetDataset, type ImageDataset } from './dataset.js';
import { commandInForce, TimedSeries, type CommandSkipReason, type SortedSeries } from './timed-series.js';

export type ChunkSkipReason = CommandSkipReason | 'chunk_past_end';

/** Time of a chunk's last action after its frame: latency + (steps − 1)·step_ms. */
export function chunkReachMs(latencyMs: number, chunk: ChunkSpec | undefined): number {
  return latencyMs + (chunk ? (chunk.steps - 1) * chunk.step_ms : 0);
}

/**
 * Writes the chunk's values, step-major (`commands.n` per step), into `out` from `at`; or says why the
 * frame at `tMs` has no full chunk. Allocates nothing.
 */
export function chunkCommands(
  commands: TimedSeries,
  sorted: SortedSeries,
  tMs: number,
  latencyMs: number,
  maxGapMs: number,
  chunk: ChunkSpec,
  out: Float64Array | Float32Array,
  at = 0,
): ChunkSkipReason | undefined {
  if (tMs + chunkReachMs(latencyMs, chunk) > commands.maxMs) return 'chunk_past_end';
  const n = commands.n;
  for (let i = 0; i < chunk.steps; i++) {
    const c = commandInForce(commands, sorted, tMs, latencyMs + i * chunk.step_ms, maxGapMs);
    if (typeof c !== 'number') return c;
    for (let q = 0; q < n; q++) out[at + i * n + q] = commands.values[c * n + q]!;
  }
  return undefined;
}

export interface ChunkDriveResult {
  readonly dataset: ImageDataset;
  /** Frames dropped, by reason (the last ones of the drive: their future runs past its end). */
  readonly skipped: Readonly<Record<ChunkSkipReason, number>>;
}

/** A drive's frames for chunkDriveDataset: the time of each and, optionally, its segment (a reset starts a new one). */
export interface DriveFrameTimes {
  readonly timesMs: ArrayLike<number>;
  /** Frames of different segments never label each other (e.g. the interventions before each frame). */
  readonly segments?: ArrayLike<number>;
}

/**
 * A drive's frames (one or more episodes, each in time order) with single-step labels (raw, e.g. the
 * expert's clean command) relabelled as chunks: frame j gets the labels of the same episode's (and
 * segment's) frames in force at t_j + latency + i·step_ms. Frames without a full future are dropped.
 */
export function chunkDriveDataset(ds: ImageDataset, frames: DriveFrameTimes, chunk: ChunkSpec, latencyMs = 0, maxGapMs = 500): ChunkDriveResult {
  const { timesMs } = frames;
  const k = ds.targetNames.length;
  const skipped: Record<ChunkSkipReason, number> = { no_command: 0, stale_command: 0, bad_command: 0, chunk_past_end: 0 };
  const keep: number[] = [];
  const targets = new Float32Array(ds.count * k * chunk.steps);
  for (const run of episodeRuns(ds, frames.segments)) {
    const series = new TimedSeries(k);
    for (const j of run) {
      const at = series.slot();
      for (let q = 0; q < k; q++) series.values[at + q] = ds.targets[j * k + q]!;
      series.push(timesMs[j]!, '');
    }
    const sorted = series.sorted();
    for (const j of run) {
      const reason = chunkCommands(series, sorted, timesMs[j]!, latencyMs, maxGapMs, chunk, targets, keep.length * k * chunk.steps);
      if (reason) skipped[reason]++;
      else keep.push(j);
    }
  }
  const subset = subsetDataset(ds, keep);
  const dataset: ImageDataset = { ...subset, targets: targets.slice(0, keep.length * k * chunk.steps), targetNames: chunkTargetNames(ds.targetNames, chunk) };
  return { dataset, skipped };
}

/** Frame indices grouped by episode and segment, in dataset order. */
function episodeRuns(ds: ImageDataset, segments: ArrayLike<number> | undefined): number[][] {
  const runs = new Map<string, number[]>();
  for (let j = 0; j < ds.count; j++) {
    const key = `${ds.episodes[j]!}:${segments ? segments[j]! : 0}`;
    let run = runs.get(key);
    if (!run) runs.set(key, (run = []));
    run.push(j);
  }
  return [...runs.values()];
}
