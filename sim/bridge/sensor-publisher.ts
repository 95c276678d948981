/**
 * The simulator's sensor outputs on a transport: camera, IMU, odometry and /clock, stamped in sim
 * time. Fault injection decides per message whether it is dropped or held back; held messages go out
 * at the first publish call at or after their delivery time, in order. A frozen camera sends the
 * frame of its window's start again; a clock jump offsets /clock and every sensor stamp.
 */
import type { ClockMsg, Header, Image, Imu, Odometry } from '../../src/core/messages/types.js';
import { msFromTime, timeFromMs } from '../../src/core/messages/time.js';
import type { Publisher, Transport } from '../../src/transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../src/transport/index.js';

export type SensorClass = 'camera' | 'imu' | 'odom';

/** What the bridge needs from fault injection (sim/faults implements it). */
export interface DeliveryPolicy {
  /** Reused result object: read before the next call. */
  decide(sensor: SensorClass, simTimeMs: number): { deliver: boolean; deliverAtMs: number };
  /**
   * frozen_camera: the window in force for a frame sent at `simTimeMs` (the same object all window
   * long), or undefined for a live frame. `frozen` stamps repeat the whole message, stamp included.
   */
  frozenCamera?(simTimeMs: number): { readonly stamps: 'advancing' | 'frozen' } | undefined;
  /** clock_jump: ms added to /clock and to every sensor stamp at true sim time `simTimeMs`. */
  clockOffsetMs?(simTimeMs: number): number;
}

export interface SensorTopics {
  camera: string;
  imu: string;
  odom: string;
  clock: string;
}

interface Held {
  atMs: number;
  publisher: Publisher;
  message: unknown;
}

export class SensorPublisher {
  /** Sensor messages handed to the transport per topic (the lockstep barrier counts the runtime's topics). */
  readonly sentByTopic = new Map<string, number>();
  readonly dropped: Record<SensorClass, number> = { camera: 0, imu: 0, odom: 0 };
  readonly delayed: Record<SensorClass, number> = { camera: 0, imu: 0, odom: 0 };
  readonly #camera: Publisher<Image>;
  readonly #imu: Publisher<Imu>;
  readonly #odom: Publisher<Odometry>;
  readonly #clock: Publisher<ClockMsg>;
  readonly #clockMessage: ClockMsg = { clock: { sec: 0, nanosec: 0 } };
  readonly #held: Held[] = [];
  readonly #faults: DeliveryPolicy | null;
  /** frozen_camera: the window in force and a copy of its first frame. */
  #frozen: { window: object; frame: Image } | undefined;

  constructor(transport: Transport, topics: SensorTopics, faults: DeliveryPolicy | null = null) {
    this.#camera = transport.advertise<Image>(topics.camera, 'sensor_msgs/msg/Image', SENSOR_QOS);
    this.#imu = transport.advertise<Imu>(topics.imu, 'sensor_msgs/msg/Imu', SENSOR_QOS);
    this.#odom = transport.advertise<Odometry>(topics.odom, 'nav_msgs/msg/Odometry', SENSOR_QOS);
    this.#clock = transport.advertise<ClockMsg>(topics.clock, 'rosgraph_msgs/msg/Clock', RELIABLE_QOS);
    this.#faults = faults;
  }

  /** Messages still held back by injected latency. */
  get pending(): number {
    return this.#held.length;
  }

  publishClock(simTimeMs: number): void {
    const t = timeFromMs(Math.max(0, simTimeMs + (this.#faults?.clockOffsetMs?.(simTimeMs) ?? 0)));
    this.#clockMessage.clock.sec = t.sec;
    this.#clockMessage.clock.nanosec = t.nanosec;
    this.#clock.publish(this.#clockMessage);
  }

  camera(message: Image, simTimeMs: number): void {
    const window = this.#faults?.frozenCamera?.(simTimeMs);
    if (!window) {
      this.#frozen = undefined;
      this.#send('camera', this.#camera, this.#jumped(message, simTimeMs), simTimeMs);
      return;
    }
    if (this.#frozen?.window !== window) this.#frozen = { window, frame: structuredClone(message) };
    const frame = this.#frozen.frame;
    // A stuck driver re-sends its last image with new stamps; `frozen` stamps repeat it as it was.
    const sent = window.stamps === 'frozen' ? frame : this.#jumped({ ...frame, header: message.header }, simTimeMs);
    this.#send('camera', this.#camera, sent, simTimeMs);
  }

  imu(message: Imu, simTimeMs: number): void {
    this.#send('imu', this.#imu, this.#jumped(message, simTimeMs), simTimeMs);
  }

  odom(message: Odometry, simTimeMs: number): void {
    this.#send('odom', this.#odom, this.#jumped(message, simTimeMs), simTimeMs);
  }

  /** clock_jump: a shallow copy stamped `offset` later (the caller's reused message is left alone). */
  #jumped<M extends { header: Header }>(message: M, simTimeMs: number): M {
    const offsetMs = this.#faults?.clockOffsetMs?.(simTimeMs) ?? 0;
    if (offsetMs === 0) return message;
    const stamp = timeFromMs(Math.max(0, msFromTime(message.header.stamp) + offsetMs));
    return { ...message, header: { ...message.header, stamp } };
  }

  /**
   * Sends held messages that are due at `simTimeMs`. Returns how many went out. Held messages must
   * not be reused objects: the caller gives the bridge its own copy when faults may delay it.
   */
  releaseDue(simTimeMs: number): number {
    let n = 0;
    while (this.#held.length > 0 && this.#held[0]!.atMs <= simTimeMs) {
      const h = this.#held.shift()!;
      this.#publish(h.publisher, h.message);
      n++;
    }
    return n;
  }

  #send(sensor: SensorClass, publisher: Publisher, message: unknown, simTimeMs: number): void {
    if (this.#faults) {
      const d = this.#faults.decide(sensor, simTimeMs);
      if (!d.deliver) {
        this.dropped[sensor]++;
        return;
      }
      if (d.deliverAtMs > simTimeMs) {
        this.delayed[sensor]++;
        this.#hold({ atMs: d.deliverAtMs, publisher, message: structuredClone(message) });
        return;
      }
    }
    this.#publish(publisher, message);
  }

  #publish(publisher: Publisher, message: unknown): void {
    publisher.publish(message);
    this.sentByTopic.set(publisher.topic, (this.sentByTopic.get(publisher.topic) ?? 0) + 1);
  }

  /** Sensor messages sent so far on the given topics. */
  sentOn(topics: readonly string[]): number {
    let n = 0;
    for (const t of topics) n += this.sentByTopic.get(t) ?? 0;
    return n;
  }

  #hold(h: Held): void {
    // Keep delivery order by time; equal times keep send order.
    let i = this.#held.length;
    while (i > 0 && this.#held[i - 1]!.atMs > h.atMs) i--;
    this.#held.splice(i, 0, h);
  }

  close(): void {
    for (const p of [this.#camera, this.#imu, this.#odom, this.#clock]) p.close();
  }
}
