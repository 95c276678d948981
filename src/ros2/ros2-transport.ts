/**
 * The ROS 2 transport: pilot's Transport contract over an rclnodejs node.
 *
 * - Subscriptions are raw (`isRaw: true`): rclnodejs hands over the serialized CDR bytes and pilot's own
 *   codec decodes them. Messages arrive in exactly the shapes the other transports deliver (typed
 *   arrays, `{sec, nanosec}`), and images skip rclnodejs's per-field message wrappers, which users
 *   report deliver a 30 fps Image topic at 6–9 fps (rclnodejs issues #916, #960).
 * - Images are published raw too (CDR from pilot's codec); everything else is handed to rclnodejs as a
 *   message object, after a field-by-field check against its definition, so rclnodejs's own type support
 *   validates it once more.
 * - Only types with a vendored definition can be used (the codec needs it); others are refused at
 *   advertise/subscribe with E_UNKNOWN_TYPE naming the known ones.
 * - Counters as in the other transports. ROS 2 gives raw takes no publication sequence numbers, so
 *   `receiveGaps` stays 0 here (QoS events are where DDS reports losses); `seq` counts deliveries and
 *   `sentAtMs` is the receive time.
 */
import { CdrCodec } from '../core/messages/cdr.js';
import type { MessageRegistry } from '../core/messages/registry.js';
import type { TransportErrorListener } from '../transport/stats-table.js';
import { deliver, TransportCore } from '../transport/transport-core.js';
import { SENSOR_QOS, TransportError, type MessageHandler, type Publisher, type QosProfile, type Subscription, type TopicStats, type Transport, type TypeName } from '../transport/transport.js';
import { rosMessageRegistry } from './interfaces.js';
import { MessageChecker, isRosMessageType, normalizeTypeName } from './message-check.js';
import { aptPackage, packageOf } from './preflight.js';
import { rosQos } from './qos.js';
import type { NodeApi, RclnodejsApi, RosMessageTypeName } from './rclnodejs-api.js';

/** Types published as serialized CDR instead of message objects (large byte payloads). */
export const RAW_PUBLISH_TYPES: ReadonlySet<string> = new Set(['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage']);

/** Topics that stay absolute when configured topics are resolved in the node's namespace. */
export const GLOBAL_TOPICS: readonly string[] = ['/clock', '/tf', '/tf_static', '/diagnostics', '/parameter_events', '/rosout'];

export interface Ros2TransportOptions {
  /** Config topic → ROS topic, applied before namespacing (ROS's own `-r from:=to` rules apply after). */
  readonly remap?: Readonly<Record<string, string>>;
  /**
   * Resolve pilot's absolute topic names relative to the node's namespace (the leading `/` is dropped,
   * so `/camera/image_raw` becomes `/robot1/camera/image_raw` under namespace `/robot1`), except
   * `globalTopics`. Default true; no difference in the root namespace.
   */
  readonly namespaced?: boolean;
  readonly globalTopics?: readonly string[];
  /** Caught handler exceptions, undecodable messages and failed sends; default: one warning per topic and kind. */
  readonly onError?: TransportErrorListener;
  /** Definitions for the codec and the publish checks; default: the ROS 2 layer's registry. */
  readonly registry?: MessageRegistry;
  /** Called by close() after the transport's own entities are destroyed (e.g. destroy the node it owns). */
  readonly onClose?: () => void | Promise<void>;
}

interface Entity {
  close(): void;
}

export class Ros2Transport implements Transport {
  readonly name = 'ros2';
  readonly #api: RclnodejsApi;
  readonly #node: NodeApi;
  readonly #core: TransportCore<Entity>;
  readonly #registry: MessageRegistry;
  readonly #codec: CdrCodec;
  readonly #checker: MessageChecker;
  readonly #remap: Readonly<Record<string, string>>;
  readonly #namespaced: boolean;
  readonly #global: ReadonlySet<string>;
  readonly #onClose: (() => void | Promise<void>) | undefined;
  readonly #subscriptions = new Set<Entity>();

  constructor(api: RclnodejsApi, node: NodeApi, options: Ros2TransportOptions = {}) {
    this.#api = api;
    this.#node = node;
    this.#core = new TransportCore(this.name, options.onError);
    this.#registry = options.registry ?? rosMessageRegistry();
    this.#codec = new CdrCodec(this.#registry);
    this.#checker = new MessageChecker(this.#registry);
    this.#remap = options.remap ?? {};
    this.#namespaced = options.namespaced ?? true;
    this.#global = new Set(options.globalTopics ?? GLOBAL_TOPICS);
    this.#onClose = options.onClose;
  }

  /** The node this transport creates its publishers and subscriptions on. */
  get node(): NodeApi {
    return this.#node;
  }

