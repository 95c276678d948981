import { describe, expect, it } from 'vitest';
import {
  colourTemperatureToRgb,
  describeDomain,
  DOMAIN_RANGES,
  luminance,
  NOMINAL_DOMAIN,
  rgbToHex,
  sampleDomain,
  type DomainParams,
  type Rgb,
} from '../../../sim/world/domain-randomization.js';

const R = DOMAIN_RANGES;
const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo - 1e-12 && v <= hi + 1e-12;
const isColour = (c: Rgb) => [c.r, c.g, c.b].every((v) => v >= 0 && v <= 1);

describe('sampleDomain', () => {
  it('is deterministic per seed and varies across seeds', () => {
    expect(sampleDomain(7)).toEqual(sampleDomain(7));
    expect(sampleDomain(7, 0.4)).toEqual(sampleDomain(7, 0.4));
    expect(sampleDomain(7)).not.toEqual(sampleDomain(8));
  });

  it('stays within the documented ranges and keeps the road visible', () => {
    const roads = new Set<string>();
    const grounds = new Set<string>();
    let occluded = 0;
    let foggy = 0;
    for (let seed = 0; seed < 300; seed++) {
      const d = sampleDomain(seed);
      expect(within(d.sunAzimuthRad, R.sunAzimuthRad)).toBe(true);
      expect(within(d.sunElevationRad, R.sunElevationRad)).toBe(true);
      expect(within(d.lightColourTempK, R.lightColourTempK)).toBe(true);
      expect(within(d.lightIntensity, R.lightIntensity)).toBe(true);
      expect(within(d.ambientIntensity, R.ambientIntensity)).toBe(true);
      expect(within(d.cameraNoiseSigma, R.cameraNoiseSigma)).toBe(true);
      expect(within(d.blurRadiusPx, R.blurRadiusPx)).toBe(true);
      expect(within(d.exposureGain, R.exposureGain)).toBe(true);
      expect(within(d.fogDensityPerM, R.fogDensityPerM)).toBe(true);
      for (const c of [d.lightColour, d.roadColour, d.groundColour, d.lineColour, d.centreLineColour, d.skyColour]) expect(isColour(c)).toBe(true);
      expect(['asphalt', 'concrete', 'worn']).toContain(d.roadKind);
      expect(['grass', 'sand', 'dirt']).toContain(d.groundKind);
      roads.add(d.roadKind);
      grounds.add(d.groundKind);
      // Visibility: road against ground, lines against road.
      expect(Math.abs(luminance(d.roadColour) - luminance(d.groundColour))).toBeGreaterThanOrEqual(R.minRoadGroundContrast - 1e-9);
      expect(luminance(d.lineColour) - luminance(d.roadColour)).toBeGreaterThanOrEqual(R.minLineRoadContrast - 1e-9);
      expect(d.occluders.length).toBeLessThanOrEqual(R.maxOccluders);
      for (const o of d.occluders) {
        expect(o.u).toBeGreaterThanOrEqual(0);
        expect(o.u).toBeLessThanOrEqual(1);
        expect(o.v).toBeGreaterThanOrEqual(0);
        expect(o.v).toBeLessThanOrEqual(1);
        expect(o.grey).toBeGreaterThanOrEqual(0);
        expect(o.grey).toBeLessThanOrEqual(1);
        const size = o.shape === 'disc' ? o.radius : Math.max(o.width, o.height) / 2;
        expect(size).toBeLessThanOrEqual(R.maxOccluderSize);
        // The road just ahead (bottom centre of the image) stays clear.
        expect(Math.abs(o.u - 0.5) < 0.2 && o.v > 0.5).toBe(false);
      }
      occluded += d.occluders.length > 0 ? 1 : 0;
      foggy += d.fogDensityPerM > 0 ? 1 : 0;
      expect(Number.isInteger(d.textureSeed)).toBe(true);
    }
    expect(roads.size).toBe(3);
    expect(grounds.size).toBe(3);
    expect(occluded).toBeGreaterThan(30);
    expect(occluded).toBeLessThan(200);
    expect(foggy).toBeGreaterThan(30);
  });

  it('gives the nominal domain at strength 0 and scales deviations with strength', () => {
    const zero = sampleDomain(3, 0);
    expect({ ...zero, seed: NOMINAL_DOMAIN.seed }).toEqual(NOMINAL_DOMAIN);
    for (let seed = 0; seed < 50; seed++) {
      const full = sampleDomain(seed, 1);
      const half = sampleDomain(seed, 0.5);
      for (const key of ['sunElevationRad', 'lightIntensity', 'ambientIntensity', 'cameraNoiseSigma', 'blurRadiusPx'] as const) {
        const nominal = NOMINAL_DOMAIN[key];
        expect(half[key] - nominal).toBeCloseTo((full[key] - nominal) / 2, 9);
      }
      expect(Math.log(half.exposureGain)).toBeCloseTo(Math.log(full.exposureGain) / 2, 9);
    }
  });

  it('refuses a strength outside [0, 1]', () => {
    expect(() => sampleDomain(1, 1.5)).toThrow(/E_DOMAIN: sampleDomain: strength: must be in \[0, 1\] \(got 1.5\)/);
    expect(() => sampleDomain(1, Number.NaN)).toThrow(/strength/);
  });

  it('describes a domain in one line', () => {
    const d: DomainParams = sampleDomain(11);
    const text = describeDomain(d);
    expect(text).toMatch(/^domain seed 11 strength 1: (asphalt|concrete|worn) road on (grass|sand|dirt), sun az -?\d+° el \d+° \d+ K/);
    expect(text).not.toContain('\n');
  });
});

describe('colours', () => {
  it('turns a colour temperature into a normalised light colour', () => {
    const warm = colourTemperatureToRgb(3500);
    const day = colourTemperatureToRgb(6600);
    const cool = colourTemperatureToRgb(7500);
    expect(warm.r).toBe(1);
    expect(warm.b).toBeLessThan(0.8);
    expect(Math.min(day.r, day.g, day.b)).toBeGreaterThan(0.95);
    expect(cool.b).toBe(1);
    expect(cool.r).toBeLessThan(1);
  });

  it('converts to 0xRRGGBB', () => {
    expect(rgbToHex({ r: 1, g: 0, b: 0.5 })).toBe(0xff0080);
    expect(rgbToHex(NOMINAL_DOMAIN.roadColour)).toBe(0x4a4a4e);
    expect(rgbToHex({ r: 2, g: -1, b: 0 })).toBe(0xff0000);
  });
});
