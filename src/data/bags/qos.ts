/**
 * The `offered_qos_profiles` string rosbag2 stores per topic (in metadata.yaml, the MCAP channel
 * metadata and the db3 topics table): a YAML list of rmw QoS profiles as yaml-cpp dumps it. We write
 * the integer enum form of metadata version ≤ 8 (Humble to Jazzy read it; version 9 switched to
 * names, which older distros cannot read).
 */
import { parse } from 'yaml';
import type { QosProfile } from '../../transport/transport.js';

/** rmw enums (rmw/types.h). */
export const RMW_HISTORY = { system_default: 0, keep_last: 1, keep_all: 2, unknown: 3 } as const;
export const RMW_RELIABILITY = { system_default: 0, reliable: 1, best_effort: 2, unknown: 3, best_available: 4 } as const;
export const RMW_DURABILITY = { system_default: 0, transient_local: 1, volatile: 2, unknown: 3, best_available: 4 } as const;
export const RMW_LIVELINESS = { system_default: 0, automatic: 1, manual_by_node: 2, manual_by_topic: 3, unknown: 4, best_available: 5 } as const;

/** RMW_DURATION_INFINITE as rosbag2 writes it: {sec: INT64_MAX / 1e9, nsec: INT64_MAX % 1e9}. */
const INFINITE = { sec: 9223372036, nsec: 854775807 };

export interface RmwQos {
  history: number;
  depth: number;
  reliability: number;
  durability: number;
  deadline: { sec: number; nsec: number };
  lifespan: { sec: number; nsec: number };
  liveliness: number;
  livelinessLeaseDuration: { sec: number; nsec: number };
  avoidRosNamespaceConventions: boolean;
}

/**
 * The rmw profile our QoS hint stands for: `sensor` = best effort, volatile, keep last (depth 1);
 * `reliable` = reliable, volatile, keep last (depth 10).
 */
export function rmwQos(qos: QosProfile): RmwQos {
  const reliable = qos.kind === 'reliable';
  return {
    history: RMW_HISTORY.keep_last,
    depth: qos.depth ?? (reliable ? 10 : 1),
    reliability: reliable ? RMW_RELIABILITY.reliable : RMW_RELIABILITY.best_effort,
    durability: RMW_DURABILITY.volatile,
    deadline: INFINITE,
    lifespan: INFINITE,
    liveliness: RMW_LIVELINESS.automatic,
    livelinessLeaseDuration: INFINITE,
    avoidRosNamespaceConventions: false,
  };
}

const duration = (d: { sec: number; nsec: number }): string => `\n    sec: ${d.sec}\n    nsec: ${d.nsec}`;

/** One profile list as yaml-cpp's `YAML::Dump` writes it (no trailing newline). */
export function offeredQosProfilesYaml(profiles: readonly RmwQos[]): string {
  return profiles
    .map(
      (p) =>
        `- history: ${p.history}\n  depth: ${p.depth}\n  reliability: ${p.reliability}\n  durability: ${p.durability}` +
        `\n  deadline:${duration(p.deadline)}\n  lifespan:${duration(p.lifespan)}\n  liveliness: ${p.liveliness}` +
        `\n  liveliness_lease_duration:${duration(p.livelinessLeaseDuration)}` +
        `\n  avoid_ros_namespace_conventions: ${p.avoidRosNamespaceConventions}`,
    )
    .join('\n');
}

/** `offered_qos_profiles` for a topic recorded with our QoS hint. */
export function offeredQosFor(qos: QosProfile): string {
  return offeredQosProfilesYaml([rmwQos(qos)]);
}

function enumName(table: Record<string, number>, value: unknown): string {
  if (typeof value === 'string') return value;
  const hit = Object.entries(table).find(([, v]) => v === value);
  return hit ? hit[0] : String(value);
}

/**
 * A short description of an offered_qos_profiles string for `bag info`, e.g.
 * `reliable, volatile, keep_last(10)`; both the integer (≤ v8) and the name (v9) forms are read.
 */
export function describeOfferedQos(text: string): string {
  if (text.trim() === '') return '';
  try {
    const list = parse(text) as unknown;
    if (!Array.isArray(list) || list.length === 0) return '';
    const p = list[0] as Record<string, unknown>;
    const history = enumName(RMW_HISTORY, p['history']);
    const hist = history === 'keep_last' ? `keep_last(${String(p['depth'])})` : history;
    const more = list.length > 1 ? ` (+${list.length - 1} more)` : '';
    return `${enumName(RMW_RELIABILITY, p['reliability'])}, ${enumName(RMW_DURABILITY, p['durability'])}, ${hist}${more}`;
  } catch {
    return '(unparsable)';
  }
}
