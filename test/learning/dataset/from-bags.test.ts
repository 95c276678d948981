import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BagWriter, createBagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import { checkDataset, type ImageDataset } from '../../../src/learning/dataset/dataset.js';
import { datasetFromBags, formatDatasetReport, targetSpecFromContract, type BagDatasetOptions, type BagInput } from '../../../src/learning/dataset/from-bags.js';
import { importDrivingLog } from '../../../src/data/import/bag-import.js';
import { readDonkeyTub } from '../../../src/data/import/donkey.js';
import { readUdacityLog } from '../../../src/data/import/udacity.js';
import type { ModelContract } from '../../../src/runtime/policy/contract.js';
import { tempDir } from '../../data/bags/helpers.js';
import { DRIVE_FIELDS, MAX_SPEED, MAX_STEER, T0, cameraInput, everyFrameCommands, image, open, spec, tinyBag, type Cmd } from './helpers.js';

const readers: { close(): Promise<void> }[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.close();
  for (const c of cleanups.splice(0)) c();
});

async function bag(options: Parameters<typeof tinyBag>[0] = {}) {
  const reader = await open(await tinyBag(options));
  readers.push(reader);
  return reader;
}

function build(bags: readonly BagInput[], options: Partial<BagDatasetOptions> = {}) {
  return datasetFromBags(bags, { spec: spec(), minFrames: 1, ...options });
}

/** Frame identity: the red channel of dataset frame j (10 × the bag's frame index). */
const red = (ds: ImageDataset, j: number): number => ds.images[j * ds.height * ds.width * 3]!;
const frameIds = (ds: ImageDataset): number[] => Array.from({ length: ds.count }, (_, j) => red(ds, j) / 10);
const steerRaw = (ds: ImageDataset): number[] => Array.from({ length: ds.count }, (_, j) => ds.targets[j * 2]!);
const cmdRaw = (c: Cmd): [number, number] => [c.steer / MAX_STEER, (c.speed - MAX_SPEED / 2) / (MAX_SPEED / 2)];

