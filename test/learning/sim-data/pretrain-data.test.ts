import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { HeadlessRenderer } from '../../../sim/render/headless-renderer.js';
import { actionScaling } from '../../../src/learning/sim-data/model-input.js';
import { generatePretrainData, PoseFrameRenderer, trainingTracks } from '../../../src/learning/sim-data/pretrain-data.js';
import { RoadLabeller, ROAD_TARGET_NAMES } from '../../../src/learning/sim-data/road-labels.js';
import { NOMINAL_DOMAIN } from '../../../sim/world/domain-randomization.js';
import { buildTrack, type Track } from '../../../sim/world/track.js';

const sim = parseSimConfig({}, 'test sim config');
/** The plan's network input: 48×128 of the frame below the horizon. */
const input = { shape: [1, 3, 48, 128], layout: 'NCHW' as const, crop: { top: 0.35, bottom: 0.1, left: 0, right: 0 }, undistort: false };
const W = 128;

/** Grass in the nominal look is clearly green; road, lines and kerbs are not. */
function isGrass(img: Uint8Array, o: number): boolean {
  return img[o + 1]! > img[o]! + 25 && img[o + 1]! > img[o + 2]! + 40;
}

/** Mean column of the non-grass (road and markings) pixels in `row`. */
function roadCentroid(img: Uint8Array, row: number): number {
  let sum = 0;
  let n = 0;
  for (let u = 0; u < W; u++) {
    if (!isGrass(img, (row * W + u) * 3)) {
      sum += u;
      n++;
    }
  }
  return n > 0 ? sum / n : NaN;
}

function correlation(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function bigCircle(): Track {
  const points = Array.from({ length: 64 }, (_, i) => [10 * Math.cos((2 * Math.PI * i) / 64), 10 * Math.sin((2 * Math.PI * i) / 64)] as const);
  return buildTrack({ name: 'circle', description: 'test circle', split: 'generated', widthM: 1.2, centreline: points, scenery: { cones: 'none', kerbs: 'none' } });
}

describe('pretraining data', () => {
  let renderer: HeadlessRenderer;
  beforeAll(async () => {
    renderer = await HeadlessRenderer.create({ width: 320, height: 240 });
  });
  afterAll(() => renderer?.dispose());

  it('renders the road where the labels say: it moves right in the frame when the car moves or turns left', async () => {
    const frames = await PoseFrameRenderer.create({ sim, input, renderer });
    const track = bigCircle();
    frames.setWorld(track, NOMINAL_DOMAIN);
    const labeller = new RoadLabeller(track);
    const centroidAt = async (lateralM: number, headingErrorRad: number) => {
      const p = track.poseAt(4, lateralM);
      const img = new Uint8Array(frames.width * frames.height * 3);
      await frames.render({ x: p.x, y: p.y, yawRad: p.headingRad + headingErrorRad }, img);
      const g = labeller.geometry(p.x, p.y, p.headingRad + headingErrorRad);
      return { u: roadCentroid(img, 0), lateral: g.lateralOffsetM, heading: g.headingErrorRad };
    };
    const centre = await centroidAt(0, 0);
    const left = await centroidAt(0.3, 0);
    const right = await centroidAt(-0.3, 0);
    const turned = await centroidAt(0, 0.2);
    expect([frames.width, frames.height]).toEqual([128, 48]);
    // Centred and aligned: the road is in the middle (the bend to the left pulls it a little left).
    expect(Math.abs(centre.u - 63.5)).toBeLessThan(8);
    expect([centre.lateral, centre.heading].map((v) => Math.abs(v) < 1e-3)).toEqual([true, true]);
    expect(left.lateral).toBeCloseTo(0.3, 3);
    expect(left.u).toBeGreaterThan(centre.u + 8);
    expect(right.lateral).toBeCloseTo(-0.3, 3);
    expect(right.u).toBeLessThan(centre.u - 8);
    expect(turned.heading).toBeCloseTo(0.2, 3);
    expect(turned.u).toBeGreaterThan(centre.u + 8);
    frames.dispose();
  });

  it('labels random poses consistently with their frames, with the expert command as extra targets', async () => {
    const { dataset: d, stats } = await generatePretrainData({
      count: 16, input, sim, seed: 7, renderer, randomize: 0, framesPerTrack: 8, fileShare: 0.5,
      poses: { beyondEdgeShare: 0 }, expert: actionScaling(0.45, 2),
    });
    expect(d.count).toBe(16);
    expect(d.targetNames).toEqual([...ROAD_TARGET_NAMES, 'steering_angle', 'speed']);
    expect(d.images.length).toBe(16 * 48 * 128 * 3);
    expect(stats.tracks).toHaveLength(2);
    expect(d.episodeNames).toEqual(stats.tracks);
    const k = d.targetNames.length;
    const col = (name: string) => Array.from({ length: d.count }, (_, i) => d.targets[i * k + d.targetNames.indexOf(name)]!);
    // The far row of the crop looks ~1.4 m ahead: where the road is there follows the centreline 1.5 m ahead.
    const u = Array.from({ length: d.count }, (_, i) => roadCentroid(d.images.subarray(i * 48 * W * 3), 0));
    expect(correlation(u, col('centre_y_1.5m'))).toBeLessThan(-0.8);
    // Pure pursuit steers towards the centreline ahead.
    expect(correlation(col('steering_angle'), col('centre_y_0.5m'))).toBeGreaterThan(0.8);
    for (const v of col('speed')) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    for (const v of d.targets) expect(Number.isFinite(v)).toBe(true);
  });

  it('is deterministic with a seed, domain randomisation and camera effects included', async () => {
    const make = (seed: number) => generatePretrainData({ count: 3, input, sim, seed, renderer, randomize: 1, framesPerTrack: 3, framesPerLook: 1, fileShare: 0 });
    const [a, b, c] = [await make(11), await make(11), await make(12)];
    expect(Buffer.compare(Buffer.from(a.dataset.images), Buffer.from(b.dataset.images))).toBe(0);
    expect(b.dataset.targets).toEqual(a.dataset.targets);
    expect(b.dataset.episodeNames).toEqual(a.dataset.episodeNames);
    expect(a.stats.looks).toBe(3);
    expect(Buffer.compare(Buffer.from(a.dataset.images), Buffer.from(c.dataset.images))).not.toBe(0);
    expect(c.dataset.targets).not.toEqual(a.dataset.targets);
  });

  it('draws from every training track file and never from an unseen one', async () => {
    const train = trainingTracks();
    const { dataset } = await generatePretrainData({ count: train.length, input, sim, renderer, randomize: 0, framesPerTrack: 1, fileShare: 1 });
    expect([...dataset.episodeNames].sort()).toEqual([...train].sort());
    for (const name of ['lake', 'city-block']) expect(dataset.episodeNames).not.toContain(name);
    await expect(generatePretrainData({ count: 1, input, sim, renderer, trackFiles: ['oval', 'city-block'] })).rejects.toThrow(/E_PRETRAIN: trackFiles: 'city-block' is split 'unseen'/);
  });
});
