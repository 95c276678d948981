/**
 * Arm bags → ImageDataset with states. Each bag is one episode. Every camera frame (after the stride)
 * is paired with
 *  - the latest sensor_msgs/JointState at or before the frame's time (the state the runtime would
 *    have fed the network), read by joint NAME (any order; extra joints ignored), not older than
 *    `maxStateAgeMs`; a message that lacks a joint, repeats one or has a non-finite position makes
 *    the frames it is the latest state for unusable (`bad_state`), as the runtime rejects it;
 *  - the joint command in force at frame time + `latencyMs`: trajectory_msgs/JointTrajectory (first
 *    point's positions, by `joint_names`) or std_msgs/Float64MultiArray (data in joint order),
 *    not older than `maxCommandGapMs`.
 * Labels are the commanded positions mapped into the network's raw space with the contract's action
 * fields (raw = (rad − offset) / scale); states stay in rad (the network normalises them itself).
 * Times are log (receive) times: one clock for every topic.
 *
 * One pass per bag, as datasetFromBags: frames are extracted as they stream by and paired after the
 * pass, once all states and commands are known.
 */
import { basename } from 'node:path';
import type { BagReader, BagTopicInfo } from '../../data/bags/bag-reader.js';
import { BagError } from '../../data/bags/errors.js';
import { openBag } from '../../data/bags/node-io.js';
import type { CameraCalibration } from '../../core/calibration/camera.js';
import type { CompressedImage, Float64MultiArray, Image, JointState, JointTrajectory } from '../../core/messages/types.js';
import type { CameraContractInput, ContractOutputField, ModelContract, StateContractInput } from '../../runtime/policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { summarizeTargets, type ImageDataset, type TargetSummary } from './dataset.js';
import { FrameExtractor, modelInputSize, type ImageSize } from './frame-extractor.js';
import { describeCounts, describeImage, fmtMs, lastAtOrBefore, listTopics, resolveCameraTopic, sourceSize, zeroCounts, type BagInput } from './from-bags.js';

const JOINT_STATE = 'sensor_msgs/msg/JointState';
const TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory';
const MULTI_ARRAY = 'std_msgs/msg/Float64MultiArray';

export const DEFAULT_ARM_CAMERA_TOPIC = '/arm_camera/image_raw';
export const DEFAULT_JOINT_STATE_TOPIC = '/joint_states';
/** Tried in this order when no command topic is named. */
export const DEFAULT_ARM_COMMAND_TOPICS: readonly string[] = ['/arm_controller/joint_trajectory', '/forward_position_controller/commands'];

/** What an arm dataset holds: the camera input, the action fields (one per joint, joint order) and the state's joint names. */
export interface ArmDatasetSpec {
  readonly input: CameraContractInput;
  /** Action fields, one per joint in joint order: name = joint name, raw = (rad − offset) / scale. */
  readonly fields: readonly ContractOutputField[];
  /** Joint names of the state vector, joint order (default: the fields' names). */
  readonly stateNames?: readonly string[];
}

/** The camera input, the state input's fields and the action fields of an arm contract. */
export function armSpecFromContract(contract: ModelContract): ArmDatasetSpec {
  const fail = (what: string): never => {
    throw new PilotError('E_DATASET_CONTRACT', `contract ${contract.id}: ${what}`);
  };
  if (contract.profile !== 'arm') fail(`profile is '${contract.profile}', the arm dataset builder needs an 'arm' contract`);
  const cameras = contract.inputs.filter((i): i is CameraContractInput => i.role === 'camera');
  const states = contract.inputs.filter((i): i is StateContractInput => i.role === 'state');
  if (cameras.length !== 1) fail(`the arm dataset builder needs exactly one camera input, the contract has ${cameras.length}`);
  if (states.length !== 1) fail(`the arm dataset builder needs exactly one state input (the joint state), the contract has ${states.length}`);
  return { input: cameras[0]!, fields: contract.outputs[0]!.fields, stateNames: states[0]!.fields };
}

