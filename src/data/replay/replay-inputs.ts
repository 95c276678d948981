/**
 * Replay, step 1 — open the inputs: check the options, find the replayed window in the bag, adapt
 * each model's camera to the bag's topics and find the recorded commands to evaluate against.
 */
import type { BagReader } from '../bags/bag-reader.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { fullTypeName } from '../../core/messages/type-names.js';
import { PilotError } from '../../core/util/errors.js';
import { COMMAND_MESSAGE_TYPES } from './command-fields.js';
import { bagTopicFor, type TopicRemap } from './remap.js';
import type { ReplayOptions } from './replay-types.js';

export const IMAGE = 'sensor_msgs/msg/Image';
export const COMPRESSED = 'sensor_msgs/msg/CompressedImage';
export const CAMERA_INFO = 'sensor_msgs/msg/CameraInfo';

/** The replayed window: log times, and s from the bag's first message. */
export interface ReplayWindow {
  /** The bag's storage format. */
  readonly storage: string;
  readonly bagStart: bigint;
  readonly bagEnd: bigint;
  readonly durationS: number;
  readonly startS: number;
  readonly windowStart: bigint;
  readonly windowEnd: bigint;
}

/** The recorded commands the predictions are evaluated against; `messages` counts those replayed. */
export interface RecordedCommands {
  readonly topic: string;
  readonly bagTopic: string;
  readonly type: string;
  messages: number;
}

/** The bag's topics as the runtimes will read them. */
export interface ReplayTopicPlan {
  /** Bag topic → full message type name. */
  readonly bagTypes: ReadonlyMap<string, string>;
  readonly bagNames: readonly string[];
  /** Each model's config, its camera adapted to the bag. */
  readonly configs: readonly PilotConfig[];
  readonly reference: RecordedCommands | null;
}

export function safeType(type: string): string {
  try {
    return fullTypeName(type);
  } catch {
    return type;
  }
}

/** Checks the options that need no bag; returns the mode and rate. */
export function checkReplayOptions(options: ReplayOptions): { mode: 'fast' | 'realtime'; rate: number } {
  if (options.models.length === 0) throw new PilotError('E_REPLAY', 'replay needs at least one model');
  const mode = options.mode ?? 'fast';
  const rate = options.rate ?? 1;
  if (!(rate > 0 && Number.isFinite(rate))) throw new PilotError('E_REPLAY', `--rate must be a positive number, got ${rate}`);
  if (mode === 'realtime' && options.models.length > 1) {
    throw new PilotError('E_REPLAY', 'comparing models runs as fast as possible (deterministic): drop --realtime');
  }
  return { mode, rate };
}

/** The window to replay, from `startS`/`endS` (s from the bag's first message). */
export function openWindow(reader: BagReader, options: Pick<ReplayOptions, 'startS' | 'endS'>): ReplayWindow {
  const info = reader.info();
  if (info.startNs === undefined || info.endNs === undefined || info.messageCount === 0) {
    throw new PilotError('E_REPLAY_EMPTY', `${reader.path}: the bag holds no messages`);
  }
  const bagStart = info.startNs;
  const bagEnd = info.endNs;
  const startS = options.startS ?? 0;
  const durationS = Number(bagEnd - bagStart) / 1e9;
  if (!(startS >= 0)) throw new PilotError('E_REPLAY_WINDOW', `--start must be ≥ 0 s, got ${startS}`);
  if (options.endS !== undefined && !(options.endS > startS)) {
    throw new PilotError('E_REPLAY_WINDOW', `--end (${options.endS} s) must be after --start (${startS} s)`);
  }
  if (startS > durationS) throw new PilotError('E_REPLAY_WINDOW', `--start ${startS} s is past the end of the bag (${durationS.toFixed(3)} s)`);
  const windowStart = bagStart + BigInt(Math.round(startS * 1e9));
  const windowEnd = options.endS === undefined ? bagEnd : minBig(bagEnd, bagStart + BigInt(Math.round(options.endS * 1e9)));
  return { storage: info.storage, bagStart, bagEnd, durationS, startS, windowStart, windowEnd };
}

/** Each model's camera adapted to the bag, and the recorded commands (notes say what was adapted). */
export function planTopics(reader: BagReader, options: ReplayOptions, remap: TopicRemap, notes: string[]): ReplayTopicPlan {
  const bagTypes = new Map(reader.topics().map((t) => [t.name, safeType(t.type)]));
  const bagNames = [...bagTypes.keys()];
  for (const [from] of remap) if (!bagTypes.has(from)) notes.push(`--remap ${from}: the bag has no such topic`);
  const configs = options.models.map((m) => adaptCamera(m.config, bagTypes, remap, notes));
  const uniqueNotes = [...new Set(notes)];
  notes.length = 0;
  notes.push(...uniqueNotes);
  const reference = recordedCommands(options.referenceTopic, configs, bagTypes, remap, notes);
  return { bagTypes, bagNames, configs, reference };
}

