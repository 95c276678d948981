/** Tiny drive bags for the dataset tests: 32×24 frames whose red channel encodes the frame index. */
import { PNG } from 'pngjs';
import { BagReader, BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import type { DatasetTargetSpec } from '../../../src/learning/dataset/from-bags.js';
import { timeFromNs } from '../../../src/core/messages/time.js';
import type { AckermannDriveStamped, CompressedImage, Image, Twist } from '../../../src/core/messages/types.js';
import type { CameraContractInput, ContractOutputField } from '../../../src/runtime/policy/contract.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';

export const T0 = 1_763_800_000_000_000_000n;
export const MS = 1_000_000n;
export const W = 32;
export const H = 24;
export const MAX_STEER = 0.4;
export const MAX_SPEED = 2;

/** rgb8 frame: red = 10·i (mod 256) everywhere, green = x·8, blue = y·10. */
export function image(i: number, stampNs: bigint, width = W, height = H, encoding = 'rgb8'): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (10 * i) & 255;
      data[o + 1] = (x * 8) & 255;
      data[o + 2] = (y * 10) & 255;
    }
  return { header: { stamp: timeFromNs(stampNs), frame_id: 'camera' }, height, width, encoding, is_bigendian: 0, step: width * 3, data };
}

/** image(i) as a PNG CompressedImage (lossless, so pixels compare exactly). */
export function pngImage(i: number, stampNs: bigint): CompressedImage {
  const f = image(i, stampNs);
  const png = new PNG({ width: f.width, height: f.height });
  for (let p = 0; p < f.width * f.height; p++) png.data.set([f.data[p * 3]!, f.data[p * 3 + 1]!, f.data[p * 3 + 2]!, 255], p * 4);
  return { header: f.header, format: 'png', data: new Uint8Array(PNG.sync.write(png)) };
}

export function ackermann(stampNs: bigint, steeringRad: number, speedMps: number): AckermannDriveStamped {
  return { header: { stamp: timeFromNs(stampNs), frame_id: 'base_link' }, drive: { steering_angle: steeringRad, steering_angle_velocity: 0, speed: speedMps, acceleration: 0, jerk: 0 } };
}

export interface Cmd {
  /** ms from T0 */
  readonly atMs: number;
  readonly steer: number;
  readonly speed: number;
}

export interface TinyBagOptions {
  readonly name?: string;
  /** Frame times, ms from T0 (default 10 frames every 50 ms). */
  readonly frameMs?: readonly number[];
  readonly commands?: readonly Cmd[];
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  readonly compressed?: boolean;
  readonly twist?: boolean;
  readonly encoding?: string;
  readonly width?: number;
  readonly height?: number;
  /** Extra topics with no messages of interest (written once). */
  readonly extraTopics?: boolean;
  /** Each frame is logged this long after its header stamp (transport delay), ms. */
  readonly frameDelayMs?: number;
}

/** Frame i at 50·i ms; commands: steering = 0.01·i·(−1)^i-ish values that differ per frame. */
export function everyFrameCommands(n: number, offsetMs = 0): Cmd[] {
  return Array.from({ length: n }, (_, i) => ({ atMs: i * 50 + offsetMs, steer: (i % 2 ? -1 : 1) * 0.02 * (i + 1), speed: 0.1 * i }));
}

export async function tinyBag(o: TinyBagOptions = {}): Promise<MemoryBagFolder> {
  const folder = new MemoryBagFolder(o.name ?? 'tiny');
  const writer = await BagWriter.create(folder, { name: o.name ?? 'tiny' });
  const cameraTopic = o.cameraTopic ?? (o.compressed ? '/camera/image_raw/compressed' : '/camera/image_raw');
  const commandTopic = o.commandTopic ?? (o.twist ? '/cmd_vel' : '/cmd/ackermann');
  writer.addTopic(cameraTopic, o.compressed ? 'sensor_msgs/msg/CompressedImage' : 'sensor_msgs/msg/Image');
  const commands = o.commands ?? everyFrameCommands(10);
  if (commands.length > 0 || o.commandTopic) writer.addTopic(commandTopic, o.twist ? 'geometry_msgs/msg/Twist' : 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
  if (o.extraTopics) writer.addTopic('/odom', 'nav_msgs/msg/Odometry');
  const frameMs = o.frameMs ?? Array.from({ length: 10 }, (_, i) => i * 50);
  const events: { t: bigint; order: number; write: () => Promise<boolean> }[] = [];
  frameMs.forEach((ms, i) => {
    const stamp = T0 + BigInt(Math.round(ms * 1e6));
    const t = stamp + BigInt(Math.round((o.frameDelayMs ?? 0) * 1e6));
    const msg = o.compressed ? pngImage(i, stamp) : image(i, stamp, o.width, o.height, o.encoding);
    events.push({ t, order: 1, write: () => writer.writeMessage(cameraTopic, msg, t) });
  });
  for (const c of commands) {
    const t = T0 + BigInt(Math.round(c.atMs * 1e6));
    const msg: AckermannDriveStamped | Twist = o.twist
      ? { linear: { x: c.speed, y: 0, z: 0 }, angular: { x: 0, y: 0, z: c.steer } }
      : ackermann(t, c.steer, c.speed);
    // Commands at the same time as a frame go first, as a recorder would see a command already sent.
    events.push({ t, order: 0, write: () => writer.writeMessage(commandTopic, msg, t) });
  }
  events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.order - b.order));
  for (const e of events) await e.write();
  await writer.close();
  return folder;
}

export function open(folder: MemoryBagFolder): Promise<BagReader> {
  return BagReader.open(folder, { warn: () => {} });
}

export function cameraInput(overrides: Partial<CameraContractInput> = {}): CameraContractInput {
  return {
    name: 'image',
    role: 'camera',
    shape: [1, 3, 12, 16],
    dtype: 'float32',
    layout: 'NCHW',
    color: 'rgb',
    normalize: { scale: 1 / 255, mean: [0.5], std: [0.5] },
    crop: { top: 0, bottom: 0, left: 0, right: 0 },
    undistort: false,
    ...overrides,
  };
}

export const DRIVE_FIELDS: readonly ContractOutputField[] = [
  { name: 'steering_angle', unit: 'rad', scale: MAX_STEER, offset: 0 },
  { name: 'speed', unit: 'm/s', scale: MAX_SPEED / 2, offset: MAX_SPEED / 2 },
];

export function spec(input: Partial<CameraContractInput> = {}): DatasetTargetSpec {
  return { input: cameraInput(input), fields: DRIVE_FIELDS };
}
