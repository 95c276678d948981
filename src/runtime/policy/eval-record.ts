/**
 * What `pilot eval` leaves beside a model (`<model>.eval.json`): which gate it was held to, every
 * check, and the model's SHA-256, so a deployment can refuse a model that was never evaluated,
 * failed, or changed since.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PilotError } from '../../core/util/errors.js';
import type { EvalGate } from './eval-gate.js';

export const EVAL_RECORD_SCHEMA = 'pilot.eval/1' as const;

export interface EvalCheck {
  /** `open_loop`, `closed_loop/lake`, `robustness/lake/seed 11`, `latency`. */
  readonly section: string;
  readonly label: string;
  /** NaN (null in JSON) when it could not be measured: then the check fails. */
  readonly actual: number | null;
  readonly limit: number;
  readonly op: '<=' | '>=';
  readonly unit: string;
  readonly pass: boolean;
}

export interface EvalRecord {
  readonly schema: typeof EVAL_RECORD_SCHEMA;
  readonly model: string;
  readonly sha256: string;
  readonly passed: boolean;
  readonly gate: EvalGate;
  readonly checks: readonly EvalCheck[];
  /** ISO time and machine of the evaluation (latency depends on both). */
  readonly evaluatedAt: string;
  readonly machine: string;
  /** Free-form details per section (drive summaries, open-loop errors). */
  readonly details: Record<string, unknown>;
}

export function evalRecordPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.eval.json';
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function writeEvalRecord(record: EvalRecord, path = evalRecordPath(record.model)): string {
  writeFileSync(path, JSON.stringify(record, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return path;
}

export function readEvalRecord(path: string): EvalRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PilotError('E_EVAL_RECORD', `${path}: cannot read (${(e as Error).message})`);
  }
  const r = raw as Partial<EvalRecord>;
  if (r.schema !== EVAL_RECORD_SCHEMA || typeof r.sha256 !== 'string' || typeof r.passed !== 'boolean' || !Array.isArray(r.checks)) {
    throw new PilotError('E_EVAL_RECORD', `${path}: not a ${EVAL_RECORD_SCHEMA} record`);
  }
  return r as EvalRecord;
}

/**
 * Deployment gate (`model.require_eval: true`): the model has a passing evaluation record for exactly
 * these bytes. Throws a PilotError that says what to run otherwise.
 */
export function checkDeployable(modelPath: string): EvalRecord {
  const recordPath = evalRecordPath(modelPath);
  if (!existsSync(recordPath)) {
    throw new PilotError('E_MODEL_NOT_EVALUATED', `${modelPath} has no evaluation record (${recordPath}); run \`pilot eval --model ${modelPath}\` first, or set model.require_eval: false`);
  }
  const record = readEvalRecord(recordPath);
  const sha = sha256File(modelPath);
  if (record.sha256 !== sha) {
    throw new PilotError('E_MODEL_NOT_EVALUATED', `${modelPath} changed since it was evaluated (${recordPath} is for sha256 ${record.sha256.slice(0, 12)}…, the file is ${sha.slice(0, 12)}…); run \`pilot eval --model ${modelPath}\` again`);
  }
  if (!record.passed) {
    const failed = record.checks.filter((c) => !c.pass).map((c) => `${c.section}: ${c.label} ${c.actual ?? 'not measured'} (limit ${c.op} ${c.limit})`);
    throw new PilotError('E_MODEL_FAILED_EVAL', `${modelPath} failed its evaluation gate (${recordPath}): ${failed.slice(0, 3).join('; ')}${failed.length > 3 ? ` and ${failed.length - 3} more` : ''}`);
  }
  return record;
}
