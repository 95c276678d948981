/**
 * The arm simulator on a transport: it publishes /joint_states, the arm camera and /clock stamped in
 * sim time, and listens for joint position commands (trajectory_msgs/JointTrajectory by joint name, or
 * std_msgs/Float64MultiArray in the arm's joint order). Malformed commands are dropped and counted,
 * never applied: the arm keeps its previous target (a forward position controller holds).
 */
import { makeJointState } from '../../src/core/messages/factories.js';
import { msFromTime, timeFromMs, writeTimeFromMs } from '../../src/core/messages/time.js';
import type { ClockMsg, Float64MultiArray, Image, JointState, JointTrajectory } from '../../src/core/messages/types.js';
import type { Publisher, Subscription, Transport } from '../../src/transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../src/transport/index.js';
import type { ArmCommandType } from './arm-sim-config.js';
import { CommandArrivalCounter } from '../bridge/command-arrivals.js';

export interface ArmTopics {
  jointStates: string;
  camera: string;
  clock: string;
}

export class ArmSensorPublisher {
  /** Messages handed to the transport per topic (the lockstep barrier counts the runtime's topics). */
  readonly sentByTopic = new Map<string, number>();
  readonly #joints: Publisher<JointState>;
  readonly #camera: Publisher<Image>;
  readonly #clock: Publisher<ClockMsg>;
  readonly #jointMessage: JointState;
  readonly #clockMessage: ClockMsg = { clock: { sec: 0, nanosec: 0 } };

  constructor(transport: Transport, topics: ArmTopics, jointNames: readonly string[], frameId: string) {
    this.#joints = transport.advertise<JointState>(topics.jointStates, 'sensor_msgs/msg/JointState', SENSOR_QOS);
    this.#camera = transport.advertise<Image>(topics.camera, 'sensor_msgs/msg/Image', SENSOR_QOS);
    this.#clock = transport.advertise<ClockMsg>(topics.clock, 'rosgraph_msgs/msg/Clock', RELIABLE_QOS);
    const n = jointNames.length;
    this.#jointMessage = makeJointState({
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId },
      name: [...jointNames],
      position: new Float64Array(n),
      velocity: new Float64Array(n),
    });
  }

  /** Joint positions and velocities at sim time `tMs` (one reused message). */
  jointStates(position: Float64Array, velocity: Float64Array, tMs: number): void {
    const m = this.#jointMessage;
    writeTimeFromMs(m.header.stamp, tMs);
    m.position.set(position);
    m.velocity.set(velocity);
    this.#send(this.#joints, m);
  }

  camera(image: Image): void {
    this.#send(this.#camera, image);
  }

  publishClock(tMs: number): void {
    writeTimeFromMs(this.#clockMessage.clock, tMs);
    this.#clock.publish(this.#clockMessage);
  }

  /** Sensor messages sent so far on the given topics. */
  sentOn(topics: readonly string[]): number {
    let n = 0;
    for (const t of topics) n += this.sentByTopic.get(t) ?? 0;
    return n;
  }

  #send(publisher: Publisher, message: unknown): void {
    publisher.publish(message);
    this.sentByTopic.set(publisher.topic, (this.sentByTopic.get(publisher.topic) ?? 0) + 1);
  }

  close(): void {
    this.#joints.close();
    this.#camera.close();
    this.#clock.close();
  }
}

/** A camera frame as sensor_msgs/Image rgb8 from the renderer's RGBA (a fresh buffer: transports and bags may keep it). */
export function imageFromRgba(rgba: Uint8Array, width: number, height: number, tMs: number, frameId: string): Image {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return { header: { stamp: timeFromMs(tMs), frame_id: frameId }, height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data: rgb };
}

export class ArmCommandListener extends CommandArrivalCounter {
  /** Newest valid command: joint positions in the arm's joint order. */
  readonly latest: Float64Array;
  readonly #names: readonly string[];
  readonly #subscription: Subscription;

  constructor(transport: Transport, topic: string, type: ArmCommandType, jointNames: readonly string[], initial: ArrayLike<number>) {
    super();
    this.#names = jointNames;
    this.latest = Float64Array.from(initial);
    if (type === 'joint_trajectory') {
      this.#subscription = transport.subscribe<JointTrajectory>(topic, 'trajectory_msgs/msg/JointTrajectory', this.#onTrajectory, RELIABLE_QOS);
    } else {
      this.#subscription = transport.subscribe<Float64MultiArray>(topic, 'std_msgs/msg/Float64MultiArray', this.#onArray, RELIABLE_QOS);
    }
  }

  /** Forget the newest command (a new episode starts holding `q`). Counters keep counting. */
  reset(q: ArrayLike<number>): void {
    this.latest.set(q);
    this.latestStampMs = NaN;
  }

  readonly #onTrajectory = (msg: JointTrajectory): void => {
    const names = msg?.joint_names;
    const positions = msg?.points?.[0]?.positions;
    if (!Array.isArray(names) || !positions || typeof positions.length !== 'number') return this.reject('no joint_names or no point with positions');
    if (positions.length !== names.length) return this.reject(`${names.length} joint_names but ${positions.length} positions`);
    // Every joint of the arm exactly once, by name, in any order.
    for (let i = 0; i < this.#names.length; i++) {
      const k = names.indexOf(this.#names[i]!);
      if (k < 0) return this.reject(`joint '${this.#names[i]}' missing (got ${names.join(', ')})`);
      if (names.lastIndexOf(this.#names[i]!) !== k) return this.reject(`joint '${this.#names[i]}' given twice`);
      if (!Number.isFinite(positions[k])) return this.reject(`joint '${this.#names[i]}' position ${positions[k]} is not finite`);
    }
    for (let i = 0; i < this.#names.length; i++) this.latest[i] = positions[names.indexOf(this.#names[i]!)]!;
    this.accept(msg.header?.stamp ? msFromTime(msg.header.stamp) : NaN);
  };

  readonly #onArray = (msg: Float64MultiArray): void => {
    const data = msg?.data;
    if (!data || data.length !== this.#names.length) return this.reject(`expected ${this.#names.length} values in the arm's joint order, got ${data?.length ?? 'none'}`);
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return this.reject(`value ${i} (${this.#names[i]}) is ${data[i]}`);
    this.latest.set(data);
    this.accept(NaN);
  };

  close(): void {
    this.#subscription.close();
    this.clearWaiters();
  }
}
