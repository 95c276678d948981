/**
 * The in-memory training set: frames at the model's input resolution (uint8 RGB, HWC) with their
 * labels in the network's raw output space, the episode (bag / drive) each frame came from, and,
 * for policies with a state input (an arm's joint positions), one state vector per frame.
 * Helpers here never copy more than they must and never reorder frames within an episode, so an
 * episode's frames stay in time order (the single-episode split relies on it).
 */
import { mulberry32, shuffled } from '../../core/util/prng.js';
import { PilotError } from '../../core/util/errors.js';

export interface ImageDataset {
  /** Model-input-resolution frames, uint8 RGB, HWC row-major, `count` frames back to back. */
  readonly images: Uint8Array;
  readonly height: number;
  readonly width: number;
  /** Labels, `count × targetNames.length`, row-major, in the network's raw output space. */
  readonly targets: Float32Array;
  readonly targetNames: readonly string[];
  /** Episode (bag / drive) index of each frame; train/validation split by episode. */
  readonly episodes: Int32Array;
  readonly episodeNames: readonly string[];
  readonly count: number;
  /**
   * Optional state input per frame, `count × stateNames.length`, row-major, in the units the runtime
   * feeds the network (an arm's joint positions in rad, joint order). Present together with `stateNames`.
   */
  readonly states?: Float32Array;
  readonly stateNames?: readonly string[];
}

/** Number of state values per frame (0 without states). */
export function stateSize(ds: Pick<ImageDataset, 'stateNames'>): number {
  return ds.stateNames?.length ?? 0;
}

/** The optional state fields of a dataset being built: both when both are given, else neither. */
function stateFields(states: Float32Array | undefined, stateNames: readonly string[] | undefined): Pick<ImageDataset, 'states' | 'stateNames'> {
  return stateNames && states ? { states, stateNames } : {};
}

/** Bytes of one frame (RGB). */
export function frameBytes(ds: Pick<ImageDataset, 'height' | 'width'>): number {
  return ds.height * ds.width * 3;
}

/** Throws E_DATASET_SHAPE when the arrays do not agree with `count`, the size and the names. */
export function checkDataset(ds: ImageDataset, what = 'dataset'): ImageDataset {
  const k = ds.targetNames.length;
  const problems: string[] = [];
  if (!(Number.isInteger(ds.count) && ds.count >= 0)) problems.push(`count ${ds.count} is not a non-negative integer`);
  if (ds.images.length !== ds.count * frameBytes(ds)) problems.push(`images has ${ds.images.length} bytes, expected ${ds.count}×${ds.height}×${ds.width}×3 = ${ds.count * frameBytes(ds)}`);
  if (ds.targets.length !== ds.count * k) problems.push(`targets has ${ds.targets.length} values, expected ${ds.count}×${k}`);
  if (ds.episodes.length !== ds.count) problems.push(`episodes has ${ds.episodes.length} entries, expected ${ds.count}`);
  if ((ds.states === undefined) !== (ds.stateNames === undefined)) {
    problems.push(`states and stateNames must come together (states ${ds.states ? 'given' : 'missing'}, stateNames ${ds.stateNames ? 'given' : 'missing'})`);
  } else if (ds.states && ds.stateNames) {
    const n = ds.stateNames.length;
    if (n === 0) problems.push('stateNames is empty (leave states out instead)');
    if (ds.states.length !== ds.count * n) problems.push(`states has ${ds.states.length} values, expected ${ds.count}×${n}`);
  }
  for (let i = 0; i < ds.episodes.length; i++) {
    const e = ds.episodes[i]!;
    if (e < 0 || e >= ds.episodeNames.length) {
      problems.push(`frame ${i}: episode ${e} outside 0..${ds.episodeNames.length - 1}`);
      break;
    }
  }
  if (problems.length > 0) throw new PilotError('E_DATASET_SHAPE', `${what}: ${problems.join('; ')}`);
  return ds;
}

/** An empty dataset of the given shape (e.g. the start of a DAgger aggregate); with `stateNames`, one that carries states. */
export function emptyDataset(height: number, width: number, targetNames: readonly string[], stateNames?: readonly string[]): ImageDataset {
  return {
    images: new Uint8Array(0),
    height,
    width,
    targets: new Float32Array(0),
    targetNames: [...targetNames],
    episodes: new Int32Array(0),
    episodeNames: [],
    count: 0,
    ...(stateNames ? { states: new Float32Array(0), stateNames: [...stateNames] } : {}),
  };
}

