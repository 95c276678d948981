/**
 * Procedural tracks from a seed: a circle perturbed radially by a few low-frequency harmonics,
 * scaled to the wanted lap length, then validated like a track file; an invalid shape is retried
 * with a seed derived from the original, so one seed always gives the same track.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { mulberry32 } from '../../src/core/util/prng.js';
import { sampleClosedSpline, type Point2 } from './centreline.js';
import { TRACK_LIMITS } from './limits.js';
import { buildTrack } from './sampled-track.js';
import type { Track } from './track.js';

export interface GenerateOptions {
  /** Default: drawn from the seed in [1.0, 1.4] m. */
  widthM?: number;
  /** Default: drawn from the seed in [30, 65] m. */
  approxLengthM?: number;
}

const MAX_ATTEMPTS = 200;

/** A different, reproducible stream per attempt (splitmix-style mixing of seed and attempt). */
function attemptSeed(seed: number, attempt: number): number {
  let h = (seed ^ Math.imul(attempt + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function generateTrack(seed: number, options: GenerateOptions = {}): Track {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PilotError('E_TRACK', `generateTrack: seed: must be an integer in [0, 2^32) (got ${seed})`);
  }
  const { widthM, approxLengthM } = options;
  if (approxLengthM !== undefined && !(approxLengthM >= 20 && approxLengthM <= 200)) {
    throw new PilotError('E_TRACK', `generateTrack: approxLengthM: must be between 20 and 200 m (got ${approxLengthM})`);
  }
  if (widthM !== undefined && !(widthM >= TRACK_LIMITS.minWidthM && widthM <= TRACK_LIMITS.maxWidthM)) {
    throw new PilotError('E_TRACK', `generateTrack: widthM: must be between ${TRACK_LIMITS.minWidthM} and ${TRACK_LIMITS.maxWidthM} m (got ${widthM})`);
  }
  let lastError = '';
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const random = mulberry32(attempt === 0 ? seed : attemptSeed(seed, attempt));
    const width = widthM ?? Math.round((1.0 + 0.4 * random()) * 20) / 20;
    const lengthM = approxLengthM ?? 30 + 35 * random();
    const points = blob(random, lengthM);
    try {
      return buildTrack(
        {
          name: `gen-${seed}`,
          description: `procedural loop from seed ${seed} (attempt ${attempt}): radially perturbed circle, ${lengthM.toFixed(0)} m target`,
          split: 'generated',
          widthM: width,
          centreline: points,
        },
        `gen-${seed}`,
      );
    } catch (err) {
      if (!(err instanceof PilotError) || err.code !== 'E_TRACK') throw err;
      lastError = err.message;
    }
  }
  throw new PilotError('E_TRACK', `generateTrack: seed: no valid track in ${MAX_ATTEMPTS} attempts; last: ${lastError} (got ${seed})`);
}

/** Control points of a radially perturbed circle, direction and start angle drawn too, scaled to `lengthM`. */
function blob(random: () => number, lengthM: number): Point2[] {
  const harmonics: { k: number; amp: number; phaseRad: number }[] = [];
  // Low orders only: k = 2..5 with amplitudes falling with k (high orders make tight wiggles).
  // Longer loops have room for deeper bays at the same minimum radius.
  let budget = (0.3 + 0.3 * random()) * Math.min(1.6, Math.max(1, lengthM / 35));
  for (let k = 2; k <= 5; k++) {
    const amp = budget * random() * (k === 2 ? 1 : 0.8);
    budget -= amp;
    harmonics.push({ k, amp: amp / (k * 0.6), phaseRad: 2 * Math.PI * random() });
  }
  const rotationRad = 2 * Math.PI * random();
  const clockwise = random() < 0.5;
  const count = Math.max(16, Math.min(40, Math.round(lengthM / 1.8)));
  const unit: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const a = (2 * Math.PI * i) / count;
    let r = 1;
    for (const h of harmonics) r += h.amp * Math.cos(h.k * a + h.phaseRad);
    const th = (clockwise ? -a : a) + rotationRad;
    unit.push([r * Math.cos(th), r * Math.sin(th)]);
  }
  // Scale so the spline's lap length matches: measure once at unit scale (length scales linearly).
  const unitLength = sampleClosedSpline(unit, 0.01).lengthM;
  const scale = lengthM / unitLength;
  return unit.map(([x, y]) => [round3(x * scale), round3(y * scale)] as const);
}

/** Millimetre coordinates, as a track file would hold them. */
function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
