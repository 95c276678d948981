/**
 * pilot's QoS hints → rclnodejs QoS profiles.
 *
 * - `sensor`: the policies of rmw's sensor-data profile (best effort, keep last, volatile) with pilot's
 *   depth (1 by default: the newest sample wins, like the other transports). A best-effort subscriber
 *   matches best-effort and reliable publishers alike, so any camera driver connects.
 * - `reliable`: reliable, keep last `depth` (10), volatile — rmw's default profile. Commands and
 *   diagnostics. Volatile subscribers also match transient-local ("latched") publishers.
 * - `latched` (ROS-only, not a transport hint): reliable, keep last 1, transient local — what
 *   `/tf_static` and latched camera_info need.
 */
import type * as rclnodejs from 'rclnodejs';
import type { QosProfile } from '../transport/transport.js';
import type { RclnodejsApi } from './rclnodejs-api.js';

export interface RosQosPolicies {
  readonly history: 'keep_last';
  readonly depth: number;
  readonly reliability: 'best_effort' | 'reliable';
  readonly durability: 'volatile' | 'transient_local';
}

/** The policies a pilot QoS hint maps to (also what the README table says). */
export function qosPolicies(profile: QosProfile | 'latched'): RosQosPolicies {
  if (profile === 'latched') return { history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'transient_local' };
  if (profile.kind === 'sensor') return { history: 'keep_last', depth: profile.depth ?? 1, reliability: 'best_effort', durability: 'volatile' };
  return { history: 'keep_last', depth: profile.depth ?? 10, reliability: 'reliable', durability: 'volatile' };
}

/** Builds the rclnodejs QoS object for a hint. */
export function rosQos(api: RclnodejsApi, profile: QosProfile | 'latched'): rclnodejs.QoS {
  const p = qosPolicies(profile);
  const { HistoryPolicy, ReliabilityPolicy, DurabilityPolicy } = api.QoS;
  return new api.QoS(
    HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    p.depth,
    p.reliability === 'reliable' ? ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
    p.durability === 'volatile' ? DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE : DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL,
  );
}
