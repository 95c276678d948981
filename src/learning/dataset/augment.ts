/**
 * Seeded augmentation of a batch of uint8 RGB HWC frames and their labels, in place: brightness,
 * contrast and colour jitter (one lookup table per frame), gaussian noise, box blur, occluding
 * patches, shadows, horizontal flip (labels that change sign are negated) and lateral-shift views.
 *
 * Lateral shift, after NVIDIA's PilotNet viewpoint augmentation, approximated: the frame is
 * translated sideways by k pixels (edge columns repeated) instead of re-rendered from a displaced
 * camera, which is only right for distant scenery, and the label gets a correction linear in k.
 * Content moving right (k > 0) means the car sits left of where the frame was taken or points
 * left, so it must steer right: with ROS's sign (positive steering = left) the steering
 * correction per pixel is negative. Tune `perPixel` to the camera's field of view and input width.
 *
 * All randomness comes from the `rng` passed in, drawn in a fixed order, so a seeded generator gives
 * the same batch every time. Scratch buffers live in the augmenter and are reused between calls.
 */
import { PilotError } from '../../core/util/errors.js';
import { mulberry32 } from '../../core/util/prng.js';

/** Uniform [0, 1), e.g. mulberry32(seed) from src/core/util/prng.ts. */
export type Rng = () => number;

/** The trainer's hook: augments `count` frames of `height × width × 3` bytes and their labels in place. */
export type AugmentFn = (images: Uint8Array, targets: Float32Array, count: number, height: number, width: number, targetNames: readonly string[], rng: Rng) => void;

export interface AugmentConfig {
  /** Add a value in ±maxDelta grey levels to every channel. */
  readonly brightness: { readonly p: number; readonly maxDelta: number };
  /** Scale around the frame's mean by a factor in [min, max]. */
  readonly contrast: { readonly p: number; readonly min: number; readonly max: number };
  /** Per-channel gain in 1 ± maxGain. */
  readonly color: { readonly p: number; readonly maxGain: number };
  /** Gaussian noise, std uniform in [0, maxStd] grey levels, independent per byte. */
  readonly noise: { readonly p: number; readonly maxStd: number };
  /** Box blur with a radius of 1..maxRadius pixels. */
  readonly blur: { readonly p: number; readonly maxRadius: number };
  /** 1..maxPatches rectangles of a random colour, sides minSize..maxSize of the frame's sides. */
  readonly occlusion: { readonly p: number; readonly maxPatches: number; readonly minSize: number; readonly maxSize: number };
  /** A band from the top edge to the bottom edge (a random quadrilateral) darkened to factor minFactor..maxFactor. */
  readonly shadow: { readonly p: number; readonly minFactor: number; readonly maxFactor: number };
  /** Mirror left-right; the targets named in `negate` change sign. */
  readonly flip: { readonly p: number; readonly negate: readonly string[] };
  /**
   * Translate by k ∈ [−maxPixels, maxPixels] pixels (k > 0: content moves right); each target named
   * in `perPixel` changes by perPixel[name]·k, then is clamped to ±limit (null: no clamp).
   */
  readonly shift: { readonly p: number; readonly maxPixels: number; readonly perPixel: Readonly<Record<string, number>>; readonly limit: number | null };
}

export type AugmentOptions = { readonly [K in keyof AugmentConfig]?: Partial<AugmentConfig[K]> };

export const DEFAULT_AUGMENT: AugmentConfig = {
  brightness: { p: 0.5, maxDelta: 40 },
  contrast: { p: 0.5, min: 0.7, max: 1.3 },
  color: { p: 0.3, maxGain: 0.1 },
  noise: { p: 0.3, maxStd: 8 },
  blur: { p: 0.2, maxRadius: 1 },
  occlusion: { p: 0.2, maxPatches: 2, minSize: 0.1, maxSize: 0.3 },
  shadow: { p: 0.3, minFactor: 0.4, maxFactor: 0.8 },
  flip: { p: 0.5, negate: ['steering_angle'] },
  // ≈ 0.5 raw (about a quarter of full lock) for a 12 px shift of a 128 px wide input.
  shift: { p: 0.3, maxPixels: 12, perPixel: { steering_angle: -0.004 }, limit: 1 },
};

