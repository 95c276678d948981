/**
 * The transport contract: publish/subscribe by topic and ROS 2 type name.
 * Implementations: in-process (tests, sim in one process), ZeroMQ (embedded default), ROS 2 (rclnodejs).
 */

/** ROS 2 style type name, e.g. `sensor_msgs/msg/Image`. */
export type TypeName = string;

/**
 * QoS hint. `sensor` = best effort, keep last 1 (newest wins, old samples are dropped and counted);
 * `reliable` = commands and diagnostics, bounded queue, overflow is an error that is counted.
 */
export type QosKind = 'sensor' | 'reliable';

export interface QosProfile {
  readonly kind: QosKind;
  /** Keep-last depth; sensor data defaults to 1, reliable to 10. */
  readonly depth?: number;
}

export const SENSOR_QOS: QosProfile = { kind: 'sensor', depth: 1 };
export const RELIABLE_QOS: QosProfile = { kind: 'reliable', depth: 10 };

export interface ReceiveInfo {
  /** Publisher's sequence number for this topic (gaps are counted as drops). */
  readonly seq: number;
  /** Publisher wall time in ms since the epoch when the message was sent. */
  readonly sentAtMs: number;
}

export type MessageHandler<T> = (message: T, info: ReceiveInfo) => void;

export interface Publisher<T = unknown> {
  readonly topic: string;
  readonly type: TypeName;
  /**
   * Never blocks and never queues unboundedly: a message that cannot be sent is dropped and counted.
   * Large typed arrays in the message may be sent without copying: do not mutate them after publishing.
   */
  publish(message: T): void;
  close(): void;
}

export interface Subscription {
  readonly topic: string;
  readonly type: TypeName;
  close(): void;
}

/** Counters per topic; every message that does not arrive is in one of them. */
export interface TopicStats {
  sent: number;
  /** Deliveries to handlers (one per subscription). */
  received: number;
  /** Dropped on send (HWM, busy socket, keep-last replacement). */
  sendDrops: number;
  /**
   * Sequence gaps seen by subscribers: every message a subscriber missed after its first one, whatever the
   * cause (a remote publisher's send drop looks the same as a loss in between).
   */
  receiveGaps: number;
  /** Messages that arrived but did not decode or had the wrong type. */
  decodeErrors: number;
  /** Deliveries whose handler threw (the message did arrive; the exception is caught and counted). */
  handlerErrors: number;
}

export interface Transport {
  readonly name: string;
  advertise<T>(topic: string, type: TypeName, qos?: QosProfile): Publisher<T>;
  subscribe<T>(topic: string, type: TypeName, handler: MessageHandler<T>, qos?: QosProfile): Subscription;
  /** Snapshot of counters per topic. */
  stats(): ReadonlyMap<string, Readonly<TopicStats>>;
  close(): Promise<void>;
}

export function emptyTopicStats(): TopicStats {
  return { sent: 0, received: 0, sendDrops: 0, receiveGaps: 0, decodeErrors: 0, handlerErrors: 0 };
}

/** Error with a stable code, following zeromq.js and Node conventions. */
export class TransportError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'TransportError';
  }
}
