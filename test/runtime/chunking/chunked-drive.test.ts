import { describe, expect, it } from 'vitest';
import { applyDriveChunking } from '../../../src/cli/drive-chunking.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';
import { formatSummary } from '../../../sim/report/terminal.js';

describe('a chunked policy slower than the control period in a lockstep test drive', () => {
  it('is deterministic (inference time in simulated time) and reports its action queue', async () => {
    // pilot-drive made chunked (10 × 50 ms), every inference 100 ms = 2 periods of the 20 Hz loop.
    const { config, modelPath } = applyDriveChunking(loadConfig('launch/drive.yaml'), undefined, { chunked: true, 'inference-delay-ms': '100' }, true);
    const drive = () =>
      runDriveSession({
        track: 'oval',
        laps: 1,
        driver: { kind: 'model', config, ...(modelPath ? { modelPath } : {}) },
        sim: parseSimConfig({}, 'test sim config'),
        seed: 3,
        maxSimTimeS: 4,
        transport: 'inprocess',
      });
    const a = await drive();
    const b = await drive();
    expect(b.path.x).toEqual(a.path.x);
    expect(b.path.y).toEqual(a.path.y);
    const q = a.runtime!.chunks!;
    expect(q).toMatchObject({ steps: 10, stepMs: 50, blend: 'latest', emptyQueueFallbacks: 0, chunksExpired: 0 });
    // A chunk is used from 100 ms after its frame (simulated time) until the next one is due.
    expect(q.chunkAgeMs.p50).toBeGreaterThanOrEqual(100);
    expect(q.inferences).toBeGreaterThan(10);
    // No tick's command came late in simulated time (deadlineMisses also counts ticks whose own work
    // overran in wall time, which a busy machine can cause in lockstep too).
    expect(a.runtime!.safetyReasons.deadline_miss ?? 0).toBe(0);
    expect(b.runtime!.safetyReasons).toEqual(a.runtime!.safetyReasons);
    expect(formatSummary(a, { color: false })).toMatch(/action queue\s+chunks 10 × 50 ms, latest · \d+ inferences/);
  }, 60_000);
});