/** Every augmentation off: a base for turning on just a few. */
export const NO_AUGMENT: AugmentConfig = {
  brightness: { ...DEFAULT_AUGMENT.brightness, p: 0 },
  contrast: { ...DEFAULT_AUGMENT.contrast, p: 0 },
  color: { ...DEFAULT_AUGMENT.color, p: 0 },
  noise: { ...DEFAULT_AUGMENT.noise, p: 0 },
  blur: { ...DEFAULT_AUGMENT.blur, p: 0 },
  occlusion: { ...DEFAULT_AUGMENT.occlusion, p: 0 },
  shadow: { ...DEFAULT_AUGMENT.shadow, p: 0 },
  flip: { ...DEFAULT_AUGMENT.flip, p: 0 },
  shift: { ...DEFAULT_AUGMENT.shift, p: 0 },
};

/** `options` over `base` (default DEFAULT_AUGMENT), checked. */
export function augmentConfig(options: AugmentOptions = {}, base: AugmentConfig = DEFAULT_AUGMENT): AugmentConfig {
  const merged = Object.fromEntries(
    (Object.keys(base) as (keyof AugmentConfig)[]).map((key) => [key, { ...base[key], ...(options[key] ?? {}) }]),
  ) as unknown as AugmentConfig;
  const bad = (what: string): never => {
    throw new PilotError('E_AUGMENT_CONFIG', what);
  };
  for (const key of Object.keys(merged) as (keyof AugmentConfig)[]) {
    const p = merged[key].p;
    if (!(p >= 0 && p <= 1)) bad(`${key}.p must be in [0, 1], got ${p}`);
  }
  const c = merged;
  if (!(c.brightness.maxDelta >= 0 && c.brightness.maxDelta <= 255)) bad(`brightness.maxDelta must be in [0, 255], got ${c.brightness.maxDelta}`);
  if (!(c.contrast.min > 0 && c.contrast.max >= c.contrast.min)) bad(`contrast range [${c.contrast.min}, ${c.contrast.max}] must be positive and ordered`);
  if (!(c.color.maxGain >= 0 && c.color.maxGain < 1)) bad(`color.maxGain must be in [0, 1), got ${c.color.maxGain}`);
  if (!(c.noise.maxStd >= 0 && Number.isFinite(c.noise.maxStd))) bad(`noise.maxStd must be ≥ 0, got ${c.noise.maxStd}`);
  if (!(Number.isInteger(c.blur.maxRadius) && c.blur.maxRadius >= 1)) bad(`blur.maxRadius must be an integer ≥ 1, got ${c.blur.maxRadius}`);
  if (!(Number.isInteger(c.occlusion.maxPatches) && c.occlusion.maxPatches >= 1)) bad(`occlusion.maxPatches must be an integer ≥ 1, got ${c.occlusion.maxPatches}`);
  if (!(c.occlusion.minSize > 0 && c.occlusion.maxSize >= c.occlusion.minSize && c.occlusion.maxSize <= 1)) bad(`occlusion sizes [${c.occlusion.minSize}, ${c.occlusion.maxSize}] must satisfy 0 < min ≤ max ≤ 1`);
  if (!(c.shadow.minFactor >= 0 && c.shadow.maxFactor >= c.shadow.minFactor && c.shadow.maxFactor <= 1)) bad(`shadow factors [${c.shadow.minFactor}, ${c.shadow.maxFactor}] must satisfy 0 ≤ min ≤ max ≤ 1`);
  if (!(Number.isInteger(c.shift.maxPixels) && c.shift.maxPixels >= 0)) bad(`shift.maxPixels must be an integer ≥ 0, got ${c.shift.maxPixels}`);
  if (c.shift.limit !== null && !(c.shift.limit > 0)) bad(`shift.limit must be positive or null, got ${c.shift.limit}`);
  for (const [name, g] of Object.entries(c.shift.perPixel)) if (!Number.isFinite(g)) bad(`shift.perPixel.${name} must be a finite number, got ${g}`);
  return merged;
}

