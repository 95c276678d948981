import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { BagReader, MemoryBagFolder, type BagMessage } from '../../../src/data/bags/index.js';
import { readDonkeyTub } from '../../../src/data/import/donkey.js';
import { MPH_TO_MPS, readUdacityLog, splitCsvLine, timeFromImageName, UDACITY_MAX_STEERING_RAD } from '../../../src/data/import/udacity.js';
import type { AckermannDriveStamped, CompressedImage, Image, Odometry } from '../../../src/core/messages/types.js';
import { runReplay } from '../../../src/data/replay/replay-session.js';
import { tempDir } from '../bags/helpers.js';
import { importInto, MAX_SPEED, MAX_STEER } from './helpers.js';
import { frame, quiet, replayConfig } from '../replay/helpers.js';

const FIXTURES = 'test/fixtures/import';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function scratch(): string {
  const { dir, cleanup } = tempDir('pilot-import-');
  cleanups.push(cleanup);
  return dir;
}

async function read(folder: MemoryBagFolder): Promise<{ reader: BagReader; byTopic: Map<string, { m: BagMessage; v: unknown }[]> }> {
  const reader = await BagReader.open(folder);
  const byTopic = new Map<string, { m: BagMessage; v: unknown }[]>();
  for await (const m of reader.messages()) {
    const list = byTopic.get(m.topic) ?? [];
    list.push({ m, v: reader.decode(m) });
    byTopic.set(m.topic, list);
  }
  return { reader, byTopic };
}