export interface ArmBagDatasetOptions {
  readonly spec: ArmDatasetSpec;
  /** The camera calibration the runtime will use, or just its image size (default: each bag's first frame's size). */
  readonly camera?: CameraCalibration | ImageSize;
  /** Image or CompressedImage. Default /arm_camera/image_raw, then …/compressed, then the bag's only camera topic (noted). */
  readonly cameraTopic?: string;
  /** sensor_msgs/JointState. Default /joint_states, else the bag's only JointState topic (noted). */
  readonly jointStateTopic?: string;
  /**
   * JointTrajectory or Float64MultiArray. Default /arm_controller/joint_trajectory, then
   * /forward_position_controller/commands, else the bag's only topic of either type (noted).
   */
  readonly commandTopic?: string;
  /** Label = command in force at frame time + this, ms (default 0). */
  readonly latencyMs?: number;
  /** A command older than this at the labelled time no longer counts, ms (default 500). */
  readonly maxCommandGapMs?: number;
  /** A joint state older than this at the frame's time no longer counts, ms (default 200). */
  readonly maxStateAgeMs?: number;
  /** Use every n-th camera frame of each bag (default 1). */
  readonly stride?: number;
  readonly maxFramesPerBag?: number;
  readonly maxFrames?: number;
  /** Raw labels are clamped to ±this (default 1: tanh cannot go beyond; null = no clamp). */
  readonly rawLimit?: number | null;
  /** Fewer frames than this in all is an error (default 32). */
  readonly minFrames?: number;
  /** Labels spanning less than this on every joint (max − min, rad) are an error (default 0.01). */
  readonly minTargetRangeRad?: number;
  /** Skip the two degenerate-data checks above. */
  readonly allowDegenerate?: boolean;
  readonly episodeNames?: readonly string[];
  readonly log?: (line: string) => void;
}

/**
 * Why a camera frame was not used. `stride` and `max_frames` are by choice; `no_state` /
 * `stale_state` / `bad_state` concern the joint state, `no_command` / `stale_command` /
 * `bad_command` the label; `unreadable` counts corrupt chunks and undecodable messages on any topic.
 */
export type ArmSkipReason =
  | 'stride'
  | 'max_frames'
  | 'no_state'
  | 'stale_state'
  | 'bad_state'
  | 'no_command'
  | 'stale_command'
  | 'bad_command'
  | 'bad_frame'
  | 'undecodable'
  | 'unreadable';

export const ARM_SKIP_REASONS: readonly ArmSkipReason[] = ['stride', 'max_frames', 'no_state', 'stale_state', 'bad_state', 'no_command', 'stale_command', 'bad_command', 'bad_frame', 'undecodable', 'unreadable'];

export interface ArmBagReport {
  readonly name: string;
  readonly path: string;
  readonly cameraTopic: string;
  readonly cameraType: string;
  readonly stateTopic: string;
  readonly commandTopic: string;
  readonly commandType: string;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  readonly framesSeen: number;
  /** JointState messages read, and how many of them were rejected (missing/duplicate joint, bad position). */
  readonly states: number;
  readonly badStates: number;
  readonly commands: number;
  readonly badCommands: number;
  readonly used: number;
  readonly skipped: Readonly<Record<ArmSkipReason, number>>;
  readonly notes: readonly string[];
}

export interface ArmDatasetReport {
  readonly bags: readonly ArmBagReport[];
  readonly framesSeen: number;
  readonly used: number;
  readonly skipped: Readonly<Record<ArmSkipReason, number>>;
  /** Labels clamped to ±rawLimit, per joint. */
  readonly clamped: Readonly<Record<string, number>>;
  /** Labels (raw) and states (rad) per joint. */
  readonly targets: readonly TargetSummary[];
  readonly states: readonly TargetSummary[];
  readonly notes: readonly string[];
}

export interface ArmBagDataset {
  readonly dataset: ImageDataset;
  readonly report: ArmDatasetReport;
}

const zeroSkips = (): Record<ArmSkipReason, number> => zeroCounts(ARM_SKIP_REASONS);

interface Growable {
  images: Uint8Array;
  targets: Float32Array;
  states: Float32Array;
  episodes: Int32Array;
  count: number;
}