/** An augmenter with the given settings (over DEFAULT_AUGMENT); it owns its scratch buffers. */
export function createAugmenter(options: AugmentOptions = {}, base: AugmentConfig = DEFAULT_AUGMENT): AugmentFn {
  const augmenter = new Augmenter(augmentConfig(options, base));
  return (images, targets, count, height, width, targetNames, rng) => augmenter.batch(images, targets, count, height, width, targetNames, rng);
}

/**
 * One configuration's augmentation with its scratch buffers. Per frame, in this order (the order the
 * random numbers are drawn in): flip, lateral shift, photometric table, shadow, occluders, blur, noise.
 */
class Augmenter {
  readonly #c: AugmentConfig;
  readonly #lut = new Uint8Array(768);
  #row = new Uint8Array(0);
  #frame = new Uint8Array(0);
  // Target indices, resolved once per distinct targetNames list.
  #namesKey: string | undefined;
  #negate: number[] = [];
  #shiftIdx: number[] = [];
  #shiftGain: number[] = [];
  readonly #shiftNames: string[];

  constructor(c: AugmentConfig) {
    this.#c = c;
    this.#shiftNames = Object.keys(c.shift.perPixel);
  }

  batch(images: Uint8Array, targets: Float32Array, count: number, height: number, width: number, targetNames: readonly string[], rng: Rng): void {
    const fb = height * width * 3;
    const k = targetNames.length;
    if (images.length < count * fb) throw new PilotError('E_AUGMENT_SHAPE', `images has ${images.length} bytes, ${count} frames of ${width}x${height}x3 need ${count * fb}`);
    if (targets.length < count * k) throw new PilotError('E_AUGMENT_SHAPE', `targets has ${targets.length} values, ${count} frames × ${k} targets need ${count * k}`);
    this.#resolve(targetNames);
    if (this.#row.length < width * 3) this.#row = new Uint8Array(width * 3);
    if (this.#frame.length < fb) this.#frame = new Uint8Array(fb);
    for (let i = 0; i < count; i++) {
      const o = i * fb;
      this.#geometric(images, targets, o, i * k, height, width, rng);
      this.#photometric(images, o, fb, rng);
      this.#patches(images, o, height, width, rng);
      const c = this.#c;
      if (rng() < c.blur.p) boxBlur(images, o, height, width, 1 + Math.floor(rng() * c.blur.maxRadius), this.#frame);
      if (rng() < c.noise.p) {
        const std = rng() * c.noise.maxStd;
        if (std > 0) addNoise(images, o, fb, std, rng);
      }
    }
  }

  #resolve(targetNames: readonly string[]): void {
    const key = targetNames.join('\u0000');
    if (key === this.#namesKey) return;
    const c = this.#c;
    const find = (name: string, what: string): number => {
      const i = targetNames.indexOf(name);
      if (i < 0) {
        throw new PilotError('E_AUGMENT_CONFIG', `${what} names target '${name}', which is not among the targets [${targetNames.join(', ')}]; set ${what} for these targets (or turn it off)`);
      }
      return i;
    };
    this.#negate = c.flip.p > 0 ? c.flip.negate.map((n) => find(n, 'flip.negate')) : [];
    this.#shiftIdx = c.shift.p > 0 ? this.#shiftNames.map((n) => find(n, 'shift.perPixel')) : [];
    this.#shiftGain = this.#shiftNames.map((n) => c.shift.perPixel[n]!);
    this.#namesKey = key;
  }

  /** Flip (negating the mirrored targets) and lateral shift (correcting the shifted ones) of frame `o`, targets at `to`. */
  #geometric(images: Uint8Array, targets: Float32Array, o: number, to: number, height: number, width: number, rng: Rng): void {
    const c = this.#c;
    if (rng() < c.flip.p) {
      flip(images, o, height, width);
      for (const t of this.#negate) targets[to + t] = -targets[to + t]!;
    }
    if (rng() < c.shift.p && c.shift.maxPixels > 0) {
      const px = Math.round((rng() * 2 - 1) * c.shift.maxPixels);
      if (px !== 0) {
        shift(images, o, height, width, px, this.#row);
        for (let j = 0; j < this.#shiftIdx.length; j++) {
          const t = this.#shiftIdx[j]!;
          let v = targets[to + t]! + this.#shiftGain[j]! * px;
          if (c.shift.limit !== null) v = Math.max(-c.shift.limit, Math.min(c.shift.limit, v));
          targets[to + t] = v;
        }
      }
    }
  }

  /** Photometric jitter as one table per channel: out = ((v·gain − mean)·contrast + mean + delta). */
  #photometric(images: Uint8Array, o: number, fb: number, rng: Rng): void {
    const c = this.#c;
    const lut = this.#lut;
    const delta = rng() < c.brightness.p ? (rng() * 2 - 1) * c.brightness.maxDelta : 0;
    const contrast = rng() < c.contrast.p ? c.contrast.min + rng() * (c.contrast.max - c.contrast.min) : 1;
    let g0 = 1, g1 = 1, g2 = 1;
    if (rng() < c.color.p) {
      g0 = 1 + (rng() * 2 - 1) * c.color.maxGain;
      g1 = 1 + (rng() * 2 - 1) * c.color.maxGain;
      g2 = 1 + (rng() * 2 - 1) * c.color.maxGain;
    }
    if (delta === 0 && contrast === 1 && g0 === 1 && g1 === 1 && g2 === 1) return;
    const mean = contrast !== 1 ? frameMean(images, o, fb) : 0;
    for (let v = 0; v < 256; v++) {
      lut[v] = clampByte((v * g0 - mean) * contrast + mean + delta);
      lut[256 + v] = clampByte((v * g1 - mean) * contrast + mean + delta);
      lut[512 + v] = clampByte((v * g2 - mean) * contrast + mean + delta);
    }
    for (let p = o; p < o + fb; p += 3) {
      images[p] = lut[images[p]!]!;
      images[p + 1] = lut[256 + images[p + 1]!]!;
      images[p + 2] = lut[512 + images[p + 2]!]!;
    }
  }

  /** A shadow band, then occluding patches. */
  #patches(images: Uint8Array, o: number, height: number, width: number, rng: Rng): void {
    const c = this.#c;
    if (rng() < c.shadow.p) {
      const factor = c.shadow.minFactor + rng() * (c.shadow.maxFactor - c.shadow.minFactor);
      shadow(images, o, height, width, rng() * width, rng() * width, rng() * width, rng() * width, factor);
    }
    if (rng() < c.occlusion.p) {
      const n = 1 + Math.floor(rng() * c.occlusion.maxPatches);
      for (let j = 0; j < n; j++) {
        const pw = Math.max(1, Math.round(width * (c.occlusion.minSize + rng() * (c.occlusion.maxSize - c.occlusion.minSize))));
        const ph = Math.max(1, Math.round(height * (c.occlusion.minSize + rng() * (c.occlusion.maxSize - c.occlusion.minSize))));
        const x0 = Math.floor(rng() * (width - pw + 1));
        const y0 = Math.floor(rng() * (height - ph + 1));
        fillRect(images, o, width, x0, y0, pw, ph, (rng() * 256) | 0, (rng() * 256) | 0, (rng() * 256) | 0);
      }
    }
  }
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

function frameMean(img: Uint8Array, o: number, n: number): number {
  let sum = 0;
  for (let p = o; p < o + n; p++) sum += img[p]!;
  return sum / n;
}

/** Mirror each row in place. */
export function flip(img: Uint8Array, o: number, height: number, width: number): void {
  for (let y = 0; y < height; y++) {
    let a = o + y * width * 3;
    let b = a + (width - 1) * 3;
    while (a < b) {
      for (let ch = 0; ch < 3; ch++) {
        const t = img[a + ch]!;
        img[a + ch] = img[b + ch]!;
        img[b + ch] = t;
      }
      a += 3;
      b -= 3;
    }
  }
}

/** Translate right by `px` (left when negative), repeating the edge column; `row` is ≥ width·3 bytes of scratch. */
export function shift(img: Uint8Array, o: number, height: number, width: number, px: number, row: Uint8Array): void {
  const rb = width * 3;
  for (let y = 0; y < height; y++) {
    const r = o + y * rb;
    row.set(img.subarray(r, r + rb));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - px)) * 3;
      img[r + x * 3] = row[sx]!;
      img[r + x * 3 + 1] = row[sx + 1]!;
      img[r + x * 3 + 2] = row[sx + 2]!;
    }
  }
}

