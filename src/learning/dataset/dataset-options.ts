/** Checks of the options every bag → dataset profile shares; each failure is E_DATASET_OPTIONS naming the option. */
import { PilotError } from '../../core/util/errors.js';
import type { ContractOutputField } from '../../runtime/policy/contract.js';

export function badOption(what: string): never {
  throw new PilotError('E_DATASET_OPTIONS', what);
}

/** A finite number ≥ min (default d). */
export function finiteOption(name: string, v: number | undefined, d: number, min: number): number {
  const x = v ?? d;
  if (!(Number.isFinite(x) && x >= min)) badOption(`${name} must be a number ≥ ${min}, got ${v}`);
  return x;
}

/** An integer ≥ min, or Infinity (default d). */
export function countOption(name: string, v: number | undefined, d: number, min: number): number {
  const x = v ?? d;
  if (!(x === Infinity || (Number.isInteger(x) && x >= min))) badOption(`${name} must be an integer ≥ ${min}, got ${v}`);
  return x;
}

export function latencyOption(v: number | undefined): number {
  const latencyMs = v ?? 0;
  if (!Number.isFinite(latencyMs)) badOption(`latencyMs must be a finite number, got ${latencyMs}`);
  return latencyMs;
}

/** Raw labels are clamped to ±this (default 1; null: no clamp). */
export function rawLimitOption(v: number | null | undefined): number | null {
  const rawLimit = v === undefined ? 1 : v;
  if (rawLimit !== null && !(rawLimit > 0)) badOption(`rawLimit must be positive or null, got ${rawLimit}`);
  return rawLimit;
}

export function checkEpisodeNames(names: readonly string[] | undefined, bags: number): void {
  if (names && names.length !== bags) badOption(`${names.length} episode names for ${bags} bags`);
}

/** Each field must map its values to raw ones: `what` names the field kind, `mapping` what it maps. */
export function checkFieldScales(fields: readonly ContractOutputField[], what: string, mapping: string): void {
  for (const f of fields) if (!(f.scale !== 0 && Number.isFinite(f.scale) && Number.isFinite(f.offset))) badOption(`${what} '${f.name}': scale ${f.scale} / offset ${f.offset} cannot map ${mapping}`);
}

/** Fewer labelled frames than `minFrames` is E_DATASET_DEGENERATE. */
export function checkMinFrames(count: number, bags: number, minFrames: number, skipped: string): void {
  if (count < minFrames) {
    throw new PilotError('E_DATASET_DEGENERATE', `only ${count} labelled frame(s) from ${bags} bag(s), fewer than the ${minFrames} needed (skipped: ${skipped})`);
  }
}
