/**
 * Domain randomisation as pure data: lighting, surface colours and kinds, camera effects and lens
 * occluders drawn from a seed. The renderer and the camera model read a DomainParams; nothing here
 * renders. Ranges keep the road, its edge lines and its contrast to the ground visible to a camera
 * 0.15 m above the road: no night, no sun at the horizon, fog that leaves the near road clear.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { mulberry32 } from '../../src/core/util/prng.js';

/** Display colour, channels 0..1 (what ends up in the image; no linear workflow). */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export type RoadKind = 'asphalt' | 'concrete' | 'worn';
export type GroundKind = 'grass' | 'sand' | 'dirt';

/**
 * A blob on the lens (dirt, a drop, a sticker), in normalised image coordinates: u and sizes as a
 * fraction of the image width, v and heights of the image height, from the top-left corner.
 */
export type Occluder =
  | { shape: 'disc'; u: number; v: number; radius: number; grey: number }
  | { shape: 'rect'; u: number; v: number; width: number; height: number; grey: number };

export interface DomainParams {
  /** Where it came from: sampleDomain(seed, strength); the nominal domain has strength 0. */
  seed: number;
  strength: number;
  sunAzimuthRad: number;
  sunElevationRad: number;
  lightColourTempK: number;
  lightColour: Rgb;
  lightIntensity: number;
  ambientIntensity: number;
  roadColour: Rgb;
  roadKind: RoadKind;
  groundColour: Rgb;
  groundKind: GroundKind;
  lineColour: Rgb;
  centreLineColour: Rgb;
  skyColour: Rgb;
  /** Gaussian pixel noise, in 0..255 levels. */
  cameraNoiseSigma: number;
  blurRadiusPx: number;
  /** Multiplies pixel values before clipping. */
  exposureGain: number;
  occluders: Occluder[];
  /** Exponential-squared fog density (three.js FogExp2), 1/m; 0 = clear. */
  fogDensityPerM: number;
  /** Seed for procedural surface textures. */
  textureSeed: number;
}

/** The ranges sampleDomain draws from (at strength 1); tests and the renderer can check against them. */
export const DOMAIN_RANGES = {
  sunAzimuthRad: [-Math.PI, Math.PI],
  /** Above ~17°: a grazing sun leaves the road in long dark shadows. */
  sunElevationRad: [0.3, 1.45],
  lightColourTempK: [3500, 7500],
  lightIntensity: [0.8, 2.4],
  ambientIntensity: [0.45, 1.3],
  cameraNoiseSigma: [0, 6],
  blurRadiusPx: [0, 2],
  exposureGain: [0.6, 1.5],
  /** At 0.05/m the road 5 m ahead keeps 94 % of its contrast. */
  fogDensityPerM: [0, 0.05],
  maxOccluders: 2,
  /** Largest occluder size (radius, or half of width/height) as a fraction of the image. */
  maxOccluderSize: 0.07,
  /** Least luminance difference between road and ground, and between edge line and road. */
  minRoadGroundContrast: 0.08,
  minLineRoadContrast: 0.3,
} as const;

const rgb = (hex: number): Rgb => ({ r: ((hex >> 16) & 0xff) / 255, g: ((hex >> 8) & 0xff) / 255, b: (hex & 0xff) / 255 });

/** 0xRRGGBB for renderers that take hex colours. */
export function rgbToHex(c: Rgb): number {
  const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));
  return (byte(c.r) << 16) | (byte(c.g) << 8) | byte(c.b);
}

/** Rec. 709 luma of display values: good enough to rank contrasts. */
export function luminance(c: Rgb): number {
  return 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
}

/**
 * Colour of a black body at `kelvin`, normalised so the brightest channel is 1 (Tanner Helland's
 * fit to the CIE data, good to a few percent over 1000–40000 K).
 */
export function colourTemperatureToRgb(kelvin: number): Rgb {
  const t = kelvin / 100;
  const r = t <= 66 ? 255 : 329.698727446 * Math.pow(t - 60, -0.1332047592);
  const g = t <= 66 ? 99.4708025861 * Math.log(t) - 161.1195681661 : 288.1221695283 * Math.pow(t - 60, -0.0755148492);
  const b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * Math.log(t - 10) - 305.0447927307;
  const c = { r: clamp01(r / 255), g: clamp01(g / 255), b: clamp01(b / 255) };
  const m = Math.max(c.r, c.g, c.b);
  return { r: c.r / m, g: c.g / m, b: c.b / m };
}

