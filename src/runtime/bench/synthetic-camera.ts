/**
 * The benchmark's robot side: a synthetic camera (a few distinct rgb8 frames cycled, published like a
 * driver would) and a subscriber counting the runtime's commands. `InlinePeer` runs them in this
 * process; peer-child.ts runs the same in a child process (peer-process.ts).
 */
import type { Clock } from '../loop/clock.js';
import { makeHeader, makeImage } from '../../core/messages/factories.js';
import { writeTimeFromMs } from '../../core/messages/time.js';
import type { Image } from '../../core/messages/types.js';
import { SENSOR_QOS, type Transport } from '../../transport/transport.js';
import { TimerCameraFeed } from './camera-feed.js';
import type { CameraFeed } from './interleaved.js';

export interface PeerSettings {
  readonly cameraTopic: string;
  readonly commandTopic: string;
  readonly width: number;
  readonly height: number;
  readonly cameraHz: number;
}

/** What the benchmark needs from its robot side. */
export interface BenchPeer {
  readonly camera: CameraFeed;
  /** Stops the camera and the subscriber; resolves to the commands received. */
  close(): Promise<number>;
}

/** Publishes the camera and counts commands on `transport`, whose stamps come from `stampMs`. */
export function startRobotSide(transport: Transport, s: PeerSettings, stampMs: () => number): { camera: TimerCameraFeed; commands: () => number } {
  const frames = Array.from({ length: 4 }, (_, f) => syntheticFrame(s.width, s.height, f));
  const cameraPub = transport.advertise<Image>(s.cameraTopic, 'sensor_msgs/msg/Image', SENSOR_QOS);
  let commands = 0;
  transport.subscribe(s.commandTopic, 'ackermann_msgs/msg/AckermannDriveStamped', () => commands++);
  let frameIndex = 0;
  const publishFrame = (): void => {
    const frame = frames[frameIndex++ % frames.length]!;
    writeTimeFromMs(frame.header.stamp, stampMs());
    cameraPub.publish(frame);
  };
  return { camera: new TimerCameraFeed(publishFrame, 1000 / s.cameraHz), commands: () => commands };
}

export class InlinePeer implements BenchPeer {
  readonly camera: TimerCameraFeed;
  readonly #commands: () => number;

  constructor(transport: Transport, settings: PeerSettings, clock: Clock) {
    const side = startRobotSide(transport, settings, () => clock.stampMs());
    this.camera = side.camera;
    this.#commands = side.commands;
  }

  async close(): Promise<number> {
    this.camera.pause();
    return this.#commands();
  }
}

export function syntheticFrame(width: number, height: number, seed: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      // A road-like gradient with a moving stripe, so frames differ.
      data[o] = (x + seed * 37) & 0xff;
      data[o + 1] = (y * 2) & 0xff;
      data[o + 2] = Math.abs(x - width / 2 - seed * 8) < 6 ? 255 : 60;
    }
  }
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), height, width, encoding: 'rgb8', step: width * 3, data });
}
