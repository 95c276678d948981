/**
 * Bags → ImageDataset. Each bag is one episode. Every camera frame (after the stride) is paired
 * with the command in force at the frame's time + `latencyMs`: the latest command at or before
 * that time, if it is not older than `maxCommandGapMs`. Frames are sampled as the runtime samples
 * them (FrameExtractor) and labels mapped into the network's raw space with the contract's output
 * fields: raw = (physical − offset) / scale.
 *
 * One pass per bag: frames are extracted as they stream by and labelled after the pass, once all
 * commands are known, so a positive latency (a label from the future) needs no buffering of
 * decoded images.
 */
import { basename } from 'node:path';
import type { BagReader, BagTopicInfo } from '../../data/bags/bag-reader.js';
import { BagError } from '../../data/bags/errors.js';
import { openBag } from '../../data/bags/node-io.js';
import type { CameraCalibration } from '../../core/calibration/camera.js';
import { nsFromTime } from '../../core/messages/time.js';
import type { AckermannDriveStamped, CompressedImage, Image, Time, Twist } from '../../core/messages/types.js';
import type { CameraContractInput, ContractOutputField, ModelContract } from '../../runtime/policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { summarizeTargets, type ImageDataset, type TargetSummary } from './dataset.js';
import { FrameExtractor, modelInputSize, type ImageSize } from './frame-extractor.js';

const IMAGE = 'sensor_msgs/msg/Image';
const COMPRESSED = 'sensor_msgs/msg/CompressedImage';
const ACKERMANN = 'ackermann_msgs/msg/AckermannDriveStamped';
const TWIST = 'geometry_msgs/msg/Twist';

export const DEFAULT_CAMERA_TOPIC = '/camera/image_raw';
export const DEFAULT_COMMAND_TOPIC = '/cmd/ackermann';

/** What the labels are: the camera input (crop, size) and the output fields (names, scale, offset). */
export interface DatasetTargetSpec {
  readonly input: CameraContractInput;
  readonly fields: readonly ContractOutputField[];
}

/** The (single) camera input and the output fields of a model contract. */
export function targetSpecFromContract(contract: ModelContract): DatasetTargetSpec {
  const cameras = contract.inputs.filter((i): i is CameraContractInput => i.role === 'camera');
  if (cameras.length !== 1) {
    throw new PilotError('E_DATASET_CONTRACT', `contract ${contract.id}: the dataset builder needs exactly one camera input, the contract has ${cameras.length}`);
  }
  return { input: cameras[0]!, fields: contract.outputs[0]!.fields };
}

/** A bag by path (opened and closed here) or an open reader (left open). */
export type BagInput = string | BagReader;

export interface BagDatasetOptions {
  readonly spec: DatasetTargetSpec;
  /**
   * The camera calibration the runtime will use, or just its image size. Frames of another size are
   * an error, as the runtime would reject them. Default: each bag's first frame's size (no undistortion).
   */
  readonly camera?: CameraCalibration | ImageSize;
  /**
   * Camera topic, Image or CompressedImage. Default /camera/image_raw; a bag without it falls back
   * to /camera/image_raw/compressed, then to its only camera topic (noted). A topic given here must exist.
   */
  readonly cameraTopic?: string;
  /** Command topic, AckermannDriveStamped or Twist. Default /cmd/ackermann, else the bag's only command topic (noted). */
  readonly commandTopic?: string;
  /** Twist commands only: steering = atan(ω·L / v), as the simulator reads Twist (0 below 1 mm/s). */
  readonly wheelbaseM?: number;
  /** Label = command in force at frame time + this, ms (default 0; positive = the driver's reaction delay). */
  readonly latencyMs?: number;
  /** A command older than this at the labelled time no longer counts, ms (default 500). */
  readonly maxCommandGapMs?: number;
  /** Time base: `log` (receive time, default: one clock for every topic) or `header` (header stamps; Ackermann only). */
  readonly time?: 'log' | 'header';
  /** Use every n-th camera frame of each bag (default 1). */
  readonly stride?: number;
  /** At most this many frames per bag / in all (reading stops once reached; default unlimited). */
  readonly maxFramesPerBag?: number;
  readonly maxFrames?: number;
  /** Raw labels are clamped to ±this (tanh outputs cannot go beyond 1; default 1; null = no clamp). */
  readonly rawLimit?: number | null;
  /** Fewer frames than this in all is an error (default 32). */
  readonly minFrames?: number;
  /** A steering range (max − min) narrower than this is an error, rad (default 0.01). */
  readonly minSteeringRangeRad?: number;
  /** Skip the two degenerate-data checks above (a speed-only test set, say). */
  readonly allowDegenerate?: boolean;
  /** Episode names (default the bag's folder or file name). */
  readonly episodeNames?: readonly string[];
  readonly log?: (line: string) => void;
}