/**
 * Frames of several datasets back to back (rehearsal: earlier data + new data). Episodes stay apart:
 * each input's episodes get new indices after the previous inputs'. Sizes, target names and state
 * names (all with the same states, or none with states) must match.
 */
export function concatDatasets(parts: readonly ImageDataset[]): ImageDataset {
  if (parts.length === 0) throw new PilotError('E_DATASET_SHAPE', 'concat: no datasets given');
  const first = parts[0]!;
  for (let p = 1; p < parts.length; p++) {
    const d = parts[p]!;
    if (d.height !== first.height || d.width !== first.width) {
      throw new PilotError('E_DATASET_SHAPE', `concat: dataset ${p} has ${d.width}x${d.height} frames, dataset 0 has ${first.width}x${first.height}`);
    }
    if (d.targetNames.join(',') !== first.targetNames.join(',')) {
      throw new PilotError('E_DATASET_SHAPE', `concat: dataset ${p} has targets [${d.targetNames.join(', ')}], dataset 0 has [${first.targetNames.join(', ')}]`);
    }
    if (describeStates(d) !== describeStates(first)) {
      throw new PilotError('E_DATASET_SHAPE', `concat: dataset ${p} has ${describeStates(d)}, dataset 0 has ${describeStates(first)}`);
    }
  }
  const count = parts.reduce((s, d) => s + d.count, 0);
  const k = first.targetNames.length;
  const fb = frameBytes(first);
  const images = new Uint8Array(count * fb);
  const targets = new Float32Array(count * k);
  const episodes = new Int32Array(count);
  const episodeNames: string[] = [];
  const n = stateSize(first);
  const states = describeStates(first) !== 'no states' ? new Float32Array(count * n) : undefined;
  let at = 0;
  for (const d of parts) {
    images.set(d.images.subarray(0, d.count * fb), at * fb);
    targets.set(d.targets.subarray(0, d.count * k), at * k);
    if (states) states.set(d.states!.subarray(0, d.count * n), at * n);
    const base = episodeNames.length;
    for (let i = 0; i < d.count; i++) episodes[at + i] = d.episodes[i]! + base;
    episodeNames.push(...d.episodeNames);
    at += d.count;
  }
  return { images, height: first.height, width: first.width, targets, targetNames: [...first.targetNames], episodes, episodeNames, count, ...stateFields(states, first.stateNames && [...first.stateNames]) };
}

function describeStates(d: ImageDataset): string {
  return d.stateNames && d.states ? `states [${d.stateNames.join(', ')}]` : 'no states';
}

/**
 * The frames at `indices`, in that order (duplicates allowed: resampling). Episode names are kept
 * whole, so indices stay comparable with the source's.
 */
export function subsetDataset(ds: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const fb = frameBytes(ds);
  const k = ds.targetNames.length;
  const n = indices.length;
  const images = new Uint8Array(n * fb);
  const targets = new Float32Array(n * k);
  const episodes = new Int32Array(n);
  const m = stateSize(ds);
  const states = ds.stateNames && ds.states ? new Float32Array(n * m) : undefined;
  for (let j = 0; j < n; j++) {
    const i = indices[j]!;
    if (!(Number.isInteger(i) && i >= 0 && i < ds.count)) throw new PilotError('E_DATASET_INDEX', `subset: index ${i} (position ${j}) outside 0..${ds.count - 1}`);
    images.set(ds.images.subarray(i * fb, (i + 1) * fb), j * fb);
    for (let t = 0; t < k; t++) targets[j * k + t] = ds.targets[i * k + t]!;
    if (states) for (let t = 0; t < m; t++) states[j * m + t] = ds.states![i * m + t]!;
    episodes[j] = ds.episodes[i]!;
  }
  return { images, height: ds.height, width: ds.width, targets, targetNames: ds.targetNames, episodes, episodeNames: ds.episodeNames, count: n, ...stateFields(states, ds.stateNames) };
}

export interface SplitOptions {
  /** Share of frames for validation, 0..1 (default 0.2). */
  readonly validationFraction?: number;
  readonly seed?: number;
  /**
   * One episode only: it is cut into this many contiguous time segments and whole segments go to
   * validation (default 10). Neighbouring frames are near duplicates, so a random frame split would
   * leak; segments leak only at their edges.
   */
  readonly segments?: number;
  /** One episode only: frames dropped on each side of a train/validation boundary (default 0). */
  readonly gapFrames?: number;
}

export interface DatasetSplit {
  readonly train: ImageDataset;
  readonly validation: ImageDataset;
  /** Indices into the source dataset. */
  readonly trainIndices: Int32Array;
  readonly validationIndices: Int32Array;
  readonly mode: 'episodes' | 'segments';
  /** What was done, for the log: which episodes (or segments) went to validation. */
  readonly note: string;
}

