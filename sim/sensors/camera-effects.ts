/**
 * Camera image degradations applied in place to an RGB8 or RGBA8 buffer (top row first, as the
 * renderer reads back): occluder patches (lens dirt, a finger), blur, exposure gain and Gaussian
 * pixel noise (per channel, table-based: see TableGaussianNoise), in the order light meets them.
 * Deterministic from the seed; alpha is left alone.
 * With the defaults (gain 1, everything else 0) apply() does not touch the buffer.
 *
 * All scratch is allocated once per resolution, so apply() does not allocate.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { TableGaussianNoise, noiseScale, type NoiseMultiplierHook } from './noise.js';

/**
 * An occluding patch in normalised image coordinates: x across the width from the left, y down
 * the height from the top, both in [0, 1]. `grey` is the patch's level 0..255.
 */
export type Occluder =
  | { shape: 'rect'; x: number; y: number; /** Fractions of width and height, centred on (x, y). */ w: number; h: number; grey: number }
  | { shape: 'disc'; x: number; y: number; /** Fraction of the smaller image side, so the disc stays round. */ r: number; grey: number };

export type BlurKind = 'box' | 'gaussian';

export interface CameraEffectsSettings {
  /** Multiplies pixel values (1 = unchanged); results clamp at 255. */
  exposureGain: number;
  /** Standard deviation of additive per-value Gaussian noise, in grey levels 0..255. */
  noiseSigma: number;
  /** 0 (off), 1 or 2 px. Box: uniform (2r+1) taps. Gaussian: binomial taps [1 2 1]/4, [1 4 6 4 1]/16. */
  blurRadiusPx: number;
  blurKind: BlurKind;
  occluders: readonly Occluder[];
}

export interface CameraEffectsOptions extends Partial<CameraEffectsSettings> {
  width: number;
  height: number;
  /** 3 = rgb8, 4 = rgba8. */
  channels: 3 | 4;
  seed: number;
  /** Scales noiseSigma at a sim time, e.g. a fault-injection noise burst. */
  noiseMultiplier?: NoiseMultiplierHook | null;
}

export const DEFAULT_CAMERA_EFFECTS: Readonly<CameraEffectsSettings> = Object.freeze({
  exposureGain: 1,
  noiseSigma: 0,
  blurRadiusPx: 0,
  blurKind: 'gaussian',
  occluders: Object.freeze([]) as readonly Occluder[],
});

const MAX_BLUR_RADIUS_PX = 2;
const MAX_SIDE_PX = 16384;

export class CameraEffects {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  #settings: CameraEffectsSettings = { ...DEFAULT_CAMERA_EFFECTS };
  readonly #noise: TableGaussianNoise;
  readonly #noiseMultiplier: NoiseMultiplierHook | null;
  /** Colour values as floats (3 per pixel), so the effects round once at the end. */
  readonly #buf: Float32Array;
  readonly #tmp: Float32Array;
  /** Reflected pixel indices for x in [-2, width + 2) and y in [-2, height + 2). */
  readonly #xIndex: Int32Array;
  readonly #yIndex: Int32Array;
  readonly #kernel = new Float32Array(2 * MAX_BLUR_RADIUS_PX + 1);

  constructor(options: CameraEffectsOptions) {
    const { width, height, channels, seed } = options;
    for (const [name, v] of [['width', width], ['height', height]] as const) {
      if (!(Number.isInteger(v) && v >= 1 && v <= MAX_SIDE_PX)) bad(name, `integer in 1..${MAX_SIDE_PX}`, v);
    }
    if (channels !== 3 && channels !== 4) bad('channels', '3 (rgb8) or 4 (rgba8)', channels);
    if (!Number.isFinite(seed)) bad('seed', 'finite number', seed);
    this.width = width;
    this.height = height;
    this.channels = channels;
    this.#noise = new TableGaussianNoise(seed);
    this.#noiseMultiplier = options.noiseMultiplier ?? null;
    this.#buf = new Float32Array(width * height * 3);
    this.#tmp = new Float32Array(width * height * 3);
    this.#xIndex = reflectTable(width);
    this.#yIndex = reflectTable(height);
    const { width: _w, height: _h, channels: _c, seed: _s, noiseMultiplier: _n, ...settings } = options;
    this.configure(settings);
  }

  get settings(): Readonly<CameraEffectsSettings> {
    return this.#settings;
  }

  /** True when apply() leaves every buffer as it is. */
  get isIdentity(): boolean {
    const s = this.#settings;
    return s.exposureGain === 1 && s.noiseSigma === 0 && s.blurRadiusPx === 0 && s.occluders.length === 0;
  }

