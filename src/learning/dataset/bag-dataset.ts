/**
 * Bags → ImageDataset, for any profile: the one reader. Each bag is one episode. One pass per bag:
 * camera frames (after the stride, up to the frame budget) are sampled as the runtime samples them
 * (FrameExtractor) as they stream by, while the profile's labeler takes the other topics (commands;
 * an arm's joint states); after the pass, once every command is known, the labeler labels each frame
 * — so a positive latency (a label from the future) needs no buffering of decoded images.
 *
 * The profiles (from-bags.ts: vehicle, arm-from-bags.ts: arm) say which topics to read, how a message
 * becomes a command or a state, and how a frame is labelled; everything else is here.
 */
import { basename } from 'node:path';
import type { BagReader, BagTopicInfo } from '../../data/bags/bag-reader.js';
import type { BagError } from '../../data/bags/errors.js';
import { openBag } from '../../data/bags/node-io.js';
import type { CameraCalibration } from '../../core/calibration/camera.js';
import type { CompressedImage, Image } from '../../core/messages/types.js';
import { PilotError } from '../../core/util/errors.js';
import type { CameraContractInput, ContractOutputField } from '../../runtime/policy/contract.js';
import { summarizeTargets, type ImageDataset, type TargetSummary } from './dataset.js';
import { FrameExtractor, modelInputSize, type ImageSize } from './frame-extractor.js';
import { describeImage, sourceSize } from './image-size.js';

/** A bag by path (opened and closed here) or an open reader (left open). */
export type BagInput = string | BagReader;

/** The options every profile's reader takes besides its spec and topics. */
export interface BagReadOptions {
  /**
   * The camera calibration the runtime will use, or just its image size. Frames of another size are
   * an error, as the runtime would reject them. Default: each bag's first frame's size (no undistortion).
   */
  readonly camera?: CameraCalibration | ImageSize;
  /** Label = command in force at frame time + this, ms (default 0; positive = the driver's reaction delay). */
  readonly latencyMs?: number;
  /** A command older than this at the labelled time no longer counts, ms (default 500). */
  readonly maxCommandGapMs?: number;
  /** Use every n-th camera frame of each bag (default 1). */
  readonly stride?: number;
  /** At most this many frames per bag / in all (reading stops once reached; default unlimited). */
  readonly maxFramesPerBag?: number;
  readonly maxFrames?: number;
  /** Raw labels are clamped to ±this (tanh outputs cannot go beyond 1; default 1; null = no clamp). */
  readonly rawLimit?: number | null;
  /** Fewer frames than this in all is an error (default 32). */
  readonly minFrames?: number;
  /** Skip the degenerate-data checks (too few frames, labels that never change). */
  readonly allowDegenerate?: boolean;
  /** Episode names (default the bag's folder or file name). */
  readonly episodeNames?: readonly string[];
  readonly log?: (line: string) => void;
}

/** Why a camera frame was not used, in every profile. */
export type FrameSkipReason = 'stride' | 'max_frames' | 'bad_frame' | 'undecodable' | 'unreadable';

/** A zero count for each skip reason. */
export const zeroCounts = <R extends string>(reasons: readonly R[]): Record<R, number> => Object.fromEntries(reasons.map((r) => [r, 0])) as Record<R, number>;

/** `no_command 3, stale_command 1`, in the reasons' order, or `none`. */
export function describeCounts<R extends string>(reasons: readonly R[], s: Readonly<Record<R, number>>): string {
  return reasons.filter((r) => s[r] > 0).map((r) => `${r} ${s[r]}`).join(', ') || 'none';
}

