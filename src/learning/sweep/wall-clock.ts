/**
 * A sweep item's result is what `pilot drive --json` or `pilot replay --json` writes, less the figures
 * measured in wall time (run time, × real time, tick latency, inference time, ticks over the deadline):
 * those differ from machine to machine and run to run, so they go to a separate timing record and the
 * results stay byte-identical wherever and however the sweep ran. Everything left is on the simulator's
 * or the bag's clock.
 */
import type { DriveResult } from '../../../sim/index.js';

/** An item's wall-clock figures (one JSON file per item beside the results; never part of the report). */
export interface ItemTiming {
  readonly id: string;
  /** Wall time of the drive or replay itself (not the process start). */
  readonly wallS: number;
  /** Simulated or bag time / wall time. */
  readonly realtimeFactor: number;
  /** The runtime's tick latency; null when there is no runtime (the expert). */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  readonly inferenceMs: { readonly p50: number; readonly p99: number } | null;
  /** Ticks over the deadline in wall time. */
  readonly deadlineMisses: number | null;
}

/** The drive result without its wall-clock fields (the serialiser leaves undefined keys out), and those fields. */
export function splitDriveResult(id: string, r: DriveResult): { result: DriveResult; timing: ItemTiming } {
  const rt = r.runtime;
  const result = {
    ...r,
    wallTimeS: undefined,
    realtimeFactor: undefined,
    ...(rt
      ? {
          runtime: {
            ...rt,
            latencyMs: undefined,
            inferenceMs: undefined,
            deadlineMisses: undefined,
            ...(rt.chunks ? { chunks: { ...rt.chunks, inferenceMs: undefined } } : {}),
          },
        }
      : {}),
  } as unknown as DriveResult;
  const timing: ItemTiming = {
    id,
    wallS: r.wallTimeS,
    realtimeFactor: r.realtimeFactor,
    latencyMs: rt ? { p50: rt.latencyMs.p50, p99: rt.latencyMs.p99, max: rt.latencyMs.max } : null,
    inferenceMs: rt ? { p50: rt.inferenceMs.p50, p99: rt.inferenceMs.p99 } : null,
    deadlineMisses: rt ? rt.deadlineMisses : null,
  };
  return { result, timing };
}

type Json = Record<string, unknown>;

/** Replay JSON (`replayJson`, one model) without its wall-clock fields, and those fields. */
export function splitReplayJson(id: string, replay: Json): { result: Json; timing: ItemTiming } {
  const runs = (replay.runs as Json[]).map((run) => {
    const { latencyMs, inferenceMs, preprocessMs, overDeadline, ...runtime } = run.runtime as Json;
    void latencyMs, void inferenceMs, void preprocessMs, void overDeadline;
    return { ...run, runtime };
  });
  const { wallS, realTimeFactor, ...rest } = replay;
  const first = (replay.runs as Json[])[0]?.runtime as Json | undefined;
  const lat = first?.latencyMs as Json | undefined;
  const inf = first?.inferenceMs as Json | undefined;
  const timing: ItemTiming = {
    id,
    wallS: numberOr(wallS),
    realtimeFactor: numberOr(realTimeFactor),
    latencyMs: lat ? { p50: numberOr(lat.p50), p99: numberOr(lat.p99), max: numberOr(lat.max) } : null,
    inferenceMs: inf ? { p50: numberOr(inf.p50), p99: numberOr(inf.p99) } : null,
    deadlineMisses: first ? numberOr(first.overDeadline) : null,
  };
  return { result: { ...rest, runs }, timing };
}

function numberOr(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}