const NOMINAL_TEMP_K = 5800;

/** What the simulator shows without randomisation (matches the renderer's nominal look). */
export const NOMINAL_DOMAIN: Readonly<DomainParams> = Object.freeze({
  seed: 0,
  strength: 0,
  sunAzimuthRad: 0.8,
  sunElevationRad: 0.9,
  lightColourTempK: NOMINAL_TEMP_K,
  lightColour: colourTemperatureToRgb(NOMINAL_TEMP_K),
  lightIntensity: 1.6,
  ambientIntensity: 0.9,
  roadColour: rgb(0x4a4a4e),
  roadKind: 'asphalt',
  groundColour: rgb(0x4f7a3a),
  groundKind: 'grass',
  lineColour: rgb(0xf2f2f2),
  centreLineColour: rgb(0xf0c419),
  skyColour: rgb(0x9cc7e8),
  cameraNoiseSigma: 0,
  blurRadiusPx: 0,
  exposureGain: 1,
  occluders: [],
  fogDensityPerM: 0,
  textureSeed: 1,
});

/** Per kind: the nominal colour and how far each channel may move from it. */
const ROAD_COLOURS: Record<RoadKind, { base: Rgb; spread: number; tint: Rgb }> = {
  asphalt: { base: rgb(0x4a4a4e), spread: 0.08, tint: { r: 0, g: 0, b: 0.015 } },
  concrete: { base: { r: 0.5, g: 0.49, b: 0.47 }, spread: 0.06, tint: { r: 0.01, g: 0.005, b: 0 } },
  worn: { base: { r: 0.38, g: 0.35, b: 0.32 }, spread: 0.06, tint: { r: 0.02, g: 0.01, b: 0 } },
};
const GROUND_COLOURS: Record<GroundKind, { base: Rgb; spread: number }> = {
  grass: { base: rgb(0x4f7a3a), spread: 0.09 },
  sand: { base: { r: 0.76, g: 0.68, b: 0.5 }, spread: 0.07 },
  dirt: { base: { r: 0.45, g: 0.33, b: 0.22 }, spread: 0.06 },
};
const ROAD_KINDS: readonly RoadKind[] = ['asphalt', 'concrete', 'worn'];
const GROUND_KINDS: readonly GroundKind[] = ['grass', 'sand', 'dirt'];

/**
 * Draw a domain from `seed`. `strength` in [0, 1] scales every deviation from NOMINAL_DOMAIN
 * (0 gives the nominal domain, 1 the full ranges) and the chance of a non-nominal surface kind, fog
 * or occluders. The same seed gives the same draws at any strength, so strengths compare like for like.
 */
export function sampleDomain(seed: number, strength = 1): DomainParams {
  if (!Number.isFinite(strength) || strength < 0 || strength > 1) {
    throw new PilotError('E_DOMAIN', `sampleDomain: strength: must be in [0, 1] (got ${strength})`);
  }
  if (!Number.isInteger(seed)) throw new PilotError('E_DOMAIN', `sampleDomain: seed: must be an integer (got ${seed})`);
  const draws = new DomainDraws(seed, strength);
  // In this order: the stream of draws is part of what a seed means.
  const light = drawLight(draws);
  const surfaces = drawSurfaces(draws);
  const camera = drawCamera(draws);
  // Occluders last: their count changes how many draws follow.
  const occluders = drawOccluders(draws);
  return {
    seed,
    strength,
    ...light,
    ...surfaces,
    cameraNoiseSigma: camera.cameraNoiseSigma,
    blurRadiusPx: camera.blurRadiusPx,
    exposureGain: camera.exposureGain,
    occluders,
    fogDensityPerM: camera.fogDensityPerM,
    textureSeed: camera.textureSeed,
  };
}

/**
 * The random draws of one domain, each scaled by the strength `k`. Every draw happens regardless of
 * strength, so the stream stays aligned across strengths.
 */
class DomainDraws {
  readonly random: () => number;
  readonly k: number;

  constructor(seed: number, strength: number) {
    this.random = mulberry32(seed);
    this.k = strength;
  }

  uniform(range: readonly [number, number]): number {
    return range[0] + (range[1] - range[0]) * this.random();
  }

  /** `sampled` pulled towards `nominal`: all the way at strength 0, not at all at 1. */
  towards(nominal: number, sampled: number): number {
    return nominal + this.k * (sampled - nominal);
  }