  /** Change some effects (e.g. per-episode domain randomisation); unspecified ones stay. Not for the per-frame path. */
  configure(settings: Partial<CameraEffectsSettings>): void {
    const s: CameraEffectsSettings = { ...this.#settings };
    for (const [k, v] of Object.entries(settings)) if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
    if (!(Number.isFinite(s.exposureGain) && s.exposureGain >= 0)) bad('exposureGain', 'finite number ≥ 0', s.exposureGain);
    if (!(s.noiseSigma >= 0 && s.noiseSigma <= 255)) bad('noiseSigma', 'number in [0, 255]', s.noiseSigma);
    if (!(Number.isInteger(s.blurRadiusPx) && s.blurRadiusPx >= 0 && s.blurRadiusPx <= MAX_BLUR_RADIUS_PX)) {
      bad('blurRadiusPx', `integer in 0..${MAX_BLUR_RADIUS_PX}`, s.blurRadiusPx);
    }
    if (s.blurKind !== 'box' && s.blurKind !== 'gaussian') bad('blurKind', "'box' or 'gaussian'", s.blurKind);
    if (!Array.isArray(s.occluders)) bad('occluders', 'a list', s.occluders);
    s.occluders.forEach(checkOccluder);
    s.occluders = Object.freeze(s.occluders.map((o) => ({ ...o })));
    this.#settings = s;
    fillKernel(this.#kernel, s.blurKind, s.blurRadiusPx);
  }

  /** Apply the effects to `data` in place (width × height × channels bytes). */
  apply(data: Uint8Array | Uint8ClampedArray, simTimeMs = 0): void {
    const expected = this.width * this.height * this.channels;
    if (data.length !== expected) {
      throw new PilotError('E_SIM_CAMERA', `CameraEffects.apply: data has ${data.length} bytes, expected ${this.width}×${this.height}×${this.channels} = ${expected}`);
    }
    if (this.isIdentity) return;
    const s = this.#settings;
    const ch = this.channels;
    const n = this.width * this.height;
    // Occluders and blur need a float copy; gain and noise alone work straight on the bytes.
    const staged = s.occluders.length > 0 || s.blurRadiusPx > 0;
    const buf = this.#buf;
    if (staged) {
      for (let i = 0, j = 0; i < n; i++, j += ch) {
        buf[i * 3] = data[j]!;
        buf[i * 3 + 1] = data[j + 1]!;
        buf[i * 3 + 2] = data[j + 2]!;
      }
      for (let k = 0; k < s.occluders.length; k++) this.#paint(s.occluders[k]!);
      if (s.blurRadiusPx > 0) this.#blur(s.blurRadiusPx);
    }
    const gain = s.exposureGain;
    const sigma = s.noiseSigma * noiseScale(this.#noiseMultiplier, simTimeMs);
    const noise = this.#noise;
    for (let i = 0, j = 0; i < n; i++, j += ch) {
      for (let c = 0; c < 3; c++) {
        let v = (staged ? buf[i * 3 + c]! : data[j + c]!) * gain;
        if (sigma > 0) v += sigma * noise.standard();
        data[j + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }

  #paint(o: Occluder): void {
    const W = this.width;
    const H = this.height;
    const buf = this.#buf;
    const g = o.grey;
    if (o.shape === 'rect') {
      const x0 = clampInt(Math.round((o.x - o.w / 2) * W), 0, W);
      const x1 = clampInt(Math.round((o.x + o.w / 2) * W), 0, W);
      const y0 = clampInt(Math.round((o.y - o.h / 2) * H), 0, H);
      const y1 = clampInt(Math.round((o.y + o.h / 2) * H), 0, H);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) fill3(buf, (y * W + x) * 3, g);
      return;
    }
    // Disc: pixel centres within the radius.
    const cx = o.x * W;
    const cy = o.y * H;
    const rPx = o.r * Math.min(W, H);
    const y0 = clampInt(Math.ceil(cy - rPx - 0.5), 0, H);
    const y1 = clampInt(Math.floor(cy + rPx - 0.5) + 1, 0, H);
    for (let y = y0; y < y1; y++) {
      const dy = y + 0.5 - cy;
      const half = Math.sqrt(Math.max(0, rPx * rPx - dy * dy));
      const x0 = clampInt(Math.ceil(cx - half - 0.5), 0, W);
      const x1 = clampInt(Math.floor(cx + half - 0.5) + 1, 0, W);
      for (let x = x0; x < x1; x++) fill3(buf, (y * W + x) * 3, g);
    }
  }

  /**
   * Separable blur with half-sample symmetric edges (… b a | a b c …): every input pixel's
   * weights still sum to 1, so the image mean is kept exactly (before rounding). Rows are
   * filtered along x into #tmp, then whole rows are accumulated along y back into #buf.
   */
  #blur(r: number): void {
    const W = this.width;
    const H = this.height;
    const stride = W * 3;
    const src = this.#buf;
    const tmp = this.#tmp;
    const kern = this.#kernel;
    const xi = this.#xIndex;
    const yi = this.#yIndex;
    const off = MAX_BLUR_RADIUS_PX;
    const taps = 2 * r + 1;
    for (let y = 0; y < H; y++) {
      const row = y * stride;
      for (let x = 0; x < W; x++) {
        let r0 = 0, g0 = 0, b0 = 0;
        if (x >= r && x < W - r) {
          let p = row + (x - r) * 3;
          for (let k = 0; k < taps; k++, p += 3) {
            const w = kern[k]!;
            r0 += w * src[p]!;
            g0 += w * src[p + 1]!;
            b0 += w * src[p + 2]!;
          }
        } else {
          for (let k = 0; k < taps; k++) {
            const w = kern[k]!;
            const p = row + xi[x + k - r + off]! * 3;
            r0 += w * src[p]!;
            g0 += w * src[p + 1]!;
            b0 += w * src[p + 2]!;
          }
        }
        const q = row + x * 3;
        tmp[q] = r0;
        tmp[q + 1] = g0;
        tmp[q + 2] = b0;
      }
    }
    for (let y = 0; y < H; y++) {
      const out = y * stride;
      for (let k = 0; k < taps; k++) {
        const w = kern[k]!;
        const from = yi[y + k - r + off]! * stride;
        if (k === 0) for (let i = 0; i < stride; i++) src[out + i] = w * tmp[from + i]!;
        else for (let i = 0; i < stride; i++) src[out + i] += w * tmp[from + i]!;
      }
    }
  }
}

/**
 * RGBA8 → RGB8 (the renderer reads back RGBA; sensor_msgs/Image goes out as `rgb8`) into a
 * preallocated `rgb` of width × height × 3 bytes. Returns `rgb`.
 */
export function rgbaToRgb(rgba: Uint8Array | Uint8ClampedArray, rgb: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  if (rgba.length !== n * 4) throw new PilotError('E_SIM_CAMERA', `rgbaToRgb: rgba has ${rgba.length} bytes, expected ${width}×${height}×4 = ${n * 4}`);
  if (rgb.length !== n * 3) throw new PilotError('E_SIM_CAMERA', `rgbaToRgb: rgb has ${rgb.length} bytes, expected ${width}×${height}×3 = ${n * 3}`);
  for (let i = 0, j = 0, k = 0; i < n; i++, j += 4, k += 3) {
    rgb[k] = rgba[j]!;
    rgb[k + 1] = rgba[j + 1]!;
    rgb[k + 2] = rgba[j + 2]!;
  }
  return rgb;
}

function bad(name: string, want: string, got: unknown): never {
  throw new PilotError('E_SIM_CONFIG', `CameraEffects: ${name}: expected ${want} (got ${typeof got === 'string' ? JSON.stringify(got) : String(got)})`);
}

function checkOccluder(o: Occluder, i: number): void {
  const name = `occluders[${i}]`;
  const fraction = (key: string, v: unknown): void => {
    if (!(typeof v === 'number' && v >= 0 && v <= 1)) bad(`${name}.${key}`, 'number in [0, 1]', v);
  };
  if (o === null || typeof o !== 'object') bad(name, "{ shape: 'rect' | 'disc', … }", o);
  fraction('x', o.x);
  fraction('y', o.y);
  if (o.shape === 'rect') {
    fraction('w', o.w);
    fraction('h', o.h);
  } else if (o.shape === 'disc') {
    fraction('r', o.r);
  } else {
    bad(`${name}.shape`, "'rect' or 'disc'", (o as { shape: unknown }).shape);
  }
  if (!(typeof o.grey === 'number' && o.grey >= 0 && o.grey <= 255)) bad(`${name}.grey`, 'number in [0, 255]', o.grey);
}

function fillKernel(k: Float32Array, kind: BlurKind, r: number): void {
  k.fill(0);
  if (r === 0) return;
  if (kind === 'box') {
    for (let i = 0; i <= 2 * r; i++) k[i] = 1 / (2 * r + 1);
    return;
  }
  // Binomial coefficients C(2r, i) / 4^r: the discrete Gaussian of variance r/2.
  let c = 1;
  const norm = 4 ** r;
  for (let i = 0; i <= 2 * r; i++) {
    k[i] = c / norm;
    c = (c * (2 * r - i)) / (i + 1);
  }
}

/** Index table for positions -2 .. n+1, reflected about the edges (repeatedly, for tiny images). */
function reflectTable(n: number): Int32Array {
  const t = new Int32Array(n + 2 * MAX_BLUR_RADIUS_PX);
  for (let i = -MAX_BLUR_RADIUS_PX; i < n + MAX_BLUR_RADIUS_PX; i++) {
    let j = i;
    while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - j - 1;
    t[i + MAX_BLUR_RADIUS_PX] = j;
  }
  return t;
}

function fill3(buf: Float32Array, p: number, g: number): void {
  buf[p] = g;
  buf[p + 1] = g;
  buf[p + 2] = g;
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
