/**
 * Importers against what real logs look like (see /work/shared/data/real-logs/README.md): an older
 * DonkeyCar 4 tub whose first catalog starts late, with deleted indexes, empty, corrupt and missing
 * images and timestamp gaps; a newer tub with sessions; a headerless Udacity log with Windows paths
 * and `, ` separators; an inverted throttle. The fixtures are small, made here in a temp folder.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BagReader, MemoryBagFolder, openBag } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import type { ImportStats } from '../../../src/data/import/bag-import.js';
import { readDonkeyTub } from '../../../src/data/import/donkey.js';
import { importSummary, summaryLines, type ImportSummary } from '../../../src/data/import/import-summary.js';
import { MPH_TO_MPS, pathStyle, readUdacityLog, resolveImage } from '../../../src/data/import/udacity.js';
import type { AckermannDriveStamped, Odometry } from '../../../src/core/messages/types.js';
import { tempDir } from '../bags/helpers.js';
import { importInto, MAX_STEER } from './helpers.js';

const T0_MS = 1610895050719;

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) c();
});

function scratch(): string {
  const { dir, cleanup } = tempDir('pilot-import-real-');
  cleanups.push(cleanup);
  return dir;
}

function jpegBytes(seed: number, width = 16, height = 12): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([(p * 7 + seed * 31) & 0xff, (p * 3) & 0xff, seed & 0xff, 255], p * 4);
  return Buffer.from(jpeg.encode({ data: rgba, width, height }, 80).data);
}

interface TubRecord {
  readonly index: number;
  readonly ms: number;
  readonly angle: number;
  readonly throttle: number;
  readonly session?: string;
}

interface TubSpec {
  readonly catalogs: readonly (readonly TubRecord[])[];
  readonly deleted: readonly number[];
  readonly currentIndex: number;
  /** manifest.json line 4 `sessions.all_full_ids`; absent in older DonkeyCar 4 tubs. */
  readonly sessions?: readonly string[];
}

/** A catalog tub as DonkeyCar writes it (`\n` line ends, `, ` separators), every image a valid JPEG. */
function writeTub(dir: string, spec: TubSpec): void {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const meta = { created_at: T0_MS / 1000, ...(spec.sessions ? { sessions: { all_full_ids: spec.sessions, last_id: 0, last_full_id: spec.sessions.at(-1) } } : {}) };
  const paths = spec.catalogs.map((_, n) => `catalog_${n}.catalog`);
  const manifest = [
    ['cam/image_array', 'user/angle', 'user/throttle', 'user/mode'],
    ['image_array', 'float', 'float', 'str'],
    {},
    meta,
    { paths, current_index: spec.currentIndex, max_len: 1000, deleted_indexes: spec.deleted },
  ];
  writeFileSync(join(dir, 'manifest.json'), manifest.map((l) => JSON.stringify(l)).join('\n') + '\n');
  spec.catalogs.forEach((records, n) => {
    const lines = records.map((r) => {
      const image = `${r.index}_cam_image_array_.jpg`;
      writeFileSync(join(dir, 'images', image), jpegBytes(r.index));
      const session = r.session ? { _session_id: r.session } : {};
      return JSON.stringify({ _index: r.index, ...session, _timestamp_ms: r.ms, 'cam/image_array': image, 'user/angle': r.angle, 'user/mode': 'user', 'user/throttle': r.throttle });
    });
    writeFileSync(join(dir, `catalog_${n}.catalog`), lines.join('\n') + '\n');
    writeFileSync(join(dir, `catalog_${n}.catalog_manifest`), JSON.stringify({ created_at: T0_MS / 1000, line_lengths: lines.map((l) => l.length), path: `catalog_${n}.catalog_manifest`, start_index: records[0]?.index ?? 0 }));
  });
}

const angleOf = (i: number): number => (i - 10) / 10;
const throttleOf = (i: number): number => -0.2 - 0.01 * i; // this car's throttle axis is inverted

