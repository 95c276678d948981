import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/load.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';
import { ExpertDriver } from '../../../sim/expert/expert-driver.js';
import { collectDrive, type DriveCollection } from '../../../src/learning/sim-data/dagger.js';
import { actionScaling } from '../../../src/learning/sim-data/model-input.js';
import { generateTrack, loadTrack, type Track } from '../../../sim/world/track.js';
import { wrapAngle } from '../../../sim/world/centreline.js';

const sim = parseSimConfig({}, 'test sim config');
// The untrained pilotnet-test keeps these tests independent of the bundled policy's training.
const base = loadConfig('launch/drive.yaml');
const config = { ...base, model: { ...base.model, path: 'models/pilotnet-test.onnx' } };
// pilotnet-test's contract: steering scale 0.5, speed scale 2.5 offset 2.5; input 66×200.
const STEER_SCALE = 0.5;

/** The label each frame should carry: a fresh clean expert (as drive-session builds it) at the frame's state. */
function expectExpertLabels(c: DriveCollection, track: Track, steerScale: number, speed: { scale: number; offset: number }): void {
  const expert = new ExpertDriver(track, { wheelbaseM: 0.26, maxSteeringRad: 0.45, maxSpeedMps: 2 });
  expect(c.frames).toHaveLength(c.dataset.count);
  c.frames.forEach((f, i) => {
    expert.reset();
    const e = expert.command({ x: f.x, y: f.y, yawRad: f.yawRad, speedMps: f.speedMps }, 0.05);
    expect(c.dataset.targets[2 * i]! * steerScale).toBeCloseTo(e.steeringRad, 5);
    expect(c.dataset.targets[2 * i + 1]! * speed.scale + speed.offset).toBeCloseTo(e.speedMps, 5);
  });
}