/**
 * Why a camera frame was not used. `stride` and `max_frames` are by choice (`max_frames` counts the
 * frames read past the cap before reading stopped, not the rest of the bag); `unreadable` counts
 * corrupt chunks and undecodable messages on either topic.
 */
export type SkipReason = 'stride' | 'max_frames' | 'no_command' | 'stale_command' | 'bad_command' | 'bad_frame' | 'undecodable' | 'unreadable';

export const SKIP_REASONS: readonly SkipReason[] = ['stride', 'max_frames', 'no_command', 'stale_command', 'bad_command', 'bad_frame', 'undecodable', 'unreadable'];

export interface BagDatasetBagReport {
  readonly name: string;
  readonly path: string;
  readonly cameraTopic: string;
  readonly cameraType: string;
  readonly commandTopic: string;
  readonly commandType: string;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Camera messages read. */
  readonly framesSeen: number;
  readonly commands: number;
  readonly used: number;
  readonly skipped: Readonly<Record<SkipReason, number>>;
  readonly notes: readonly string[];
}

export interface BagDatasetReport {
  readonly bags: readonly BagDatasetBagReport[];
  readonly framesSeen: number;
  readonly used: number;
  /** Frames not used, by reason, over all bags (`stride` and `max_frames` are by choice). */
  readonly skipped: Readonly<Record<SkipReason, number>>;
  /** Labels clamped to ±rawLimit, per target. */
  readonly clamped: Readonly<Record<string, number>>;
  readonly targets: readonly TargetSummary[];
  readonly notes: readonly string[];
}

export interface BagDataset {
  readonly dataset: ImageDataset;
  readonly report: BagDatasetReport;
}

/** A zero count for each skip reason (shared with the arm reader, which has more reasons). */
export const zeroCounts = <R extends string>(reasons: readonly R[]): Record<R, number> => Object.fromEntries(reasons.map((r) => [r, 0])) as Record<R, number>;
const zeroSkips = (): Record<SkipReason, number> => zeroCounts(SKIP_REASONS);

type CommandKind = 'ackermann' | 'twist';

/** Physical values a command kind provides, by target name. */
const COMMAND_VALUES: Record<CommandKind, readonly string[]> = {
  ackermann: ['steering_angle', 'speed'],
  twist: ['steering_angle', 'speed', 'linear_x', 'angular_z'],
};

interface Growable {
  images: Uint8Array;
  targets: Float32Array;
  episodes: Int32Array;
  count: number;
}

