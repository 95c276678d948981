/**
 * Which bag topic a dataset reads for each role (camera, commands, joint states): the one named
 * (it must exist and have a type the role accepts), else the default, else the bag's only candidate
 * (noted), else an error naming the candidates or listing the bag's topics.
 */
import type { BagTopicInfo } from '../../data/bags/bag-reader.js';
import { PilotError } from '../../core/util/errors.js';

export const IMAGE = 'sensor_msgs/msg/Image';
export const COMPRESSED = 'sensor_msgs/msg/CompressedImage';

export const DEFAULT_CAMERA_TOPIC = '/camera/image_raw';

/** A role a topic plays in a dataset, in the words errors and notes use. */
export interface TopicRole {
  /** `camera`, `command`, `joint state`. */
  readonly what: string;
  /** Message types the role accepts. */
  readonly types: readonly string[];
  /** The accepted types in short, for "no … topic X (…)". */
  readonly typesText: string;
  /** What the note says is read: `the camera`, `commands`, `joint states`. */
  readonly reads: string;
  /** The note names the picked topic's type. */
  readonly noteType: boolean;
}

const CAMERA: TopicRole = { what: 'camera', types: [IMAGE, COMPRESSED], typesText: 'Image or CompressedImage', reads: 'the camera', noteType: true };

export function listTopics(topics: readonly BagTopicInfo[]): string {
  return topics.map((t) => `${t.name} (${t.type}, ${t.messageCount})`).join(', ') || 'none';
}

/**
 * The topic for `role`: `requested` must exist; without one, `defaultTopic`, then `preferred` (when
 * given) among the candidates, then the bag's only candidate.
 */
export function resolveTopic(
  role: TopicRole,
  topics: readonly BagTopicInfo[],
  requested: string | undefined,
  bagPath: string,
  notes: string[],
  defaultTopic: string,
  preferred?: string,
): BagTopicInfo {
  const accepts = (t: BagTopicInfo): boolean => role.types.includes(t.type);
  const want = requested ?? defaultTopic;
  const exact = topics.find((t) => t.name === want);
  if (exact) {
    if (!accepts(exact)) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: ${role.what} topic ${want} is ${exact.type}, not ${role.types.join(' or ')}`);
    return exact;
  }
  if (requested === undefined) {
    const candidates = topics.filter(accepts);
    const pick = candidates.find((t) => t.name === preferred) ?? (candidates.length === 1 ? candidates[0] : undefined);
    if (pick) {
      notes.push(`no ${want}: reading ${role.reads} from ${pick.name}${role.noteType ? ` (${pick.type})` : ''}`);
      return pick;
    }
    if (candidates.length > 1) {
      throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no ${role.what} topic ${want} and several candidates (${candidates.map((t) => t.name).join(', ')}): name one as the ${role.what} topic`);
    }
  }
  throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no ${role.what} topic ${want} (${role.typesText}); the bag has: ${listTopics(topics)}`);
}

/**
 * The camera topic to read, by the same rules as replay's camera adaptation: `requested` must exist;
 * without one, `defaultTopic`, then `<defaultTopic>/compressed`, then the bag's only camera topic.
 */
export function resolveCameraTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[], defaultTopic = DEFAULT_CAMERA_TOPIC): BagTopicInfo {
  return resolveTopic(CAMERA, topics, requested, bagPath, notes, defaultTopic, `${requested ?? defaultTopic}/compressed`);
}
