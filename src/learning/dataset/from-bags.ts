/**
 * Bags → ImageDataset. Each bag is one episode. Every camera frame (after the stride) is paired
 * with the command in force at the frame's time + `latencyMs`: the latest command at or before
 * that time, if it is not older than `maxCommandGapMs`. Frames are sampled as the runtime samples
 * them (FrameExtractor) and labels mapped into the network's raw space with the contract's output
 * fields: raw = (physical − offset) / scale.
 *
 * The vehicle profile of the one bag reader (bag-dataset.ts): commands are AckermannDriveStamped or
 * Twist, read by log time or header stamp.
 */
import type { BagReader, BagTopicInfo } from '../../data/bags/bag-reader.js';
import { openBag } from '../../data/bags/node-io.js';
import { nsFromTime } from '../../core/messages/time.js';
import type { AckermannDriveStamped, CompressedImage, Image, Time, Twist } from '../../core/messages/types.js';
import type { CameraContractInput, ContractOutputField, ModelContract } from '../../runtime/policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { bagReportBase, describeCounts, readBagDataset, reportTail, writeTargets, type BagInput, type BagLabeler, type BagReadOptions, type BagPass, type BagReportBase, type DatasetReportBase, type LabelSink } from './bag-dataset.js';
import { resolveCameraTopic, resolveTopic, type TopicRole } from './bag-topics.js';
import { badOption, checkEpisodeNames, checkFieldScales, checkMinFrames, countOption, finiteOption, latencyOption, rawLimitOption } from './dataset-options.js';
import type { ImageDataset } from './dataset.js';
import type { ImageSize } from './frame-extractor.js';
import { sourceSize } from './image-size.js';
import { commandInForce, fmtMs, TimedSeries, type SortedSeries } from './timed-series.js';
import { checkChunkSpec, chunkFields, describeChunk, type ChunkSpec } from '../export/chunk-fields.js';
import { chunkCommands, chunkReachMs } from './chunk-labels.js';

export type { BagInput } from './bag-dataset.js';
export { DEFAULT_CAMERA_TOPIC, resolveCameraTopic } from './bag-topics.js';

const ACKERMANN = 'ackermann_msgs/msg/AckermannDriveStamped';
const TWIST = 'geometry_msgs/msg/Twist';

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

export interface BagDatasetOptions extends BagReadOptions {
  readonly spec: DatasetTargetSpec;
  /**
   * Camera topic, Image or CompressedImage. Default /camera/image_raw; a bag without it falls back
   * to /camera/image_raw/compressed, then to its only camera topic (noted). A topic given here must exist.
   */
  readonly cameraTopic?: string;
  /** Command topic, AckermannDriveStamped or Twist. Default /cmd/ackermann, else the bag's only command topic (noted). */
  readonly commandTopic?: string;
  /** Twist commands only: steering = atan(ω·L / v), as the simulator reads Twist (0 below 1 mm/s). */
  readonly wheelbaseM?: number;
  /** Time base: `log` (receive time, default: one clock for every topic) or `header` (header stamps; Ackermann only). */
  readonly time?: 'log' | 'header';
  /** A steering range (max − min) narrower than this is an error, rad (default 0.01; `allowDegenerate` skips it, for a speed-only test set, say). */
  readonly minSteeringRangeRad?: number;
  /**
   * Chunk labels (chunk-labels.ts): each frame gets the commands in force at t + latency + i·step_ms,
   * i < steps, as targets chunkTargetNames(fields); frames whose future runs past the bag's last
   * command are skipped (`chunk_past_end`).
   */
  readonly chunk?: ChunkSpec;
}

/**
 * Why a camera frame was not used. `stride` and `max_frames` are by choice (`max_frames` counts the
 * frames read past the cap before reading stopped, not the rest of the bag); `unreadable` counts
 * corrupt chunks and undecodable messages on either topic.
 */
export type SkipReason = 'stride' | 'max_frames' | 'no_command' | 'stale_command' | 'bad_command' | 'chunk_past_end' | 'bad_frame' | 'undecodable' | 'unreadable';

export const SKIP_REASONS: readonly SkipReason[] = ['stride', 'max_frames', 'no_command', 'stale_command', 'bad_command', 'chunk_past_end', 'bad_frame', 'undecodable', 'unreadable'];

export type BagDatasetBagReport = BagReportBase<SkipReason>;

export type BagDatasetReport = DatasetReportBase<SkipReason, BagDatasetBagReport>;

export interface BagDataset {
  readonly dataset: ImageDataset;
  readonly report: BagDatasetReport;
}

const describeSkips = (s: Readonly<Record<SkipReason, number>>): string => describeCounts(SKIP_REASONS, s);