function recordedCommands(
  referenceOption: string | null | undefined,
  configs: readonly PilotConfig[],
  bagTypes: ReadonlyMap<string, string>,
  remap: TopicRemap,
  notes: string[],
): RecordedCommands | null {
  const first = configs[0]!;
  const commandKind = first.outputs.command.type;
  for (const c of configs) {
    if (c.outputs.command.type !== commandKind) throw new PilotError('E_REPLAY', 'all compared models must publish the same command type');
  }
  const referenceTopic = referenceOption === undefined ? first.outputs.command.topic : referenceOption;
  let reference: RecordedCommands | null = null;
  if (referenceTopic !== null) {
    const bagTopic = bagTopicFor(remap, [...bagTypes.keys()], referenceTopic);
    if (bagTopic === undefined) {
      notes.push(`the bag has no recorded commands on ${referenceTopic}: predictions only, no error against recorded commands`);
    } else {
      const type = bagTypes.get(bagTopic)!;
      const want = COMMAND_MESSAGE_TYPES[commandKind];
      if (type !== want) {
        throw new PilotError(
          'E_REPLAY_REFERENCE',
          `recorded commands on ${bagTopic} are ${type} but the runtime publishes ${want} (outputs.command.type ${commandKind}): ` +
            'they cannot be compared field by field (--reference none replays without evaluation)',
        );
      }
      reference = { topic: referenceTopic, bagTopic, type, messages: 0 };
    }
  }
  return reference;
}

/**
 * The camera the runtime will read, adapted to the bag when that is unambiguous: an Image topic
 * recorded as CompressedImage (or the reverse) switches the config's camera type, and a bag without
 * the configured topic but with exactly one camera topic uses that one. Anything else is an error.
 */
export function adaptCamera(config: PilotConfig, bagTypes: ReadonlyMap<string, string>, remap: TopicRemap, notes: string[]): PilotConfig {
  const camera = config.inputs.camera;
  const names = [...bagTypes.keys()];
  const wantType = camera.type === 'image' ? IMAGE : COMPRESSED;
  const isCamera = (t: string | undefined): boolean => t === IMAGE || t === COMPRESSED;
  const withCamera = (topic: string, type: string): PilotConfig => ({
    ...config,
    inputs: { ...config.inputs, camera: { ...camera, topic, type: type === IMAGE ? 'image' : 'compressed' } },
  });
  const bagTopic = bagTopicFor(remap, names, camera.topic);
  if (bagTopic !== undefined) {
    const type = bagTypes.get(bagTopic)!;
    if (type === wantType) return config;
    if (isCamera(type)) {
      notes.push(`the bag records ${bagTopic} as ${type}: the runtime reads it as ${type === IMAGE ? 'image' : 'compressed'} (config says ${camera.type})`);
      return withCamera(camera.topic, type);
    }
    throw new PilotError('E_REPLAY_TOPIC', `camera topic ${bagTopic} is ${type} in the bag, not ${IMAGE} or ${COMPRESSED}`);
  }
  const candidates = names.filter((n) => isCamera(bagTypes.get(n)) && !remap.has(n));
  const remapped = [...remap.entries()].filter(([from]) => isCamera(bagTypes.get(from))).map(([, to]) => to);
  const all = [...candidates, ...remapped];
  const preferred = all.find((n) => n === `${camera.topic}/compressed`);
  const pick = preferred ?? (all.length === 1 ? all[0] : undefined);
  if (pick !== undefined) {
    const from = bagTopicFor(remap, names, pick)!;
    const type = bagTypes.get(from)!;
    notes.push(`the bag has no ${camera.topic}: the runtime reads the camera from ${pick} (${type}); --remap <bag topic>:=${camera.topic} to choose another`);
    return withCamera(pick, type);
  }
  const listed = names.map((n) => `${n} (${bagTypes.get(n)})`).join(', ') || 'none';
  throw new PilotError(
    'E_REPLAY_TOPIC',
    `the bag has no camera topic ${camera.topic} for the runtime` +
      (all.length > 1 ? ` and several candidates (${all.join(', ')}): pick one with --remap <bag topic>:=${camera.topic}` : `; its topics: ${listed}`),
  );
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
