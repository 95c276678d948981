/**
 * The common shape of driving logs from other tools (DonkeyCar tubs, Udacity-simulator CSVs): one
 * camera image and the driver's normalised controls per record. Readers yield records or the
 * problem with one (naming the file and line), so the writer decides whether to skip or stop.
 */
import { PilotError } from '../util/errors.js';

export type ImportErrorCode = 'E_IMPORT_FORMAT' | 'E_IMPORT_ROW' | 'E_IMPORT_IMAGE' | 'E_IMPORT_OPTIONS';

/** An import problem; the message names the file (and line) it comes from. */
export class ImportError extends PilotError {
  declare readonly code: ImportErrorCode;

  constructor(code: ImportErrorCode, message: string, readonly source?: string) {
    super(code, message);
    this.name = 'ImportError';
  }
}

export interface DrivingRecord {
  /** Log time, ns since the epoch. */
  readonly timeNs: bigint;
  /** The camera image file (JPEG or PNG). */
  readonly imagePath: string;
  /** `file:line` of the record, for messages. */
  readonly source: string;
  /** Steering in [-1, 1], in the source's convention (DonkeyCar and Udacity: positive = right). */
  readonly steering: number;
  /** Throttle in [-1, 1]. */
  readonly throttle: number;
  /** Measured forward speed, m/s, where the log has one. */
  readonly speedMps?: number;
}

/** A record, or why one could not be read. Fatal problems (an unreadable manifest) are thrown instead. */
export type RecordResult = { readonly ok: true; readonly record: DrivingRecord } | { readonly ok: false; readonly error: ImportError };

/** A finite number from a JSON or CSV value, or undefined. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** `'abc'`, `null`, `(missing)`: a value as shown in error messages. */
export function shown(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Milliseconds since the epoch (possibly fractional) → ns, exact for whole milliseconds. */
export function nsFromMs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}
