/**
 * DAgger rounds for a driving policy in the simulator: the current policy drives the training tracks
 * (mixed with the expert by β), every frame it saw is labelled with the clean expert's command, the
 * frames are aggregated and the policy retrains on everything. A chunked policy drives through the
 * runtime's action queue (with a simulated inference delay if asked, so it meets its own drift), and
 * each frame is labelled with the expert's clean commands at the future frames of the same drive.
 */
import { writeFileSync } from 'node:fs';
import { loadSimConfig } from '../../../sim/index.js';
import { collectDrive } from '../sim-data/dagger.js';
import { loadTrack } from '../../../sim/index.js';
import { loadConfig } from '../../core/config/load.js';
import { concatDatasets, splitByEpisode, type ImageDataset } from '../dataset/dataset.js';
import { chunkDriveDataset } from '../dataset/chunk-labels.js';
import type { ChunkSpec } from '../export/chunk-fields.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';

export interface DaggerOptions {
  readonly iterations: number;
  /** Training tracks the policy drives; unseen tracks are refused. */
  readonly tracks: readonly string[];
  readonly laps: number;
  /** β of the first round (the expert's share of executed commands); halved every round. */
  readonly beta: number;
  readonly randomize: number;
  readonly epochs: number;
  /** A chunked policy: its inference takes this long in the drives (simulated, lockstep), ms. Default 0. */
  readonly inferenceDelayMs?: number;
}

export interface DaggerContext {
  readonly options: DaggerOptions;
  readonly sim: ReturnType<typeof loadSimConfig>;
  readonly runtimeConfig?: string;
  readonly seed: number;
  /** Writes the current policy to a file the drives load. */
  readonly exportCurrent: () => Uint8Array;
  readonly tmpPath: string;
  /** Retrains on the aggregate. */
  readonly fit: (stage: string, epochs: number, train: ImageDataset, validation: ImageDataset | undefined) => Promise<void>;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  /** The policy is chunked: drives use the action queue, labels are chunks (chunk-labels.ts). */
  readonly chunk?: ChunkSpec;
}

export async function runDaggerRounds(
  c: DaggerContext,
  data: { train: ImageDataset | undefined; validation: ImageDataset | undefined },
): Promise<{ train: ImageDataset | undefined; validation: ImageDataset | undefined; rounds: unknown[]; note: string }> {
  const d = c.options;
  for (const t of d.tracks) {
    const track = loadTrack(t);
    if (track.split !== 'train') throw new PilotError('E_TRAIN_DAGGER', `--dagger-tracks: ${t} is a ${track.split} track; DAgger drives only training tracks, so the unseen ones stay unseen`);
  }
  const runtimeConfig = driveConfig(loadConfig(c.runtimeConfig ?? 'launch/drive.yaml'), c);
  let { train, validation } = data;
  const rounds: unknown[] = [];
  for (let round = 1; round <= d.iterations; round++) {
    // No bags: the first round is driven by the expert alone (β = 1), which is behaviour cloning.
    if (!train) c.log('train: no bags given: DAgger round 0 collects expert demonstrations');
    const beta = train ? d.beta * 0.5 ** (round - 1) : 1;
    writeFileSync(c.tmpPath, c.exportCurrent());
    const collected: ImageDataset[] = [];
    const drives: Record<string, unknown>[] = [];
    for (const [i, t] of d.tracks.entries()) {
      const r = await collectDrive({
        track: t,
        sim: c.sim,
        driver: { kind: 'model', config: runtimeConfig, modelPath: c.tmpPath, beta, betaSegmentS: 2 },
        laps: d.laps,
        seed: c.seed * 1000 + round * 10 + i,
        randomize: d.randomize,
        ...(c.signal ? { signal: c.signal } : {}),
      });
      collected.push(c.chunk ? chunkDriveDataset(r.dataset, { timesMs: r.frames.map((f) => f.tMs), segments: r.frames.map((f) => f.segment) }, c.chunk).dataset : r.dataset);
      drives.push({ track: t, frames: r.dataset.count, interventions: r.interventions, meanCteM: Number(r.result.crossTrack.meanAbsM.toFixed(4)), expertShare: Number((r.expertSteps / Math.max(1, r.expertSteps + r.driverSteps)).toFixed(3)) });
      c.log(`train: DAgger round ${round} (β ${beta.toFixed(2)}) on ${t}: ${r.dataset.count} frames labelled, ${r.interventions} interventions, mean |CTE| ${r.result.crossTrack.meanAbsM.toFixed(3)} m`);
    }
    rounds.push({ round, beta, drives });
    const aggregated = concatDatasets(collected);
    if (train) train = concatDatasets([train, aggregated]);
    else ({ train, validation } = splitByEpisode(aggregated, { validationFraction: 0.2, seed: c.seed }));
    await c.fit(`DAgger round ${round} (β ${beta.toFixed(2)}, ${train.count} frames aggregated)`, d.epochs, train, validation);
  }
  const labels = c.chunk ? `the clean expert's commands at its future frames of the same drive (chunk; inference delay ${d.inferenceDelayMs ?? 0} ms in the drives)` : "the clean expert's command";
  const note = `DAgger: ${d.iterations} round(s) on ${d.tracks.join(', ')} (${d.laps} lap(s) each, β from ${d.beta} halving, randomize ${d.randomize}); every frame the policy saw labelled with ${labels}.`;
  return { train, validation, rounds, note };
}

/** The drives' runtime config: no eval record needed; a chunked policy through the action queue, its inference delay simulated (lockstep). */
function driveConfig(config: PilotConfig, c: DaggerContext): PilotConfig {
  const model = { ...config.model, require_eval: false };
  if (!c.chunk) return { ...config, model };
  return { ...config, model, chunking: { ...config.chunking, enabled: true, min_inference_ms: c.options.inferenceDelayMs ?? 0 } };
}
