/**
 * Udacity self-driving-car simulator logs: `driving_log.csv` with `center,left,right,steering,
 * throttle,brake,speed` (a header line is optional), image paths as the simulator wrote them (often
 * absolute paths of another machine: looked up beside the CSV and in its IMG/ folder), steering in
 * [-1, 1] (±25°, positive = right), speed in mph. The log has no timestamps: records are spaced at a
 * fixed rate, or timed from the image names (`center_2016_12_01_13_30_48_287.jpg`, UTC) when asked.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ImportError, shown, toNumber, type RecordResult } from './driving-log.js';

export const UDACITY_MAX_STEERING_RAD = (25 * Math.PI) / 180;
export const MPH_TO_MPS = 0.44704;
const COLUMNS = ['center', 'left', 'right', 'steering', 'throttle', 'brake', 'speed'] as const;

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

/** Where an image named in the log is on this machine: as written, beside the CSV, or in its IMG/ folder. */
export function resolveImage(csvDir: string, value: string): { path: string | undefined; tried: string[] } {
  const name = value.split(/[\\/]/).pop() ?? value;
  const tried = [...new Set([isAbsolute(value) ? value : join(csvDir, value), join(csvDir, 'IMG', name), join(csvDir, name)])];
  return { path: tried.find((p) => existsSync(p)), tried };
}

export async function* readUdacityLog(csvPath: string, options: UdacityOptions = {}): AsyncGenerator<RecordResult> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (err) {
    throw new ImportError('E_IMPORT_FORMAT', `${csvPath}: cannot read the driving log (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const rate = options.rateHz ?? 15;
  const start = options.startTimeNs ?? 0n;
  const camera = COLUMNS.indexOf(options.camera ?? 'center');
  const csvDir = dirname(csvPath);
  const file = basename(csvPath);
  const all = text.split('\n').map((l) => l.replace(/\r$/, ''));
  let index = 0;
  let headerSeen = false;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line.trim() === '') continue;
    const where = `${csvPath}:${i + 1}`;
    const source = `${file}:${i + 1}`;
    const f = splitCsvLine(line);
    if (!headerSeen && index === 0 && f[0]?.toLowerCase() === 'center') {
      headerSeen = true;
      continue;
    }
    if (f.length < COLUMNS.length) {
      index++;
      yield { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: ${f.length} columns, expected ${COLUMNS.length} (${COLUMNS.join(',')})`, source) };
      continue;
    }
    const k = index++;
    const values: Partial<Record<(typeof COLUMNS)[number], number>> = {};
    let bad: ImportError | undefined;
    for (const col of ['steering', 'throttle', 'brake', 'speed'] as const) {
      const v = toNumber(f[COLUMNS.indexOf(col)]);
      if (v === undefined) {
        bad = new ImportError('E_IMPORT_ROW', `${where}: ${col} is ${shown(f[COLUMNS.indexOf(col)])}, not a number`, source);
        break;
      }
      values[col] = v;
    }
    if (bad) {
      yield { ok: false, error: bad };
      continue;
    }
    const imageValue = f[camera]!;
    if (imageValue === '') {
      yield { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: no ${COLUMNS[camera]} image path`, source) };
      continue;
    }
    const { path, tried } = resolveImage(csvDir, imageValue);
    if (!path) {
      yield { ok: false, error: new ImportError('E_IMPORT_IMAGE', `${where}: image ${imageValue} not found (looked for ${tried.join(', ')})`, source) };
      continue;
    }
    let timeNs = start + BigInt(Math.round((k * 1e9) / rate));
    if (options.timeFromNames) {
      const t = timeFromImageName(imageValue);
      if (t === undefined) {
        yield { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: image name ${shown(imageValue)} carries no time (expected …_YYYY_MM_DD_HH_MM_SS_mmm.jpg); drop --time-from-names to use the fixed rate`, source) };
        continue;
      }
      timeNs = t;
    }
    yield {
      ok: true,
      record: { timeNs, imagePath: path, source: where, steering: values.steering!, throttle: values.throttle!, speedMps: values.speed! * MPH_TO_MPS },
    };
  }
}