interface Checked {
  readonly latencyMs: number;
  readonly maxCommandGapMs: number;
  readonly maxStateAgeMs: number;
  readonly stride: number;
  readonly maxFramesPerBag: number;
  readonly maxFrames: number;
  readonly rawLimit: number | null;
  readonly minFrames: number;
  readonly minTargetRangeRad: number;
  readonly allowDegenerate: boolean;
}

export async function armDatasetFromBags(bags: readonly BagInput[], options: ArmBagDatasetOptions): Promise<ArmBagDataset> {
  const o = checkOptions(bags, options);
  const { input, fields } = options.spec;
  const jointNames = fields.map((f) => f.name);
  const stateNames = [...(options.spec.stateNames ?? jointNames)];
  const { height, width } = modelInputSize(input);
  const frameBytes = height * width * 3;
  const shared = options.camera ? new FrameExtractor(input, options.camera) : undefined;
  const out: Growable = { images: new Uint8Array(0), targets: new Float32Array(0), states: new Float32Array(0), episodes: new Int32Array(0), count: 0 };
  const bagReports: ArmBagReport[] = [];
  const clamped: Record<string, number> = Object.fromEntries(jointNames.map((n) => [n, 0]));
  const notes: string[] = [];
  const episodeNames: string[] = [];

  for (let b = 0; b < bags.length; b++) {
    if (out.count >= o.maxFrames) {
      notes.push(`stopped before ${typeof bags[b] === 'string' ? bags[b] : (bags[b] as BagReader).path}: ${o.maxFrames} frames reached`);
      break;
    }
    const bag = bags[b]!;
    const reader = typeof bag === 'string' ? await openBag(bag, { warn: () => {} }) : bag;
    try {
      const name = options.episodeNames?.[b] ?? (basename(reader.path.replace(/[\\/]+$/, '')) || `bag${b}`);
      const report = await readArmBag(reader, name, b, {
        o,
        options,
        input,
        fields,
        jointNames,
        stateNames,
        extractor: shared,
        out,
        frameBytes,
        clamped,
        frameBudget: Math.min(o.maxFramesPerBag, o.maxFrames - out.count),
      });
      bagReports.push(report);
      episodeNames.push(name);
      for (const n of report.notes) options.log?.(`${name}: ${n}`);
    } finally {
      if (typeof bag === 'string') await reader.close();
    }
  }

  const count = out.count;
  const k = fields.length;
  const m = stateNames.length;
  const dataset: ImageDataset = {
    images: out.images.slice(0, count * frameBytes),
    height,
    width,
    targets: out.targets.slice(0, count * k),
    targetNames: jointNames,
    episodes: out.episodes.slice(0, count),
    episodeNames,
    count,
    states: out.states.slice(0, count * m),
    stateNames,
  };
  const skipped = zeroSkips();
  for (const r of bagReports) for (const reason of ARM_SKIP_REASONS) skipped[reason] += r.skipped[reason];
  for (const [name, n] of Object.entries(clamped)) if (n > 0) notes.push(`${n} ${name} label(s) outside ±${o.rawLimit} in raw space (beyond the joint limits), clamped`);
  const report: ArmDatasetReport = {
    bags: bagReports,
    framesSeen: bagReports.reduce((s, r) => s + r.framesSeen, 0),
    used: count,
    skipped,
    clamped,
    targets: summarizeTargets(dataset),
    states: summarizeStates(dataset),
    notes,
  };
  if (!o.allowDegenerate) checkDegenerate(dataset, fields, report, o);
  return { dataset, report };
}

/** Per-state min/max/mean/std (rad for joint positions). */
export function summarizeStates(ds: ImageDataset): TargetSummary[] {
  if (!ds.states || !ds.stateNames) return [];
  return summarizeTargets({ ...ds, targets: ds.states, targetNames: ds.stateNames });
}

