import { describe, expect, it } from 'vitest';
import { loadCameraCalibration } from '../../../src/core/calibration/camera.js';
import type { CameraContractInput } from '../../../src/runtime/policy/contract.js';
import { CameraPreprocessor } from '../../../src/runtime/preprocess/camera-preprocessor.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { trainingTracks } from '../../../src/learning/sim-data/pretrain-data.js';
import { actionScaling, actionScalingFromContract, ModelInputSampler, toRaw } from '../../../src/learning/sim-data/model-input.js';
import { readModelContract } from '../../../src/runtime/policy/contract-file.js';
import { AHEAD_M, RoadLabeller, ROAD_TARGET_NAMES, ROAD_TARGETS } from '../../../src/learning/sim-data/road-labels.js';
import { buildTrack, listTracks, loadTrack, type Track } from '../../../sim/world/track.js';

/** A counter-clockwise circle of radius R: the centreline's geometry is known in closed form. */
function circle(radiusM: number): Track {
  const n = 48;
  const points = Array.from({ length: n }, (_, i) => {
    const a = (2 * Math.PI * i) / n;
    return [radiusM * Math.cos(a), radiusM * Math.sin(a)] as const;
  });
  return buildTrack({ name: 'circle', description: 'test circle', split: 'generated', widthM: 1.2, centreline: points, scenery: { cones: 'none', kerbs: 'none' } });
}

describe('road geometry labels', () => {
  const R = 6;
  const track = circle(R);
  const labeller = new RoadLabeller(track);

  it('a pose on the centreline facing along it: no offset, no heading error, centreline ahead bends left', () => {
    const p = track.poseAt(5);
    const g = labeller.geometry(p.x, p.y, p.headingRad);
    expect(g.lateralOffsetM).toBeCloseTo(0, 3);
    expect(g.headingErrorRad).toBeCloseTo(0, 3);
    expect(g.curvature).toBeCloseTo(1 / R, 2);
    // Point d of arc ahead on a circle, seen from a car on it: y = R (1 − cos(d / R)), to the left.
    AHEAD_M.forEach((d, k) => expect(g.centreYM[k]!).toBeCloseTo(R * (1 - Math.cos(d / R)), 2));
  });

  it.each([0.3, -0.25, 0.7])('a pose shifted %f m sideways (+ = left) has that cross-track error and sees the centreline on the other side', (lateral) => {
    const p = track.poseAt(12, lateral);
    const g = labeller.geometry(p.x, p.y, p.headingRad);
    expect(g.lateralOffsetM).toBeCloseTo(lateral, 3);
    expect(g.headingErrorRad).toBeCloseTo(0, 3);
    // Circle centre at (0, R − lateral) in the vehicle frame; the centreline point at arc d is R away from it.
    AHEAD_M.forEach((d, k) => expect(g.centreYM[k]!).toBeCloseTo(R - lateral - R * Math.cos(d / R), 2));
    expect(Math.sign(g.centreYM[0]!)).toBe(-Math.sign(lateral));
  });

  it('a car turned left of the road has a positive heading error and sees the road drift to its right', () => {
    const p = track.poseAt(3);
    const straight = labeller.geometry(p.x, p.y, p.headingRad);
    const centreY = Float64Array.from(straight.centreYM);
    const g = labeller.geometry(p.x, p.y, p.headingRad + 0.3);
    expect(g.headingErrorRad).toBeCloseTo(0.3, 3);
    AHEAD_M.forEach((d, k) => expect(g.centreYM[k]!).toBeLessThan(centreY[k]! - 0.2 * d));
  });

  it('wraps the heading error and writes scaled raw targets in the documented order', () => {
    const p = track.poseAt(20);
    const g = labeller.geometry(p.x, p.y, p.headingRad - 2 * Math.PI + 0.1);
    expect(g.headingErrorRad).toBeCloseTo(0.1, 3);
    const raw = new Float32Array(ROAD_TARGETS.length + 1);
    RoadLabeller.toRaw(g, raw, 1);
    expect(ROAD_TARGET_NAMES).toEqual(['lateral_offset', 'heading_error', 'centre_y_0.5m', 'centre_y_1.0m', 'centre_y_1.5m', 'centre_y_2.0m', 'curvature']);
    const physical = [g.lateralOffsetM, g.headingErrorRad, ...g.centreYM, g.curvature];
    ROAD_TARGETS.forEach((t, i) => expect(raw[1 + i]).toBeCloseTo(physical[i]! / t.scale, 5));
  });

  it('keeps the scaled targets of on-road poses near unit range on every training track', () => {
    const random = mulberry32(5);
    const raw = new Float32Array(ROAD_TARGETS.length);
    for (const name of trainingTracks()) {
      const t = loadTrack(name);
      const l = new RoadLabeller(t);
      for (let i = 0; i < 200; i++) {
        const p = t.poseAt(random() * t.lengthM, (random() * 2 - 1) * 0.85 * (t.widthM / 2));
        RoadLabeller.toRaw(l.geometry(p.x, p.y, p.headingRad + (random() * 2 - 1) * 0.4), raw);
        for (const v of raw) expect(Math.abs(v)).toBeLessThan(2.5);
      }
    }
  });
});