type CommandKind = 'ackermann' | 'twist';

/** Physical values a command kind provides, by target name. */
const COMMAND_VALUES: Record<CommandKind, readonly string[]> = {
  ackermann: ['steering_angle', 'speed'],
  twist: ['steering_angle', 'speed', 'linear_x', 'angular_z'],
};

export async function datasetFromBags(bags: readonly BagInput[], options: BagDatasetOptions): Promise<BagDataset> {
  const o = checkOptions(bags, options);
  const { input, fields } = options.spec;
  const { dataset, report } = await readBagDataset<SkipReason, BagDatasetBagReport>(bags, {
    reasons: SKIP_REASONS,
    input,
    fields: o.chunk ? chunkFields(fields, o.chunk) : fields,
    camera: options.camera,
    noteScaledFrames: true,
    // Reading may stop once the last frame's whole chunk is known.
    limits: { ...o, latencyMs: chunkReachMs(o.latencyMs, o.chunk) },
    episodeNames: options.episodeNames,
    log: options.log,
    clampedText: 'in raw space, clamped',
    open: (reader, notes, baseNs) => new VehicleLabeler(reader, notes, baseNs, o, fields),
  });
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
  readonly chunk: ChunkSpec | undefined;
}

function checkOptions(bags: readonly BagInput[], options: BagDatasetOptions): CheckedOptions {
  if (bags.length === 0) badOption('no bags given');
  const latencyMs = latencyOption(options.latencyMs);
  const time = options.time ?? 'log';
  if (time !== 'log' && time !== 'header') badOption(`time must be 'log' or 'header', got '${String(time)}'`);
  if (options.wheelbaseM !== undefined && !(options.wheelbaseM > 0 && Number.isFinite(options.wheelbaseM))) badOption(`wheelbaseM must be a positive number, got ${options.wheelbaseM}`);
  const rawLimit = rawLimitOption(options.rawLimit);
  checkEpisodeNames(options.episodeNames, bags.length);
  const { fields } = options.spec;
  if (fields.length === 0) badOption('the contract has no output fields');
  checkFieldScales(fields, 'output field', 'physical values to raw ones');
  return {
    latencyMs,
    maxCommandGapMs: finiteOption('maxCommandGapMs', options.maxCommandGapMs, 500, 0),
    stride: countOption('stride', options.stride, 1, 1),
    maxFramesPerBag: countOption('maxFramesPerBag', options.maxFramesPerBag, Infinity, 1),
    maxFrames: countOption('maxFrames', options.maxFrames, Infinity, 1),
    rawLimit,
    minFrames: countOption('minFrames', options.minFrames, 32, 0),
    minSteeringRangeRad: finiteOption('minSteeringRangeRad', options.minSteeringRangeRad, 0.01, 0),
    allowDegenerate: options.allowDegenerate ?? false,
    time,
    cameraTopic: options.cameraTopic,
    commandTopic: options.commandTopic,
    wheelbaseM: options.wheelbaseM,
    chunk: options.chunk ? checkChunkSpec(options.chunk, 'chunk') : undefined,
  };
}

const COMMAND: TopicRole = { what: 'command', types: [ACKERMANN, TWIST], typesText: 'AckermannDriveStamped or Twist', reads: 'commands', noteType: true };

/** The command topic to read: AckermannDriveStamped or Twist. */
export function resolveCommandTopic(topics: readonly BagTopicInfo[], requested: string | undefined, bagPath: string, notes: string[]): BagTopicInfo {
  return resolveTopic(COMMAND, topics, requested, bagPath, notes, DEFAULT_COMMAND_TOPIC);
}

const stampMs = (t: Time | undefined, baseNs: bigint): number => (t ? Number(nsFromTime(t) - baseNs) / 1e6 : NaN);

/** One bag's commands (the values the output fields take, field order), and a frame's label: the command in force at its time + latency. */
class VehicleLabeler implements BagLabeler<SkipReason, BagDatasetBagReport> {
  readonly camera: BagTopicInfo;
  readonly command: BagTopicInfo;
  readonly topics: readonly string[];
  readonly #kind: CommandKind;
  /** Per output field, its value's index in the command kind's values. */
  readonly #sources: readonly number[];
  readonly #commands: TimedSeries;
  #sorted: SortedSeries = { times: [], order: [] };
  readonly #values: number[] = [];
  /** One chunk's physical values (steps × fields), reused per frame. */
  readonly #chunk: Float64Array;