/**
 * Like the fpineau tub, in small: no sessions; catalog_0 starts at _index 5 (0–4 are in no catalog),
 * _index 14 is in no catalog either; 7, 8 and 16 are deleted; 2.55 s between 9 and 10 and 1.55 s
 * between the deleted 16 and 17; image 11 is empty, 12 truncated, 13 text, 15 absent.
 */
function olderTub(dir: string): void {
  const at = (i: number): number => T0_MS + 50 * (i - 5) + (i >= 10 ? 2500 : 0) + (i >= 17 ? 1500 : 0);
  const rec = (i: number): TubRecord => ({ index: i, ms: at(i), angle: angleOf(i), throttle: throttleOf(i) });
  writeTub(dir, {
    catalogs: [[5, 6, 7, 8, 9].map(rec), [10, 11, 12, 13, 15, 16, 17, 18, 19].map(rec)],
    deleted: [16, 7, 8],
    currentIndex: 20,
  });
  const image = (i: number): string => join(dir, 'images', `${i}_cam_image_array_.jpg`);
  writeFileSync(image(11), '');
  writeFileSync(image(12), jpegBytes(12).subarray(0, 120));
  writeFileSync(image(13), 'not an image\n');
  rmSync(image(15));
}

async function counts(folder: MemoryBagFolder): Promise<Record<string, number>> {
  const reader = await BagReader.open(folder);
  const out = Object.fromEntries(reader.topics().map((t) => [t.name, t.messageCount]));
  await reader.close();
  return out;
}

function summaryOf(stats: ImportStats, format: 'donkey' | 'udacity' = 'donkey'): ImportSummary {
  return importSummary(stats, { format, input: 'in', output: 'out', bagBytes: 0, throttleInverted: false });
}