/** Darken the quadrilateral between x = a..b on the top row and c..d on the bottom row. */
function shadow(img: Uint8Array, o: number, height: number, width: number, a: number, b: number, c: number, d: number, factor: number): void {
  const top0 = Math.min(a, b), top1 = Math.max(a, b);
  const bot0 = Math.min(c, d), bot1 = Math.max(c, d);
  for (let y = 0; y < height; y++) {
    const t = height > 1 ? y / (height - 1) : 0;
    const x0 = Math.max(0, Math.ceil(top0 + (bot0 - top0) * t));
    const x1 = Math.min(width, Math.ceil(top1 + (bot1 - top1) * t));
    for (let p = o + (y * width + x0) * 3, end = o + (y * width + x1) * 3; p < end; p++) img[p] = Math.round(img[p]! * factor);
  }
}

function fillRect(img: Uint8Array, o: number, width: number, x0: number, y0: number, w: number, h: number, r: number, g: number, b: number): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let p = o + (y * width + x0) * 3, end = p + w * 3; p < end; p += 3) {
      img[p] = r;
      img[p + 1] = g;
      img[p + 2] = b;
    }
  }
}

/** Separable box blur with running sums, edges clamped; `tmp` holds the horizontal pass. */
function boxBlur(img: Uint8Array, o: number, height: number, width: number, radius: number, tmp: Uint8Array): void {
  const n = 2 * radius + 1;
  const rb = width * 3;
  for (let y = 0; y < height; y++) {
    const r = o + y * rb;
    const t = y * rb;
    for (let ch = 0; ch < 3; ch++) {
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += img[r + (d < 0 ? 0 : d >= width ? width - 1 : d) * 3 + ch]!;
      for (let x = 0; x < width; x++) {
        tmp[t + x * 3 + ch] = Math.round(s / n);
        const add = x + radius + 1;
        const sub = x - radius;
        s += img[r + (add >= width ? width - 1 : add) * 3 + ch]! - img[r + (sub < 0 ? 0 : sub) * 3 + ch]!;
      }
    }
  }
  for (let x = 0; x < width; x++) {
    for (let ch = 0; ch < 3; ch++) {
      const c = x * 3 + ch;
      let s = 0;
      for (let d = -radius; d <= radius; d++) s += tmp[(d < 0 ? 0 : d >= height ? height - 1 : d) * rb + c]!;
      for (let y = 0; y < height; y++) {
        img[o + y * rb + c] = Math.round(s / n);
        const add = y + radius + 1;
        const sub = y - radius;
        s += tmp[(add >= height ? height - 1 : add) * rb + c]! - tmp[(sub < 0 ? 0 : sub) * rb + c]!;
      }
    }
  }
}

