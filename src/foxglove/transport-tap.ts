/**
 * Feeds the live view from a Transport, beside the runtime, the simulator or a player: the same
 * subscriptions the black-box recorder makes. A topic is subscribed only while a viewer subscribes to
 * its channel, so without a viewer the tap costs nothing; clock topics (rosgraph_msgs/msg/Clock) are
 * always followed, since they set the live view's time.
 */
import { nsFromTime } from '../core/messages/time.js';
import { fullTypeName } from '../core/messages/type-names.js';
import type { ClockMsg } from '../core/messages/types.js';
import { SENSOR_QOS, type QosProfile, type Subscription, type Transport } from '../transport/transport.js';
import type { ChannelRegistry, LiveChannel } from './channels.js';
import type { LiveClock } from './live-clock.js';
import type { LiveServer } from './live-server.js';

export interface TapTopic {
  readonly topic: string;
  /** ROS 2 type, e.g. `sensor_msgs/msg/Image`. */
  readonly type: string;
  readonly qos?: QosProfile;
  /** Full `ros2msg` schema text for a type pilot does not know. */
  readonly schemaText?: string;
}

const CLOCK_TYPE = 'rosgraph_msgs/msg/Clock';

export class TransportTap {
  readonly #transport: Transport;
  readonly #channels: ChannelRegistry;
  readonly #clock: LiveClock;
  readonly #topics = new Map<number, { readonly tap: TapTopic; readonly channel: LiveChannel; subscription: Subscription | undefined }>();
  #closed = false;

  private constructor(transport: Transport, channels: ChannelRegistry, clock: LiveClock) {
    this.#transport = transport;
    this.#channels = channels;
    this.#clock = clock;
  }

  /** Advertises a channel per topic and subscribes as viewers do. Unknown types throw (E_UNKNOWN_TYPE) here. */
  static attach(transport: Transport, topics: readonly TapTopic[], channels: ChannelRegistry, server: LiveServer, clock: LiveClock): TransportTap {
    const tap = new TransportTap(transport, channels, clock);
    for (const t of topics) {
      const channel = channels.ros(t.topic, t.type, t.schemaText);
      if (tap.#topics.has(channel.id)) continue;
      tap.#topics.set(channel.id, { tap: t, channel, subscription: undefined });
      if (fullTypeName(t.type) === CLOCK_TYPE) tap.#subscribe(channel.id);
    }
    server.onSubscription((channelId, subscribed) => {
      const entry = tap.#topics.get(channelId);
      if (!entry || fullTypeName(entry.tap.type) === CLOCK_TYPE) return;
      if (subscribed) tap.#subscribe(channelId);
      else {
        entry.subscription?.close();
        entry.subscription = undefined;
      }
    });
    return tap;
  }

  /** Unsubscribes everything; the channels stay advertised. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#topics.values()) {
      entry.subscription?.close();
      entry.subscription = undefined;
    }
  }

  #subscribe(channelId: number): void {
    const entry = this.#topics.get(channelId)!;
    if (this.#closed || entry.subscription) return;
    const { channel, tap } = entry;
    const channels = this.#channels;
    const clock = this.#clock;
    const handler =
      fullTypeName(tap.type) === CLOCK_TYPE
        ? (message: unknown): void => {
            clock.setNs(nsFromTime((message as ClockMsg).clock));
            channels.publish(channel, message, clock.nowNs());
          }
        : (message: unknown): void => void channels.publish(channel, message, clock.nowNs());
    entry.subscription = this.#transport.subscribe(tap.topic, fullTypeName(tap.type), handler, tap.qos ?? SENSOR_QOS);
  }
}
