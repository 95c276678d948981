import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/core/config/load.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';

const sim = (extra: Record<string, unknown> = {}) => parseSimConfig(extra, 'test sim config');

describe('test drives with the runtime in the loop', () => {
  it('two lockstep drives with the same seed give bit-identical trajectories (model, camera, zeromq)', async () => {
    const drive = () =>
      runDriveSession({
        track: 'hairpin',
        laps: 1,
        driver: { kind: 'model', config: 'launch/drive.yaml' },
        sim: sim(),
        seed: 7,
        randomize: 0.5,
        maxSimTimeS: 3,
      });
    const a = await drive();
    const b = await drive();
    expect(a.samples).toBe(60);
    expect(b.samples).toBe(60);
    expect(a.runtime!.ticks).toBeGreaterThanOrEqual(59);
    expect(a.lockstep).toMatchObject({ commandTimeouts: 0, deliveryTimeouts: 0 });
    // The untrained test model's speed output follows the rendered images step by step, so equal
    // trajectories mean equal images, inferences and physics, not a car standing still.
    expect(new Set(a.path.speedMps).size).toBeGreaterThan(30);
    expect(b.path.x).toEqual(a.path.x);
    expect(b.path.y).toEqual(a.path.y);
    expect(b.path.speedMps).toEqual(a.path.speedMps);
    // A different seed renders a different domain and so drives differently.
    const c = await runDriveSession({
      track: 'hairpin', laps: 1, driver: { kind: 'model', config: 'launch/drive.yaml' }, sim: sim(), seed: 8, randomize: 0.5, maxSimTimeS: 3,
    });
    expect(c.path.speedMps).not.toEqual(a.path.speedMps);
  }, 60_000);

  it('counts a step timeout for every step a hung runtime does not answer, and does not hang', async () => {
    const config = loadConfig('launch/drive.yaml');
    const real = await PolicySession.create({ model: config.model });
    let calls = 0;
    let release: (() => void) | undefined;
    const hung: Policy = Object.assign(Object.create(real) as Policy, {
      run: () => (++calls <= 5 ? real.run() : new Promise<void>((resolve) => (release = resolve))),
      dispose: async () => {
        release?.();
        await real.dispose();
      },
    });
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'model', config, policy: hung },
      sim: sim({ lockstep: { step_timeout_ms: 30 } }),
      transport: 'inprocess',
      maxSimTimeS: 2,
    });
    expect(result.lockstep!.steps).toBe(40);
    // The first 5 ticks answer; every later step waits 30 ms for nothing and is counted.
    expect(result.lockstep!.commandTimeouts).toBe(40 - 5);
    expect(result.runtime!.skippedCycles).toBeGreaterThan(30);
    expect(result.completed).toBe(false);
  }, 30_000);

  it('refuses a runtime whose camera calibration differs from the simulated camera', async () => {
    const config = loadConfig('launch/drive.yaml');
    const bad = { ...config, calibration: { ...config.calibration, camera: 'test/fixtures/camera-640.yaml' } };
    await expect(
      runDriveSession({ track: 'oval', laps: 1, driver: { kind: 'model', config: bad }, sim: sim(), transport: 'inprocess' }),
    ).rejects.toThrow(/E_SIM_CONFIG: the simulator renders the camera of calibration\/camera.yaml \(320×240.*test\/fixtures\/camera-640.yaml \(640×480/);
  });

  it('refuses a runtime that listens on another camera topic', async () => {
    const config = loadConfig('launch/drive.yaml');
    const bad = { ...config, inputs: { ...config.inputs, camera: { ...config.inputs.camera, topic: '/front/image' } } };
    await expect(
      runDriveSession({ track: 'oval', laps: 1, driver: { kind: 'model', config: bad }, sim: sim(), transport: 'inprocess' }),
    ).rejects.toThrow(/publishes the camera on \/camera\/image_raw but the runtime reads \/front\/image/);
  });
});
