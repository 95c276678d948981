import { describe, expect, it } from 'vitest';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';

describe('expert test drive (lockstep, no camera)', () => {
  it('completes laps on the oval over the in-process transport', async () => {
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'expert' },
      sim: parseSimConfig({}, 'test'),
      transport: 'inprocess',
      seed: 3,
    });
    console.log(JSON.stringify({ ...result, path: undefined, trackOutline: undefined, events: result.events.slice(0, 5) }, null, 1).slice(0, 3000));
    expect(result.lapsCompleted).toBe(1);
    expect(result.interventions).toBe(0);
    expect(result.crossTrack.meanAbsM).toBeLessThan(0.15);
  });
});
