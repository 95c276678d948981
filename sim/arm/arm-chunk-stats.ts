/**
 * A chunked or remote policy over a run of arm episodes (README "Action chunks", "Policy server"): each
 * episode has its own runtime, hence its own action queue statistics (DriveChunkStats, as a drive
 * reports them); the run's summary adds the counts and takes the worst minimum/maximum and the median
 * of the episodes' medians.
 */
import type { DriveChunkStats } from '../drive/drive-result.js';

/**
 * The run's action queue in a drive's shape (DriveChunkStats), over all episodes: the counts added up
 * (`emptyQueueFallbacks` included); queue depth the median of the episodes' medians and the smallest
 * minimum; chunk age and inference time the median of the medians and the largest p99 and maximum.
 */
export type ArmChunkSummary = DriveChunkStats;

/** The run's queue summary, or undefined when no episode ran a chunked policy. */
export function summarizeArmChunks(perEpisode: readonly (DriveChunkStats | undefined)[]): ArmChunkSummary | undefined {
  const c = perEpisode.filter((s): s is DriveChunkStats => s !== undefined);
  const first = c[0];
  if (!first) return undefined;
  const sum = (f: (s: DriveChunkStats) => number) => c.reduce((a, s) => a + f(s), 0);
  const finite = (values: number[]) => values.filter(Number.isFinite);
  const median = (values: number[]) => {
    const v = finite(values).sort((a, b) => a - b);
    return v.length ? v[Math.floor((v.length - 1) / 2)]! : NaN;
  };
  const min = (values: number[]) => (finite(values).length ? Math.min(...finite(values)) : NaN);
  const max = (values: number[]) => (finite(values).length ? Math.max(...finite(values)) : NaN);
  return {
    steps: first.steps,
    stepMs: first.stepMs,
    blend: first.blend,
    inferences: sum((s) => s.inferences),
    chunksQueued: sum((s) => s.chunksQueued),
    emptyQueueFallbacks: sum((s) => s.emptyQueueFallbacks),
    blendedActions: sum((s) => s.blendedActions),
    freshActions: sum((s) => s.freshActions),
    chunksExpired: sum((s) => s.chunksExpired),
    queueDepthSteps: { p50: median(c.map((s) => s.queueDepthSteps.p50)), min: min(c.map((s) => s.queueDepthSteps.min)) },
    chunkAgeMs: { p50: median(c.map((s) => s.chunkAgeMs.p50)), p99: max(c.map((s) => s.chunkAgeMs.p99)), max: max(c.map((s) => s.chunkAgeMs.max)) },
    inferenceMs: { p50: median(c.map((s) => s.inferenceMs.p50)), p99: max(c.map((s) => s.inferenceMs.p99)) },
  };
}

/** The summary's `action queue` line. */
export function formatArmChunkLine(q: ArmChunkSummary): string {
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  return (
    `  action queue: chunks ${q.steps} × ${q.stepMs} ms, ${q.blend} · ${q.inferences} inferences (p50 ${f(q.inferenceMs.p50, 1)} ms, p99 ${f(q.inferenceMs.p99, 1)} ms) · ` +
    `depth p50 ${f(q.queueDepthSteps.p50, 1)} min ${f(q.queueDepthSteps.min, 1)} steps · chunk age p50 ${f(q.chunkAgeMs.p50, 0)} max ${f(q.chunkAgeMs.max, 0)} ms · ` +
    `${q.blendedActions} blended / ${q.freshActions} single · ${q.emptyQueueFallbacks} empty-queue fallbacks · ${q.chunksExpired} expired`
  );
}
