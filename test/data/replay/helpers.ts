/** Synthetic drive bags for replay tests: 320×240 rgb8 camera frames and Ackermann commands, in memory. */
import { BagReader, BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import { parseConfig } from '../../../src/core/config/load.js';
import type { PilotConfig, PilotConfigInput } from '../../../src/core/config/schema.js';
import { timeFromNs } from '../../../src/core/messages/time.js';
import jpeg from 'jpeg-js';
import type { AckermannDriveStamped, CameraInfo, CompressedImage, Image } from '../../../src/core/messages/types.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

export const T0 = 1_763_800_000_000_000_000n;
export const MS = 1_000_000n;
export const WIDTH = 320;
export const HEIGHT = 240;

/** The runtime config the replay tests use: launch/drive.yaml's, quick to start. */
export function replayConfig(overrides: Partial<PilotConfigInput> = {}): PilotConfig {
  return parseConfig(
    {
      model: { path: 'models/pilotnet-test.onnx', warmup_runs: 1 },
      transport: { kind: 'inprocess' },
      loop: { rate_hz: 20, trigger: 'timer' },
      inputs: { camera: { topic: '/camera/image_raw', type: 'image', max_age_ms: 150 } },
      outputs: { command: { topic: '/cmd/ackermann', type: 'ackermann' } },
      safety: { limits: { speed: [0, 2] }, on_deadline_miss: 'hold', max_consecutive_misses: 3 },
      ...overrides,
    },
    'replay-test',
    process.cwd(),
  );
}

/**
 * A camera frame whose content changes a lot from frame to frame (blocks of seeded random colours
 * over a gradient that moves with `i`), so the untrained test model's outputs change too.
 */
export function frame(i: number, width = WIDTH, height = HEIGHT): Image {
  const data = new Uint8Array(width * height * 3);
  const random = mulberry32(1000 + i);
  const block = 16;
  const colours = Array.from({ length: Math.ceil(width / block) * Math.ceil(height / block) }, () => [random() * 255, random() * 255, random() * 255]);
  const bx = Math.ceil(width / block);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[Math.floor(y / block) * bx + Math.floor(x / block)]!;
      const g = (x + y + i * 37) & 255;
      const o = (y * width + x) * 3;
      data[o] = (c[0]! + g) / 2;
      data[o + 1] = (c[1]! + (255 - g)) / 2;
      data[o + 2] = c[2]!;
    }
  }
  return {
    header: { stamp: timeFromNs(T0 + BigInt(i) * 50n * MS), frame_id: 'camera' },
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data,
  };
}

/** `frame(i)` as a JPEG sensor_msgs/CompressedImage. */
export function jpegFrame(i: number, quality = 85, width = WIDTH, height = HEIGHT): CompressedImage {
  const f = frame(i, width, height);
  const rgba = new Uint8Array(f.width * f.height * 4);
  for (let p = 0; p < f.width * f.height; p++) rgba.set([f.data[p * 3]!, f.data[p * 3 + 1]!, f.data[p * 3 + 2]!, 255], p * 4);
  return { header: f.header, format: 'jpeg', data: new Uint8Array(jpeg.encode({ data: rgba, width: f.width, height: f.height }, quality).data) };
}

export function ackermann(logTimeNs: bigint, steeringRad: number, speedMps: number): AckermannDriveStamped {
  return {
    header: { stamp: timeFromNs(logTimeNs), frame_id: 'base_link' },
    drive: { steering_angle: steeringRad, steering_angle_velocity: 0, speed: speedMps, acceleration: 0, jerk: 0 },
  };
}

export interface DriveBagOptions {
  readonly seconds?: number;
  readonly cameraHz?: number;
  /** Recorded commands: at these log times (ns) with these values; default none. */
  readonly commands?: readonly { readonly logTimeNs: bigint; readonly steeringRad: number; readonly speedMps: number }[];
  /** Extra offset of each frame's log time after its nominal time, ns (e.g. transport delay). */
  readonly frameDelayNs?: bigint;
  readonly name?: string;
  readonly chunkSizeBytes?: number;
  readonly compression?: 'none' | 'lz4' | 'zstd';
  /** Camera frames as JPEG CompressedImage on /camera/image_raw/compressed instead of Image. */
  readonly jpeg?: boolean;
  /** Size of frame `i` (default 320×240 for all). */
  readonly frameSize?: (i: number) => { readonly width: number; readonly height: number };
  /** Also record this CameraInfo on /camera/camera_info, just before each frame. */
  readonly cameraInfo?: CameraInfo;
}

/** A camera bag (frames at `cameraHz` from T0) plus recorded commands, in memory. */
export async function writeDriveBag(options: DriveBagOptions = {}): Promise<MemoryBagFolder> {
  const { seconds = 3, cameraHz = 20, commands = [], frameDelayNs = 0n } = options;
  const folder = new MemoryBagFolder(options.name ?? 'drive-bag');
  const writer = await BagWriter.create(folder, { name: 'drive', chunkSizeBytes: options.chunkSizeBytes ?? 512 * 1024, compression: options.compression ?? 'none' });
  const cameraTopic = options.jpeg ? '/camera/image_raw/compressed' : '/camera/image_raw';
  writer.addTopic(cameraTopic, options.jpeg ? 'sensor_msgs/msg/CompressedImage' : 'sensor_msgs/msg/Image');
  if (commands.length > 0) writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
  const info = options.cameraInfo;
  if (info) writer.addTopic('/camera/camera_info', 'sensor_msgs/msg/CameraInfo');
  const events: { t: bigint; write: () => Promise<boolean> }[] = [];
  const frames = Math.round(seconds * cameraHz);
  for (let i = 0; i < frames; i++) {
    const t = T0 + (BigInt(i) * 1_000_000_000n) / BigInt(cameraHz) + frameDelayNs;
    const size = options.frameSize?.(i) ?? { width: WIDTH, height: HEIGHT };
    if (info) events.push({ t: t - 1n, write: () => writer.writeMessage('/camera/camera_info', info, t - 1n) });
    events.push({ t, write: () => writer.writeMessage(cameraTopic, options.jpeg ? jpegFrame(i, 85, size.width, size.height) : frame(i, size.width, size.height), t) });
  }
  for (const c of commands) events.push({ t: c.logTimeNs, write: () => writer.writeMessage('/cmd/ackermann', ackermann(c.logTimeNs, c.steeringRad, c.speedMps), c.logTimeNs) });
  events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
  for (const e of events) await e.write();
  await writer.close();
  return folder;
}

export function openMemoryBag(folder: MemoryBagFolder): Promise<BagReader> {
  return BagReader.open(folder, { warn: () => {} });
}

export const quiet = (): void => {};