describe('DonkeyCar tubs as real ones come', () => {
  it('older v4 tub: late catalog start, deleted indexes, empty/corrupt/text/missing images, gaps: skipped and counted by reason', async () => {
    const tub = join(scratch(), 'tub');
    olderTub(tub);
    const { folder, stats } = await importInto(readDonkeyTub(tub));
    // 14 catalog lines: 3 deleted, 4 skipped, 7 imported.
    expect(stats).toMatchObject({ records: 11, written: 7, skipped: 4, imageWidth: 16, imageHeight: 12, imageFormat: 'jpeg', otherImageSizes: 0 });
    expect(stats.skippedByReason).toEqual({ 'empty image file': 1, 'decode failed': 1, 'not JPEG/PNG': 1, 'missing file': 1 });
    expect(stats.issues).toEqual([
      'catalog_1.catalog:2 (_index 11): image 11_cam_image_array_.jpg is empty (0 bytes)',
      expect.stringMatching(/^catalog_1\.catalog:3 \(_index 12\): image 12_cam_image_array_\.jpg: jpeg decode failed: /),
      'catalog_1.catalog:4 (_index 13): image 13_cam_image_array_.jpg is neither JPEG nor PNG (13 bytes, starting 6e 6f 74 20)',
      'catalog_1.catalog:5 (_index 15): image 15_cam_image_array_.jpg not found',
    ]);
    expect(stats.log).toEqual({
      description: 'DonkeyCar catalog tub, older format (no _session_id in the records, no sessions in manifest.json)',
      clock: '_timestamp_ms',
      deletedIndexes: 3,
      missingIndexes: 6,
      missingFrom: 'the catalogs',
      missingRanges: [
        [0, 4],
        [14, 14],
      ],
      gapCount: 2,
      gapThresholdS: 1,
      // The second gap is measured from the deleted _index 16: gaps are in the tub's own timeline.
      largestGaps: [
        { seconds: expect.closeTo(2.55, 9), after: '_index 9', before: '_index 10' },
        { seconds: expect.closeTo(1.55, 9), after: '_index 16', before: '_index 17' },
      ],
    });
    expect(await counts(folder)).toEqual({ '/camera/image_raw/compressed': 7, '/cmd/ackermann': 7 });
    expect(folder.text('metadata.yaml')).toMatch(/message_count: 14/);
    const kept = [5, 6, 9, 10, 17, 18, 19];
    expect(stats.steering).toEqual({ min: angleOf(5), max: angleOf(19), mean: expect.closeTo(kept.reduce((a, i) => a + angleOf(i), 0) / 7, 12) });
    expect(stats.throttle!.max).toBeCloseTo(throttleOf(5), 12);
  });

  it('older v4 tub: --strict stops at the first bad image, naming the catalog line and the file', async () => {
    const tub = join(scratch(), 'tub');
    olderTub(tub);
    await expect(importInto(readDonkeyTub(tub), { strict: true })).rejects.toThrow(
      /^E_IMPORT_IMAGE: .*catalog_1\.catalog:2: image .*images\/11_cam_image_array_\.jpg is an empty file \(0 bytes\)$/,
    );
  });

  it('the summary: records read, skipped by reason, deleted, missing ranges, gaps, ranges and means, image size, first problems', async () => {
    const tub = join(scratch(), 'tub');
    olderTub(tub);
    const { stats } = await importInto(readDonkeyTub(tub));
    const summary = summaryOf(stats);
    expect(summary).toMatchObject({ recordsRead: 14, imported: 7, skipped: 4, deletedIndexes: 3, missingIndexes: 6, timestampGaps: { clock: '_timestamp_ms', count: 2 } });
    expect(summary.timestampGaps.largest.map((g) => g.seconds)).toEqual([2.55, 1.55]);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    const lines = summaryLines(summary, 2);
    expect(lines).toEqual([
      '  source: DonkeyCar catalog tub, older format (no _session_id in the records, no sessions in manifest.json)',
      '  records: 14 read, 7 imported, 4 skipped, 3 deleted',
      '  skipped by reason: 1 empty image file, 1 decode failed, 1 not JPEG/PNG, 1 missing file',
      "  3 deleted indexes skipped, as the tub's manifest says",
      '  6 indexes missing from the catalogs (ranges 0–4, 14)',
      '  timestamp gaps > 1 s: 2 (_timestamp_ms): 2.55 s between _index 9 and 10; 1.55 s between _index 16 and 17',
      '  steering -0.5 … 0.9, mean 0.2; throttle -0.39 … -0.25, mean -0.32 (source units)',
      '  image size 16×12 jpeg',
      '  warning: the throttle is mostly negative (mean -0.320): a car driving forward with an inverted throttle axis? --invert-throttle flips it',
      '  first problems (2 of 4):',
      '    catalog_1.catalog:2 (_index 11): image 11_cam_image_array_.jpg is empty (0 bytes)',
      expect.stringMatching(/^ {4}catalog_1\.catalog:3 \(_index 12\): image 12_cam_image_array_\.jpg: jpeg decode failed/),
    ]);
  });

  it('newer tub with sessions: several catalogs, nothing missing, no gaps; sessions from the records when the manifest has none', async () => {
    const records = Array.from({ length: 12 }, (_, i): TubRecord => ({ index: i, ms: T0_MS + 50 * i, angle: -1, throttle: 0.75, session: '22-12-03_0' }));
    const withSessions = join(scratch(), 'tub');
    writeTub(withSessions, { catalogs: [records.slice(0, 5), records.slice(5, 10), records.slice(10)], deleted: [], currentIndex: 12, sessions: ['22-12-03_0'] });
    const { folder, stats } = await importInto(readDonkeyTub(withSessions));
    expect(stats).toMatchObject({ records: 12, written: 12, skipped: 0, skippedByReason: {} });
    expect(stats.log).toMatchObject({ description: 'DonkeyCar catalog tub with sessions (22-12-03_0)', deletedIndexes: 0, missingIndexes: 0, missingRanges: [], gapCount: 0 });
    expect(await counts(folder)).toEqual({ '/camera/image_raw/compressed': 12, '/cmd/ackermann': 12 });
    expect(summaryLines(summaryOf(stats))).toContain('  timestamp gaps > 1 s: none (_timestamp_ms)');

    const recordsOnly = join(scratch(), 'tub2');
    writeTub(recordsOnly, { catalogs: [records], deleted: [], currentIndex: 12 });
    const second = await importInto(readDonkeyTub(recordsOnly));
    expect(second.stats.log?.description).toBe('DonkeyCar catalog tub with sessions (22-12-03_0)');
  });
});