  /** One of `options` with probability `k`, else `nominal` (both draws always happen). */
  pick<T>(nominal: T, options: readonly T[]): T {
    const switchDraw = this.random();
    const option = options[Math.floor(this.random() * options.length)]!;
    return switchDraw < this.k ? option : nominal;
  }

  /** `base` moved by a common brightness change and a small hue shift, up to `spread`, plus `tint`. */
  jitter(base: Rgb, spread: number, tint: Rgb = { r: 0, g: 0, b: 0 }): Rgb {
    const k = this.k;
    const common = (this.random() * 2 - 1) * spread;
    const hue = (this.random() * 2 - 1) * spread * 0.3;
    return {
      r: clamp01(base.r + k * (common + hue + tint.r)),
      g: clamp01(base.g + k * (common + tint.g)),
      b: clamp01(base.b + k * (common - hue + tint.b)),
    };
  }
}

type DomainLight = Pick<DomainParams, 'sunAzimuthRad' | 'sunElevationRad' | 'lightColourTempK' | 'lightColour' | 'lightIntensity' | 'ambientIntensity'>;

/** The sun and the ambient light. */
function drawLight(d: DomainDraws): DomainLight {
  const R = DOMAIN_RANGES;
  const N = NOMINAL_DOMAIN;
  const sunAzimuthRad = wrapPi(d.towards(N.sunAzimuthRad, N.sunAzimuthRad + d.uniform([-Math.PI, Math.PI])));
  const sunElevationRad = d.towards(N.sunElevationRad, d.uniform(R.sunElevationRad));
  const lightColourTempK = d.towards(N.lightColourTempK, d.uniform(R.lightColourTempK));
  const lightIntensity = d.towards(N.lightIntensity, d.uniform(R.lightIntensity));
  const ambientIntensity = d.towards(N.ambientIntensity, d.uniform(R.ambientIntensity));
  return { sunAzimuthRad, sunElevationRad, lightColourTempK, lightColour: colourTemperatureToRgb(lightColourTempK), lightIntensity, ambientIntensity };
}

type DomainSurfaces = Pick<DomainParams, 'roadColour' | 'roadKind' | 'groundColour' | 'groundKind' | 'lineColour' | 'centreLineColour' | 'skyColour'>;

/** Road, ground, lines and sky; the road keeps its contrast to the ground and the lines to the road. */
function drawSurfaces(d: DomainDraws): DomainSurfaces {
  const R = DOMAIN_RANGES;
  const N = NOMINAL_DOMAIN;
  const roadKind = d.pick(N.roadKind, ROAD_KINDS);
  const road = ROAD_COLOURS[roadKind];
  const roadColour = d.jitter(road.base, road.spread, road.tint);
  const groundKind = d.pick(N.groundKind, GROUND_KINDS);
  const groundColour = separate(d.jitter(GROUND_COLOURS[groundKind].base, GROUND_COLOURS[groundKind].spread), roadColour, R.minRoadGroundContrast);
  const white = d.uniform([0.8, 1]);
  const lineColour = separate(
    { r: d.towards(N.lineColour.r, white), g: d.towards(N.lineColour.g, white), b: d.towards(N.lineColour.b, white) },
    roadColour,
    R.minLineRoadContrast,
  );
  // The centre line is yellow or white; either way it must stand out from the road.
  const whiteCentre = d.random() < 0.3 * d.k;
  const yellow = separate(d.jitter(N.centreLineColour, 0.05), roadColour, R.minLineRoadContrast * 0.7);
  const centreLineColour = whiteCentre ? lineColour : yellow;
  const overcast = d.random() * d.k;
  const skyJitter = d.jitter(N.skyColour, 0.06);
  const grey = 0.72;
  const skyColour = { r: mix(skyJitter.r, grey, overcast), g: mix(skyJitter.g, grey, overcast), b: mix(skyJitter.b, grey + 0.03, overcast) };
  return { roadColour, roadKind, groundColour, groundKind, lineColour, centreLineColour, skyColour };
}

type DomainCamera = Pick<DomainParams, 'cameraNoiseSigma' | 'blurRadiusPx' | 'exposureGain' | 'fogDensityPerM' | 'textureSeed'>;

