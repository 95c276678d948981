/**
 * Udacity self-driving-car simulator logs: `driving_log.csv` with `center,left,right,steering,
 * throttle,brake,speed` (a header line is optional), fields separated by `,` or `, `, image paths as
 * the simulator wrote them (often absolute Windows paths of another machine, `C:\Users\…\IMG\
 * center_….jpg`: looked up as written, relative to the CSV, beside it and in its IMG/ folder),
 * steering in [-1, 1] (±25°, positive = right), speed in mph. The log has no timestamp column:
 * records are spaced at a fixed rate, or timed from the image names (`center_2016_12_01_13_30_48_287.jpg`,
 * read as UTC) when asked. Gaps are measured on the image-name times whenever the names carry them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { GapTracker, ImportError, recordProblem, shown, toNumber, type LogFacts, type RecordPlace, type RecordResult } from './driving-log.js';

export const UDACITY_MAX_STEERING_RAD = (25 * Math.PI) / 180;
export const MPH_TO_MPS = 0.44704;
const COLUMNS = ['center', 'left', 'right', 'steering', 'throttle', 'brake', 'speed'] as const;
const NUMBER_COLUMNS = ['steering', 'throttle', 'brake', 'speed'] as const;

export interface UdacityOptions {
  /** Records per second (default 15: the simulator's recording rate is about that). */
  readonly rateHz?: number;
  /** Time records from the image file names instead of the fixed rate. */
  readonly timeFromNames?: boolean;
  /** Time of the first record at the fixed rate, ns since the epoch (default 0). */
  readonly startTimeNs?: bigint;
  /** Which camera column to import (default center). */
  readonly camera?: 'center' | 'left' | 'right';
}

export type PathStyle = 'Windows absolute' | 'POSIX absolute' | 'relative';

/** Splits one CSV line; double quotes may enclose fields with commas (`""` is a quote). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** `center_2016_12_01_13_30_48_287.jpg` → ns since the epoch (UTC), or undefined. */
export function timeFromImageName(path: string): bigint | undefined {
  const m = /(\d{4})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{2})_(\d{3})\.\w+$/.exec(path);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
  return Number.isFinite(t) ? BigInt(t) * 1_000_000n : undefined;
}

/** `C:\Users\…` and `\\server\…` are Windows absolute paths on any machine. */
export function pathStyle(value: string): PathStyle {
  if (/^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\')) return 'Windows absolute';
  if (value.startsWith('/')) return 'POSIX absolute';
  return 'relative';
}

/** Where an image named in the log is on this machine: as written, relative to the CSV, or by name beside it or in its IMG/ folder. */
export function resolveImage(csvDir: string, value: string): { path: string | undefined; tried: string[] } {
  const name = value.split(/[\\/]/).pop() ?? value;
  const style = pathStyle(value);
  const asWritten = style === 'relative' ? join(csvDir, ...value.split(/[\\/]/)) : style === 'POSIX absolute' || isAbsolute(value) ? value : undefined;
  const candidates = [asWritten, join(csvDir, 'IMG', name), join(csvDir, name)].filter((p): p is string => p !== undefined);
  const tried = [...new Set(candidates)];
  return { path: tried.find((p) => existsSync(p)), tried };
}

interface LogState {
  header: boolean;
  rows: number;
  readonly styles: Map<PathStyle, number>;
  readonly gaps: GapTracker;
  named: number;
}

export async function* readUdacityLog(csvPath: string, options: UdacityOptions = {}): AsyncGenerator<RecordResult, LogFacts> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new ImportError('E_IMPORT_FORMAT', `${csvPath}: cannot read the driving log (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const file = basename(csvPath);
  const all = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const state: LogState = { header: false, rows: 0, styles: new Map(), gaps: new GapTracker(), named: 0 };
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (state.rows === 0 && !state.header && fields[0]?.toLowerCase() === 'center') {
      state.header = true;
      continue;
    }
    const place: RecordPlace = { where: `${csvPath}:${i + 1}`, short: `${file}:${i + 1}`, label: `line ${i + 1}` };
    yield row(fields, place, state, dirname(csvPath), options);
  }
  return udacityFacts(state);
}

/** One data row → a record or its problem. */
function row(f: string[], place: RecordPlace, state: LogState, csvDir: string, options: UdacityOptions): RecordResult {
  const k = state.rows++;
  if (f.length < COLUMNS.length) return recordProblem('malformed record', place, `${f.length} columns, expected ${COLUMNS.length} (${COLUMNS.join(',')})`);
  const camera = COLUMNS.indexOf(options.camera ?? 'center');
  const imageValue = f[camera]!;
  const nameTime = timeFromImageName(imageValue);
  if (nameTime !== undefined) {
    state.named++;
    state.gaps.observe(nameTime, place.label);
  }
  const values: Partial<Record<(typeof NUMBER_COLUMNS)[number], number>> = {};
  for (const col of NUMBER_COLUMNS) {
    const v = toNumber(f[COLUMNS.indexOf(col)]);
    if (v === undefined) return recordProblem('bad value', place, `${col} is ${shown(f[COLUMNS.indexOf(col)])}, not a number`);
    values[col] = v;
  }
  if (imageValue === '') return recordProblem('bad value', place, `no ${COLUMNS[camera]} image path`);
  const style = pathStyle(imageValue);
  state.styles.set(style, (state.styles.get(style) ?? 0) + 1);
  const { path, tried } = resolveImage(csvDir, imageValue);
  if (!path) return recordProblem('missing file', place, `image ${imageValue} not found (looked for ${tried.join(', ')})`, `image ${imageValue} not found`);
  let timeNs = (options.startTimeNs ?? 0n) + BigInt(Math.round((k * 1e9) / (options.rateHz ?? 15)));
  if (options.timeFromNames) {
    if (nameTime === undefined) {
      return recordProblem('bad value', place, `image name ${shown(imageValue)} carries no time (expected …_YYYY_MM_DD_HH_MM_SS_mmm.jpg); drop --time-from-names to use the fixed rate`);
    }
    timeNs = nameTime;
  }
  return {
    ok: true,
    record: { timeNs, imagePath: path, source: place.where, place, steering: values.steering!, throttle: values.throttle!, speedMps: values.speed! * MPH_TO_MPS },
  };
}

function udacityFacts(state: LogState): LogFacts {
  const styles = [...state.styles].map(([style, n]) => (state.styles.size > 1 ? `${style} (${n})` : style)).join(', ') || 'none';
  return {
    description: `Udacity driving_log.csv ${state.header ? 'with' : 'without'} a header line; image paths: ${styles}`,
    clock: state.named > 0 ? 'image-name times' : undefined,
    deletedIndexes: 0,
    missingIndexes: 0,
    missingRanges: [],
    gapCount: state.gaps.count,
    gapThresholdS: state.gaps.thresholdS,
    largestGaps: state.gaps.largest,
  };
}