/**
 * Train/validation split by episode: whole episodes, picked in a seeded random order, go to
 * validation until it holds at least `validationFraction` of the frames (at least one episode, and
 * at least one left for training). With a single episode it splits by contiguous time segments
 * instead, and `mode`/`note` say so.
 */
export function splitByEpisode(ds: ImageDataset, options: SplitOptions = {}): DatasetSplit {
  const fraction = options.validationFraction ?? 0.2;
  if (!(fraction >= 0 && fraction < 1)) throw new PilotError('E_DATASET_SPLIT', `validation fraction must be in [0, 1), got ${fraction}`);
  const random = mulberry32(options.seed ?? 0);
  const perEpisode = new Map<number, number>();
  for (let i = 0; i < ds.count; i++) perEpisode.set(ds.episodes[i]!, (perEpisode.get(ds.episodes[i]!) ?? 0) + 1);
  const present = [...perEpisode.keys()].sort((a, b) => a - b);
  const toValidation = new Uint8Array(ds.count);
  let mode: DatasetSplit['mode'];
  let note: string;
  const name = (e: number): string => ds.episodeNames[e] ?? `#${e}`;

  if (fraction === 0 || ds.count === 0) {
    mode = present.length > 1 ? 'episodes' : 'segments';
    note = 'no validation split (fraction 0)';
  } else if (present.length > 1) {
    mode = 'episodes';
    const order = shuffled(present, random);
    const chosen = new Set<number>();
    let frames = 0;
    for (const e of order) {
      if (chosen.size === present.length - 1 || (chosen.size > 0 && frames >= fraction * ds.count)) break;
      chosen.add(e);
      frames += perEpisode.get(e)!;
    }
    for (let i = 0; i < ds.count; i++) toValidation[i] = chosen.has(ds.episodes[i]!) ? 1 : 0;
    note = `validation episodes: ${[...chosen].sort((a, b) => a - b).map(name).join(', ')} (${frames} of ${ds.count} frames)`;
  } else {
    mode = 'segments';
    const segments = Math.max(2, Math.min(options.segments ?? 10, ds.count));
    const pick = Math.min(segments - 1, Math.max(1, Math.round(fraction * segments)));
    const chosen = new Set(shuffled([...Array(segments).keys()], random).slice(0, pick));
    const segOf = (i: number): number => Math.min(segments - 1, Math.floor((i * segments) / ds.count));
    for (let i = 0; i < ds.count; i++) toValidation[i] = chosen.has(segOf(i)) ? 1 : 0;
    const gap = Math.max(0, Math.floor(options.gapFrames ?? 0));
    let dropped = 0;
    if (gap > 0) {
      // Mark frames within `gap` of a boundary between the two sides as dropped (2).
      const side = Uint8Array.from(toValidation);
      for (let i = 1; i < ds.count; i++) {
        if (side[i] === side[i - 1]) continue;
        for (let j = Math.max(0, i - gap); j < Math.min(ds.count, i + gap); j++) toValidation[j] = 2;
      }
      for (let i = 0; i < ds.count; i++) if (toValidation[i] === 2) dropped++;
    }
    note =
      `one episode (${name(present[0]!)}): split by time instead, ${pick} of ${segments} contiguous segments ` +
      `(${[...chosen].sort((a, b) => a - b).join(', ')}) to validation` +
      (gap > 0 ? `, ${dropped} frames at the boundaries dropped` : '');
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < ds.count; i++) {
    if (toValidation[i] === 0) train.push(i);
    else if (toValidation[i] === 1) validation.push(i);
  }
  const trainIndices = Int32Array.from(train);
  const validationIndices = Int32Array.from(validation);
  return { train: subsetDataset(ds, trainIndices), validation: subsetDataset(ds, validationIndices), trainIndices, validationIndices, mode, note };
}

export interface TargetSummary {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
}

/** Per-target min/max/mean/std, for reports and the degenerate-data check. */
export function summarizeTargets(ds: ImageDataset): TargetSummary[] {
  const k = ds.targetNames.length;
  return ds.targetNames.map((name, t) => {
    let min = Infinity, max = -Infinity, sum = 0, sq = 0;
    for (let i = 0; i < ds.count; i++) {
      const v = ds.targets[i * k + t]!;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      sq += v * v;
    }
    const n = Math.max(ds.count, 1);
    const mean = sum / n;
    return { name, min: ds.count ? min : NaN, max: ds.count ? max : NaN, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
  });
}
