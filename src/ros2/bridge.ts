/**
 * Bridge mode: relays topics between two transports, in practice ZeroMQ (pilot's embedded transport,
 * which the simulator speaks) and ROS 2, so `pilot sim` can drive a ROS 2 graph: camera, IMU,
 * odometry and /clock into ROS 2, the command back out. Messages are passed on as they arrive (no
 * queue of our own); each side's counters say what was sent, dropped or undecodable.
 */
import type { QosKind, Subscription, Publisher, Transport } from '../transport/transport.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../transport/transport.js';
import { PilotError } from '../core/util/errors.js';

export interface BridgeTopic {
  readonly topic: string;
  /** ROS 2 type name, e.g. `sensor_msgs/msg/Image`. */
  readonly type: string;
  readonly qos: QosKind;
}

export interface BridgeSpec {
  /** ZeroMQ → ROS 2. */
  readonly toRos: readonly BridgeTopic[];
  /** ROS 2 → ZeroMQ. */
  readonly fromRos: readonly BridgeTopic[];
}

export interface BridgeRoute extends BridgeTopic {
  readonly direction: 'to_ros' | 'from_ros';
  relayed: number;
}

export class TopicBridge {
  readonly routes: readonly BridgeRoute[];
  readonly #entities: (Publisher | Subscription)[] = [];

  /** `embedded` is the ZeroMQ side, `ros` the ROS 2 side. A topic in both directions would loop: refused. */
  constructor(embedded: Transport, ros: Transport, spec: BridgeSpec) {
    const both = spec.toRos.filter((t) => spec.fromRos.some((f) => f.topic === t.topic));
    if (both.length > 0) throw new PilotError('E_BRIDGE', `topic ${both.map((t) => t.topic).join(', ')} is bridged in both directions, which would loop`);
    const seen = new Set<string>();
    for (const t of [...spec.toRos, ...spec.fromRos]) {
      if (seen.has(t.topic)) throw new PilotError('E_BRIDGE', `topic ${t.topic} is listed twice`);
      seen.add(t.topic);
    }
    const routes: BridgeRoute[] = [];
    try {
      for (const t of spec.toRos) routes.push(this.#relay(embedded, ros, t, 'to_ros'));
      for (const t of spec.fromRos) routes.push(this.#relay(ros, embedded, t, 'from_ros'));
    } catch (err) {
      this.close();
      throw err;
    }
    this.routes = routes;
  }

  close(): void {
    for (const e of this.#entities.splice(0)) e.close();
  }

  #relay(from: Transport, to: Transport, t: BridgeTopic, direction: BridgeRoute['direction']): BridgeRoute {
    const qos = t.qos === 'sensor' ? SENSOR_QOS : RELIABLE_QOS;
    const route: BridgeRoute = { ...t, direction, relayed: 0 };
    const pub = to.advertise<unknown>(t.topic, t.type, qos);
    this.#entities.push(pub);
    this.#entities.push(
      from.subscribe<unknown>(
        t.topic,
        t.type,
        (message) => {
          pub.publish(message);
          route.relayed++;
        },
        qos,
      ),
    );
    return route;
  }
}