describe('Udacity logs as real ones come', () => {
  /** Like the AVMktl log: no header, absolute Windows paths with a space, `, ` separators, LF. */
  function udacityLog(dir: string): string {
    mkdirSync(join(dir, 'IMG'));
    const stamps = ['37_712', '37_819', '39_900', '40_000', '40_100'];
    const rows = stamps.map((s, k) => {
      const path = (camera: string): string => `C:\\Users\\Deepanshu Goyal\\Desktop\\Data\\IMG\\${camera}_2024_01_31_21_59_${s}.jpg`;
      if (k !== 3) writeFileSync(join(dir, 'IMG', `center_2024_01_31_21_59_${s}.jpg`), jpegBytes(k, 32, 16));
      return [path('center'), path('left'), path('right'), k === 1 ? '-0.35' : '0', '0.5', '0', k === 0 ? '7.858864E-05' : '30.19'].join(', ');
    });
    writeFileSync(join(dir, 'driving_log.csv'), rows.join('\n') + '\n');
    return join(dir, 'driving_log.csv');
  }

  it('reads a headerless log with Windows paths and ", " separators; a missing image is skipped; gaps from the image names', async () => {
    const csv = udacityLog(scratch());
    const { folder, stats } = await importInto(readUdacityLog(csv));
    expect(stats).toMatchObject({ records: 5, written: 4, skipped: 1, skippedByReason: { 'missing file': 1 }, imageWidth: 32, imageHeight: 16 });
    expect(stats.issues).toEqual(['driving_log.csv:4 (line 4): image C:\\Users\\Deepanshu Goyal\\Desktop\\Data\\IMG\\center_2024_01_31_21_59_40_000.jpg not found']);
    expect(stats.log).toMatchObject({
      description: 'Udacity driving_log.csv without a header line; image paths: Windows absolute',
      clock: 'image-name times',
      gapCount: 1,
      largestGaps: [{ seconds: expect.closeTo(2.081, 9), after: 'line 2', before: 'line 3' }],
    });
    expect(await counts(folder)).toEqual({ '/camera/image_raw/compressed': 4, '/cmd/ackermann': 4, '/odom': 4 });
    const reader = await BagReader.open(folder);
    const drives: AckermannDriveStamped[] = [];
    const speeds: number[] = [];
    for await (const m of reader.messages()) {
      if (m.topic === '/cmd/ackermann') drives.push(reader.decode(m) as AckermannDriveStamped);
      if (m.topic === '/odom') speeds.push((reader.decode(m) as Odometry).twist.twist.linear.x);
    }
    await reader.close();
    expect(drives[1]!.drive.steering_angle).toBeCloseTo(0.35 * MAX_STEER, 6);
    expect(speeds[0]).toBeCloseTo(7.858864e-5 * MPH_TO_MPS, 12);
    await expect(importInto(readUdacityLog(csv), { strict: true })).rejects.toThrow(
      /^E_IMPORT_IMAGE: .*driving_log\.csv:4: image C:\\Users\\.*center_2024_01_31_21_59_40_000\.jpg not found \(looked for .*IMG\/center_2024_01_31_21_59_40_000\.jpg/,
    );
  });

  it('path styles: Windows absolute, POSIX absolute and relative (backslashes too) all resolve beside the CSV', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'IMG'));
    writeFileSync(join(dir, 'IMG', 'a.jpg'), jpegBytes(1));
    expect(pathStyle('C:\\Users\\x\\IMG\\a.jpg')).toBe('Windows absolute');
    expect(pathStyle('D:/data/IMG/a.jpg')).toBe('Windows absolute');
    expect(pathStyle('/home/x/IMG/a.jpg')).toBe('POSIX absolute');
    expect(pathStyle('IMG\\a.jpg')).toBe('relative');
    for (const value of ['C:\\Users\\x\\IMG\\a.jpg', '/home/x/IMG/a.jpg', 'IMG\\a.jpg', 'IMG/a.jpg', join(dir, 'IMG', 'a.jpg')]) {
      expect(resolveImage(dir, value).path).toBe(join(dir, 'IMG', 'a.jpg'));
    }
  });
});