describe('DAgger and demonstration collection', () => {
  let real: Policy;
  beforeAll(async () => {
    real = await PolicySession.create({ model: config.model });
  });
  afterAll(async () => real?.dispose());

  it('β = 1 executes exactly what an expert drive does, and labels every frame with the command executed', async () => {
    // A procedural loop bends from the start: the expert has something to steer.
    const track = generateTrack(21);
    const dagger = await collectDrive({ track, sim, driver: { kind: 'model', config, policy: real, beta: 1 }, seed: 5, maxSimTimeS: 2 });
    const expert = await runDriveSession({ track, laps: 1, driver: { kind: 'expert' }, sim, transport: 'inprocess', seed: 5, maxSimTimeS: 2 });
    expect(dagger.result.samples).toBe(40);
    expect(dagger.expertSteps).toBe(40);
    expect(dagger.driverSteps).toBe(0);
    expect(dagger.result.path.x).toEqual(expert.path.x);
    expect(dagger.result.path.y).toEqual(expert.path.y);
    expect(dagger.result.path.steeringRad).toEqual(expert.path.steeringRad);
    // One frame per step (camera rate = runtime rate), at the model's input size, one episode.
    const d = dagger.dataset;
    expect([d.count, d.width, d.height, d.targetNames]).toEqual([40, 200, 66, ['steering_angle', 'speed']]);
    expect(d.episodeNames).toEqual(['dagger-gen-21-s5-b1']);
    expect(new Set(d.episodes)).toEqual(new Set([0]));
    for (let i = 0; i < d.count; i++) expect(d.targets[2 * i]! * STEER_SCALE).toBeCloseTo(expert.path.steeringRad[i]!, 6);
    expect(new Set(expert.path.steeringRad.map((v) => v.toFixed(3))).size).toBeGreaterThan(3);
  }, 30_000);

  it('β = 0: the policy drives, the expert labels the states it visits, interventions reset the car and are counted', async () => {
    // A policy that always steers full left: off the road within a second, reset, and again.
    const lefty = new Proxy(real, {
      get: (target, key) =>
        key === 'run'
          ? async () => {
              target.output[0] = 1;
              target.output[1] = -0.4;
            }
          : Reflect.get(target, key, target),
    });
    const c = await collectDrive({ track: 'hairpin', sim, driver: { kind: 'model', config, policy: lefty }, seed: 2, maxSimTimeS: 2.5 });
    expect(c.result.samples).toBe(50);
    expect(c.dataset.count).toBe(50);
    expect(c.expertSteps).toBe(0);
    expect(c.driverSteps).toBe(50);
    expect(c.interventions).toBeGreaterThanOrEqual(1);
    expect(c.interventions).toBe(c.result.interventions);
    // The policy steered left; the expert's labels say steer back right when the car is left of the line.
    expect(c.result.path.steeringRad.filter((s) => s > 0.4).length).toBeGreaterThan(40);
    const track = loadTrack('hairpin');
    expectExpertLabels(c, track, STEER_SCALE, { scale: 2.5, offset: 2.5 });
    // Left of the line and pointing further left (not yet turned around): the label says steer right.
    const driftingLeft = c.frames
      .map((f, i) => ({ f, i }))
      .filter(({ f }) => {
        const headingErrorRad = wrapAngle(f.yawRad - track.project(f.x, f.y).headingRad);
        return f.crossTrackM > 0.1 && headingErrorRad > 0.2 && headingErrorRad < 1.5;
      });
    expect(driftingLeft.length).toBeGreaterThan(1);
    for (const { i } of driftingLeft) expect(c.dataset.targets[2 * i]!).toBeLessThan(0);
    // The frame right after a reset is at rest on the centreline, and labelled.
    const afterReset = c.frames.findIndex((f, i) => i > 0 && f.speedMps === 0 && Math.abs(f.crossTrackM) < 1e-6);
    expect(afterReset).toBeGreaterThan(0);
    expect(Number.isFinite(c.dataset.targets[2 * afterReset]!)).toBe(true);
  }, 30_000);

  it('mixes per step or per segment with probability β', async () => {
    const step = await collectDrive({ track: 'oval', sim, driver: { kind: 'model', config, policy: real, beta: 0.5 }, seed: 3, maxSimTimeS: 2 });
    expect(step.expertSteps + step.driverSteps).toBe(40);
    expect(step.expertSteps).toBeGreaterThan(8);
    expect(step.driverSteps).toBeGreaterThan(8);
    const seg = await collectDrive({ track: 'oval', sim, driver: { kind: 'model', config, policy: real, beta: 0.5, betaSegmentS: 0.5 }, seed: 3, maxSimTimeS: 1.5 });
    expect(seg.expertSteps + seg.driverSteps).toBe(30);
    // Whole 10-step segments: the expert's share comes in multiples of 10.
    expect(seg.expertSteps % 10).toBe(0);
    await expect(collectDrive({ track: 'oval', sim, driver: { kind: 'model', config, policy: real, beta: 1.5 } })).rejects.toThrow(/E_DAGGER: driver.beta: must be in \[0, 1\] \(got 1.5\)/);
  }, 30_000);

  it('collects demonstrations: the expert drives with noise and recovery, frames carry the clean command', async () => {
    const input = { shape: [1, 3, 48, 128], layout: 'NCHW' as const, crop: { top: 0.35, bottom: 0.1, left: 0, right: 0 }, undistort: false };
    const action = actionScaling(0.45, 2);
    const c = await collectDrive({ track: 'oval', sim, driver: { kind: 'expert', noiseRad: 0.1, recovery: true }, input, action, seed: 4, maxSimTimeS: 2, randomize: 0.5 });
    expect([c.dataset.count, c.dataset.width, c.dataset.height]).toEqual([40, 128, 48]);
    expect(c.dataset.episodeNames).toEqual(['demo-oval-s4']);
    expectExpertLabels(c, loadTrack('oval'), 0.45, action.speed);
    // The noisy commands executed differ from the clean labels.
    const differ = c.result.path.steeringRad.filter((s, i) => Math.abs(s - c.dataset.targets[2 * i]! * 0.45) > 0.02).length;
    expect(differ).toBeGreaterThan(5);
    await expect(collectDrive({ track: 'oval', sim, driver: { kind: 'expert' } })).rejects.toThrow(/E_DAGGER: an expert drive has no model contract/);
  }, 30_000);
});