  constructor(
    readonly reader: BagReader,
    notes: string[],
    readonly baseNs: bigint,
    readonly o: CheckedOptions,
    fields: readonly ContractOutputField[],
  ) {
    const topics = reader.topics();
    this.camera = resolveCameraTopic(topics, o.cameraTopic, reader.path, notes);
    const command = (this.command = resolveCommandTopic(topics, o.commandTopic, reader.path, notes));
    this.topics = [command.name];
    const kind: CommandKind = (this.#kind = command.type === ACKERMANN ? 'ackermann' : 'twist');
    if (kind === 'twist' && o.wheelbaseM === undefined) {
      throw new PilotError('E_DATASET_OPTIONS', `${reader.path}: commands on ${command.name} are Twist; mapping them to a steering angle needs the wheelbase (vehicle calibration wheelbase_m)`);
    }
    if (kind === 'twist' && o.time === 'header') {
      throw new PilotError('E_DATASET_OPTIONS', `${reader.path}: time 'header' needs stamped commands, but ${command.name} is Twist (no header); use time 'log'`);
    }
    this.#sources = fields.map((f) => {
      const j = COMMAND_VALUES[kind].indexOf(f.name);
      if (j < 0) throw new PilotError('E_DATASET_TARGET', `${reader.path}: output field '${f.name}' has no source in ${command.type} commands (they give ${COMMAND_VALUES[kind].join(', ')})`);
      return j;
    });
    this.#commands = new TimedSeries(fields.length);
    this.#chunk = new Float64Array(fields.length * (o.chunk?.steps ?? 1));
  }

  get lastCommandMs(): number {
    return this.#commands.maxMs;
  }

  take(_topic: string, message: unknown, logMs: number): void {
    const tMs = this.o.time === 'header' ? stampMs((message as AckermannDriveStamped).header?.stamp, this.baseNs) : logMs;
    const values = this.#values;
    values.length = 0;
    readCommand(this.#kind, message, this.o.wheelbaseM ?? 0, values);
    const commands = this.#commands;
    const at = commands.slot();
    let problem = '';
    this.#sources.forEach((j, t) => {
      commands.values[at + t] = values[j]!;
      if (!Number.isFinite(values[j]!)) problem = 'a value is not finite';
    });
    commands.push(tMs, problem);
  }

  frameTime(image: Image | CompressedImage, logMs: number): number {
    return this.o.time === 'header' ? stampMs(image.header?.stamp, this.baseNs) : logMs;
  }

  finish(): void {
    this.#sorted = this.#commands.sorted();
  }

  label(tMs: number, dst: number, sink: LabelSink): SkipReason | undefined {
    const { chunk } = this.o;
    if (chunk) {
      const reason = chunkCommands(this.#commands, this.#sorted, tMs, this.o.latencyMs, this.o.maxCommandGapMs, chunk, this.#chunk);
      if (reason) return reason;
      writeTargets(sink, dst, this.#chunk, 0);
      return undefined;
    }
    const c = commandInForce(this.#commands, this.#sorted, tMs, this.o.latencyMs, this.o.maxCommandGapMs);
    if (typeof c !== 'number') return c;
    writeTargets(sink, dst, this.#commands.values, c * this.#commands.n);
    return undefined;
  }

  noPairs(pass: BagPass<SkipReason>): PilotError {
    const { frameTimes } = pass;
    const sortedTimes = this.#sorted.times;
    const o = this.o;
    const frameSpan = frameTimes.length ? `frames ${fmtMs(Math.min(...frameTimes))}..${fmtMs(Math.max(...frameTimes))}` : 'no usable frames';
    const cmdSpan = sortedTimes.length ? `commands ${fmtMs(sortedTimes[0]!)}..${fmtMs(sortedTimes[sortedTimes.length - 1]!)}` : 'no commands';
    return new PilotError(
      'E_DATASET_NO_PAIRS',
      `${pass.path}: no camera frame on ${this.camera.name} has a command in force on ${this.command.name} ` +
        `(${pass.framesSeen} frames, ${this.#commands.times.length} commands; ${frameSpan}, ${cmdSpan} from the bag start, ${o.time} time; latency ${o.latencyMs} ms, max gap ${o.maxCommandGapMs} ms${o.chunk ? `, chunk ${describeChunk(o.chunk)}` : ''}; ` +
        `skipped: ${describeSkips(pass.skipped)})`,
    );
  }

  report(pass: BagPass<SkipReason>): BagDatasetBagReport {
    return bagReportBase(pass, this.command, this.#commands.times.length);
  }
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

function checkDegenerate(ds: ImageDataset, fields: readonly ContractOutputField[], report: BagDatasetReport, o: CheckedOptions): void {
  checkMinFrames(ds.count, report.bags.length, o.minFrames, describeSkips({ ...report.skipped }));
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
  lines.push(...reportTail(report, SKIP_REASONS, report.targets.map((t) => [`${t.name} (raw)`, t] as const)));
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
