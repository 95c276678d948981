/**
 * Training frames as the trainer reads them, and the per-batch uint8 → float conversion.
 * `LabelledFrames` is the subset of src/learning/dataset's ImageDataset the trainer needs, so any ImageDataset fits.
 */
import { PilotError } from '../../core/util/errors.js';

export interface LabelledFrames {
  /** Model-input-resolution frames, uint8 RGB, HWC row-major, `count` frames back to back. */
  readonly images: Uint8Array;
  readonly height: number;
  readonly width: number;
  /** `count × targetNames.length`, row-major, in the network's raw output space. */
  readonly targets: Float32Array;
  readonly targetNames: readonly string[];
  readonly count: number;
  /**
   * State input per frame (`count × stateNames.length`), for a network with a state input (its head
   * architecture's `state.names` must equal `stateNames`); ignored by a network without one.
   */
  readonly states?: Float32Array;
  readonly stateNames?: readonly string[];
}

/** Which frames of a set to use, and how much each counts in the loss. */
export interface FrameSelection {
  readonly frames: LabelledFrames;
  /** Frame indices to use; default all, in order. */
  readonly indices?: ArrayLike<number>;
  /** Loss weight per frame, indexed like `frames` (length `frames.count`), e.g. for steering balance. */
  readonly weights?: Float32Array;
}

/** The contract's camera normalisation: value = (pixel · scale − mean[c]) / std[c]. */
export interface Normalize {
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Pixels to [−1, 1], as the bundled models use. */
export const SYMMETRIC_NORMALIZE: Normalize = { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/**
 * uint8 HWC RGB → float32 through a 256-entry table per channel, computed exactly as the runtime's
 * CameraPreprocessor does (float32 gain and bias, value = byte · gain + bias), so training and
 * inference see the same numbers for the same bytes.
 */
export class FrameNormalizer {
  readonly #lut: Float32Array;

  constructor(normalize: Normalize) {
    const gain = new Float32Array(3);
    const bias = new Float32Array(3);
    for (let c = 0; c < 3; c++) {
      const m = normalize.mean[c] ?? normalize.mean[0]!;
      const s = normalize.std[c] ?? normalize.std[0]!;
      if (!(s > 0) || !Number.isFinite(m) || !Number.isFinite(normalize.scale)) {
        throw new PilotError('E_TRAIN_OPTIONS', `normalize: channel ${c} has mean ${m}, std ${s}, scale ${normalize.scale}; need finite values and std > 0`);
      }
      gain[c] = normalize.scale / s;
      bias[c] = -m / s;
    }
    this.#lut = new Float32Array(768);
    for (let c = 0; c < 3; c++) for (let b = 0; b < 256; b++) this.#lut[c * 256 + b] = b * gain[c]! + bias[c]!;
  }

  /** Converts `src` (HWC RGB bytes, a multiple of 3 long) into `dst` (same length). */
  apply(src: Uint8Array, dst: Float32Array): void {
    const lut = this.#lut;
    for (let i = 0; i < src.length; i += 3) {
      dst[i] = lut[src[i]!]!;
      dst[i + 1] = lut[256 + src[i + 1]!]!;
      dst[i + 2] = lut[512 + src[i + 2]!]!;
    }
  }
}

/**
 * Checks a selection against the network's input, outputs and state input (`stateNames`, empty for a
 * network without one); returns the resolved indices.
 */
export function checkSelection(sel: FrameSelection, role: string, input: { height: number; width: number }, outputs: readonly string[], stateNames: readonly string[] = []): Int32Array {
  const f = sel.frames;
  const fail = (what: string): never => {
    throw new PilotError('E_TRAIN_DATA', `${role} set: ${what}`);
  };
  if (f.height !== input.height || f.width !== input.width) {
    fail(`frames are ${f.width}×${f.height}, the network input is ${input.width}×${input.height}`);
  }
  if (f.images.length !== f.count * f.height * f.width * 3) fail(`images has ${f.images.length} bytes, expected ${f.count}×${f.height}×${f.width}×3`);
  if (f.targetNames.length !== outputs.length || f.targetNames.some((n, i) => n !== outputs[i])) {
    fail(`targets [${f.targetNames.join(', ')}] do not match the network outputs [${outputs.join(', ')}]`);
  }
  if (f.targets.length !== f.count * outputs.length) fail(`targets has ${f.targets.length} values, expected ${f.count}×${outputs.length}`);
  const m = stateNames.length;
  if (m > 0) {
    if (!f.states || !f.stateNames) fail(`the network has a state input [${stateNames.join(', ')}], the frames carry no states`);
    if (f.stateNames!.length !== m || f.stateNames!.some((n, i) => n !== stateNames[i])) {
      fail(`states [${f.stateNames!.join(', ')}] do not match the network's state input [${stateNames.join(', ')}]`);
    }
    if (f.states!.length !== f.count * m) fail(`states has ${f.states!.length} values, expected ${f.count}×${m}`);
  }
  const indices = sel.indices ? Int32Array.from(sel.indices) : Int32Array.from({ length: f.count }, (_, i) => i);
  for (const i of indices) if (!(i >= 0 && i < f.count) || !Number.isInteger(i)) fail(`index ${i} is outside 0..${f.count - 1}`);
  if (sel.weights && sel.weights.length !== f.count) fail(`weights has ${sel.weights.length} values, expected one per frame (${f.count})`);
  const k = outputs.length;
  for (const i of indices) {
    for (let t = 0; t < k; t++) {
      const v = f.targets[i * k + t]!;
      if (!Number.isFinite(v)) fail(`target ${outputs[t]} of frame ${i} is ${v}`);
    }
    for (let t = 0; t < m; t++) {
      const v = f.states![i * m + t]!;
      if (!Number.isFinite(v)) fail(`state ${stateNames[t]} of frame ${i} is ${v}`);
    }
    const w = sel.weights ? sel.weights[i]! : 1;
    if (!(w >= 0) || !Number.isFinite(w)) fail(`weight of frame ${i} is ${w}; weights must be finite and ≥ 0`);
  }
  return indices;
}