describe('DonkeyCar tubs', () => {
  it('imports a v2 catalog tub: JPEGs as they are, steering in radians (ROS sign), times from _timestamp_ms, deleted records left out', async () => {
    const tub = join(FIXTURES, 'donkey_v2_tub');
    const { folder, stats } = await importInto(readDonkeyTub(tub));
    expect(stats).toMatchObject({ records: 4, written: 4, skipped: 0, imageWidth: 32, imageHeight: 24, imageFormat: 'jpeg', outOfRange: 0, timeReversals: 0 });
    expect(stats.log).toMatchObject({ description: 'DonkeyCar catalog tub with sessions (21-01-01_0)', clock: '_timestamp_ms', deletedIndexes: 1, missingIndexes: 0, gapCount: 0 });
    const { reader, byTopic } = await read(folder);
    expect(reader.topics().map((t) => [t.name, t.type, t.messageCount])).toEqual([
      ['/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage', 4],
      ['/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', 4],
    ]);
    // metadata.yaml for ros2 bag info / play.
    expect(folder.text('metadata.yaml')).toMatch(/message_count: 8/);
    const kept = [0, 1, 3, 4]; // index 2 is in deleted_indexes
    const angles = [-1, -0.5, 0.25, 0.5, 1];
    const throttles = [0, 0.25, 0.5, 0.75, 1];
    const images = byTopic.get('/camera/image_raw/compressed')!;
    const commands = byTopic.get('/cmd/ackermann')!;
    kept.forEach((index, k) => {
      const t = (1609459200000n + 50n * BigInt(index)) * 1_000_000n;
      const img = images[k]!.v as CompressedImage;
      expect(images[k]!.m.logTimeNs).toBe(t);
      expect(img.format).toBe('jpeg');
      expect(Buffer.from(img.data).equals(readFileSync(join(tub, 'images', `${index}_cam_image_array_.jpg`)))).toBe(true);
      const cmd = commands[k]!.v as AckermannDriveStamped;
      expect(commands[k]!.m.logTimeNs).toBe(t);
      expect(cmd.header.stamp).toEqual({ sec: 1609459200, nanosec: 50_000_000 * index });
      // DonkeyCar steers right for a positive angle; ROS steers left for a positive steering_angle.
      expect(cmd.drive.steering_angle).toBeCloseTo(-angles[index]! * MAX_STEER, 6);
      expect(cmd.drive.speed).toBeCloseTo(throttles[index]! * MAX_SPEED, 6);
    });
    await reader.close();
  });

  it('imports a v1 tub (record_<n>.json) in record order at the fixed rate, optionally as raw Image', async () => {
    const { folder, stats } = await importInto(readDonkeyTub(join(FIXTURES, 'donkey_v1_tub'), { rateHz: 20, startTimeNs: 1_700_000_000_000_000_000n }), { image: 'raw' });
    expect(stats.written).toBe(4);
    // record_4 … record_9 are not there; v1 records carry no time here, so gaps are not checked.
    expect(stats.log).toMatchObject({ description: 'DonkeyCar v1 tub (record_<n>.json files)', clock: undefined, missingIndexes: 6, missingRanges: [[4, 9]] });
    const { reader, byTopic } = await read(folder);
    const images = byTopic.get('/camera/image_raw')!;
    // record_1, 2, 3, 10: spaced by their numbers at 20 Hz.
    expect(images.map((x) => x.m.logTimeNs - 1_700_000_000_000_000_000n)).toEqual([0n, 50_000_000n, 100_000_000n, 450_000_000n]);
    const img = images[0]!.v as Image;
    expect(img).toMatchObject({ width: 32, height: 24, encoding: 'rgb8', step: 96 });
    expect(img.data.length).toBe(32 * 24 * 3);
    const steering = byTopic.get('/cmd/ackermann')!.map((x) => (x.v as AckermannDriveStamped).drive.steering_angle);
    [0.1, 0.2, -0.3, 0].forEach((a, i) => expect(steering[i]).toBeCloseTo(-a * MAX_STEER, 6));
    await reader.close();
  });

  it('skips and counts a bad record by reason, or with strict fails on the first naming the file and line', async () => {
    const tub = join(scratch(), 'tub');
    cpSync(join(FIXTURES, 'donkey_v2_tub'), tub, { recursive: true });
    const lines = readFileSync(join(tub, 'catalog_0.catalog'), 'utf8').split('\r\n');
    lines[1] = lines[1]!.replace('"user/angle":-0.5', '"user/angle":"left"');
    lines[3] = '{"_index": 3, truncated';
    writeFileSync(join(tub, 'catalog_0.catalog'), lines.join('\r\n'));
    rmSync(join(tub, 'images', '4_cam_image_array_.jpg'));
    await expect(importInto(readDonkeyTub(tub), { strict: true })).rejects.toThrow(/E_IMPORT_ROW: .*catalog_0\.catalog:2: user\/angle is "left", not a number/);
    const { stats } = await importInto(readDonkeyTub(tub));
    expect(stats).toMatchObject({ records: 4, written: 1, skipped: 3 });
    expect(stats.skippedByReason).toEqual({ 'bad value': 1, 'malformed record': 1, 'missing file': 1 });
    expect(stats.issues[0]).toBe('catalog_0.catalog:2 (_index 1): user/angle is "left", not a number');
    expect(stats.issues[1]).toMatch(/^catalog_0\.catalog:4 \(_index 3\?\): record is not a JSON object/);
    expect(stats.issues[2]).toBe('catalog_0.catalog:5 (_index 4): image 4_cam_image_array_.jpg not found');
  });

  it('refuses what is not a tub, and a tub without the keys asked for', async () => {
    const dir = scratch();
    await expect(importInto(readDonkeyTub(dir))).rejects.toThrow(/E_IMPORT_FORMAT: .*not a DonkeyCar tub \(no manifest\.json, and no record_<n>\.json files\)/);
    await expect(importInto(readDonkeyTub(join(FIXTURES, 'donkey_v2_tub'), { angleKey: 'pilot/angle' }))).rejects.toThrow(
      /manifest\.json: the tub has no input 'pilot\/angle' \(inputs: cam\/image_array, user\/angle, user\/throttle, user\/mode\)/,
    );
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'manifest.json'), '["cam/image_array"]\r\n["image_array"]\r\n');
    await expect(importInto(readDonkeyTub(broken))).rejects.toThrow(/manifest\.json: expected 5 JSON lines .* found 2/);
  });
});

