/**
 * Tiny driving bags and a tiny backbone for the fine-tuning tests. Each frame shows a bright vertical
 * bar on a dark road; the recorded steering is a function of the bar's column, so a network can learn
 * it from the image and the tests can tell learning from guessing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBagWriter } from '../../../src/data/bags/node-io.js';
import { timeFromNs } from '../../../src/core/messages/time.js';
import type { AckermannDriveStamped, Image } from '../../../src/core/messages/types.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { DRIVING_CAMERA } from '../../../src/learning/finetune/driving-setup.js';
import { exportBackboneOnnx, geometryHead, initTrainingBackend, Network, type BackboneArchitecture } from '../../../src/learning/train/index.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

export const SRC_W = 64;
export const SRC_H = 48;
export const T0 = 1_763_800_000_000_000_000n;

export const TINY_BACKBONE: BackboneArchitecture = {
  input: { channels: 3, height: 12, width: 32 },
  convs: [
    { filters: 6, kernel: 3, stride: 2 },
    { filters: 8, kernel: 3, stride: 2 },
  ],
  dense: [16],
  activation: 'elu',
};

export function tmp(prefix = 'pilot-ft-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Steering (rad) the demonstrations use for a bar at column fraction u ∈ [0, 1]. */
export const steeringFor = (u: number): number => (u - 0.5) * 0.6;

export function barFrame(u: number, stampNs: bigint): Image {
  const data = new Uint8Array(SRC_W * SRC_H * 3).fill(60);
  const x0 = Math.round(u * (SRC_W - 6));
  for (let y = 0; y < SRC_H; y++) for (let x = x0; x < x0 + 6; x++) data.fill(240, (y * SRC_W + x) * 3, (y * SRC_W + x) * 3 + 3);
  return { header: { stamp: timeFromNs(stampNs), frame_id: 'camera' }, height: SRC_H, width: SRC_W, encoding: 'rgb8', is_bigendian: 0, step: SRC_W * 3, data };
}

export interface DemoBagOptions {
  readonly frames?: number;
  readonly seed?: number;
  /** Steering as a function of the bar column (default steeringFor). */
  readonly steering?: (u: number) => number;
  readonly withCommands?: boolean;
}

/** A 20 Hz drive: frame i at 50·i ms, its command 1 ms before it. */
export async function demoBag(dir: string, o: DemoBagOptions = {}): Promise<string> {
  const writer = await createBagWriter(dir);
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  if (o.withCommands !== false) writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
  const random = mulberry32(o.seed ?? 1);
  const steer = o.steering ?? steeringFor;
  for (let i = 0; i < (o.frames ?? 80); i++) {
    const u = random();
    const t = T0 + BigInt(i) * 50_000_000n;
    if (o.withCommands !== false) {
      const c: AckermannDriveStamped = { header: { stamp: timeFromNs(t - 1_000_000n), frame_id: 'base_link' }, drive: { steering_angle: steer(u), steering_angle_velocity: 0, speed: 1.5, acceleration: 0, jerk: 0 } };
      await writer.writeMessage('/cmd/ackermann', c, t - 1_000_000n);
    }
    await writer.writeMessage('/camera/image_raw', barFrame(u, t), t);
  }
  await writer.close();
  return dir;
}

/** An untrained backbone file of TINY_BACKBONE with the driving camera preprocessing. */
export async function tinyBackbone(path: string, seed = 3): Promise<string> {
  await initTrainingBackend();
  const net = new Network({ backbone: TINY_BACKBONE, head: geometryHead(['a']) }, { seed });
  try {
    writeFileSync(path, exportBackboneOnnx(net, { camera: DRIVING_CAMERA, provenance: { test: true } }));
  } finally {
    net.dispose();
  }
  return path;
}
