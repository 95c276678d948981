/**
 * `pilot bag play --foxglove`: the bag's topics (after remapping) as live channels, fed with each
 * message as the player publishes it and stamped with its recorded log time, so viewers see bag time.
 * Definitions: the bag's own, else pilot's vendored ones, else the standard ones of the bag's ROS distro
 * (humble when it names none); pilot's timeline goes out as json. A type none defines is noted and left out.
 */
import type { BagReader } from '../data/bags/bag-reader.js';
import { MessageRegistry } from '../core/messages/registry.js';
import { DEFAULT_ROS_DISTRO } from '../core/messages/ros-distro.js';
import { TICK_TIMELINE_TYPE } from '../core/messages/tick-timeline.js';
import { fullTypeName } from '../core/messages/type-names.js';
import { remapTopic, type TopicRemap } from '../data/replay/remap.js';
import type { LiveView } from './live-view.js';

/** The player's onMessage callback. */
export type PlayedMessage = (topic: string, message: unknown, logTimeNs: bigint) => void;

export function bagLiveTap(live: LiveView, reader: BagReader, remap: TopicRemap, topics?: readonly string[]): PlayedMessage {
  const registry = MessageRegistry.layered(MessageRegistry.builtin(), MessageRegistry.standard(reader.info().distro ?? DEFAULT_ROS_DISTRO));
  const tap = live.messageTap();
  for (const t of reader.topics()) {
    if (topics && !topics.includes(t.name)) continue;
    const type = fullTypeName(t.type);
    // The timeline's json channel needs no definition; addTopic notes a type none defines.
    const schemaText = type === TICK_TIMELINE_TYPE ? undefined : (reader.definitionText(type) ?? (registry.has(type) ? registry.schemaText(type) : undefined));
    tap.addTopic(remapTopic(remap, t.name), type, schemaText);
  }
  return (topic, message, logTimeNs) => tap.message(topic, message, logTimeNs);
}