function checkOptions(bags: readonly BagInput[], options: ArmBagDatasetOptions): Checked {
  const bad = (what: string): never => {
    throw new PilotError('E_DATASET_OPTIONS', what);
  };
  if (bags.length === 0) bad('no bags given');
  const finite = (name: string, v: number | undefined, d: number, min: number): number => {
    const x = v ?? d;
    if (!(Number.isFinite(x) && x >= min)) bad(`${name} must be a number ≥ ${min}, got ${v}`);
    return x;
  };
  const count = (name: string, v: number | undefined, d: number, min: number): number => {
    const x = v ?? d;
    if (!(x === Infinity || (Number.isInteger(x) && x >= min))) bad(`${name} must be an integer ≥ ${min}, got ${v}`);
    return x;
  };
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs)) bad(`latencyMs must be a finite number, got ${latencyMs}`);
  const rawLimit = options.rawLimit === undefined ? 1 : options.rawLimit;
  if (rawLimit !== null && !(rawLimit > 0)) bad(`rawLimit must be positive or null, got ${rawLimit}`);
  if (options.episodeNames && options.episodeNames.length !== bags.length) bad(`${options.episodeNames.length} episode names for ${bags.length} bags`);
  const { fields, stateNames } = options.spec;
  if (fields.length === 0) bad('the contract has no action fields (joints)');
  const names = fields.map((f) => f.name);
  if (new Set(names).size !== names.length) bad(`action fields [${names.join(', ')}] repeat a joint`);
  for (const f of fields) if (!(f.scale !== 0 && Number.isFinite(f.scale) && Number.isFinite(f.offset))) bad(`action field '${f.name}': scale ${f.scale} / offset ${f.offset} cannot map joint positions to raw values`);
  if (stateNames) {
    if (stateNames.length === 0) bad('stateNames is empty');
    if (new Set(stateNames).size !== stateNames.length) bad(`state fields [${stateNames.join(', ')}] repeat a joint`);
  }
  return {
    latencyMs,
    maxCommandGapMs: finite('maxCommandGapMs', options.maxCommandGapMs, 500, 0),
    maxStateAgeMs: finite('maxStateAgeMs', options.maxStateAgeMs, 200, 0),
    stride: count('stride', options.stride, 1, 1),
    maxFramesPerBag: count('maxFramesPerBag', options.maxFramesPerBag, Infinity, 1),
    maxFrames: count('maxFrames', options.maxFrames, Infinity, 1),
    rawLimit,
    minFrames: count('minFrames', options.minFrames, 32, 0),
    minTargetRangeRad: finite('minTargetRangeRad', options.minTargetRangeRad, 0.01, 0),
    allowDegenerate: options.allowDegenerate ?? false,
  };
}

