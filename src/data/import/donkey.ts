/**
 * DonkeyCar tubs. Two layouts:
 * - v2 ("catalog", DonkeyCar ≥ 4): `manifest.json` is five JSON lines (inputs, types, metadata,
 *   manifest metadata, catalog metadata `{paths, current_index, max_len, deleted_indexes}`); records
 *   are JSON lines in `catalog_<n>.catalog` with `_index`, `_timestamp_ms`, `cam/image_array` (a file
 *   in `images/`), `user/angle`, `user/throttle`; indexes in `deleted_indexes` are skipped (and
 *   counted). Newer tubs add `_session_id` to each record and `sessions` to line 4; older DonkeyCar 4
 *   tubs have neither: both read the same. Indexes below `current_index` that are in no catalog and
 *   not deleted are reported as missing ranges (a catalog that starts at `_index` 901 lost 0–900).
 * - v1 (DonkeyCar ≤ 3): `meta.json` plus one `record_<n>.json` per record, images beside them; a
 *   `milliseconds` field where present, else a fixed rate.
 * Gaps are measured on the tub's own clock over every record in order, deleted ones included.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  GapTracker,
  ImportError,
  missingRanges,
  nsFromMs,
  recordProblem,
  shown,
  toNumber,
  type LogFacts,
  type RecordPlace,
  type RecordResult,
} from './driving-log.js';

export interface DonkeyOptions {
  /** Record keys (defaults: DonkeyCar's `cam/image_array`, `user/angle`, `user/throttle`). */
  readonly imageKey?: string;
  readonly angleKey?: string;
  readonly throttleKey?: string;
  /** Records per second for logs without timestamps (DonkeyCar's default drive loop: 20 Hz). */
  readonly rateHz?: number;
  /** Time of the first record in logs without timestamps, ns since the epoch (default 0). */
  readonly startTimeNs?: bigint;
}

export type DonkeyLayout = 'v2' | 'v1';

/** A `current_index` beyond this is not believed (missing ranges then end at the last index seen). */
const MAX_PLAUSIBLE_INDEX = 100_000_000;

