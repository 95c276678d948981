/**
 * What `pilot train --chunk-steps` changes in a driving policy's training: the augmentation acts on
 * every step of the chunk (a flip negates steering at every step; the lateral-shift correction is
 * added to every step), the scores and baselines grade the chunk's first action (step 0 keeps the
 * field names), per-step validation errors show how the error grows over the horizon, and the words
 * for the model card.
 */
import { DEFAULT_AUGMENT, type AugmentOptions } from '../dataset/augment.js';
import type { ImageDataset } from '../dataset/dataset.js';
import { chunkFields, describeChunk, fieldAtEveryStep, type ChunkSpec } from '../export/chunk-fields.js';
import type { ContractOutputField } from '../../runtime/policy/contract.js';
import { errorFromPredictions } from './held-out.js';

const STEERING = 'steering_angle';

/** Flip and lateral shift over every step's steering; `over`: the trainer's own settings (flip p, shift off). */
export function chunkAugmentOptions(chunk: ChunkSpec, over: AugmentOptions): AugmentOptions {
  const steering = fieldAtEveryStep(STEERING, chunk);
  const gain = DEFAULT_AUGMENT.shift.perPixel[STEERING]!;
  return {
    ...over,
    flip: { ...over.flip, negate: steering },
    shift: { ...over.shift, perPixel: Object.fromEntries(steering.map((n) => [n, gain])) },
  };
}

/** The frames with only the chunk's first action as targets (the contract's fields, by name). */
export function firstStep(ds: ImageDataset, fields: number): ImageDataset {
  const k = ds.targetNames.length;
  if (k === fields) return ds;
  return { ...ds, targets: firstStepRaw(ds.targets, k, fields), targetNames: ds.targetNames.slice(0, fields) };
}

/** Rows of steps·fields values (raw predictions or labels, count × k) cut to the first action's `fields`. */
export function firstStepRaw(raw: Float32Array, k: number, fields: number): Float32Array {
  if (k === fields) return raw;
  const n = Math.floor(raw.length / k);
  const out = new Float32Array(n * fields);
  for (let i = 0; i < n; i++) for (let q = 0; q < fields; q++) out[i * fields + q] = raw[i * k + q]!;
  return out;
}

/**
 * Validation MAE of the later steps (step 0 is in the scores), physical units:
 * `validation MAE steering_angle+450ms (rad)` etc.
 */
export function laterStepMetrics(raw: Float32Array, ds: ImageDataset, fields: readonly ContractOutputField[], chunk: ChunkSpec): Record<string, number> {
  const all = chunkFields(fields, chunk);
  const error = errorFromPredictions(raw, ds, all);
  const out: Record<string, number> = {};
  for (const f of all.slice(fields.length)) out[`validation MAE ${f.name} (${f.unit})`] = error.mae[f.name]!;
  return out;
}

/** The model card's words for the chunk labels and the augmentation of a chunked policy. */
export function chunkNotes(chunk: ChunkSpec, latencyMs: number): string[] {
  const at = latencyMs ? `t + ${latencyMs} ms + i·${chunk.step_ms} ms` : `t + i·${chunk.step_ms} ms`;
  return [
    `Chunk: the policy outputs ${describeChunk(chunk)}; a frame at time t is labelled with the commands in force at ${at}, i = 0..${chunk.steps - 1}; frames whose chunk runs past the end of their bag or drive are skipped (chunk_past_end).`,
    `Chunk augmentation: a horizontal flip negates steering at every step; the lateral-shift steering correction is added to every step alike (an approximation: the expert would correct within the first steps); steering balance weighs the first step.`,
  ];
}