export async function datasetFromBags(bags: readonly BagInput[], options: BagDatasetOptions): Promise<BagDataset> {
  const o = checkOptions(bags, options);
  const { input, fields } = options.spec;
  const { height, width } = modelInputSize(input);
  const frameBytes = height * width * 3;
  const k = fields.length;
  const targetNames = fields.map((f) => f.name);
  const notes: string[] = [];
  // Frames of another size than the given camera's are scaled to it (same aspect ratio): a report note.
  const shared = options.camera ? new FrameExtractor(input, options.camera, (line) => notes.push(line.replace(/^pilot: /, ''))) : undefined;
  const out: Growable = { images: new Uint8Array(0), targets: new Float32Array(0), episodes: new Int32Array(0), count: 0 };
  const bagReports: BagDatasetBagReport[] = [];
  const clamped: Record<string, number> = Object.fromEntries(targetNames.map((n) => [n, 0]));
  const episodeNames: string[] = [];

  for (let b = 0; b < bags.length; b++) {
    if (out.count >= o.maxFrames) {
      notes.push(`stopped before ${describeInput(bags[b]!)}: ${o.maxFrames} frames reached`);
      break;
    }
    const bag = bags[b]!;
    const reader = typeof bag === 'string' ? await openBag(bag, { warn: () => {} }) : bag;
    try {
      const name = options.episodeNames?.[b] ?? (basename(reader.path.replace(/[\\/]+$/, '')) || `bag${b}`);
      const report = await readOneBag(reader, name, b, {
        ...o,
        input,
        fields,
        extractor: shared,
        out,
        frameBytes,
        k,
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
  // Trim the growth slack; a view is fine when the slack is small.
  const trim = <T extends Uint8Array | Float32Array | Int32Array>(a: T, n: number): T => (a.length === n ? a : a.length - n > n / 4 ? (a.slice(0, n) as T) : (a.subarray(0, n) as T));
  const dataset: ImageDataset = {
    images: trim(out.images, count * frameBytes),
    height,
    width,
    targets: trim(out.targets, count * k),
    targetNames,
    episodes: trim(out.episodes, count),
    episodeNames,
    count,
  };
  const skipped = zeroSkips();
  for (const r of bagReports) for (const reason of SKIP_REASONS) skipped[reason] += r.skipped[reason];
  const targets = summarizeTargets(dataset);
  const report: BagDatasetReport = {
    bags: bagReports,
    framesSeen: bagReports.reduce((s, r) => s + r.framesSeen, 0),
    used: count,
    skipped,
    clamped,
    targets,
    notes,
  };
  for (const [name, n] of Object.entries(clamped)) if (n > 0) notes.push(`${n} ${name} label(s) outside ±${o.rawLimit} in raw space, clamped`);
  if (!o.allowDegenerate) checkDegenerate(dataset, fields, report, o);
  return { dataset, report };
}

interface CheckedOptions {
  readonly latencyMs: number;
  readonly maxCommandGapMs: number;
  readonly stride: number;
  readonly maxFramesPerBag: number;
  readonly maxFrames: number;
  readonly rawLimit: number | null;
  readonly minFrames: number;
  readonly minSteeringRangeRad: number;
  readonly allowDegenerate: boolean;
  readonly time: 'log' | 'header';
  readonly cameraTopic: string | undefined;
  readonly commandTopic: string | undefined;
  readonly wheelbaseM: number | undefined;
}

function checkOptions(bags: readonly BagInput[], options: BagDatasetOptions): CheckedOptions {
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
  const time = options.time ?? 'log';
  if (time !== 'log' && time !== 'header') bad(`time must be 'log' or 'header', got '${String(time)}'`);
  if (options.wheelbaseM !== undefined && !(options.wheelbaseM > 0 && Number.isFinite(options.wheelbaseM))) bad(`wheelbaseM must be a positive number, got ${options.wheelbaseM}`);
  const rawLimit = options.rawLimit === undefined ? 1 : options.rawLimit;
  if (rawLimit !== null && !(rawLimit > 0)) bad(`rawLimit must be positive or null, got ${rawLimit}`);
  if (options.episodeNames && options.episodeNames.length !== bags.length) bad(`${options.episodeNames.length} episode names for ${bags.length} bags`);
  const { fields } = options.spec;
  if (fields.length === 0) bad('the contract has no output fields');
  for (const f of fields) if (!(f.scale !== 0 && Number.isFinite(f.scale) && Number.isFinite(f.offset))) bad(`output field '${f.name}': scale ${f.scale} / offset ${f.offset} cannot map physical values to raw ones`);
  return {
    latencyMs,
    maxCommandGapMs: finite('maxCommandGapMs', options.maxCommandGapMs, 500, 0),
    stride: count('stride', options.stride, 1, 1),
    maxFramesPerBag: count('maxFramesPerBag', options.maxFramesPerBag, Infinity, 1),
    maxFrames: count('maxFrames', options.maxFrames, Infinity, 1),
    rawLimit,
    minFrames: count('minFrames', options.minFrames, 32, 0),
    minSteeringRangeRad: finite('minSteeringRangeRad', options.minSteeringRangeRad, 0.01, 0),
    allowDegenerate: options.allowDegenerate ?? false,
    time,
    cameraTopic: options.cameraTopic,
    commandTopic: options.commandTopic,
    wheelbaseM: options.wheelbaseM,
  };
}

function describeInput(bag: BagInput): string {
  return typeof bag === 'string' ? bag : bag.path;
}

export function listTopics(topics: readonly BagTopicInfo[]): string {
  return topics.map((t) => `${t.name} (${t.type}, ${t.messageCount})`).join(', ') || 'none';
}

/**
 * The camera topic to read, by the same rules as replay's camera adaptation: `requested` must exist;
 * without one, `defaultTopic`, then `<defaultTopic>/compressed`, then the bag's only camera topic.
 */
export function resolveCameraTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[], defaultTopic = DEFAULT_CAMERA_TOPIC): BagTopicInfo {
  const isCamera = (t: BagTopicInfo): boolean => t.type === IMAGE || t.type === COMPRESSED;
  const want = requested ?? defaultTopic;
  const exact = topics.find((t) => t.name === want);
  if (exact) {
    if (!isCamera(exact)) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: camera topic ${want} is ${exact.type}, not ${IMAGE} or ${COMPRESSED}`);
    return exact;
  }
  if (requested === undefined) {
    const cameras = topics.filter(isCamera);
    const pick = cameras.find((t) => t.name === `${want}/compressed`) ?? (cameras.length === 1 ? cameras[0] : undefined);
    if (pick) {
      notes.push(`no ${want}: reading the camera from ${pick.name} (${pick.type})`);
      return pick;
    }
    if (cameras.length > 1) {
      throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no camera topic ${want} and several candidates (${cameras.map((t) => t.name).join(', ')}): name one as the camera topic`);
    }
  }
  throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no camera topic ${want} (Image or CompressedImage); the bag has: ${listTopics(topics)}`);
}

/** The command topic to read: AckermannDriveStamped or Twist. */
export function resolveCommandTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[]): BagTopicInfo {
  const isCommand = (t: BagTopicInfo): boolean => t.type === ACKERMANN || t.type === TWIST;
  const want = requested ?? DEFAULT_COMMAND_TOPIC;
  const exact = topics.find((t) => t.name === want);
  if (exact) {
    if (!isCommand(exact)) throw new PilotError('E_DATASET_TOPIC', `${bagPath}: command topic ${want} is ${exact.type}, not ${ACKERMANN} or ${TWIST}`);
    return exact;
  }
  if (requested === undefined) {
    const commands = topics.filter(isCommand);
    if (commands.length === 1) {
      notes.push(`no ${want}: reading commands from ${commands[0]!.name} (${commands[0]!.type})`);
      return commands[0]!;
    }
    if (commands.length > 1) {
      throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no command topic ${want} and several candidates (${commands.map((t) => t.name).join(', ')}): name one as the command topic`);
    }
  }
  throw new PilotError('E_DATASET_TOPIC', `${bagPath}: no command topic ${want} (AckermannDriveStamped or Twist); the bag has: ${listTopics(topics)}`);
}