/** Camera noise, blur and exposure, fog, and the seed of the surface textures. */
function drawCamera(d: DomainDraws): DomainCamera {
  const R = DOMAIN_RANGES;
  const N = NOMINAL_DOMAIN;
  const k = d.k;
  const cameraNoiseSigma = d.towards(N.cameraNoiseSigma, d.uniform(R.cameraNoiseSigma));
  const blurRadiusPx = d.towards(N.blurRadiusPx, d.uniform(R.blurRadiusPx));
  const exposureGain = Math.exp(d.towards(0, Math.log(R.exposureGain[0]) + (Math.log(R.exposureGain[1]) - Math.log(R.exposureGain[0])) * d.random()));
  const fogDraw = d.random();
  const fogLevel = d.uniform(R.fogDensityPerM);
  const fogDensityPerM = fogDraw < 0.3 * k ? d.towards(0, fogLevel) : 0;
  const textureDraw = Math.floor(d.random() * 0x7fffffff);
  const textureSeed = k > 0 ? textureDraw : N.textureSeed;
  return { cameraNoiseSigma, blurRadiusPx, exposureGain, fogDensityPerM, textureSeed };
}

function drawOccluders(d: DomainDraws): Occluder[] {
  const occluders: Occluder[] = [];
  const count = d.random() < 0.35 * d.k ? 1 + Math.floor(d.random() * DOMAIN_RANGES.maxOccluders) : 0;
  for (let i = 0; i < count; i++) occluders.push(occluder(d.random, d.k));
  return occluders;
}

/** One line for reports and logs: what differs from a plain daylight scene. */
export function describeDomain(d: Readonly<DomainParams>): string {
  const deg = (rad: number) => `${Math.round((rad * 180) / Math.PI)}°`;
  const parts = [
    `${d.roadKind} road on ${d.groundKind}`,
    `sun az ${deg(d.sunAzimuthRad)} el ${deg(d.sunElevationRad)} ${Math.round(d.lightColourTempK)} K ×${d.lightIntensity.toFixed(2)}`,
    `ambient ×${d.ambientIntensity.toFixed(2)}`,
    `exposure ×${d.exposureGain.toFixed(2)}`,
    `noise σ${d.cameraNoiseSigma.toFixed(1)}`,
    `blur ${d.blurRadiusPx.toFixed(1)} px`,
  ];
  if (d.fogDensityPerM > 0) parts.push(`fog ${d.fogDensityPerM.toFixed(3)}/m`);
  if (d.occluders.length > 0) parts.push(`${d.occluders.length} occluder${d.occluders.length > 1 ? 's' : ''}`);
  return `domain seed ${d.seed} strength ${d.strength}: ${parts.join(', ')}`;
}

function occluder(random: () => number, strength: number): Occluder {
  let u = 0.05 + 0.9 * random();
  let v = 0.05 + 0.9 * random();
  // Keep the road just ahead (bottom centre of the image) clear: move such a blob to the upper half.
  if (Math.abs(u - 0.5) < 0.2 && v > 0.5) v -= 0.45;
  u = clamp01(u);
  const grey = random();
  const max = DOMAIN_RANGES.maxOccluderSize * Math.max(0.3, strength);
  if (random() < 0.5) return { shape: 'disc', u, v, radius: max * (0.3 + 0.7 * random()), grey };
  return { shape: 'rect', u, v, width: 2 * max * (0.3 + 0.7 * random()), height: 2 * max * (0.3 + 0.7 * random()), grey };
}

/** Scale `colour` away from `from` until their luminances differ by at least `minDelta`. */
function separate(colour: Rgb, from: Rgb, minDelta: number): Rgb {
  const y = luminance(colour);
  const y0 = luminance(from);
  if (Math.abs(y - y0) >= minDelta) return colour;
  const up = y >= y0 ? y0 + minDelta <= 0.98 : y0 - minDelta < 0.02;
  const target = up ? y0 + minDelta : y0 - minDelta;
  // Brightening mixes towards white, darkening scales towards black, so the hue survives.
  if (up) {
    const f = (target - y) / (1 - y);
    return { r: mix(colour.r, 1, f), g: mix(colour.g, 1, f), b: mix(colour.b, 1, f) };
  }
  const f = y > 0 ? target / y : 0;
  return { r: colour.r * f, g: colour.g * f, b: colour.b * f };
}

function mix(a: number, b: number, f: number): number {
  return a + (b - a) * f;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function wrapPi(rad: number): number {
  let a = rad % (2 * Math.PI);
  if (a < -Math.PI) a += 2 * Math.PI;
  else if (a >= Math.PI) a -= 2 * Math.PI;
  return a;
}
