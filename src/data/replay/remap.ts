/** Topic remapping as ROS 2 writes it: `/from:=/to` (bag topic → topic the runtime or subscribers see). */
import { PilotError } from '../../core/util/errors.js';

export type TopicRemap = ReadonlyMap<string, string>;

const TOPIC = /^\/[A-Za-z0-9_~{}/]*$/;

/** Parses `--remap` values; each is `/from:=/to`. Throws E_REMAP naming the bad one. */
export function parseRemaps(specs: readonly string[] | undefined): TopicRemap {
  const map = new Map<string, string>();
  for (const spec of specs ?? []) {
    const m = /^(.+?):=(.+)$/.exec(spec.trim());
    if (!m || !TOPIC.test(m[1]!) || !TOPIC.test(m[2]!)) {
      throw new PilotError('E_REMAP', `--remap '${spec}': expected /from:=/to with absolute topic names`);
    }
    if (map.has(m[1]!)) throw new PilotError('E_REMAP', `--remap '${spec}': ${m[1]} is remapped twice`);
    map.set(m[1]!, m[2]!);
  }
  const targets = [...map.values()];
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw new PilotError('E_REMAP', `two bag topics are remapped onto ${dup}`);
  return map;
}

/** The name a bag topic has after remapping. */
export function remapTopic(remap: TopicRemap, bagTopic: string): string {
  return remap.get(bagTopic) ?? bagTopic;
}

/**
 * The bag topic that appears as `topic` after remapping, among `bagTopics`; undefined when none
 * does. A bag topic remapped away no longer answers to its own name.
 */
export function bagTopicFor(remap: TopicRemap, bagTopics: readonly string[], topic: string): string | undefined {
  for (const [from, to] of remap) if (to === topic && bagTopics.includes(from)) return from;
  if (bagTopics.includes(topic) && !remap.has(topic)) return topic;
  return undefined;
}