/**
 * Standard normal samples shared by all augmenters (fixed seed, built on first use). Per-byte
 * Box–Muller costs more than the rest of the pipeline together; reading the table from a random
 * start with a random odd stride is as good for augmentation, and as deterministic.
 */
const GAUSS_SIZE = 1 << 16;
let gaussTable: Float32Array | undefined;
function gaussians(): Float32Array {
  if (gaussTable) return gaussTable;
  const t = new Float32Array(GAUSS_SIZE);
  const next = mulberry32(0x5eed);
  for (let i = 0; i < t.length; i += 2) {
    const m = Math.sqrt(-2 * Math.log(1 - next()));
    const phi = 2 * Math.PI * next();
    t[i] = m * Math.cos(phi);
    t[i + 1] = m * Math.sin(phi);
  }
  gaussTable = t;
  return t;
}

function addNoise(img: Uint8Array, o: number, n: number, std: number, rng: Rng): void {
  const table = gaussians();
  const mask = GAUSS_SIZE - 1;
  let at = Math.floor(rng() * GAUSS_SIZE);
  const stride = 2 * Math.floor(rng() * 64) + 1;
  for (let p = o; p < o + n; p++) {
    const v = img[p]! + std * table[at]!;
    img[p] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    at = (at + stride) & mask;
  }
}
