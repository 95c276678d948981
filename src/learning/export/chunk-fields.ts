/**
 * The targets of a chunked policy: `steps` future actions of the same fields, step-major (step 0's
 * fields, then step 1's, …), as the output [1, steps, fields] holds them once reshaped. Step 0 keeps
 * the field names (`steering_angle`, `speed`), so everything that reads the first action by name
 * (steering balance, baselines, scores) reads it unchanged; step i is `<name>+<i·step_ms>ms`.
 */
import { PilotError } from '../../core/util/errors.js';
import type { ChunkSpec } from '../../runtime/policy/contract.js';

export type { ChunkSpec } from '../../runtime/policy/contract.js';

/** A checked chunk: steps an integer ≥ 1, step_ms positive and finite; `what` names the source in the error. */
export function checkChunkSpec(chunk: ChunkSpec, what: string): ChunkSpec {
  if (!(Number.isInteger(chunk.steps) && chunk.steps >= 1 && chunk.steps <= 10_000)) {
    throw new PilotError('E_CHUNK_CONFIG', `${what}: chunk steps must be an integer in 1..10000, got ${chunk.steps}`);
  }
  if (!(chunk.step_ms > 0 && chunk.step_ms <= 60_000)) throw new PilotError('E_CHUNK_CONFIG', `${what}: chunk step_ms must be a number in (0, 60000], got ${chunk.step_ms}`);
  return chunk;
}

/** The name of field `name` at chunk step `step`. */
export function chunkStepName(name: string, step: number, stepMs: number): string {
  return step === 0 ? name : `${name}+${Number((step * stepMs).toFixed(3))}ms`;
}

/** Every target name of the chunk, step-major. */
export function chunkTargetNames(names: readonly string[], chunk: ChunkSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < chunk.steps; i++) for (const n of names) out.push(chunkStepName(n, i, chunk.step_ms));
  return out;
}

/** The fields repeated for every step (same unit, scale and offset), renamed as chunkTargetNames. */
export function chunkFields<F extends { readonly name: string }>(fields: readonly F[], chunk: ChunkSpec): F[] {
  const out: F[] = [];
  for (let i = 0; i < chunk.steps; i++) for (const f of fields) out.push({ ...f, name: chunkStepName(f.name, i, chunk.step_ms) });
  return out;
}

/** The names of one field at every step (e.g. every steering target, to negate on a flip). */
export function fieldAtEveryStep(name: string, chunk: ChunkSpec): string[] {
  return Array.from({ length: chunk.steps }, (_, i) => chunkStepName(name, i, chunk.step_ms));
}

/** "10 actions × 50 ms (500 ms horizon)". */
export function describeChunk(chunk: ChunkSpec): string {
  return `${chunk.steps} actions × ${chunk.step_ms} ms (${Number((chunk.steps * chunk.step_ms).toFixed(3))} ms horizon)`;
}