describe('pilot bag import on such logs', () => {
  function capture(): { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    return { out, err };
  }

  it('--invert-throttle --json: a bag with the throttle negated, the summary on stderr and as JSON on stdout', async () => {
    const dir = scratch();
    const tub = join(dir, 'tub');
    olderTub(tub);
    const { out, err } = capture();
    const bag = join(dir, 'bag');
    expect(await main(['bag', 'import', 'donkey', tub, '-o', bag, '--invert-throttle', '--json', '--max-speed', '2', '--max-steering-rad', '0.5'])).toBe(0);
    const text = err.join('\n');
    expect(text).toMatch(/imported 7 of 11 records .* throttle 1 → 2 m\/s, inverted\)/);
    expect(text).toMatch(/^ {2}3 deleted indexes skipped, as the tub's manifest says$/m);
    expect(text).toMatch(/; throttle \(inverted\) 0\.25 … 0\.39, mean 0\.32 \(source units\)$/m);
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(summary).toMatchObject({
      format: 'donkey',
      recordsRead: 14,
      imported: 7,
      skipped: 4,
      skippedByReason: { 'empty image file': 1, 'decode failed': 1, 'not JPEG/PNG': 1, 'missing file': 1 },
      deletedIndexes: 3,
      missingIndexes: 6,
      missingRanges: [
        [0, 4],
        [14, 14],
      ],
      throttleInverted: true,
      throttle: { min: 0.25, max: 0.39, mean: 0.32 },
      image: { width: 16, height: 12, format: 'jpeg', otherSizes: 0 },
    });
    expect(summary.timestampGaps).toEqual({
      clock: '_timestamp_ms',
      thresholdS: 1,
      count: 2,
      largest: [
        { seconds: 2.55, after: '_index 9', before: '_index 10' },
        { seconds: 1.55, after: '_index 16', before: '_index 17' },
      ],
    });
    const reader = await openBag(bag);
    const speeds: number[] = [];
    for await (const m of reader.messages({ topics: ['/cmd/ackermann'] })) speeds.push((reader.decode(m) as AckermannDriveStamped).drive.speed);
    await reader.close();
    expect(speeds).toHaveLength(7);
    [5, 6, 9, 10, 17, 18, 19].forEach((i, k) => expect(speeds[k]).toBeCloseTo(-throttleOf(i) * 2, 6));
  });

  it('--strict fails on the first bad image and leaves no bag; --skip-bad is still accepted, not with --strict', async () => {
    const dir = scratch();
    const tub = join(dir, 'tub');
    olderTub(tub);
    const { err } = capture();
    expect(await main(['bag', 'import', 'donkey', tub, '-o', join(dir, 'strict'), '--strict', '--max-speed', '2'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_IMPORT_IMAGE: .*11_cam_image_array_\.jpg is an empty file \(0 bytes\)/);
    expect(existsSync(join(dir, 'strict'))).toBe(false);
    expect(await main(['bag', 'import', 'donkey', tub, '-o', join(dir, 'old'), '--skip-bad', '--max-speed', '2'])).toBe(0);
    expect(await main(['bag', 'import', 'donkey', tub, '-o', join(dir, 'both'), '--skip-bad', '--strict'])).toBe(2);
    expect(err.join('\n')).toMatch(/--strict and --skip-bad exclude each other/);
  });
});
