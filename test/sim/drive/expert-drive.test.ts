import { describe, expect, it } from 'vitest';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';
import { listTracks } from '../../../sim/world/track.js';

describe('the expert on the dynamic vehicle model (lockstep, no camera)', () => {
  const tracks = listTracks().map((t) => t.name);

  it('has tracks to drive, some kept unseen', () => {
    expect(tracks.length).toBeGreaterThanOrEqual(4);
    expect(listTracks().some((t) => t.split === 'unseen')).toBe(true);
  });

  it.each(tracks)('completes 3 laps of %s with mean |cross-track| < 0.15 m and no intervention', async (track) => {
    const result = await runDriveSession({
      track,
      laps: 3,
      driver: { kind: 'expert' },
      sim: parseSimConfig({}, 'test'),
      transport: 'inprocess',
      seed: 3,
    });
    expect(result.lapsCompleted).toBe(3);
    expect(result.interventions).toBe(0);
    expect(result.collisions).toBe(0);
    expect(result.offRoadEvents).toBe(0);
    expect(result.crossTrack.meanAbsM).toBeLessThan(0.15);
    expect(result.lockstep).toMatchObject({ commandTimeouts: 0 });
  });

  it('is reproducible with sensor noise and steering noise: same seed, same trajectory', async () => {
    const drive = (seed: number) =>
      runDriveSession({ track: 'esses', laps: 1, driver: { kind: 'expert', noiseRad: 0.05 }, sim: parseSimConfig({}, 'test'), transport: 'inprocess', seed, maxSimTimeS: 10 });
    const [a, b, c] = [await drive(4), await drive(4), await drive(5)];
    expect(b.path.x).toEqual(a.path.x);
    expect(b.path.steeringRad).toEqual(a.path.steeringRad);
    expect(c.path.steeringRad).not.toEqual(a.path.steeringRad);
  });
});
