/**
 * The drive result as a JSON file: stable key order (top level in schema order, nested objects
 * sorted by key after `lap`, `tS`, `kind`, `name`), numbers rounded by the unit in their name (mm, ms, 1e-4 rad, …), unmeasured
 * metrics (NaN) as `null`, long number arrays on one line so the file stays readable.
 * `serializeDriveResult`/`parseDriveResult` are pure; the `…File` functions do the Node I/O.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PilotError } from '../../src/core/util/errors.js';
import { DRIVE_RESULT_SCHEMA, type DriveResult } from '../drive/drive-result.js';

/** Top-level keys in the order they are written; any others follow, sorted. Big arrays last. */
export const DRIVE_RESULT_KEY_ORDER: readonly string[] = [
  'schema',
  'track',
  'driver',
  'seed',
  'mode',
  'domain',
  'lapsRequested',
  'lapsCompleted',
  'completed',
  'endReason',
  'lapTimesS',
  'laps',
  'samples',
  'simTimeS',
  'wallTimeS',
  'realtimeFactor',
  'crossTrack',
  'offRoadEvents',
  'offRoadTimeS',
  'interventions',
  'collisions',
  'steeringSmoothness',
  'speed',
  'stepsBySafetyReason',
  'runtime',
  'lockstep',
  'faults',
  'eventsOmitted',
  'events',
  'path',
  'trackOutline',
];

/**
 * Decimals for a value under `key`, from the unit its name carries; undefined to inherit the
 * enclosing key's (e.g. `p50` under `latencyMs`).
 */
export function decimalsForKey(key: string): number | undefined {
  if (key === 'x' || key === 'y' || key === 'centre' || key === 'left' || key === 'right') return 3; // metres → mm
  if (key === 'realtimeFactor') return 2;
  if (key.endsWith('Radps2')) return 3;
  if (key.endsWith('Radps')) return 4;
  if (key.endsWith('Rad')) return 4;
  if (key.endsWith('Mps')) return 3;
  if (key.endsWith('Ms')) return 3; // µs
  if (key.endsWith('M')) return 3; // mm
  if (key.endsWith('S')) return 3; // ms
  return undefined;
}

/** The result as JSON text (ends with a newline). Deterministic for equal results. */
export function serializeDriveResult(result: DriveResult): string {
  return `${emit(result, undefined, 0, false, true)}\n`;
}

function emitNumber(v: number, decimals: number | undefined): string {
  if (!Number.isFinite(v)) return 'null';
  let r: number;
  if (Number.isInteger(v)) r = v;
  else if (decimals !== undefined) {
    const f = 10 ** decimals;
    r = Math.round(v * f) / f;
  } else r = Number(v.toPrecision(6));
  return String(Object.is(r, -0) ? 0 : r);
}

function emit(value: unknown, decimals: number | undefined, depth: number, inline: boolean, topLevel = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return emitNumber(value, decimals);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const objects = value.some((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (inline || !objects) return `[${value.map((v) => emit(v, decimals, depth + 1, true)).join(', ')}]`;
    const pad = '  '.repeat(depth + 1);
    return `[\n${value.map((v) => pad + emit(v, decimals, depth + 1, true)).join(',\n')}\n${'  '.repeat(depth)}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    keys.sort(topLevel ? topLevelOrder : nestedOrder);
    if (keys.length === 0) return '{}';
    const parts = keys.map((k) => `${JSON.stringify(k)}: ${emit(obj[k], decimalsForKey(k) ?? decimals, depth + 1, inline)}`);
    if (inline) return `{ ${parts.join(', ')} }`;
    const pad = '  '.repeat(depth + 1);
    return `{\n${parts.map((p) => pad + p).join(',\n')}\n${'  '.repeat(depth)}}`;
  }
  throw new PilotError('E_DRIVE_JSON', `cannot serialise a ${typeof value} in a drive result`);
}

/** Nested keys that lead (an event's time and kind, a lap's number); the rest sorted. */
const NESTED_FIRST: readonly string[] = ['lap', 'tS', 'kind', 'name'];

function nestedOrder(a: string, b: string): number {
  const ia = NESTED_FIRST.indexOf(a);
  const ib = NESTED_FIRST.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function topLevelOrder(a: string, b: string): number {
  const ia = DRIVE_RESULT_KEY_ORDER.indexOf(a);
  const ib = DRIVE_RESULT_KEY_ORDER.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses a drive result file's text; `null` metrics come back as NaN. Checks the schema version. */
export function parseDriveResult(text: string, source = 'drive result'): DriveResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, v: unknown) => (v === null ? NaN : v));
  } catch (err) {
    throw new PilotError('E_DRIVE_JSON', `${source}: not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PilotError('E_DRIVE_JSON', `${source}: expected an object`);
  const schema = (parsed as { schema?: unknown }).schema;
  if (schema !== DRIVE_RESULT_SCHEMA) {
    throw new PilotError('E_DRIVE_SCHEMA', `${source}: schema ${JSON.stringify(schema)} is not supported (expected ${JSON.stringify(DRIVE_RESULT_SCHEMA)})`);
  }
  for (const key of ['track', 'driver', 'crossTrack', 'steeringSmoothness', 'speed', 'path'] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (v === null || typeof v !== 'object') throw new PilotError('E_DRIVE_JSON', `${source}: ${key}: expected an object (got ${JSON.stringify(v)})`);
  }
  for (const key of ['lapTimesS', 'laps', 'events'] as const) {
    const v = (parsed as Record<string, unknown>)[key];
    if (!Array.isArray(v)) throw new PilotError('E_DRIVE_JSON', `${source}: ${key}: expected an array (got ${JSON.stringify(v)})`);
  }
  return parsed as DriveResult;
}

export async function writeDriveResultFile(path: string, result: DriveResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, serializeDriveResult(result), 'utf8');
}

export async function readDriveResultFile(path: string): Promise<DriveResult> {
  return parseDriveResult(await readFile(path, 'utf8'), path);
}
