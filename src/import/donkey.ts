/**
 * DonkeyCar tubs. Two layouts:
 * - v2 ("catalog", DonkeyCar ≥ 4): `manifest.json` is five JSON lines (inputs, types, metadata,
 *   manifest metadata, catalog metadata `{paths, current_index, max_len, deleted_indexes}`); records
 *   are JSON lines in `catalog_<n>.catalog` with `_index`, `_timestamp_ms`, `cam/image_array` (a file
 *   in `images/`), `user/angle`, `user/throttle`; indexes in `deleted_indexes` are skipped.
 * - v1 (DonkeyCar ≤ 3): `meta.json` plus one `record_<n>.json` per record, images beside them; a
 *   `milliseconds` field where present, else a fixed rate.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ImportError, nsFromMs, shown, toNumber, type RecordResult } from './driving-log.js';

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

/** The tub's records in order (v2: catalog order; v1: record number). */
export async function* readDonkeyTub(dir: string, options: DonkeyOptions = {}): AsyncGenerator<RecordResult> {
  const layout = await donkeyLayout(dir);
  if (layout === 'v2') yield* readV2(dir, options);
  else yield* readV1(dir, options);
}

function keys(options: DonkeyOptions): { image: string; angle: string; throttle: string } {
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

interface CatalogMetadata {
  paths: string[];
  deleted: Set<number>;
}

function parseManifest(path: string, text: string): { inputs: string[]; types: string[]; catalog: CatalogMetadata } {
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
  const [inputs, types, , , catalog] = parsed as [unknown, unknown, unknown, unknown, Record<string, unknown>];
  if (!Array.isArray(inputs) || !Array.isArray(types)) throw new ImportError('E_IMPORT_FORMAT', `${path}: lines 1 and 2 must be JSON arrays (inputs, types)`);
  const paths = catalog?.['paths'];
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
    throw new ImportError('E_IMPORT_FORMAT', `${path}: the catalog metadata (line 5) has no "paths" list of catalog files`);
  }
  const deleted = Array.isArray(catalog['deleted_indexes']) ? (catalog['deleted_indexes'] as unknown[]).filter((n): n is number => typeof n === 'number') : [];
  return { inputs: inputs.map(String), types: types.map(String), catalog: { paths: paths as string[], deleted: new Set(deleted) } };
}

async function* readV2(dir: string, options: DonkeyOptions): AsyncGenerator<RecordResult> {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = parseManifest(manifestPath, await readText(manifestPath, 'tub manifest'));
  const k = keys(options);
  for (const key of [k.image, k.angle, k.throttle]) {
    if (!manifest.inputs.includes(key)) {
      throw new ImportError('E_IMPORT_FORMAT', `${manifestPath}: the tub has no input '${key}' (inputs: ${manifest.inputs.join(', ')}); choose one with --image-key/--angle-key/--throttle-key`);
    }
  }
  let running = 0;
  for (const name of manifest.catalog.paths) {
    const catalogPath = join(dir, basename(name));
    const file = basename(name);
    const text = await readText(catalogPath, `catalog listed in ${manifestPath}`);
    const all = lines(text);
    for (let i = 0; i < all.length; i++) {
      const line = all[i]!;
      if (line.trim() === '') continue;
      const source = `${file}:${i + 1}`;
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(line) as Record<string, unknown>;
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
      } catch (err) {
        running++;
        yield { ok: false, error: new ImportError('E_IMPORT_ROW', `${catalogPath}:${i + 1}: record is not a JSON object (${(err as Error).message})`, source) };
        continue;
      }
      const index = typeof raw['_index'] === 'number' ? raw['_index'] : running;
      running = index + 1;
      if (manifest.catalog.deleted.has(index)) continue;
      const timestampMs = toNumber(raw['_timestamp_ms']);
      const timeNs = timestampMs !== undefined ? nsFromMs(timestampMs) : fixedRateTime(index, options);
      yield record(join(dir, 'images'), `${catalogPath}:${i + 1}`, source, raw, k, timeNs);
    }
  }
}

async function* readV1(dir: string, options: DonkeyOptions): AsyncGenerator<RecordResult> {
  const k = keys(options);
  const files = (await readdir(dir))
    .map((n) => ({ n, m: /^record_(\d+)\.json$/.exec(n) }))
    .filter((x): x is { n: string; m: RegExpExecArray } => x.m !== null)
    .map((x) => ({ name: x.n, index: Number(x.m[1]) }))
    .sort((a, b) => a.index - b.index);
  let base: number | undefined;
  for (const f of files) {
    const path = join(dir, f.name);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
    } catch (err) {
      yield { ok: false, error: new ImportError('E_IMPORT_ROW', `${path}: record is not a JSON object (${(err as Error).message})`, f.name) };
      continue;
    }
    // `milliseconds` (DonkeyCar 2.5+) is ms since the epoch; records without it are spaced at the rate.
    const ms = toNumber(raw['milliseconds']);
    let timeNs: bigint;
    if (ms !== undefined) timeNs = nsFromMs(ms);
    else {
      base ??= f.index;
      timeNs = fixedRateTime(f.index - base, options);
    }
    yield record(dir, path, f.name, raw, k, timeNs);
  }
}

function fixedRateTime(index: number, options: DonkeyOptions): bigint {
  const rate = options.rateHz ?? 20;
  return (options.startTimeNs ?? 0n) + BigInt(Math.round((index * 1e9) / rate));
}

function record(
  imageDir: string,
  where: string,
  source: string,
  raw: Record<string, unknown>,
  k: { image: string; angle: string; throttle: string },
  timeNs: bigint,
): RecordResult {
  const angle = toNumber(raw[k.angle]);
  if (angle === undefined) return { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: ${k.angle} is ${shown(raw[k.angle])}, not a number`, source) };
  const throttle = toNumber(raw[k.throttle]);
  if (throttle === undefined) return { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: ${k.throttle} is ${shown(raw[k.throttle])}, not a number`, source) };
  const image = raw[k.image];
  if (typeof image !== 'string' || image === '') return { ok: false, error: new ImportError('E_IMPORT_ROW', `${where}: ${k.image} is ${shown(image)}, not an image file name`, source) };
  return { ok: true, record: { timeNs, imagePath: join(imageDir, image), source: where, steering: angle, throttle } };
}
