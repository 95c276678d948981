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
 * The arm profile of the one bag reader (bag-dataset.ts), which vehicle datasets (from-bags.ts) share:
 * frames are extracted as they stream by and paired after the pass, once all states and commands are known.
 */
import type { BagReader, BagTopicInfo } from '../../data/bags/bag-reader.js';
import type { Float64MultiArray, JointState, JointTrajectory } from '../../core/messages/types.js';
import type { CameraContractInput, ContractOutputField, ModelContract, StateContractInput } from '../../runtime/policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { bagReportBase, describeCounts, readBagDataset, reportTail, writeTargets, type BagInput, type BagLabeler, type BagReadOptions, type BagPass, type BagReportBase, type DatasetReportBase, type LabelSink } from './bag-dataset.js';
import { listTopics, resolveCameraTopic, resolveTopic, type TopicRole } from './bag-topics.js';
import { badOption, checkEpisodeNames, checkFieldScales, checkMinFrames, countOption, finiteOption, latencyOption, rawLimitOption } from './dataset-options.js';
import { summarizeTargets, type ImageDataset, type TargetSummary } from './dataset.js';
import { commandInForce, fmtMs, TimedSeries, type SortedSeries } from './timed-series.js';

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

export interface ArmBagDatasetOptions extends BagReadOptions {
  readonly spec: ArmDatasetSpec;
  /** Image or CompressedImage. Default /arm_camera/image_raw, then …/compressed, then the bag's only camera topic (noted). */
  readonly cameraTopic?: string;
  /** sensor_msgs/JointState. Default /joint_states, else the bag's only JointState topic (noted). */
  readonly jointStateTopic?: string;
  /**
   * JointTrajectory or Float64MultiArray. Default /arm_controller/joint_trajectory, then
   * /forward_position_controller/commands, else the bag's only topic of either type (noted).
   */
  readonly commandTopic?: string;
  /** A joint state older than this at the frame's time no longer counts, ms (default 200). */
  readonly maxStateAgeMs?: number;
  /** Labels spanning less than this on every joint (max − min, rad) are an error (default 0.01). */
  readonly minTargetRangeRad?: number;
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

export interface ArmBagReport extends BagReportBase<ArmSkipReason> {
  readonly stateTopic: string;
  /** JointState messages read, and how many of them were rejected (missing/duplicate joint, bad position). */
  readonly states: number;
  readonly badStates: number;
  readonly badCommands: number;
}

export interface ArmDatasetReport extends DatasetReportBase<ArmSkipReason, ArmBagReport> {
  /** States per joint (rad). */
  readonly states: readonly TargetSummary[];
}

export interface ArmBagDataset {
  readonly dataset: ImageDataset;
  readonly report: ArmDatasetReport;
}

const describeSkips = (s: Readonly<Record<ArmSkipReason, number>>): string => describeCounts(ARM_SKIP_REASONS, s);

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
  const read = await readBagDataset<ArmSkipReason, ArmBagReport>(bags, {
    reasons: ARM_SKIP_REASONS,
    input,
    fields,
    stateNames,
    camera: options.camera,
    noteScaledFrames: false,
    limits: o,
    episodeNames: options.episodeNames,
    log: options.log,
    clampedText: 'in raw space (beyond the joint limits), clamped',
    open: (reader, notes, baseNs) => new ArmLabeler(reader, notes, baseNs, o, options, jointNames, stateNames),
  });
  const { dataset } = read;
  const report: ArmDatasetReport = { ...read.report, states: summarizeStates(dataset) };
  if (!o.allowDegenerate) checkDegenerate(dataset, fields, report, o);
  return { dataset, report };
}

/** Per-state min/max/mean/std (rad for joint positions). */
export function summarizeStates(ds: ImageDataset): TargetSummary[] {
  if (!ds.states || !ds.stateNames) return [];
  return summarizeTargets({ ...ds, targets: ds.states, targetNames: ds.stateNames });
}

