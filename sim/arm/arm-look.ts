/**
 * What the arm cell looks like: table, floor, arm and object colours, sun and ambient light. The
 * rendering half of the arm's domain randomisation: `sampleArmLook(seed, strength)` moves every value
 * from the nominal look by up to `strength` of its range (0 = nominal). Object colours keep their hue
 * family (the red target stays red), so the task stays the same task.
 */
import { mulberry32 } from '../../src/core/util/prng.js';
import { colourTemperatureToRgb, rgbToHex } from '../world/domain-randomization.js';

export interface ArmLook {
  backgroundColour: number;
  floorColour: number;
  tableColour: number;
  armColour: number;
  toolColour: number;
  /** Per-channel multiplier applied to every object colour (0.8..1.2). */
  objectTint: readonly [number, number, number];
  sunAzimuthRad: number;
  sunElevationRad: number;
  sunColour: number;
  sunIntensity: number;
  ambientIntensity: number;
}

export const NOMINAL_ARM_LOOK: Readonly<ArmLook> = Object.freeze({
  backgroundColour: 0x30343a,
  floorColour: 0x5a5f66,
  tableColour: 0xb89a74,
  armColour: 0x565b64,
  toolColour: 0xf2f2f2,
  objectTint: [1, 1, 1] as const,
  sunAzimuthRad: 2.4,
  sunElevationRad: 1.1,
  sunColour: 0xffffff,
  sunIntensity: 2.0,
  ambientIntensity: 1.2,
});

const channels = (hex: number) => [(hex >> 16) & 0xff, (hex >> 8) & 0xff, hex & 0xff] as const;
const fromChannels = (r: number, g: number, b: number) => {
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  return (byte(r) << 16) | (byte(g) << 8) | byte(b);
};

/** Each channel moved by up to ±`spread`·255·strength, and the whole colour scaled by up to ±`gain`. */
function jitter(hex: number, random: () => number, strength: number, spread: number, gain: number): number {
  const [r, g, b] = channels(hex);
  const k = 1 + (random() * 2 - 1) * gain * strength;
  const d = () => (random() * 2 - 1) * spread * 255 * strength;
  return fromChannels(r * k + d(), g * k + d(), b * k + d());
}

export function sampleArmLook(seed: number, strength: number): ArmLook {
  const s = Math.max(0, Math.min(1, strength));
  const n = NOMINAL_ARM_LOOK;
  if (s === 0) return { ...n, objectTint: [...n.objectTint] as [number, number, number] };
  const random = mulberry32((seed * 0x9e3779b1 + 0x1005) >>> 0);
  const between = (nominal: number, lo: number, hi: number) => nominal + (lo + random() * (hi - lo) - nominal) * s;
  const tempK = between(5800, 3800, 7500);
  return {
    backgroundColour: jitter(n.backgroundColour, random, s, 0.08, 0.3),
    floorColour: jitter(n.floorColour, random, s, 0.1, 0.35),
    tableColour: jitter(n.tableColour, random, s, 0.08, 0.25),
    armColour: jitter(n.armColour, random, s, 0.05, 0.3),
    toolColour: jitter(n.toolColour, random, s, 0.03, 0.1),
    objectTint: [between(1, 0.82, 1.18), between(1, 0.82, 1.18), between(1, 0.82, 1.18)],
    sunAzimuthRad: n.sunAzimuthRad + (random() * 2 - 1) * Math.PI * s,
    sunElevationRad: between(n.sunElevationRad, 0.6, 1.5),
    sunColour: rgbToHex(colourTemperatureToRgb(tempK)),
    sunIntensity: between(n.sunIntensity, 1.3, 2.8),
    ambientIntensity: between(n.ambientIntensity, 0.7, 1.7),
  };
}

/** An object's display colour under the look's tint. */
export function tinted(hex: number, look: Readonly<ArmLook>): number {
  const [r, g, b] = channels(hex);
  return fromChannels(r * look.objectTint[0], g * look.objectTint[1], b * look.objectTint[2]);
}