  /** The ROS topic name a configured topic is created under (before ROS's own remapping rules). */
  rosTopicName(topic: string): string {
    const mapped = Object.hasOwn(this.#remap, topic) ? this.#remap[topic]! : topic;
    return this.#namespaced && mapped.startsWith('/') && !this.#global.has(mapped) ? mapped.slice(1) : mapped;
  }

  advertise<T>(topic: string, type: TypeName, qos: QosProfile = SENSOR_QOS): Publisher<T> {
    this.#core.assertCanAdvertise(topic);
    const rosType = this.#rosType(topic, type);
    const publisher = this.#advertise<T, typeof rosType>(topic, rosType, qos);
    this.#core.publishers.set(topic, publisher);
    return publisher;
  }

  /**
   * ROS-only: a publisher whose last message late subscribers still get (reliable, keep last 1,
   * transient local), e.g. /tf_static and camera_info.
   */
  advertiseLatched<T>(topic: string, type: TypeName): Publisher<T> {
    this.#core.assertCanAdvertise(topic);
    const rosType = this.#rosType(topic, type);
    const publisher = this.#advertise<T, typeof rosType>(topic, rosType, 'latched');
    this.#core.publishers.set(topic, publisher);
    return publisher;
  }

  subscribe<T>(topic: string, type: TypeName, handler: MessageHandler<T>, qos: QosProfile = SENSOR_QOS): Subscription {
    this.#core.assertOpen();
    const rosType = this.#rosType(topic, type);
    const stats = this.#core.stats.of(topic);
    let seq = 0;
    const onRaw = (raw: Buffer): void => {
      let message: T;
      try {
        message = this.#codec.decode<T>(rosType, raw);
      } catch (err) {
        stats.decodeErrors++;
        this.#core.onError(err, topic);
        return;
      }
      deliver(handler, message, { seq: seq++, sentAtMs: Date.now() }, stats, this.#core.onError, topic);
    };
    const ros = this.#create(topic, 'subscription', rosType, () =>
      this.#node.createSubscription(rosType, this.rosTopicName(topic), { qos: rosQos(this.#api, qos), isRaw: true }, onRaw),
    );
    let closed = false;
    const subscription: Subscription & Entity = {
      topic,
      type,
      close: (): void => {
        if (closed) return;
        closed = true;
        this.#subscriptions.delete(subscription);
        if (!this.#core.closed) this.#destroy(topic, () => this.#node.destroySubscription(ros));
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  stats(): ReadonlyMap<string, Readonly<TopicStats>> {
    return this.#core.stats.snapshot();
  }

  async close(): Promise<void> {
    if (this.#core.closed) return;
    for (const p of [...this.#core.publishers.values()]) p.close();
    for (const s of [...this.#subscriptions]) s.close();
    this.#core.markClosed();
    await this.#onClose?.();
  }

  #advertise<T, K extends RosMessageTypeName>(topic: string, rosType: K, qos: QosProfile | 'latched'): Publisher<T> & Entity {
    const stats = this.#core.stats.of(topic);
    const ros = this.#create(topic, 'publisher', rosType, () => this.#node.createPublisher(rosType, this.rosTopicName(topic), { qos: rosQos(this.#api, qos) }));
    const raw = RAW_PUBLISH_TYPES.has(rosType);
    let closed = false;
    const drop = (err: unknown): void => {
      stats.sendDrops++;
      this.#core.onError(err, topic);
    };
    const publisher: Publisher<T> & Entity = {
      topic,
      type: rosType,
      publish: (message: T): void => {
        if (closed || this.#core.closed) {
          stats.sendDrops++;
          return;
        }
        try {
          if (raw) {
            const bytes = this.#codec.encode(rosType, message);
            ros.publish(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
          } else if (this.#checker.conforms(rosType, message)) {
            ros.publish(message);
          } else {
            drop(new TransportError('E_MESSAGE_SHAPE', `topic '${topic}': not a ${rosType}: ${this.#checker.problem(rosType, message)}`));
            return;
          }
        } catch (err) {
          drop(err);
          return;
        }
        stats.sent++;
      },
      close: (): void => {
        if (closed) return;
        closed = true;
        this.#core.forget(topic, publisher);
        if (!this.#core.closed) this.#destroy(topic, () => this.#node.destroyPublisher(ros));
      },
    };
    return publisher;
  }

  #rosType(topic: string, type: string): RosMessageTypeName {
    const full = normalizeTypeName(type);
    if (full === undefined || !isRosMessageType(full, this.#registry)) {
      throw new TransportError(
        'E_UNKNOWN_TYPE',
        `topic '${topic}': '${type}' is not a message type pilot has a definition for, so it cannot travel over ROS 2 ` +
          `(add its .msg under src/core/messages/definitions); known: ${this.#registry.types().join(', ')}`,
      );
    }
    return full;
  }

  /** Creates a ROS entity; rclnodejs failures (type support not generated, bad topic name) get the topic and a hint. */
  #create<E>(topic: string, what: string, type: string, make: () => E): E {
    try {
      return make();
    } catch (err) {
      const apt = aptPackage(process.env.ROS_DISTRO || '<distro>', packageOf(type));
      throw new TransportError(
        'E_ROS2_ENTITY',
        `cannot create a ${what} for '${topic}' (ROS name '${this.rosTopicName(topic)}'): ${(err as Error).message}. ` +
          `If its message package is missing, install it (\`sudo apt install ${apt}\`), source ROS 2 again and run \`npx generate-ros-messages\` so rclnodejs generates its type support.`,
      );
    }
  }

  #destroy(topic: string, destroy: () => void): void {
    try {
      destroy();
    } catch (err) {
      this.#core.onError(err, topic);
    }
  }
}