function checkOptions(bags: readonly BagInput[], options: ArmBagDatasetOptions): Checked {
  if (bags.length === 0) badOption('no bags given');
  const latencyMs = latencyOption(options.latencyMs);
  const rawLimit = rawLimitOption(options.rawLimit);
  checkEpisodeNames(options.episodeNames, bags.length);
  const { fields, stateNames } = options.spec;
  if (fields.length === 0) badOption('the contract has no action fields (joints)');
  const names = fields.map((f) => f.name);
  if (new Set(names).size !== names.length) badOption(`action fields [${names.join(', ')}] repeat a joint`);
  checkFieldScales(fields, 'action field', 'joint positions to raw values');
  if (stateNames) {
    if (stateNames.length === 0) badOption('stateNames is empty');
    if (new Set(stateNames).size !== stateNames.length) badOption(`state fields [${stateNames.join(', ')}] repeat a joint`);
  }
  return {
    latencyMs,
    maxCommandGapMs: finiteOption('maxCommandGapMs', options.maxCommandGapMs, 500, 0),
    maxStateAgeMs: finiteOption('maxStateAgeMs', options.maxStateAgeMs, 200, 0),
    stride: countOption('stride', options.stride, 1, 1),
    maxFramesPerBag: countOption('maxFramesPerBag', options.maxFramesPerBag, Infinity, 1),
    maxFrames: countOption('maxFrames', options.maxFrames, Infinity, 1),
    rawLimit,
    minFrames: countOption('minFrames', options.minFrames, 32, 0),
    minTargetRangeRad: finiteOption('minTargetRangeRad', options.minTargetRangeRad, 0.01, 0),
    allowDegenerate: options.allowDegenerate ?? false,
  };
}

const JOINT_STATES: TopicRole = { what: 'joint state', types: [JOINT_STATE], typesText: JOINT_STATE, reads: 'joint states', noteType: false };