/** Which layout `dir` holds; throws E_IMPORT_FORMAT when neither. */
export async function donkeyLayout(dir: string): Promise<DonkeyLayout> {
  if (existsSync(join(dir, 'manifest.json'))) return 'v2';
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new ImportError('E_IMPORT_FORMAT', `${dir}: cannot read the tub folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (names.some((n) => /^record_\d+\.json$/.test(n))) return 'v1';
  throw new ImportError('E_IMPORT_FORMAT', `${dir}: not a DonkeyCar tub (no manifest.json, and no record_<n>.json files)`);
}

/** The tub's records in order (v2: catalog order; v1: record number); returns what it found about the tub. */
export async function* readDonkeyTub(dir: string, options: DonkeyOptions = {}): AsyncGenerator<RecordResult, LogFacts> {
  const layout = await donkeyLayout(dir);
  if (layout === 'v2') return yield* readV2(dir, options);
  return yield* readV1(dir, options);
}

interface Keys {
  readonly image: string;
  readonly angle: string;
  readonly throttle: string;
}

function keys(options: DonkeyOptions): Keys {
  return { image: options.imageKey ?? 'cam/image_array', angle: options.angleKey ?? 'user/angle', throttle: options.throttleKey ?? 'user/throttle' };
}

function lines(text: string): string[] {
  // DonkeyCar writes \r\n; accept \n too.
  return text.split('\n').map((l) => l.replace(/\r$/, ''));
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ImportError('E_IMPORT_FORMAT', `${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

interface Manifest {
  readonly inputs: string[];
  readonly paths: string[];
  readonly deleted: ReadonlySet<number>;
  readonly currentIndex: number | undefined;
  /** `sessions.all_full_ids` of line 4, where the tub has it (newer DonkeyCar). */
  readonly sessions: string[] | undefined;
}

function manifestLines(path: string, text: string): unknown[] {
  const all = lines(text);
  const parsed: unknown[] = [];
  for (let i = 0; i < all.length && parsed.length < 5; i++) {
    if (all[i]!.trim() === '') continue;
    try {
      parsed.push(JSON.parse(all[i]!));
    } catch (err) {
      throw new ImportError('E_IMPORT_FORMAT', `${path}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  }
  if (parsed.length < 5) throw new ImportError('E_IMPORT_FORMAT', `${path}: expected 5 JSON lines (inputs, types, metadata, manifest metadata, catalog metadata), found ${parsed.length}`);
  return parsed;
}

function parseManifest(path: string, text: string): Manifest {
  const [inputs, types, , meta, catalog] = manifestLines(path, text) as [unknown, unknown, unknown, Record<string, unknown> | null, Record<string, unknown> | null];
  if (!Array.isArray(inputs) || !Array.isArray(types)) throw new ImportError('E_IMPORT_FORMAT', `${path}: lines 1 and 2 must be JSON arrays (inputs, types)`);
  const paths = catalog?.['paths'];
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
    throw new ImportError('E_IMPORT_FORMAT', `${path}: the catalog metadata (line 5) has no "paths" list of catalog files`);
  }
  const deletedList = catalog!['deleted_indexes'];
  const deleted = Array.isArray(deletedList) ? deletedList.filter((n): n is number => Number.isInteger(n)) : [];
  const current = catalog!['current_index'];
  const currentIndex = Number.isInteger(current) && (current as number) >= 0 && (current as number) <= MAX_PLAUSIBLE_INDEX ? (current as number) : undefined;
  const sessionIds = (meta?.['sessions'] as Record<string, unknown> | undefined)?.['all_full_ids'];
  const sessions = Array.isArray(sessionIds) ? sessionIds.map(String) : undefined;
  return { inputs: inputs.map(String), paths: paths as string[], deleted: new Set(deleted), currentIndex, sessions };
}

/** What reading the catalogs found so far. */
interface CatalogState {
  /** The index a record without `_index` gets. */
  running: number;
  readonly present: Set<number>;
  /** The highest index seen, −1 before the first. */
  maxIndex: number;
  deleted: number;
  timestamped: number;
  readonly sessionIds: Set<string>;
  readonly gaps: GapTracker;
}

async function* readV2(dir: string, options: DonkeyOptions): AsyncGenerator<RecordResult, LogFacts> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = parseManifest(manifestPath, await readText(manifestPath, 'tub manifest'));
  const k = keys(options);
  for (const key of [k.image, k.angle, k.throttle]) {
    if (!manifest.inputs.includes(key)) {
      throw new ImportError('E_IMPORT_FORMAT', `${manifestPath}: the tub has no input '${key}' (inputs: ${manifest.inputs.join(', ')}); choose one with --image-key/--angle-key/--throttle-key`);
    }
  }
  const state: CatalogState = { running: 0, present: new Set(), maxIndex: -1, deleted: 0, timestamped: 0, sessionIds: new Set(), gaps: new GapTracker() };
  for (const name of manifest.paths) {
    const file = basename(name);
    const catalogPath = join(dir, file);
    const all = lines(await readText(catalogPath, `catalog listed in ${manifestPath}`));
    for (let i = 0; i < all.length; i++) {
      if (all[i]!.trim() === '') continue;
      const result = catalogRecord(all[i]!, { where: `${catalogPath}:${i + 1}`, short: `${file}:${i + 1}` }, state, manifest, k, dir, options);
      if (result) yield result;
    }
  }
  return v2Facts(manifest, state);
}

/** One catalog line → a record, its problem, or undefined when the manifest says it is deleted. */
function catalogRecord(
  line: string,
  at: Omit<RecordPlace, 'label'>,
  state: CatalogState,
  manifest: Manifest,
  k: Keys,
  dir: string,
  options: DonkeyOptions,
): RecordResult | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
  } catch (err) {
    const assumed = state.running++;
    state.present.add(assumed);
    state.maxIndex = Math.max(state.maxIndex, assumed);
    return recordProblem('malformed record', { ...at, label: `_index ${assumed}?` }, `record is not a JSON object (${(err as Error).message})`);
  }
  const index = Number.isInteger(raw['_index']) ? (raw['_index'] as number) : state.running;
  state.running = index + 1;
  state.present.add(index);
  state.maxIndex = Math.max(state.maxIndex, index);
  const place: RecordPlace = { ...at, label: `_index ${index}` };
  if (typeof raw['_session_id'] === 'string') state.sessionIds.add(raw['_session_id']);
  const timestampMs = toNumber(raw['_timestamp_ms']);
  if (timestampMs !== undefined) {
    state.timestamped++;
    state.gaps.observe(nsFromMs(timestampMs), place.label);
  }
  if (manifest.deleted.has(index)) {
    state.deleted++;
    return undefined;
  }
  const timeNs = timestampMs !== undefined ? nsFromMs(timestampMs) : fixedRateTime(index, options);
  return record(join(dir, 'images'), place, raw, k, timeNs);
}

function v2Facts(manifest: Manifest, state: CatalogState): LogFacts {
  const sessions = manifest.sessions?.length ? manifest.sessions : [...state.sessionIds];
  const description =
    sessions.length > 0
      ? `DonkeyCar catalog tub with sessions (${sessions.join(', ')})`
      : 'DonkeyCar catalog tub, older format (no _session_id in the records, no sessions in manifest.json)';
  const accounted = new Set([...state.present, ...manifest.deleted]);
  const missing = missingRanges(accounted, 0, Math.max(manifest.currentIndex ?? 0, state.maxIndex + 1));
  return {
    description,
    clock: state.timestamped > 0 ? '_timestamp_ms' : undefined,
    deletedIndexes: state.deleted,
    missingIndexes: missing.count,
    missingFrom: 'the catalogs',
    missingRanges: missing.ranges,
    gapCount: state.gaps.count,
    gapThresholdS: state.gaps.thresholdS,
    largestGaps: state.gaps.largest,
  };
}

async function* readV1(dir: string, options: DonkeyOptions): AsyncGenerator<RecordResult, LogFacts> {
  const k = keys(options);
  const files = (await readdir(dir))
    .map((n) => ({ n, m: /^record_(\d+)\.json$/.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ name: x.n, index: Number(x.m[1]) }))
    .sort((a, b) => a.index - b.index);
  const gaps = new GapTracker();
  let timestamped = 0;
  let base: number | undefined;
  for (const f of files) {
    const path = join(dir, f.name);
    const place: RecordPlace = { where: path, short: f.name, label: `record_${f.index}` };
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
    } catch (err) {
      yield recordProblem('malformed record', place, `record is not a JSON object (${(err as Error).message})`);
      continue;
    }
    // `milliseconds` (DonkeyCar 2.5+) is ms since the epoch; records without it are spaced at the rate.
    const ms = toNumber(raw['milliseconds']);
    let timeNs: bigint;
    if (ms !== undefined) {
      timeNs = nsFromMs(ms);
      timestamped++;
      gaps.observe(timeNs, place.label);
    } else {
      base ??= f.index;
      timeNs = fixedRateTime(f.index - base, options);
    }
    yield record(dir, place, raw, k, timeNs);
  }
  return v1Facts(files.map((f) => f.index), timestamped, gaps);
}

function v1Facts(indexes: number[], timestamped: number, gaps: GapTracker): LogFacts {
  const missing = indexes.length > 0 ? missingRanges(new Set(indexes), indexes[0]!, indexes[indexes.length - 1]! + 1) : { count: 0, ranges: [] };
  return {
    description: 'DonkeyCar v1 tub (record_<n>.json files)',
    clock: timestamped > 0 ? 'milliseconds' : undefined,
    deletedIndexes: 0,
    missingIndexes: missing.count,
    missingFrom: 'the record files',
    missingRanges: missing.ranges,
    gapCount: gaps.count,
    gapThresholdS: gaps.thresholdS,
    largestGaps: gaps.largest,
  };
}

function fixedRateTime(index: number, options: DonkeyOptions): bigint {
  const rate = options.rateHz ?? 20;
  return (options.startTimeNs ?? 0n) + BigInt(Math.round((index * 1e9) / rate));
}

function record(imageDir: string, place: RecordPlace, raw: Record<string, unknown>, k: Keys, timeNs: bigint): RecordResult {
  const angle = toNumber(raw[k.angle]);
  if (angle === undefined) return recordProblem('bad value', place, `${k.angle} is ${shown(raw[k.angle])}, not a number`);
  const throttle = toNumber(raw[k.throttle]);
  if (throttle === undefined) return recordProblem('bad value', place, `${k.throttle} is ${shown(raw[k.throttle])}, not a number`);
  const image = raw[k.image];
  if (typeof image !== 'string' || image === '') return recordProblem('bad value', place, `${k.image} is ${shown(image)}, not an image file name`);
  return { ok: true, record: { timeNs, imagePath: join(imageDir, image), source: place.where, place, steering: angle, throttle } };
}
