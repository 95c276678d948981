/**
 * Steering balance. Driving logs are mostly straight road, so a plain loss learns "go straight".
 * Each frame gets a weight inversely proportional to how full its steering bin is, capped so a
 * handful of rare frames cannot dominate either, and scaled to mean 1. Use the weights in the loss,
 * or draw a resampled index list from them. Everything is deterministic (the resampling is seeded).
 */
import { mulberry32 } from '../../core/util/prng.js';
import { PilotError } from '../../core/util/errors.js';
import type { ImageDataset } from './dataset.js';

export interface BalanceOptions {
  /** Target to balance on (default `steering_angle`). */
  readonly target?: string;
  /** Histogram bins over [min, max] (default 21: odd, so straight ahead has its own bin). */
  readonly bins?: number;
  /** Histogram range in raw units (default [-1, 1]); values outside go to the edge bins. */
  readonly range?: readonly [number, number];
  /** Largest weight relative to the mean (default 5). */
  readonly maxWeight?: number;
  /** 0 = no balancing (all 1), 1 = fully inverse-frequency (default 1); in between: (1/count)^strength. */
  readonly strength?: number;
}

export interface SteeringBalance {
  /** One weight per frame, mean 1. */
  readonly weights: Float32Array;
  /** Frames per bin. */
  readonly histogram: Int32Array;
  /** Weight each bin's frames get. */
  readonly binWeights: Float32Array;
  readonly binEdges: Float64Array;
}

function targetIndex(ds: ImageDataset, target: string): number {
  const t = ds.targetNames.indexOf(target);
  if (t < 0) throw new PilotError('E_DATASET_TARGET', `balance: no target '${target}' (targets: ${ds.targetNames.join(', ')})`);
  return t;
}

export function steeringBalance(ds: ImageDataset, options: BalanceOptions = {}): SteeringBalance {
  const bins = options.bins ?? 21;
  const [lo, hi] = options.range ?? [-1, 1];
  const maxWeight = options.maxWeight ?? 5;
  const strength = options.strength ?? 1;
  if (!(Number.isInteger(bins) && bins >= 1)) throw new PilotError('E_DATASET_OPTIONS', `balance: bins must be a positive integer, got ${bins}`);
  if (!(hi > lo)) throw new PilotError('E_DATASET_OPTIONS', `balance: range [${lo}, ${hi}] is empty`);
  if (!(maxWeight >= 1)) throw new PilotError('E_DATASET_OPTIONS', `balance: maxWeight must be ≥ 1, got ${maxWeight}`);
  if (!(strength >= 0 && strength <= 1)) throw new PilotError('E_DATASET_OPTIONS', `balance: strength must be in [0, 1], got ${strength}`);
  const t = targetIndex(ds, options.target ?? 'steering_angle');
  const k = ds.targetNames.length;
  const binOf = new Int32Array(ds.count);
  const histogram = new Int32Array(bins);
  for (let i = 0; i < ds.count; i++) {
    const v = ds.targets[i * k + t]!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    binOf[i] = Number.isFinite(v) ? b : 0;
    histogram[binOf[i]!]!++;
  }
  // Raw inverse-frequency weights, then mean 1, cap, and mean 1 again (the cap only lowers weights,
  // so a few rounds of cap-and-rescale settle quickly).
  const binWeights = new Float32Array(bins);
  for (let b = 0; b < bins; b++) binWeights[b] = histogram[b]! > 0 ? Math.pow(1 / histogram[b]!, strength) : 0;
  for (let round = 0; round < 20; round++) {
    let sum = 0;
    for (let b = 0; b < bins; b++) sum += binWeights[b]! * histogram[b]!;
    if (sum <= 0) break;
    const scale = ds.count / sum;
    let capped = false;
    for (let b = 0; b < bins; b++) {
      binWeights[b]! *= scale;
      if (binWeights[b]! > maxWeight) {
        binWeights[b] = maxWeight;
        capped = true;
      }
    }
    if (!capped) break;
  }
  const weights = new Float32Array(ds.count);
  for (let i = 0; i < ds.count; i++) weights[i] = binWeights[binOf[i]!]!;
  const binEdges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) binEdges[b] = lo + ((hi - lo) * b) / bins;
  return { weights, histogram, binWeights, binEdges };
}

/**
 * `n` frame indices drawn in proportion to `weights` (systematic resampling: low variance, every
 * frame with weight ≥ total/n appears), in a seeded random order. Default n = weights.length.
 */
export function resampleIndices(weights: ArrayLike<number>, options: { n?: number; seed?: number } = {}): Int32Array {
  const n = options.n ?? weights.length;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && Number.isFinite(w))) throw new PilotError('E_DATASET_OPTIONS', `resample: weight ${i} is ${w}`);
    total += w;
  }
  if (n === 0) return new Int32Array(0);
  if (!(total > 0)) throw new PilotError('E_DATASET_OPTIONS', 'resample: all weights are 0');
  const random = mulberry32(options.seed ?? 0);
  const out = new Int32Array(n);
  const step = total / n;
  let u = random() * step;
  let cum = 0;
  let i = 0;
  for (let j = 0; j < n; j++) {
    while (i < weights.length - 1 && cum + weights[i]! <= u) cum += weights[i++]!;
    out[j] = i;
    u += step;
  }
  for (let j = n - 1; j > 0; j--) {
    const r = Math.floor(random() * (j + 1));
    const tmp = out[j]!;
    out[j] = out[r]!;
    out[r] = tmp;
  }
  return out;
}

/** A few lines showing the histogram and its weights, for the training log. */
export function formatBalance(b: SteeringBalance): string {
  const peak = Math.max(1, ...b.histogram);
  const lines: string[] = [];
  for (let i = 0; i < b.histogram.length; i++) {
    const bar = '#'.repeat(Math.round((30 * b.histogram[i]!) / peak));
    lines.push(`${b.binEdges[i]!.toFixed(2).padStart(6)}..${b.binEdges[i + 1]!.toFixed(2).padEnd(6)} ${String(b.histogram[i]).padStart(6)} ×${b.binWeights[i]!.toFixed(2)} ${bar}`);
  }
  return lines.join('\n');
}