/** The JointState topic: the one named, else /joint_states, else the bag's only JointState topic. */
export function resolveJointStateTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[]): BagTopicInfo {
  return resolveTopic(JOINT_STATES, topics, requested, bagPath, notes, DEFAULT_JOINT_STATE_TOPIC);
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

/**
 * One bag's joint states and commands, and a frame's label: the latest usable state at its time and
 * the command in force at its time + latency. Times are log times.
 */
class ArmLabeler implements BagLabeler<ArmSkipReason, ArmBagReport> {
  readonly camera: BagTopicInfo;
  readonly stateTopic: BagTopicInfo;
  readonly command: BagTopicInfo;
  readonly topics: readonly string[];
  readonly #jointIndex: ReadonlyMap<string, number>;
  readonly #stateIndex: ReadonlyMap<string, number>;
  readonly #states: TimedSeries;
  readonly #commands: TimedSeries;
  #sortedStates: SortedSeries = { times: [], order: [] };
  #sortedCommands: SortedSeries = { times: [], order: [] };

  constructor(
    reader: BagReader,
    notes: string[],
    _baseNs: bigint,
    readonly o: Checked,
    options: ArmBagDatasetOptions,
    readonly jointNames: readonly string[],
    readonly stateNames: readonly string[],
  ) {
    const topics = reader.topics();
    this.camera = resolveCameraTopic(topics, options.cameraTopic, reader.path, notes, DEFAULT_ARM_CAMERA_TOPIC);
    this.stateTopic = resolveJointStateTopic(topics, options.jointStateTopic, reader.path, notes);
    this.command = resolveArmCommandTopic(topics, options.commandTopic, reader.path, notes);
    this.topics = [this.stateTopic.name, this.command.name];
    this.#jointIndex = new Map(jointNames.map((n, i) => [n, i]));
    this.#stateIndex = new Map(stateNames.map((n, i) => [n, i]));
    this.#states = new TimedSeries(stateNames.length);
    this.#commands = new TimedSeries(jointNames.length);
  }

  get lastCommandMs(): number {
    return this.#commands.maxMs;
  }

  take(topic: string, message: unknown, tMs: number): void {
    if (topic === this.stateTopic.name) {
      const js = message as Partial<JointState> | undefined;
      const states = this.#states;
      const at = states.slot();
      states.push(tMs, positionsByName(this.stateNames, this.#stateIndex, js?.name ?? [], js?.position, states.values, at));
      return;
    }
    const commands = this.#commands;
    const at = commands.slot();
    commands.push(tMs, readCommand(this.command.type, message, this.jointNames, this.#jointIndex, commands.values, at));
  }

  frameTime(_image: unknown, logMs: number): number {
    return logMs;
  }

  finish(notes: string[]): void {
    const states = this.#states;
    const commands = this.#commands;
    if (states.bad > 0) notes.push(`${states.bad} of ${states.times.length} joint state message(s) on ${this.stateTopic.name} rejected, first at ${states.firstProblem}`);
    if (commands.bad > 0) notes.push(`${commands.bad} of ${commands.times.length} command(s) on ${this.command.name} rejected, first at ${commands.firstProblem}`);
    this.#sortedStates = states.sorted();
    this.#sortedCommands = commands.sorted();
  }

  label(t: number, dst: number, sink: LabelSink): ArmSkipReason | undefined {
    const states = this.#states;
    const s = states.at(this.#sortedStates, t, this.o.maxStateAgeMs);
    if (typeof s !== 'number') return STATE_SKIPS[s];
    const c = commandInForce(this.#commands, this.#sortedCommands, t, this.o.latencyMs, this.o.maxCommandGapMs);
    if (typeof c !== 'number') return c;
    writeTargets(sink, dst, this.#commands.values, c * this.#commands.n);
    const m = states.n;
    for (let q = 0; q < m; q++) sink.out.states[dst * m + q] = states.values[s * m + q]!;
    return undefined;
  }

  noPairs(pass: BagPass<ArmSkipReason>): PilotError {
    const { o } = this;
    const states = this.#states;
    const commands = this.#commands;
    const span = (a: readonly number[], what: string): string => (a.length ? `${what} ${fmtMs(Math.min(...a))}..${fmtMs(Math.max(...a))}` : `no ${what}`);
    return new PilotError(
      'E_DATASET_NO_PAIRS',
      `${pass.path}: no camera frame on ${this.camera.name} has both a usable joint state on ${this.stateTopic.name} and a command in force on ${this.command.name} ` +
        `(${pass.framesSeen} frames, ${states.times.length} joint states (${states.bad} rejected), ${commands.times.length} commands (${commands.bad} rejected); ` +
        `${span(pass.frameTimes, 'frames')}, ${span(this.#sortedStates.times, 'states')}, ${span(this.#sortedCommands.times, 'commands')} from the bag start; latency ${o.latencyMs} ms, max state age ${o.maxStateAgeMs} ms, max command gap ${o.maxCommandGapMs} ms; ` +
        `skipped: ${describeSkips(pass.skipped)})`,
    );
  }

  report(pass: BagPass<ArmSkipReason>): ArmBagReport {
    const states = this.#states;
    return { ...bagReportBase(pass, this.command, this.#commands.times.length), stateTopic: this.stateTopic.name, states: states.times.length, badStates: states.bad, badCommands: this.#commands.bad };
  }
}

const STATE_SKIPS = { none: 'no_state', stale: 'stale_state', bad: 'bad_state' } as const;

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

function checkDegenerate(ds: ImageDataset, fields: readonly ContractOutputField[], report: ArmDatasetReport, o: Checked): void {
  checkMinFrames(ds.count, report.bags.length, o.minFrames, describeSkips({ ...report.skipped }));
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
  const summaries = [...report.targets.map((t) => [`${t.name} target (raw)`, t] as const), ...report.states.map((t) => [`${t.name} state (rad)`, t] as const)];
  lines.push(...reportTail(report, ARM_SKIP_REASONS, summaries));
  return lines.join('\n');
}