/** A report's closing lines: the total, each summary under its label, the notes. */
export function reportTail<R extends string>(
  report: { readonly used: number; readonly bags: readonly unknown[]; readonly skipped: Readonly<Record<R, number>>; readonly notes: readonly string[] },
  reasons: readonly R[],
  summaries: readonly (readonly [string, TargetSummary])[],
): string[] {
  const lines = [`total: ${report.used} frames from ${report.bags.length} bag(s); skipped: ${describeCounts(reasons, { ...report.skipped })}`];
  for (const [label, t] of summaries) lines.push(`  ${label}: mean ${t.mean.toFixed(3)}, std ${t.std.toFixed(3)}, range ${t.min.toFixed(3)}..${t.max.toFixed(3)}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  return lines;
}

/** The dataset being built; `states` stays empty without state names. */
export interface Growable {
  images: Uint8Array;
  targets: Float32Array;
  states: Float32Array;
  episodes: Int32Array;
  count: number;
}

/** Where a labeler writes a frame's label. */
export interface LabelSink {
  readonly out: Growable;
  readonly fields: readonly ContractOutputField[];
  /** States per frame (0 without). */
  readonly m: number;
  readonly rawLimit: number | null;
  /** Labels clamped to ±rawLimit, per field. */
  readonly clamped: Record<string, number>;
}

/** Writes frame `dst`'s targets: the physical values at `values[at…]` (field order) mapped to raw, clamped to ±rawLimit. */
export function writeTargets(sink: LabelSink, dst: number, values: ArrayLike<number>, at: number): void {
  const { fields, rawLimit, out } = sink;
  const k = fields.length;
  for (let q = 0; q < k; q++) {
    const f = fields[q]!;
    let raw = (values[at + q]! - f.offset) / f.scale;
    if (rawLimit !== null && Math.abs(raw) > rawLimit) {
      raw = Math.sign(raw) * rawLimit;
      sink.clamped[f.name]!++;
    }
    out.targets[dst * k + q] = raw;
  }
}

/** A bag's pass over its camera frames, for the labeler's report and errors. */
export interface BagPass<R extends string> {
  readonly name: string;
  readonly path: string;
  readonly camera: BagTopicInfo;
  /** Camera messages read. */
  readonly framesSeen: number;
  /** Times of the frames taken (ms from the bag start). */
  readonly frameTimes: readonly number[];
  readonly used: number;
  readonly skipped: Record<R, number>;
  readonly notes: string[];
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/** What every profile reports per bag. */
export interface BagReportBase<R extends string> {
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
  /** Command messages read. */
  readonly commands: number;
  readonly used: number;
  readonly skipped: Readonly<Record<R, number>>;
  readonly notes: readonly string[];
}

/** A bag's report: the pass, its camera and its command topic and count. */
export function bagReportBase<R extends string>(pass: BagPass<R>, command: BagTopicInfo, commands: number): BagReportBase<R> {
  return {
    name: pass.name,
    path: pass.path,
    cameraTopic: pass.camera.name,
    cameraType: pass.camera.type,
    commandTopic: command.name,
    commandType: command.type,
    sourceWidth: pass.sourceWidth,
    sourceHeight: pass.sourceHeight,
    framesSeen: pass.framesSeen,
    commands,
    used: pass.used,
    skipped: pass.skipped,
    notes: pass.notes,
  };
}

/** What every profile reports over all bags. */
export interface DatasetReportBase<R extends string, B> {
  readonly bags: readonly B[];
  readonly framesSeen: number;
  readonly used: number;
  /** Frames not used, by reason, over all bags (`stride` and `max_frames` are by choice). */
  readonly skipped: Readonly<Record<R, number>>;
  /** Labels clamped to ±rawLimit, per target. */
  readonly clamped: Readonly<Record<string, number>>;
  /** Per target, in raw space. */
  readonly targets: readonly TargetSummary[];
  readonly notes: readonly string[];
}

/** What a profile reads from one bag besides its camera frames, and how it labels a frame. */
export interface BagLabeler<R extends string, B> {
  readonly camera: BagTopicInfo;
  /** The other topics to read. */
  readonly topics: readonly string[];
  /** A message on one of `topics`; `logMs`: its log time, ms from the bag start. */
  take(topic: string, message: unknown, logMs: number): void;
  /** A camera frame's time: its log time, or its header stamp. */
  frameTime(image: Image | CompressedImage, logMs: number): number;
  /** The latest command time read so far: once every frame's label time has passed, reading stops. */
  readonly lastCommandMs: number;
  /** After the pass: notes on the messages it rejected. */
  finish(notes: string[]): void;
  /** Labels a frame at `tMs` as frame `dst` (targets, and states when the profile has them), or says why it cannot. */
  label(tMs: number, dst: number, sink: LabelSink): R | undefined;
  /** The error when no frame of the bag could be labelled. */
  noPairs(pass: BagPass<R>): PilotError;
  report(pass: BagPass<R>): B;
}

/** A profile: its skip reasons, its fields and the labeler it opens per bag. */
export interface DatasetProfile<R extends string, B> {
  /** Every skip reason, in report order (FrameSkipReason among them). */
  readonly reasons: readonly R[];
  readonly input: CameraContractInput;
  readonly fields: readonly ContractOutputField[];
  /** The state vector's names (joint order); none: no states. */
  readonly stateNames?: readonly string[];
  /** The camera calibration the runtime will use, or just its image size; default each bag's first frame's size. */
  readonly camera?: CameraCalibration | ImageSize;
  /** Note frames scaled to the calibration's size. */
  readonly noteScaledFrames: boolean;
  readonly limits: FrameLimits;
  readonly episodeNames?: readonly string[];
  readonly log?: (line: string) => void;
  /** What a clamped label is, after "<n> <field> label(s) outside ±<limit> ": e.g. `in raw space, clamped`. */
  readonly clampedText: string;
  open(reader: BagReader, notes: string[], baseNs: bigint): BagLabeler<R, B>;
}

export interface FrameLimits {
  readonly stride: number;
  readonly maxFramesPerBag: number;
  readonly maxFrames: number;
  readonly latencyMs: number;
  readonly rawLimit: number | null;
}

export interface BagDatasetRead<R extends string, B> {
  readonly dataset: ImageDataset;
  readonly report: DatasetReportBase<R, B>;
}

/** Reads every bag into one dataset (stopping once `maxFrames` are taken). */
export async function readBagDataset<R extends string, B extends { readonly framesSeen: number; readonly skipped: Readonly<Record<R, number>>; readonly notes: readonly string[] }>(
  bags: readonly BagInput[],
  profile: DatasetProfile<R, B>,
): Promise<BagDatasetRead<R, B>> {
  const { input, fields, limits } = profile;
  const { height, width } = modelInputSize(input);
  const stateNames = profile.stateNames;
  const notes: string[] = [];
  // Frames of another size than the given camera's are scaled to it (same aspect ratio): a report note.
  const onScaled = profile.noteScaledFrames ? (line: string) => notes.push(line.replace(/^pilot: /, '')) : undefined;
  const shared = profile.camera ? new FrameExtractor(input, profile.camera, onScaled) : undefined;
  const out: Growable = { images: new Uint8Array(0), targets: new Float32Array(0), states: new Float32Array(0), episodes: new Int32Array(0), count: 0 };
  const sink: LabelSink = { out, fields, m: stateNames?.length ?? 0, rawLimit: limits.rawLimit, clamped: Object.fromEntries(fields.map((f) => [f.name, 0])) };
  const reports: B[] = [];
  const episodeNames: string[] = [];
  for (let b = 0; b < bags.length; b++) {
    if (out.count >= limits.maxFrames) {
      notes.push(`stopped before ${describeInput(bags[b]!)}: ${limits.maxFrames} frames reached`);
      break;
    }
    const bag = bags[b]!;
    const reader = typeof bag === 'string' ? await openBag(bag, { warn: () => {} }) : bag;
    try {
      const name = profile.episodeNames?.[b] ?? (basename(reader.path.replace(/[\\/]+$/, '')) || `bag${b}`);
      const report = await readBag(reader, name, b, profile, { sink, frameBytes: height * width * 3, extractor: shared, frameBudget: Math.min(limits.maxFramesPerBag, limits.maxFrames - out.count) });
      reports.push(report);
      episodeNames.push(name);
      for (const n of report.notes) profile.log?.(`${name}: ${n}`);
    } finally {
      if (typeof bag === 'string') await reader.close();
    }
  }
  const dataset = trimmedDataset(out, height, width, fields, episodeNames, stateNames);
  const skipped = zeroCounts(profile.reasons);
  for (const r of reports) for (const reason of profile.reasons) skipped[reason] += r.skipped[reason];
  for (const [name, n] of Object.entries(sink.clamped)) if (n > 0) notes.push(`${n} ${name} label(s) outside ±${limits.rawLimit} ${profile.clampedText}`);
  const report = { bags: reports, framesSeen: reports.reduce((s, r) => s + r.framesSeen, 0), used: dataset.count, skipped, clamped: sink.clamped, targets: summarizeTargets(dataset), notes };
  return { dataset, report };
}

function describeInput(bag: BagInput): string {
  return typeof bag === 'string' ? bag : bag.path;
}

/** The dataset without the growth slack; a view when the slack is small. */
function trimmedDataset(out: Growable, height: number, width: number, fields: readonly ContractOutputField[], episodeNames: string[], stateNames: readonly string[] | undefined): ImageDataset {
  const { count } = out;
  const trim = <T extends Uint8Array | Float32Array | Int32Array>(a: T, n: number): T => (a.length === n ? a : a.length - n > n / 4 ? (a.slice(0, n) as T) : (a.subarray(0, n) as T));
  const dataset: ImageDataset = {
    images: trim(out.images, count * height * width * 3),
    height,
    width,
    targets: trim(out.targets, count * fields.length),
    targetNames: fields.map((f) => f.name),
    episodes: trim(out.episodes, count),
    episodeNames,
    count,
  };
  return stateNames ? { ...dataset, states: trim(out.states, count * stateNames.length), stateNames } : dataset;
}

interface BagContext {
  readonly sink: LabelSink;
  readonly frameBytes: number;
  /** The extractor for the given camera; none: one per bag, sized by its first frame. */
  readonly extractor: FrameExtractor | undefined;
  readonly frameBudget: number;
}

/** One bag: the pass over its messages, then the labels. */
async function readBag<R extends string, B>(reader: BagReader, name: string, episode: number, profile: DatasetProfile<R, B>, c: BagContext): Promise<B> {
  const notes: string[] = [];
  const baseNs = reader.info().startNs ?? 0n;
  const labeler = profile.open(reader, notes, baseNs);
  const skipped = zeroCounts(profile.reasons);
  const counts = skipped as Record<FrameSkipReason, number>;
  const frames = new FramePass(reader.path, labeler, profile, c, counts, notes);
  const onError = (err: BagError): void => {
    counts.unreadable++;
    if (counts.unreadable <= 3) notes.push(`unreadable: ${err.message}`);
  };
  for await (const m of reader.decoded({ topics: [labeler.camera.name, ...labeler.topics], reuseBuffers: true, onError })) {
    const logMs = Number(m.logTimeNs - baseNs) / 1e6;
    if (m.topic !== labeler.camera.name) labeler.take(m.topic, m.message, logMs);
    else if (!frames.take(m.message as Image | CompressedImage, logMs)) break;
  }
  frames.finish();
  labeler.finish(notes);

  // Label after the pass; frames without a label are dropped and the rest moved up.
  const { out } = c.sink;
  const start = frames.start;
  const frameTimes = frames.frameTimes;
  let used = 0;
  for (let j = 0; j < frameTimes.length; j++) {
    const dst = start + used;
    const reason = labeler.label(frameTimes[j]!, dst, c.sink);
    if (reason !== undefined) {
      skipped[reason]++;
      continue;
    }
    if (dst !== start + j) out.images.copyWithin(dst * c.frameBytes, (start + j) * c.frameBytes, (start + j + 1) * c.frameBytes);
    out.episodes[dst] = episode;
    used++;
  }
  out.count = start + used;
  const extractor = frames.extractor;
  const pass: BagPass<R> = { name, path: reader.path, camera: labeler.camera, framesSeen: frames.framesSeen, frameTimes, used, skipped, notes, sourceWidth: extractor?.srcWidth ?? 0, sourceHeight: extractor?.srcHeight ?? 0 };
  if (used === 0) throw labeler.noPairs(pass);
  return labeler.report(pass);
}

/** The camera frames of one bag: stride, frame budget, sampling into the dataset at out.count + j. */
class FramePass {
  framesSeen = 0;
  readonly frameTimes: number[] = [];
  readonly start: number;
  extractor: FrameExtractor | undefined;
  #firstUndecodable = '';
  #firstBadFrame = '';

  constructor(
    readonly path: string,
    readonly labeler: BagLabeler<string, unknown>,
    readonly profile: DatasetProfile<string, unknown>,
    readonly c: BagContext,
    readonly skipped: Record<FrameSkipReason, number>,
    readonly notes: string[],
  ) {
    const { out } = c.sink;
    this.start = out.count;
    this.extractor = c.extractor;
    const expected = Math.min(c.frameBudget, Math.ceil(labeler.camera.messageCount / profile.limits.stride));
    ensureCapacity(out, this.start + Math.max(expected, 1), c.frameBytes, profile.fields.length, c.sink.m);
  }

  /** One camera message; false once reading can stop (the budget is taken and every label time has passed). */
  take(img: Image | CompressedImage, logMs: number): boolean {
    const { c, skipped, profile } = this;
    const index = this.framesSeen++;
    if (index % profile.limits.stride !== 0) {
      skipped.stride++;
      return true;
    }
    const candidates = this.frameTimes.length;
    if (candidates >= c.frameBudget) {
      skipped.max_frames++;
      // Once every candidate's label time has passed, nothing later can change a label.
      if (this.labeler.lastCommandMs >= this.frameTimes[candidates - 1]! + profile.limits.latencyMs) {
        this.notes.push(`stopped reading at camera frame ${index}: ${c.frameBudget} frame(s) taken`);
        return false;
      }
      return true;
    }
    const tMs = this.labeler.frameTime(img, logMs);
    if (this.#extract(img, index, candidates)) this.frameTimes.push(tMs);
    return true;
  }

  finish(): void {
    const { skipped, notes } = this;
    if (this.#firstUndecodable) notes.push(`${skipped.undecodable} frame(s) did not decode, first: ${this.#firstUndecodable}`);
    if (this.#firstBadFrame) notes.push(`${skipped.bad_frame} malformed frame(s), first: ${this.#firstBadFrame}`);
  }

  /** Samples the frame as candidate `candidates`; false when it is skipped. */
  #extract(img: Image | CompressedImage, index: number, candidates: number): boolean {
    const { c, skipped } = this;
    const extractor = this.extractor ?? this.#firstExtractor(img, index);
    if (!extractor) return false;
    const { out } = c.sink;
    ensureCapacity(out, this.start + candidates + 1, c.frameBytes, this.profile.fields.length, c.sink.m);
    const result = extractor.extractMessage(img, out.images, (this.start + candidates) * c.frameBytes);
    if (result === 'bad_size') {
      throw new PilotError('E_DATASET_IMAGE_SIZE', this.#where(index, extractor) + (c.extractor ? ' (give the calibration of the camera that recorded this bag)' : ' (the camera changed size within the bag)'));
    }
    if (result === 'bad_encoding') throw new PilotError('E_DATASET_ENCODING', this.#where(index, extractor));
    if (result === 'undecodable') {
      skipped.undecodable++;
      this.#firstUndecodable ||= `frame ${index}: ${extractor.lastRejection}`;
      return false;
    }
    if (result === 'bad_step') {
      skipped.bad_frame++;
      this.#firstBadFrame ||= `frame ${index}: ${extractor.lastRejection}`;
      return false;
    }
    return true;
  }

  /** Without a given camera, the first frame's size sizes the extractor; undefined when it does not decode. */
  #firstExtractor(img: Image | CompressedImage, index: number): FrameExtractor | undefined {
    const size = sourceSize(img);
    if (!size) {
      this.skipped.undecodable++;
      this.#firstUndecodable ||= `frame ${index}: ${describeImage(img)} does not decode`;
      return undefined;
    }
    return (this.extractor = new FrameExtractor(this.profile.input, size));
  }

  #where(index: number, extractor: FrameExtractor): string {
    return `${this.path}: ${this.labeler.camera.name} frame ${index}: ${extractor.lastRejection}`;
  }
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
