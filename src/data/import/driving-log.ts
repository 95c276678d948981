/**
 * The common shape of driving logs from other tools (DonkeyCar tubs, Udacity-simulator CSVs): one
 * camera image and the driver's normalised controls per record. Readers yield records or the
 * problem with one (naming the file and line, and why it would be skipped), so the writer decides
 * whether to skip or stop; when done they return the facts about the log as a whole (`LogFacts`:
 * deleted and missing indexes, gaps in the log's own clock).
 */
import { PilotError } from '../../core/util/errors.js';

export type ImportErrorCode = 'E_IMPORT_FORMAT' | 'E_IMPORT_ROW' | 'E_IMPORT_IMAGE' | 'E_IMPORT_OPTIONS';

/** Why a record was skipped; the summary counts records per reason. */
export type SkipReason =
  | 'malformed record'
  | 'bad value'
  | 'missing file'
  | 'unreadable file'
  | 'empty image file'
  | 'not JPEG/PNG'
  | 'decode failed';

export const SKIP_REASONS: readonly SkipReason[] = ['malformed record', 'bad value', 'missing file', 'unreadable file', 'empty image file', 'not JPEG/PNG', 'decode failed'];

export interface ImportErrorDetail {
  /** Where in the log, short (`catalog_0.catalog:12`), for lists. */
  readonly source?: string;
  /** Set for problems with one record (which can be skipped); absent for fatal ones. */
  readonly reason?: SkipReason;
  /** The problem in a line for lists: short paths (defaults to the message). */
  readonly brief?: string;
}

/** An import problem; the message names the file (and line) it comes from. */
export class ImportError extends PilotError {
  declare readonly code: ImportErrorCode;
  readonly source: string | undefined;
  readonly reason: SkipReason | undefined;
  readonly brief: string;

  constructor(code: ImportErrorCode, message: string, detail: ImportErrorDetail = {}) {
    super(code, message);
    this.name = 'ImportError';
    this.source = detail.source;
    this.reason = detail.reason;
    this.brief = detail.brief ?? message;
  }
}

/** Where a record is: the full `path:line` for errors, the short `file:line` and index for lists. */
export interface RecordPlace {
  readonly where: string;
  readonly short: string;
  /** `_index 12`, `record_12`, `line 12`. */
  readonly label: string;
}

/** A record's problem as a reader result: `where: what` in the message, `short (label): briefWhat` in lists. */
export function recordProblem(reason: SkipReason, place: RecordPlace, what: string, briefWhat = what): { readonly ok: false; readonly error: ImportError } {
  const imageReason = reason !== 'malformed record' && reason !== 'bad value';
  const error = new ImportError(imageReason ? 'E_IMPORT_IMAGE' : 'E_IMPORT_ROW', `${place.where}: ${what}`, {
    source: place.short,
    reason,
    brief: `${place.short}${place.label ? ` (${place.label})` : ''}: ${briefWhat}`,
  });
  return { ok: false, error };
}

export interface DrivingRecord {
  /** Log time, ns since the epoch. */
  readonly timeNs: bigint;
  /** The camera image file (JPEG or PNG). */
  readonly imagePath: string;
  /** `file:line` of the record (full path), for messages. */
  readonly source: string;
  /** The short place and index label, for lists (defaults: `source`). */
  readonly place?: RecordPlace;
  /** Steering in [-1, 1], in the source's convention (DonkeyCar and Udacity: positive = right). */
  readonly steering: number;
  /** Throttle in [-1, 1]. */
  readonly throttle: number;
  /** Measured forward speed, m/s, where the log has one. */
  readonly speedMps?: number;
}

/** A record, or why one could not be read. Fatal problems (an unreadable manifest) are thrown instead. */
export type RecordResult = { readonly ok: true; readonly record: DrivingRecord } | { readonly ok: false; readonly error: ImportError };

export interface TimeGap {
  readonly seconds: number;
  /** Labels of the records either side (`_index 1257`, `_index 1258`). */
  readonly after: string;
  readonly before: string;
}

/** What a reader learnt about the log as a whole; returned when its records are done. */
export interface LogFacts {
  /** `DonkeyCar catalog tub (sessions 22-12-03_0)`, `Udacity driving_log.csv without header; …`. */
  readonly description: string;
  /** The log's own clock that gaps were measured on (`_timestamp_ms`); undefined when it has none. */
  readonly clock: string | undefined;
  /** Records the log itself marks deleted (DonkeyCar `deleted_indexes`), not read. */
  readonly deletedIndexes: number;
  /** Indexes the log should have (0 … current_index−1) that are in no catalog and not deleted. */
  readonly missingIndexes: number;
  /** Where the missing indexes should have been (`the catalogs`, `the record files`). */
  readonly missingFrom?: string;
  /** The missing indexes as inclusive ranges, in order. */
  readonly missingRanges: readonly (readonly [number, number])[];
  /** Steps of more than `gapThresholdS` between consecutive records (deleted ones included) on the log's clock. */
  readonly gapCount: number;
  readonly gapThresholdS: number;
  /** The largest few, largest first. */
  readonly largestGaps: readonly TimeGap[];
}

/** Counts the steps of more than a threshold between consecutive times and keeps the largest few. */
export class GapTracker {
  private last: { timeNs: bigint; label: string } | undefined;
  private found = 0;
  private readonly kept: TimeGap[] = [];

  constructor(readonly thresholdS = 1, private readonly keep = 5) {}

  observe(timeNs: bigint, label: string): void {
    const last = this.last;
    this.last = { timeNs, label };
    if (!last) return;
    const seconds = Number(timeNs - last.timeNs) / 1e9;
    if (!(seconds > this.thresholdS)) return;
    this.found++;
    this.kept.push({ seconds, after: last.label, before: label });
    this.kept.sort((a, b) => b.seconds - a.seconds);
    this.kept.length = Math.min(this.kept.length, this.keep);
  }

  get count(): number {
    return this.found;
  }

  get largest(): readonly TimeGap[] {
    return [...this.kept];
  }
}

/** The indexes in [first, end) that are not in `present`, as inclusive ranges. */
export function missingRanges(present: ReadonlySet<number>, first: number, end: number): { count: number; ranges: [number, number][] } {
  const ranges: [number, number][] = [];
  let count = 0;
  for (let i = first; i < end; i++) {
    if (present.has(i)) continue;
    count++;
    const lastRange = ranges[ranges.length - 1];
    if (lastRange && lastRange[1] === i - 1) lastRange[1] = i;
    else ranges.push([i, i]);
  }
  return { count, ranges };
}

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