describe('training tracks', () => {
  it('are the bundled train tracks only; naming an unseen track is refused', () => {
    const train = trainingTracks();
    const unseen = listTracks().filter((t) => t.split === 'unseen').map((t) => t.name);
    expect(unseen).toEqual(expect.arrayContaining(['lake', 'city-block']));
    expect(train.length).toBeGreaterThanOrEqual(4);
    for (const name of unseen) expect(train).not.toContain(name);
    expect(() => trainingTracks(['oval', 'lake'])).toThrow(/E_PRETRAIN: trackFiles: 'lake' is split 'unseen'/);
    expect(() => trainingTracks(['nowhere'])).toThrow(/E_PRETRAIN: trackFiles: no bundled track 'nowhere'/);
  });
});

describe('model input frames', () => {
  const camera = loadCameraCalibration('calibration/camera.yaml');
  const contractInput = (over: Partial<CameraContractInput> = {}): CameraContractInput => ({
    name: 'image', role: 'camera', shape: [1, 3, 48, 128], dtype: 'float32', layout: 'NCHW', color: 'rgb',
    normalize: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    crop: { top: 0.35, bottom: 0.1, left: 0.05, right: 0 }, undistort: false, ...over,
  });

  it.each([3, 4] as const)('hold the pixels the runtime preprocessor feeds the network (rgb%s source, within half a grey level)', (channels) => {
    const random = mulberry32(channels);
    const src = new Uint8Array(camera.width * camera.height * channels);
    for (let i = 0; i < src.length; i++) src[i] = Math.floor(random() * 256);
    const input = contractInput();
    const sampler = new ModelInputSampler(input, camera);
    const ours = new Uint8Array(sampler.width * sampler.height * 3);
    sampler.sample(src, channels, ours);
    const runtime = new CameraPreprocessor(input, camera);
    const tensor = new Float32Array(runtime.elementCount);
    const encoding = channels === 3 ? 'rgb8' : 'rgba8';
    expect(runtime.process({ width: camera.width, height: camera.height, encoding, step: camera.width * channels, data: src }, tensor)).toBe('ok');
    const n = sampler.width * sampler.height;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        // NCHW plane c, normalised: byte = (value · 0.5 + 0.5) · 255.
        const byte = (tensor[c * n + i]! * 0.5 + 0.5) * 255;
        worst = Math.max(worst, Math.abs(byte - ours[3 * i + c]!));
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    expect([sampler.width, sampler.height]).toEqual([128, 48]);
  });

  it('take size from an NHWC shape too, and scale actions as the contract declares', () => {
    const sampler = new ModelInputSampler(contractInput({ layout: 'NHWC', shape: [1, 66, 200, 3] }), camera);
    expect([sampler.width, sampler.height]).toEqual([200, 66]);
    const scaling = actionScalingFromContract(readModelContract('models/pilotnet-test.onnx'), 'pilotnet-test');
    expect(scaling).toEqual({ steering: { scale: 0.5, offset: 0 }, speed: { scale: 2.5, offset: 2.5 } });
    const plan = actionScaling(0.45, 2);
    expect(toRaw(0.45, plan.steering)).toBeCloseTo(1);
    expect(toRaw(0, plan.speed)).toBeCloseTo(-1);
    expect(toRaw(2, plan.speed)).toBeCloseTo(1);
  });
});