/** The JointState topic: the one named, else /joint_states, else the bag's only JointState topic. */
export function resolveJointStateTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[]): BagTopicInfo {
  const want = requested ?? DEFAULT_JOINT_STATE_TOPIC;
  const exact = topics.find((t) => t.name === want);
  if (exact) {
    if (exact.type !== JOINT_STATE) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: joint state topic ${want} is ${exact.type}, not ${JOINT_STATE}`);
    return exact;
  }
  if (requested === undefined) {
    const all = topics.filter((t) => t.type === JOINT_STATE);
    if (all.length === 1) {
      notes.push(`no ${want}: reading joint states from ${all[0]!.name}`);
      return all[0]!;
    }
    if (all.length > 1) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no joint state topic ${want} and several candidates (${all.map((t) => t.name).join(', ')}): name one as the joint state topic`);
  }
  throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no joint state topic ${want} (${JOINT_STATE}); the bag has: ${listTopics(topics)}`);
}

/** The joint command topic: JointTrajectory or Float64MultiArray. */
export function resolveArmCommandTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[]): BagTopicInfo {
  const isCommand = (t: BagTopicInfo): boolean => t.type === TRAJECTORY || t.type === MULTI_ARRAY;
  if (requested !== undefined) {
    const exact = topics.find((t) => t.name === requested);
    if (!exact) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no command topic ${requested}; the bag has: ${listTopics(topics)}`);
    if (!isCommand(exact)) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: command topic ${requested} is ${exact.type}, not ${TRAJECTORY} or ${MULTI_ARRAY}`);
    return exact;
  }
  for (const want of DEFAULT_ARM_COMMAND_TOPICS) {
    const t = topics.find((x) => x.name === want && isCommand(x));
    if (t) return t;
  }
  const all = topics.filter(isCommand);
  if (all.length === 1) {
    notes.push(`no ${DEFAULT_ARM_COMMAND_TOPICS.join(' or ')}: reading joint commands from ${all[0]!.name} (${all[0]!.type})`);
    return all[0]!;
  }
  if (all.length > 1) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no command topic ${DEFAULT_ARM_COMMAND_TOPICS.join(' or ')} and several candidates (${all.map((t) => t.name).join(', ')}): name one as the command topic`);
  throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no joint command topic (${DEFAULT_ARM_COMMAND_TOPICS.join(' or ')}, ${TRAJECTORY} or ${MULTI_ARRAY}); the bag has: ${listTopics(topics)}`);
}

/**
 * Positions of `names` (in that order) from parallel name/position lists, into `out` at `at`; returns
 * '' or why the message cannot be used (missing or repeated joint, too few positions, non-finite).
 * Names not in `names` are ignored (a gripper, another arm).
 */
export function positionsByName(names: readonly string[], index: ReadonlyMap<string, number>, msgNames: readonly string[], positions: ArrayLike<number> | undefined, out: Float64Array, at: number): string {
  const n = names.length;
  const seen = new Uint8Array(n);
  if (!positions || positions.length < msgNames.length) return `${msgNames.length} names but ${positions?.length ?? 0} positions`;
  for (let i = 0; i < msgNames.length; i++) {
    const j = index.get(msgNames[i]!);
    if (j === undefined) continue;
    if (seen[j]) return `joint '${msgNames[i]}' appears twice`;
    seen[j] = 1;
    const v = positions[i]!;
    if (!Number.isFinite(v)) return `joint '${msgNames[i]}' position is ${v}`;
    out[at + j] = v;
  }
  for (let j = 0; j < n; j++) if (!seen[j]) return `no joint '${names[j]}' (has ${msgNames.join(', ') || 'none'})`;
  return '';
}

interface BagContext {
  readonly o: Checked;
  readonly options: ArmBagDatasetOptions;
  readonly input: CameraContractInput;
  readonly fields: readonly ContractOutputField[];
  readonly jointNames: readonly string[];
  readonly stateNames: readonly string[];
  readonly extractor: FrameExtractor | undefined;
  readonly out: Growable;
  readonly frameBytes: number;
  readonly clamped: Record<string, number>;
  readonly frameBudget: number;
}

function ensureCapacity(out: Growable, frames: number, frameBytes: number, k: number, m: number): void {
  if (out.episodes.length >= frames) return;
  const n = Math.max(frames, Math.ceil(out.episodes.length * 1.5), 16);
  const grow = <T extends Uint8Array | Float32Array | Int32Array>(a: T, per: number, make: (len: number) => T): T => {
    const b = make(n * per);
    b.set(a.subarray(0, out.count * per) as never);
    return b;
  };
  out.images = grow(out.images, frameBytes, (l) => new Uint8Array(l));
  out.targets = grow(out.targets, k, (l) => new Float32Array(l));
  out.states = grow(out.states, m, (l) => new Float32Array(l));
  out.episodes = grow(out.episodes, 1, (l) => new Int32Array(l));
}

/** Timed, validated joint vectors (states or commands) of one bag. */
class JointSeries {
  times: number[] = [];
  values = new Float64Array(64);
  /** '' when usable, else why not. */
  problems: string[] = [];
  bad = 0;
  firstProblem = '';

  constructor(readonly n: number) {}

  /** Room for one more vector; returns its offset. */
  slot(): number {
    const at = this.times.length * this.n;
    if (at + this.n > this.values.length) {
      const v = new Float64Array(Math.max(2 * this.values.length, at + this.n));
      v.set(this.values);
      this.values = v;
    }
    return at;
  }

  push(tMs: number, problem: string): void {
    if (problem) {
      this.bad++;
      this.firstProblem ||= `${fmtMs(tMs)}: ${problem}`;
    }
    this.times.push(tMs);
    this.problems.push(problem);
  }

  /** Times ascending and the entry index of each (log order is time order already; a stable sort keeps ties in order). */
  sorted(): { times: number[]; order: number[] } {
    const order = this.times.map((_, i) => i).sort((a, b) => this.times[a]! - this.times[b]! || a - b);
    return { times: order.map((i) => this.times[i]!), order };
  }
}

async function readArmBag(reader: BagReader, name: string, episode: number, c: BagContext): Promise<ArmBagReport> {
  const notes: string[] = [];
  const topics = reader.topics();
  const { o, out, frameBytes, fields, jointNames, stateNames } = c;
  const camera = resolveCameraTopic(topics, c.options.cameraTopic, reader.path, notes, DEFAULT_ARM_CAMERA_TOPIC);
  const stateTopic = resolveJointStateTopic(topics, c.options.jointStateTopic, reader.path, notes);
  const command = resolveArmCommandTopic(topics, c.options.commandTopic, reader.path, notes);
  const k = jointNames.length;
  const m = stateNames.length;
  const jointIndex = new Map(jointNames.map((n, i) => [n, i]));
  const stateIndex = new Map(stateNames.map((n, i) => [n, i]));

  const baseNs = reader.info().startNs ?? 0n;
  const skipped = zeroSkips();
  const states = new JointSeries(m);
  const commands = new JointSeries(k);
  const frameTimes: number[] = [];
  const start = out.count;
  let extractor = c.extractor;
  let framesSeen = 0;
  let firstUndecodable = '';
  let firstBadFrame = '';
  const expected = Math.min(c.frameBudget, Math.ceil(camera.messageCount / o.stride));
  ensureCapacity(out, start + Math.max(expected, 1), frameBytes, k, m);
  const onError = (err: BagError): void => {
    skipped.unreadable++;
    if (skipped.unreadable <= 3) notes.push(`unreadable: ${err.message}`);
  };
  let maxCmdMs = -Infinity;

  for await (const msg of reader.messages({ topics: [camera.name, stateTopic.name, command.name], reuseBuffers: true, onError })) {
    let message: unknown;
    try {
      message = reader.decode(msg);
    } catch (err) {
      if (!(err instanceof BagError)) throw err;
      onError(err);
      continue;
    }
    const tMs = Number(msg.logTimeNs - baseNs) / 1e6;
    if (msg.topic === stateTopic.name) {
      const js = message as Partial<JointState> | undefined;
      const at = states.slot();
      states.push(tMs, positionsByName(stateNames, stateIndex, js?.name ?? [], js?.position, states.values, at));
      continue;
    }
    if (msg.topic === command.name) {
      const at = commands.slot();
      commands.push(tMs, readCommand(command.type, message, jointNames, jointIndex, commands.values, at));
      if (tMs > maxCmdMs) maxCmdMs = tMs;
      continue;
    }
    // A camera frame.
    const index = framesSeen++;
    if (index % o.stride !== 0) {
      skipped.stride++;
      continue;
    }
    const candidates = frameTimes.length;
    if (candidates >= c.frameBudget) {
      skipped.max_frames++;
      if (maxCmdMs >= frameTimes[candidates - 1]! + o.latencyMs) {
        notes.push(`stopped reading at camera frame ${index}: ${c.frameBudget} frame(s) taken`);
        break;
      }
      continue;
    }
    const img = message as Image | CompressedImage;
    if (!extractor) {
      const size = sourceSize(img);
      if (!size) {
        skipped.undecodable++;
        firstUndecodable ||= `frame ${index}: ${describeImage(img)} does not decode`;
        continue;
      }
      extractor = new FrameExtractor(c.input, size);
    }
    ensureCapacity(out, start + candidates + 1, frameBytes, k, m);
    const result = extractor.extractMessage(img, out.images, (start + candidates) * frameBytes);
    if (result === 'bad_size') {
      throw new PilotError(
        'E_DATASET_IMAGE_SIZE',
        `${reader.path}: ${camera.name} frame ${index}: ${extractor.lastRejection}` + (c.extractor ? ' (give the calibration of the camera that recorded this bag)' : ' (the camera changed size within the bag)'),
      );
    }
    if (result === 'bad_encoding') throw new PilotError('E_DATASET_ENCODING', `${reader.path}: ${camera.name} frame ${index}: ${extractor.lastRejection}`);
    if (result === 'undecodable') {
      skipped.undecodable++;
      firstUndecodable ||= `frame ${index}: ${extractor.lastRejection}`;
      continue;
    }
    if (result === 'bad_step') {
      skipped.bad_frame++;
      firstBadFrame ||= `frame ${index}: ${extractor.lastRejection}`;
      continue;
    }
    frameTimes.push(tMs);
  }
  if (firstUndecodable) notes.push(`${skipped.undecodable} frame(s) did not decode, first: ${firstUndecodable}`);
  if (firstBadFrame) notes.push(`${skipped.bad_frame} malformed frame(s), first: ${firstBadFrame}`);
  if (states.bad > 0) notes.push(`${states.bad} of ${states.times.length} joint state message(s) on ${stateTopic.name} rejected, first at ${states.firstProblem}`);
  if (commands.bad > 0) notes.push(`${commands.bad} of ${commands.times.length} command(s) on ${command.name} rejected, first at ${commands.firstProblem}`);

  // Pair after the pass: the latest state at the frame, the command in force at frame + latency.
  const st = states.sorted();
  const cmd = commands.sorted();
  let used = 0;
  for (let j = 0; j < frameTimes.length; j++) {
    const t = frameTimes[j]!;
    const sp = lastAtOrBefore(st.times, t);
    if (sp < 0) {
      skipped.no_state++;
      continue;
    }
    if (t - st.times[sp]! > o.maxStateAgeMs) {
      skipped.stale_state++;
      continue;
    }
    const si = st.order[sp]!;
    if (states.problems[si]) {
      skipped.bad_state++;
      continue;
    }
    const at = t + o.latencyMs;
    const cp = lastAtOrBefore(cmd.times, at);
    if (cp < 0) {
      skipped.no_command++;
      continue;
    }
    if (at - cmd.times[cp]! > o.maxCommandGapMs) {
      skipped.stale_command++;
      continue;
    }
    const ci = cmd.order[cp]!;
    if (commands.problems[ci]) {
      skipped.bad_command++;
      continue;
    }
    const dst = start + used;
    for (let q = 0; q < k; q++) {
      const f = fields[q]!;
      let raw = (commands.values[ci * k + q]! - f.offset) / f.scale;
      if (o.rawLimit !== null && Math.abs(raw) > o.rawLimit) {
        raw = Math.sign(raw) * o.rawLimit;
        c.clamped[f.name]!++;
      }
      out.targets[dst * k + q] = raw;
    }
    for (let q = 0; q < m; q++) out.states[dst * m + q] = states.values[si * m + q]!;
    if (dst !== start + j) out.images.copyWithin(dst * frameBytes, (start + j) * frameBytes, (start + j + 1) * frameBytes);
    out.episodes[dst] = episode;
    used++;
  }
  out.count = start + used;

  if (used === 0) {
    const span = (a: number[], what: string): string => (a.length ? `${what} ${fmtMs(Math.min(...a))}..${fmtMs(Math.max(...a))}` : `no ${what}`);
    throw new PilotError(
      'E_DATASET_NO_PAIRS',
      `${reader.path}: no camera frame on ${camera.name} has both a usable joint state on ${stateTopic.name} and a command in force on ${command.name} ` +
        `(${framesSeen} frames, ${states.times.length} joint states (${states.bad} rejected), ${commands.times.length} commands (${commands.bad} rejected); ` +
        `${span(frameTimes, 'frames')}, ${span(st.times, 'states')}, ${span(cmd.times, 'commands')} from the bag start; latency ${o.latencyMs} ms, max state age ${o.maxStateAgeMs} ms, max command gap ${o.maxCommandGapMs} ms; ` +
        `skipped: ${describeSkips(skipped)})`,
    );
  }
  return {
    name,
    path: reader.path,
    cameraTopic: camera.name,
    cameraType: camera.type,
    stateTopic: stateTopic.name,
    commandTopic: command.name,
    commandType: command.type,
    sourceWidth: extractor?.srcWidth ?? 0,
    sourceHeight: extractor?.srcHeight ?? 0,
    framesSeen,
    states: states.times.length,
    badStates: states.bad,
    commands: commands.times.length,
    badCommands: commands.bad,
    used,
    skipped,
    notes,
  };
}

/** Joint positions of a command into `out` at `at` (joint order); '' or why it cannot be used. */
function readCommand(type: string, message: unknown, jointNames: readonly string[], index: ReadonlyMap<string, number>, out: Float64Array, at: number): string {
  if (type === TRAJECTORY) {
    const t = message as Partial<JointTrajectory> | undefined;
    const point = t?.points?.[0];
    if (!point) return 'JointTrajectory without points';
    return positionsByName(jointNames, index, t?.joint_names ?? [], point.positions, out, at);
  }
  const data = (message as Partial<Float64MultiArray> | undefined)?.data;
  if (!data || data.length !== jointNames.length) return `Float64MultiArray has ${data?.length ?? 0} values, the arm has ${jointNames.length} joints (${jointNames.join(', ')})`;
  for (let j = 0; j < data.length; j++) {
    const v = data[j]!;
    if (!Number.isFinite(v)) return `value ${j} (${jointNames[j]}) is ${v}`;
    out[at + j] = v;
  }
  return '';
}

const describeSkips = (s: Readonly<Record<ArmSkipReason, number>>): string => describeCounts(ARM_SKIP_REASONS, s);

function checkDegenerate(ds: ImageDataset, fields: readonly ContractOutputField[], report: ArmDatasetReport, o: Checked): void {
  if (ds.count < o.minFrames) {
    throw new PilotError('E_DATASET_DEGENERATE', `only ${ds.count} labelled frame(s) from ${report.bags.length} bag(s), fewer than the ${o.minFrames} needed (skipped: ${describeSkips({ ...report.skipped })})`);
  }
  const ranges = report.targets.map((t, i) => Math.abs((t.max - t.min) * fields[i]!.scale));
  if (ranges.every((r) => r < o.minTargetRangeRad)) {
    throw new PilotError(
      'E_DATASET_DEGENERATE',
      `every joint's commanded position spans less than ${o.minTargetRangeRad} rad over ${ds.count} frames (${fields.map((f, i) => `${f.name} ${ranges[i]!.toExponential(2)}`).join(', ')}): ` +
        'a dataset whose commands never change cannot teach a policy (wrong command topic, or the arm never moved?)',
    );
  }
}

/** One line per bag and a total, for the CLI. */
export function formatArmDatasetReport(report: ArmDatasetReport): string {
  const lines = report.bags.map(
    (b) =>
      `${b.name}: ${b.used}/${b.framesSeen} frames (${b.cameraTopic} ${b.sourceWidth}x${b.sourceHeight}, ${b.states} joint states on ${b.stateTopic}` +
      `${b.badStates ? ` (${b.badStates} rejected)` : ''}, ${b.commands} commands on ${b.commandTopic}${b.badCommands ? ` (${b.badCommands} rejected)` : ''}); skipped: ${describeSkips({ ...b.skipped })}`,
  );
  lines.push(`total: ${report.used} frames from ${report.bags.length} bag(s); skipped: ${describeSkips({ ...report.skipped })}`);
  for (const t of report.targets) lines.push(`  ${t.name} target (raw): mean ${t.mean.toFixed(3)}, std ${t.std.toFixed(3)}, range ${t.min.toFixed(3)}..${t.max.toFixed(3)}`);
  for (const t of report.states) lines.push(`  ${t.name} state (rad): mean ${t.mean.toFixed(3)}, std ${t.std.toFixed(3)}, range ${t.min.toFixed(3)}..${t.max.toFixed(3)}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