interface BagContext extends CheckedOptions {
  readonly input: CameraContractInput;
  readonly fields: readonly ContractOutputField[];
  readonly extractor: FrameExtractor | undefined;
  readonly out: Growable;
  readonly frameBytes: number;
  readonly k: number;
  readonly clamped: Record<string, number>;
  readonly frameBudget: number;
}

function ensureCapacity(out: Growable, frames: number, frameBytes: number, k: number): void {
  if (out.episodes.length >= frames) return;
  const n = Math.max(frames, Math.ceil(out.episodes.length * 1.5), 16);
  const images = new Uint8Array(n * frameBytes);
  images.set(out.images.subarray(0, out.count * frameBytes));
  const targets = new Float32Array(n * k);
  targets.set(out.targets.subarray(0, out.count * k));
  const episodes = new Int32Array(n);
  episodes.set(out.episodes.subarray(0, out.count));
  out.images = images;
  out.targets = targets;
  out.episodes = episodes;
}

const stampMs = (t: Time | undefined, baseNs: bigint): number => (t ? Number(nsFromTime(t) - baseNs) / 1e6 : NaN);

async function readOneBag(reader: BagReader, name: string, episode: number, c: BagContext): Promise<BagDatasetBagReport> {
  const notes: string[] = [];
  const topics = reader.topics();
  const camera = resolveCameraTopic(topics, c.cameraTopic, reader.path, notes);
  const command = resolveCommandTopic(topics, c.commandTopic, reader.path, notes);
  const kind: CommandKind = command.type === ACKERMANN ? 'ackermann' : 'twist';
  if (kind === 'twist' && c.wheelbaseM === undefined) {
    throw new PilotError('E_DATASET_OPTIONS', `${reader.path}: commands on ${command.name} are Twist; mapping them to a steering angle needs the wheelbase (vehicle calibration wheelbase_m)`);
  }
  if (kind === 'twist' && c.time === 'header') {
    throw new PilotError('E_DATASET_OPTIONS', `${reader.path}: time 'header' needs stamped commands, but ${command.name} is Twist (no header); use time 'log'`);
  }
  const sources = c.fields.map((f) => {
    const j = COMMAND_VALUES[kind].indexOf(f.name);
    if (j < 0) throw new PilotError('E_DATASET_TARGET', `${reader.path}: output field '${f.name}' has no source in ${command.type} commands (they give ${COMMAND_VALUES[kind].join(', ')})`);
    return j;
  });

  const baseNs = reader.info().startNs ?? 0n;
  const skipped = zeroSkips();
  // Commands: times (ms from the bag start) and physical values, as recorded.
  const cmdTimes: number[] = [];
  const cmdValues: number[] = [];
  const nv = COMMAND_VALUES[kind].length;
  let maxCmdMs = -Infinity;
  // Candidate frames: written at out.count + j; labelled after the pass.
  const frameTimes: number[] = [];
  const start = c.out.count;
  let extractor = c.extractor;
  let framesSeen = 0;
  let firstUndecodable = '';
  let firstBadFrame = '';
  const expected = Math.min(c.frameBudget, Math.ceil(camera.messageCount / c.stride));
  ensureCapacity(c.out, start + Math.max(expected, 1), c.frameBytes, c.k);
  const onError = (err: BagError): void => {
    skipped.unreadable++;
    if (skipped.unreadable <= 3) notes.push(`unreadable: ${err.message}`);
  };

  for await (const m of reader.messages({ topics: [camera.name, command.name], reuseBuffers: true, onError })) {
    let message: unknown;
    try {
      message = reader.decode(m);
    } catch (err) {
      if (!(err instanceof BagError)) throw err;
      onError(err);
      continue;
    }
    const logMs = Number(m.logTimeNs - baseNs) / 1e6;
    if (m.topic === command.name) {
      const tMs = c.time === 'header' ? stampMs((message as AckermannDriveStamped).header?.stamp, baseNs) : logMs;
      readCommand(kind, message, c.wheelbaseM ?? 0, cmdValues);
      cmdTimes.push(tMs);
      if (tMs > maxCmdMs) maxCmdMs = tMs;
      continue;
    }
    // A camera frame.
    const index = framesSeen++;
    if (index % c.stride !== 0) {
      skipped.stride++;
      continue;
    }
    const candidates = frameTimes.length;
    if (candidates >= c.frameBudget) {
      skipped.max_frames++;
      // Once every candidate's label time has passed, nothing later can change a label.
      if (maxCmdMs >= frameTimes[candidates - 1]! + c.latencyMs) {
        notes.push(`stopped reading at camera frame ${index}: ${c.frameBudget} frame(s) taken`);
        break;
      }
      continue;
    }
    const img = message as Image | CompressedImage;
    const tMs = c.time === 'header' ? stampMs(img.header?.stamp, baseNs) : logMs;
    if (!extractor) {
      const size = sourceSize(img);
      if (!size) {
        skipped.undecodable++;
        firstUndecodable ||= `frame ${index}: ${describeImage(img)} does not decode`;
        continue;
      }
      extractor = new FrameExtractor(c.input, size);
    }
    ensureCapacity(c.out, start + candidates + 1, c.frameBytes, c.k);
    const result = extractor.extractMessage(img, c.out.images, (start + candidates) * c.frameBytes);
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

  // Label: the latest command at or before frame time + latency (stable order by time).
  const order = cmdTimes.map((_, i) => i).sort((a, b) => cmdTimes[a]! - cmdTimes[b]! || a - b);
  const sortedTimes = order.map((i) => cmdTimes[i]!);
  const { out, frameBytes, k } = c;
  let used = 0;
  for (let j = 0; j < frameTimes.length; j++) {
    const at = frameTimes[j]! + c.latencyMs;
    const pos = lastAtOrBefore(sortedTimes, at);
    if (pos < 0) {
      skipped.no_command++;
      continue;
    }
    if (at - sortedTimes[pos]! > c.maxCommandGapMs) {
      skipped.stale_command++;
      continue;
    }
    const cmd = order[pos]!;
    let ok = true;
    for (let t = 0; t < k; t++) if (!Number.isFinite(cmdValues[cmd * nv + sources[t]!]!)) ok = false;
    if (!ok) {
      skipped.bad_command++;
      continue;
    }
    const dst = start + used;
    for (let t = 0; t < k; t++) {
      const f = c.fields[t]!;
      let raw = (cmdValues[cmd * nv + sources[t]!]! - f.offset) / f.scale;
      if (c.rawLimit !== null && Math.abs(raw) > c.rawLimit) {
        raw = Math.sign(raw) * c.rawLimit;
        c.clamped[f.name]!++;
      }
      out.targets[dst * k + t] = raw;
    }
    if (dst !== start + j) out.images.copyWithin(dst * frameBytes, (start + j) * frameBytes, (start + j + 1) * frameBytes);
    out.episodes[dst] = episode;
    used++;
  }
  out.count = start + used;

  if (used === 0) {
    const frameSpan = frameTimes.length ? `frames ${fmtMs(Math.min(...frameTimes))}..${fmtMs(Math.max(...frameTimes))}` : 'no usable frames';
    const cmdSpan = sortedTimes.length ? `commands ${fmtMs(sortedTimes[0]!)}..${fmtMs(sortedTimes[sortedTimes.length - 1]!)}` : 'no commands';
    throw new PilotError(
      'E_DATASET_NO_PAIRS',
      `${reader.path}: no camera frame on ${camera.name} has a command in force on ${command.name} ` +
        `(${framesSeen} frames, ${cmdTimes.length} commands; ${frameSpan}, ${cmdSpan} from the bag start, ${c.time} time; latency ${c.latencyMs} ms, max gap ${c.maxCommandGapMs} ms; ` +
        `skipped: ${describeSkips(skipped)})`,
    );
  }
  return {
    name,
    path: reader.path,
    cameraTopic: camera.name,
    cameraType: camera.type,
    commandTopic: command.name,
    commandType: command.type,
    sourceWidth: extractor?.srcWidth ?? 0,
    sourceHeight: extractor?.srcHeight ?? 0,
    framesSeen,
    commands: cmdTimes.length,
    used,
    skipped,
    notes,
  };
}

function readCommand(kind: CommandKind, message: unknown, wheelbaseM: number, out: number[]): void {
  const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
  if (kind === 'ackermann') {
    const d = (message as Partial<AckermannDriveStamped> | undefined)?.drive;
    out.push(num(d?.steering_angle), num(d?.speed));
    return;
  }
  const t = message as Partial<Twist> | undefined;
  const v = num(t?.linear?.x);
  const w = num(t?.angular?.z);
  // Invert the bicycle model the runtime's Twist builder uses (ω = v·tan δ / L), as the simulator does.
  const steering = Math.abs(v) > 1e-3 ? Math.atan((w * wheelbaseM) / v) : Number.isFinite(v + w) ? 0 : NaN;
  out.push(steering, v, v, w);
}

/** Index of the last element ≤ x in ascending `a`, or -1. */
export function lastAtOrBefore(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Source size of a frame: Image fields, or the decoded CompressedImage. */
export function sourceSize(img: Image | CompressedImage): ImageSize | undefined {
  if (!('format' in img)) return { width: img.width, height: img.height };
  const size = compressedSize(img.data);
  return size;
}

/** Width and height from a JPEG SOF or PNG IHDR header, without decoding the pixels. */
function compressedSize(d: Uint8Array): ImageSize | undefined {
  if (d.length >= 24 && d[0] === 0x89 && d[1] === 0x50 && d[2] === 0x4e && d[3] === 0x47) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (d.length >= 4 && d[0] === 0xff && d[1] === 0xd8) {
    let p = 2;
    while (p + 9 < d.length) {
      if (d[p] !== 0xff) return undefined;
      const marker = d[p + 1]!;
      if (marker === 0xff) {
        p++;
        continue;
      }
      const len = (d[p + 2]! << 8) | d[p + 3]!;
      // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: (d[p + 5]! << 8) | d[p + 6]!, width: (d[p + 7]! << 8) | d[p + 8]! };
      }
      p += 2 + len;
    }
  }
  return undefined;
}

export function describeImage(img: Image | CompressedImage): string {
  return 'format' in img ? `CompressedImage '${img.format}' (${img.data.length} bytes)` : `Image ${img.width}x${img.height} ${img.encoding}`;
}

/** `no_command 3, stale_command 1`, in the reasons' order, or `none`. */
export function describeCounts<R extends string>(reasons: readonly R[], s: Readonly<Record<R, number>>): string {
  return reasons.filter((r) => s[r] > 0).map((r) => `${r} ${s[r]}`).join(', ') || 'none';
}

const describeSkips = (s: Readonly<Record<SkipReason, number>>): string => describeCounts(SKIP_REASONS, s);

export function fmtMs(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

function checkDegenerate(ds: ImageDataset, fields: readonly ContractOutputField[], report: BagDatasetReport, o: CheckedOptions): void {
  if (ds.count < o.minFrames) {
    throw new PilotError('E_DATASET_DEGENERATE', `only ${ds.count} labelled frame(s) from ${report.bags.length} bag(s), fewer than the ${o.minFrames} needed (skipped: ${describeSkips({ ...report.skipped })})`);
  }
  const s = fields.findIndex((f) => f.name === 'steering_angle');
  if (s < 0) return;
  const f = fields[s]!;
  const summary = report.targets[s]!;
  // Back to physical units for the message.
  const lo = summary.min * f.scale + f.offset;
  const hi = summary.max * f.scale + f.offset;
  const range = Math.abs(hi - lo);
  if (range < o.minSteeringRangeRad) {
    throw new PilotError(
      'E_DATASET_DEGENERATE',
      `steering_angle spans only ${range.toExponential(2)} rad (${lo.toFixed(4)}..${hi.toFixed(4)}) over ${ds.count} frames, less than ${o.minSteeringRangeRad} rad: ` +
        `a dataset without steering cannot teach steering (wrong command topic, or all-straight driving?)`,
    );
  }
}

/** One line per bag and a total, for the CLI. */
export function formatDatasetReport(report: BagDatasetReport): string {
  const lines = report.bags.map(
    (b) => `${b.name}: ${b.used}/${b.framesSeen} frames (${b.cameraTopic} ${b.sourceWidth}x${b.sourceHeight}, ${b.commands} commands on ${b.commandTopic}); skipped: ${describeSkips({ ...b.skipped })}`,
  );
  lines.push(`total: ${report.used} frames from ${report.bags.length} bag(s); skipped: ${describeSkips({ ...report.skipped })}`);
  for (const t of report.targets) lines.push(`  ${t.name} (raw): mean ${t.mean.toFixed(3)}, std ${t.std.toFixed(3)}, range ${t.min.toFixed(3)}..${t.max.toFixed(3)}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/**
 * The size of the first decodable camera frame of a bag (the topic resolved as datasetFromBags does),
 * for sizing a fresh network to the data; undefined when no frame decodes.
 */
export async function probeCameraSize(bag: BagInput, cameraTopic?: string): Promise<ImageSize | undefined> {
  const reader = typeof bag === 'string' ? await openBag(bag) : bag;
  try {
    const camera = resolveCameraTopic(reader.topics(), cameraTopic, reader.path, []);
    let tried = 0;
    for await (const m of reader.messages({ topics: [camera.name] })) {
      const size = sourceSize(reader.decode(m) as Image | CompressedImage);
      if (size) return size;
      if (++tried >= 50) break;
    }
    return undefined;
  } finally {
    if (typeof bag === 'string') await reader.close();
  }
}