describe('Udacity simulator logs', () => {
  it('imports driving_log.csv at a fixed rate: Windows paths found in IMG/, ±25° steering in radians, mph → m/s odometry', async () => {
    const csv = join(FIXTURES, 'udacity', 'driving_log.csv');
    const { folder, stats } = await importInto(readUdacityLog(csv, { startTimeNs: 1_000_000_000n }), { maxSteeringRad: UDACITY_MAX_STEERING_RAD });
    expect(stats).toMatchObject({ records: 4, written: 4, skipped: 0, imageWidth: 32, imageHeight: 24 });
    expect(stats.topics).toEqual(['/camera/image_raw/compressed', '/cmd/ackermann', '/odom']);
    const { reader, byTopic } = await read(folder);
    const times = byTopic.get('/camera/image_raw/compressed')!.map((x) => x.m.logTimeNs);
    // Default 15 Hz: k / 15 s after the start time (rounded to ns).
    expect(times).toEqual([1_000_000_000n, 1_066_666_667n, 1_133_333_333n, 1_200_000_000n]);
    const cmds = byTopic.get('/cmd/ackermann')!.map((x) => (x.v as AckermannDriveStamped).drive);
    [0, -0.2, 0.4, 1].forEach((s, i) => expect(cmds[i]!.steering_angle).toBeCloseTo((-s * 25 * Math.PI) / 180, 6));
    [0, 0.5, 1, 0.25].forEach((t, i) => expect(cmds[i]!.speed).toBeCloseTo(t * MAX_SPEED, 6));
    const odom = byTopic.get('/odom')!.map((x) => (x.v as Odometry).twist.twist.linear.x);
    [0, 5.5, 12.1, 30.19].forEach((mph, i) => expect(odom[i]).toBeCloseTo(mph * MPH_TO_MPS, 9));
    expect(Buffer.from((byTopic.get('/camera/image_raw/compressed')![1]!.v as CompressedImage).data).equals(
      readFileSync(join(FIXTURES, 'udacity', 'IMG', 'center_2016_12_01_13_30_48_354.jpg')),
    )).toBe(true);
    await reader.close();
  });

  it('times records from the image names when asked, and reads the left camera', async () => {
    const csv = join(FIXTURES, 'udacity', 'driving_log.csv');
    const { folder } = await importInto(readUdacityLog(csv, { timeFromNames: true, camera: 'left' }));
    const { reader, byTopic } = await read(folder);
    const t0 = BigInt(Date.UTC(2016, 11, 1, 13, 30, 48, 287)) * 1_000_000n;
    expect(byTopic.get('/camera/image_raw/compressed')!.map((x) => x.m.logTimeNs - t0)).toEqual([0n, 67_000_000n, 134_000_000n, 201_000_000n]);
    expect(Buffer.from((byTopic.get('/camera/image_raw/compressed')![0]!.v as CompressedImage).data).equals(
      readFileSync(join(FIXTURES, 'udacity', 'IMG', 'left_2016_12_01_13_30_48_287.jpg')),
    )).toBe(true);
    await reader.close();
    expect(timeFromImageName('IMG/center_2016_12_01_13_30_48_287.jpg')).toBe(t0);
    expect(timeFromImageName('frame_0001.jpg')).toBeUndefined();
  });

  it('reads a header line, quoted fields and relative paths; bad rows and missing images name the file and line', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'IMG'));
    cpSync(join(FIXTURES, 'udacity', 'IMG', 'center_2016_12_01_13_30_48_287.jpg'), join(dir, 'IMG', 'a b.jpg'));
    writeFileSync(
      join(dir, 'driving_log.csv'),
      [
        'center,left,right,steering,throttle,brake,speed',
        '"IMG/a b.jpg", IMG/x.jpg, IMG/y.jpg, 0.1, 0.2, 0, 3',
        'IMG/a b.jpg, , , 0.1, fast, 0, 3',
        'IMG/missing.jpg, , , 0.1, 0.2, 0, 3',
        'IMG/a b.jpg, 0.5',
        '',
      ].join('\n'),
    );
    const csv = join(dir, 'driving_log.csv');
    await expect(importInto(readUdacityLog(csv), { strict: true })).rejects.toThrow(/E_IMPORT_ROW: .*driving_log\.csv:3: throttle is "fast", not a number/);
    await expect(importInto(readUdacityLog(join(dir, 'missing.csv')))).rejects.toThrow(/E_IMPORT_FORMAT: .*missing\.csv: cannot read the driving log \(ENOENT\)/);
    const { stats } = await importInto(readUdacityLog(csv));
    expect(stats).toMatchObject({ records: 4, written: 1, skipped: 3 });
    expect(stats.skippedByReason).toEqual({ 'bad value': 1, 'missing file': 1, 'malformed record': 1 });
    expect(stats.issues).toEqual([
      'driving_log.csv:3 (line 3): throttle is "fast", not a number',
      'driving_log.csv:4 (line 4): image IMG/missing.jpg not found',
      'driving_log.csv:5 (line 5): 2 columns, expected 7 (center,left,right,steering,throttle,brake,speed)',
    ]);
    expect(stats.log?.description).toBe('Udacity driving_log.csv with a header line; image paths: relative');
    expect(splitCsvLine('"a, b",c,"say ""hi"""')).toEqual(['a, b', 'c', 'say "hi"']);
  });
});