describe('datasetFromBags: pairing frames with the command in force', () => {
  it('labels each frame with the latest command at or before it, mapped to raw space', async () => {
    const cmds = everyFrameCommands(10);
    const { dataset, report } = await build([await bag({ commands: cmds })]);
    checkDataset(dataset);
    expect(dataset).toMatchObject({ count: 10, height: 12, width: 16, targetNames: ['steering_angle', 'speed'], episodeNames: ['tiny'] });
    expect(frameIds(dataset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 10; i++) {
      const [s, v] = cmdRaw(cmds[i]!);
      expect(dataset.targets[i * 2]).toBeCloseTo(s, 6);
      expect(dataset.targets[i * 2 + 1]).toBeCloseTo(v, 6);
    }
    expect([...dataset.episodes]).toEqual(new Array(10).fill(0));
    expect(report).toMatchObject({ framesSeen: 10, used: 10 });
    expect(report.bags[0]).toMatchObject({ cameraTopic: '/camera/image_raw', commandTopic: '/cmd/ackermann', sourceWidth: 32, sourceHeight: 24, commands: 10 });
    // Green = x·8 survives the 32→16 resize as a gradient (the frame really is resampled).
    expect(dataset.images[1]).toBeLessThan(dataset.images[(15) * 3 + 1]!);
  });

  it('a positive latency takes the command from after the frame; max gap drops stale ones', async () => {
    const cmds = everyFrameCommands(10);
    const reader = await bag({ commands: cmds });
    const late = await build([reader], { latencyMs: 50 });
    expect(late.dataset.count).toBe(10);
    // Frame i gets command i+1; the last frame keeps the last command (50 ms old, within the gap).
    expect(steerRaw(late.dataset).map((v) => +v.toFixed(5))).toEqual([...cmds.slice(1), cmds[9]!].map((c) => +cmdRaw(c)[0].toFixed(5)));
    const strict = await build([reader], { latencyMs: 50, maxCommandGapMs: 20 });
    expect(strict.dataset.count).toBe(9);
    expect(strict.report.skipped.stale_command).toBe(1);
    // A negative latency (commands lead the camera) takes the previous command.
    const early = await build([reader], { latencyMs: -50 });
    expect(early.report.skipped.no_command).toBe(1);
    expect(frameIds(early.dataset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(steerRaw(early.dataset)[0]).toBeCloseTo(cmdRaw(cmds[0]!)[0], 6);
  });

  it('skips and counts frames before the first command and with a stale one', async () => {
    const cmds: Cmd[] = [
      { atMs: 120, steer: 0.1, speed: 1 },
      { atMs: 220, steer: -0.1, speed: 1 },
      { atMs: 420, steer: 0.2, speed: 1 },
    ];
    const { dataset, report } = await build([await bag({ commands: cmds })], { maxCommandGapMs: 150 });
    expect(frameIds(dataset)).toEqual([3, 4, 5, 6, 7, 9]);
    expect(steerRaw(dataset).map((v) => +v.toFixed(4))).toEqual([0.25, 0.25, -0.25, -0.25, -0.25, 0.5]);
    expect(report.skipped).toMatchObject({ no_command: 3, stale_command: 1, stride: 0 });
    expect(report.bags[0]!.skipped.no_command).toBe(3);
    expect(formatDatasetReport(report)).toMatch(/tiny: 6\/10 frames .*skipped: no_command 3, stale_command 1/);
  });

  it('stride, per-bag and total frame caps', async () => {
    const reader = await bag();
    const strided = await build([reader], { stride: 3 });
    expect(frameIds(strided.dataset)).toEqual([0, 3, 6, 9]);
    expect(strided.report.skipped.stride).toBe(6);
    const capped = await build([reader], { maxFramesPerBag: 2 });
    expect(frameIds(capped.dataset)).toEqual([0, 1]);
    expect(capped.report.skipped.max_frames).toBeGreaterThan(0);
    const two = await build([reader, await bag({ name: 'second' })], { maxFrames: 13 });
    expect(two.dataset.count).toBe(13);
    expect([...two.dataset.episodes]).toEqual([...new Array(10).fill(0), 0, 0, 0].map((_, i) => (i < 10 ? 0 : 1)));
    expect(two.dataset.episodeNames).toEqual(['tiny', 'second']);
  });

  it('each bag is one episode, frames in time order', async () => {
    const { dataset } = await build([await bag({ name: 'a' }), await bag({ name: 'b', frameMs: [0, 50, 100], commands: everyFrameCommands(3) })], {
      episodeNames: ['drive-a', 'drive-b'],
    });
    expect(dataset.count).toBe(13);
    expect(dataset.episodeNames).toEqual(['drive-a', 'drive-b']);
    expect([...dataset.episodes.subarray(10)]).toEqual([1, 1, 1]);
    expect(frameIds(dataset).slice(10)).toEqual([0, 1, 2]);
  });

  it('clamps labels beyond the output range and counts them', async () => {
    const cmds = everyFrameCommands(10).map((c, i) => (i === 4 ? { ...c, steer: 0.6 } : c));
    const { dataset, report } = await build([await bag({ commands: cmds })]);
    expect(dataset.targets[8]).toBe(1);
    expect(report.clamped).toEqual({ steering_angle: 1, speed: 0 });
    expect(report.notes.join('\n')).toMatch(/1 steering_angle label\(s\) outside ±1 in raw space, clamped/);
  });

  it('uses log time by default and header stamps on request', async () => {
    // Frames logged 60 ms after their stamp: by log time frame i meets command i+1.
    const reader = await bag({ frameDelayMs: 60 });
    const byLog = await build([reader], { maxCommandGapMs: 1000 });
    const byHeader = await build([reader], { time: 'header' });
    const cmds = everyFrameCommands(10);
    expect(steerRaw(byHeader.dataset)[3]).toBeCloseTo(cmdRaw(cmds[3]!)[0], 6);
    expect(steerRaw(byLog.dataset)[3]).toBeCloseTo(cmdRaw(cmds[4]!)[0], 6);
  });
});

describe('datasetFromBags: sources', () => {
  it('reads CompressedImage (falling back to /camera/image_raw/compressed) with the same pixels as Image', async () => {
    const raw = await build([await bag()]);
    const compressed = await build([await bag({ compressed: true })]);
    expect(compressed.report.bags[0]!.cameraTopic).toBe('/camera/image_raw/compressed');
    expect(compressed.report.bags[0]!.notes.join()).toMatch(/no \/camera\/image_raw: reading the camera from \/camera\/image_raw\/compressed/);
    expect(compressed.dataset.images).toEqual(raw.dataset.images);
    expect(compressed.report.bags[0]).toMatchObject({ sourceWidth: 32, sourceHeight: 24 });
  });

  it('maps Twist commands to steering with the wheelbase (bicycle model) and needs it', async () => {
    const cmds = everyFrameCommands(10); // steer field = ω (rad/s), speed = v
    const reader = await bag({ twist: true, commands: cmds });
    await expect(build([reader])).rejects.toThrow(/E_DATASET_OPTIONS: .*Twist; mapping them to a steering angle needs the wheelbase/);
    const L = 0.3;
    const { dataset, report } = await build([reader], { wheelbaseM: L });
    expect(report.bags[0]).toMatchObject({ commandTopic: '/cmd_vel', commandType: 'geometry_msgs/msg/Twist' });
    expect(dataset.targets[0]).toBe(0); // v = 0: straight, as the simulator reads it
    for (let i = 1; i < 10; i++) {
      const c = cmds[i]!;
      expect(dataset.targets[i * 2]).toBeCloseTo(Math.atan((c.steer * L) / c.speed) / MAX_STEER, 5);
      expect(dataset.targets[i * 2 + 1]).toBeCloseTo(cmdRaw(c)[1], 5);
    }
    await expect(build([reader], { wheelbaseM: L, time: 'header' })).rejects.toThrow(/time 'header' needs stamped commands/);
  });

  it('reads bags by path; the episode is named after the folder', async () => {
    const { dir, cleanup } = tempDir('pilot-dataset-');
    cleanups.push(cleanup);
    const path = join(dir, 'drive_0001');
    const writer = await createBagWriter(path);
    writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
    writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
    const { ackermann } = await import('./helpers.js');
    for (let i = 0; i < 5; i++) {
      const t = T0 + BigInt(i) * 50_000_000n;
      await writer.writeMessage('/cmd/ackermann', ackermann(t, 0.05 * i, 1), t);
      await writer.writeMessage('/camera/image_raw', image(i, t), t);
    }
    await writer.close();
    const { dataset } = await build([path]);
    expect(dataset.episodeNames).toEqual(['drive_0001']);
    expect(dataset.count).toBe(5);
  });

  it('DonkeyCar and Udacity imports work as they come out of pilot import', async () => {
    const imported = async (records: Parameters<typeof importDrivingLog>[0], maxSteeringRad: number) => {
      const folder = new MemoryBagFolder('imported');
      const writer = await BagWriter.create(folder, { name: 'imported' });
      await importDrivingLog(records, writer, { maxSteeringRad, maxSpeedMps: MAX_SPEED });
      await writer.close();
      const reader = await open(folder);
      readers.push(reader);
      return reader;
    };
    const donkey = await imported(readDonkeyTub('test/fixtures/import/donkey_v2_tub'), MAX_STEER);
    const udacity = await imported(readUdacityLog('test/fixtures/import/udacity/driving_log.csv', { startTimeNs: 1_000_000_000n }), MAX_STEER);
    const { dataset, report } = await build([donkey, udacity], { episodeNames: ['donkey', 'udacity'] });
    expect(report.bags.map((b) => [b.used, b.cameraTopic, b.sourceWidth, b.sourceHeight])).toEqual([
      [4, '/camera/image_raw/compressed', 32, 24],
      [4, '/camera/image_raw/compressed', 32, 24],
    ]);
    // Udacity steering s (positive = right) was written as −s·max rad, so raw = −s.
    expect(steerRaw(dataset).slice(4).map((v) => +v.toFixed(5))).toEqual([0, 0.2, -0.4, -1].map((v) => v || 0));
    expect(report.skipped.no_command + report.skipped.stale_command).toBe(0);
  });

  it('targets from a model contract', () => {
    const contract: ModelContract = {
      version: 1,
      id: 'x',
      profile: 'vehicle',
      inputs: [cameraInput()],
      outputs: [{ name: 'action', shape: [1, 2], dtype: 'float32', fields: [...DRIVE_FIELDS] }],
    };
    expect(targetSpecFromContract(contract)).toEqual(spec());
    expect(() => targetSpecFromContract({ ...contract, inputs: [] })).toThrow(/E_DATASET_CONTRACT.*exactly one camera input/);
  });
});

describe('datasetFromBags: bad input', () => {
  it('a bag without the command topic: names the bag and lists its topics', async () => {
    const reader = await bag({ commands: [], extraTopics: true });
    await expect(build([reader])).rejects.toThrow(/E_DATASET_TOPIC: tiny: no command topic \/cmd\/ackermann .*the bag has: \/camera\/image_raw \(sensor_msgs\/msg\/Image, 10\), \/odom \(nav_msgs\/msg\/Odometry, 0\)/);
  });

  it('a bag without the camera topic', async () => {
    const reader = await bag({ cameraTopic: '/front/image' });
    await expect(build([reader], { cameraTopic: '/camera/image_raw' })).rejects.toThrow(/E_DATASET_TOPIC: tiny: no camera topic \/camera\/image_raw .*\/front\/image \(sensor_msgs\/msg\/Image, 10\)/);
    // By default the only camera topic is used, with a note.
    const { report } = await build([reader]);
    expect(report.bags[0]!.notes.join()).toMatch(/reading the camera from \/front\/image/);
  });

  it('no frame with a matching command', async () => {
    const reader = await bag({ commands: [{ atMs: 5000, steer: 0.1, speed: 1 }] });
    await expect(build([reader])).rejects.toThrow(/E_DATASET_NO_PAIRS: tiny: no camera frame on \/camera\/image_raw has a command in force on \/cmd\/ackermann \(10 frames, 1 commands.*skipped: no_command 10\)/);
  });

  it('degenerate datasets: all steering zero, too few frames', async () => {
    const straight = await bag({ commands: everyFrameCommands(10).map((c) => ({ ...c, steer: 0 })) });
    await expect(build([straight])).rejects.toThrow(/E_DATASET_DEGENERATE: steering_angle spans only 0\.00e\+0 rad .*over 10 frames/);
    const ok = await build([straight], { allowDegenerate: true });
    expect(ok.dataset.count).toBe(10);
    await expect(build([await bag()], { minFrames: 11 })).rejects.toThrow(/E_DATASET_DEGENERATE: only 10 labelled frame\(s\) from 1 bag\(s\), fewer than the 11 needed/);
  });

  it('unsupported image encoding and a camera of another size', async () => {
    await expect(build([await bag({ encoding: '16UC1' })])).rejects.toThrow(/E_DATASET_ENCODING: tiny: \/camera\/image_raw frame 0: encoding '16UC1' not supported/);
    // A camera of the calibration's aspect ratio but another size is scaled, not refused...
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void printed.push(a.join(' ')));
    let scaled: Awaited<ReturnType<typeof build>>;
    try {
      scaled = await build([await bag()], { camera: { width: 64, height: 48 } });
    } finally {
      spy.mockRestore();
    }
    expect(scaled.dataset.count).toBe(10);
    // The notice goes into the dataset's report, not to the console.
    expect(scaled.report.notes.join('\n')).toMatch(/camera frames are 32×24, calibration .* is 64×48: intrinsics scaled by 0\.5/);
    expect(printed).toEqual([]);
    // ...one of another shape is refused, naming both sizes.
    await expect(build([await bag()], { camera: { width: 64, height: 32 } })).rejects.toThrow(/E_DATASET_IMAGE_SIZE: .*image 32x24 but calibration says 64x32/);
  });

  it('output fields the commands cannot provide, and bad options', async () => {
    const reader = await bag();
    await expect(build([reader], { spec: { input: cameraInput(), fields: [{ name: 'throttle', unit: '1', scale: 1, offset: 0 }] } })).rejects.toThrow(
      /E_DATASET_TARGET: tiny: output field 'throttle' has no source in ackermann_msgs\/msg\/AckermannDriveStamped commands \(they give steering_angle, speed\)/,
    );
    await expect(build([reader], { stride: 0 })).rejects.toThrow(/E_DATASET_OPTIONS: stride must be an integer ≥ 1/);
    await expect(build([])).rejects.toThrow(/E_DATASET_OPTIONS: no bags given/);
  });
});