describe('an imported log replays through the runtime', () => {
  it('DonkeyCar tub of 320×240 JPEGs → bag → replay with evaluation against the imported commands', async () => {
    const tub = join(scratch(), 'tub');
    mkdirSync(join(tub, 'images'), { recursive: true });
    const records: string[] = [];
    for (let i = 0; i < 20; i++) {
      const f = frame(i);
      const rgba = new Uint8Array(f.width * f.height * 4);
      for (let p = 0; p < f.width * f.height; p++) rgba.set([f.data[p * 3]!, f.data[p * 3 + 1]!, f.data[p * 3 + 2]!, 255], p * 4);
      writeFileSync(join(tub, 'images', `${i}_cam_image_array_.jpg`), jpeg.encode({ data: rgba, width: f.width, height: f.height }, 85).data);
      records.push(JSON.stringify({ _index: i, _timestamp_ms: 1700000000000 + 50 * i, 'cam/image_array': `${i}_cam_image_array_.jpg`, 'user/angle': Math.sin(i / 3), 'user/throttle': 0.3 }));
    }
    writeFileSync(join(tub, 'catalog_0.catalog'), records.join('\r\n') + '\r\n');
    writeFileSync(
      join(tub, 'manifest.json'),
      ['["cam/image_array","user/angle","user/throttle"]', '["image_array","float","float"]', '{}', '{}', '{"paths":["catalog_0.catalog"],"current_index":20,"max_len":1000,"deleted_indexes":[]}', ''].join('\r\n'),
    );
    const { folder } = await importInto(readDonkeyTub(tub));
    const reader = await BagReader.open(folder);
    const result = await runReplay({ reader, models: [{ label: 'model', config: replayConfig() }], log: quiet });
    await reader.close();
    expect(result.notes.join('\n')).toMatch(/reads the camera from \/camera\/image_raw\/compressed/);
    const run = result.runs[0]!;
    expect(run.runtime.framesReceived).toBe(20);
    expect(run.runtime.framesRejected).toBe(0);
    expect(result.reference).toMatchObject({ bagTopic: '/cmd/ackermann', messages: 20 });
    expect(run.evaluation!.evaluated).toBe(20);
    expect(run.evaluation!.fields[1]!.name).toBe('speed');
    expect(run.evaluation!.fields.every((f) => Number.isFinite(f.mae))).toBe(true);
  });
});
