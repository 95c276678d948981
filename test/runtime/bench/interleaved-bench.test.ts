import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GcLog } from '../../../src/runtime/bench/gc-log.js';
import { describeLateTick, describeStalls, formatInterleaved } from '../../../src/runtime/bench/interleaved-report.js';
import { stageTable } from '../../../src/runtime/bench/interleaved.js';
import { benchLoop } from '../../../src/runtime/bench/loop-bench.js';
import { LATE_STAGES, TickSamples, dominantStage, type TickSample } from '../../../src/runtime/bench/tick-samples.js';
import { main } from '../../../src/cli/main.js';
import { capture } from '../../helpers/capture-console.js';

afterEach(() => vi.restoreAllMocks());

function sample(over: Partial<TickSample>): TickSample {
  return { dueMs: 0, responseMs: 1, waitMs: 0.1, inputMs: 0.05, inferenceMs: 0.8, frameDecodeMs: 0, framePreprocessMs: 0, safetyMs: 0.02, publishMs: 0.03, inferred: true, ...over };
}

describe('tick samples of one side of the interleaved bench', () => {
  it('counts late ticks and skipped cycles as misses and splits each late tick by stage', () => {
    const s = new TickSamples('pilot', 4, 10);
    s.record(sample({ dueMs: 1000, responseMs: 2 }), 0);
    // Late: 6 ms waiting to start, 3 ms inference of which 2.5 ms was a frame preprocessed meanwhile.
    s.record(sample({ dueMs: 1010, responseMs: 9.2, waitMs: 6, inferenceMs: 3, framePreprocessMs: 2.5 }), 0);
    // Late: the inference itself.
    s.record(sample({ dueMs: 1020, responseMs: 8.5, waitMs: 0.1, inferenceMs: 8.2 }), 1);
    s.record(sample({ dueMs: 1030, responseMs: 3, inferred: false, inferenceMs: 0 }), 1);
    s.record(sample({ dueMs: 1040 }), 2); // full: ignored
    s.skippedCycles = 2;
    const stats = s.stats(8);
    expect(stats).toMatchObject({ ticks: 4, late: 2, skippedCycles: 2, misses: 4 });
    expect(stats.responseMs.max).toBe(9.2);
    expect(stats.inferenceMs.max).toBe(8.2);
    expect(stats.inferenceMs.p50).toBe(3); // of 0.8, 3, 8.2: the tick without inference (0) is left out
    const gcMs = (from: number, to: number) => (from <= 1012 && to >= 1012 ? 0.4 : 0);
    const late = s.lateTicks(8, 1000, gcMs);
    expect(late.map((t) => [t.atMs, t.block, t.dominant])).toEqual([
      [10, 0, 'wait'],
      [20, 1, 'inference'],
    ]);
    expect(late[0]!.stagesMs).toMatchObject({ wait: 6, inference: 3, framePreprocess: 2.5, gc: 0.4 });
    expect(late[0]!.stagesMs.other).toBeCloseTo(9.2 - 6 - 0.05 - 3 - 0.02 - 0.03, 9);
    const table = stageTable(late);
    expect(table.wait.dominant + table.inference.dominant).toBe(2);
    expect(table.inference.totalMs).toBeCloseTo(11.2, 9);
    expect(describeLateTick(late[0]!)).toMatch(/^0.01 s pilot\s+9.20: wait 6.00, inference 3.00, input 0.05, .* \(of which frames 2.50, gc 0.40\) → wait$/);
  });

  it('finds the gaps where cycles were skipped between ticks of one block, not across blocks', () => {
    const s = new TickSamples('bare', 8, 10);
    s.record(sample({ dueMs: 1000, responseMs: 1, waitMs: 0.1 }), 0);
    s.record(sample({ dueMs: 1040, responseMs: 1, waitMs: 2 }), 0); // 3 cycles skipped before it
    s.record(sample({ dueMs: 1050 }), 0);
    s.record(sample({ dueMs: 3000 }), 1); // a new block: not a stall
    const stalls = s.stalls(1000, (from, to) => (from === 1001 && to === 1042 ? 5 : 0));
    expect(stalls).toEqual([{ side: 'bare', block: 0, atMs: 40, skipped: 3, gapMs: 41, gcMs: 5 }]);
    expect(describeStalls(stalls)).toBe('pilot 0 (0 cycles), bare 1 (3 cycles) with more than a period between two ticks; longest gap 41.0 ms (bare at 0.04 s, 5.0 ms GC in it)');
    expect(describeStalls([])).toMatch(/^none/);
  });

  it('names frame work or GC as the cause when it makes up most of the stage it happened in', () => {
    const zero = Object.fromEntries([...LATE_STAGES, 'other'].map((k) => [k, 0])) as Parameters<typeof dominantStage>[0];
    expect(dominantStage({ ...zero, inference: 4, framePreprocess: 3 })).toBe('framePreprocess');
    expect(dominantStage({ ...zero, inference: 4, frameDecode: 2.5, framePreprocess: 0.5 })).toBe('frameDecode');
    expect(dominantStage({ ...zero, wait: 9, gc: 6 })).toBe('gc');
    expect(dominantStage({ ...zero, wait: 9, gc: 1 })).toBe('wait');
    expect(dominantStage({ ...zero, publish: 3, other: 1 })).toBe('publish');
  });

  it('GC log: overlap of collections with a time span, and the summary', () => {
    const log = new GcLog(8);
    log.add(10, 2, 1);
    log.add(20, 1, 4);
    expect(log.overlapMs(11, 21.5)).toBeCloseTo(1 + 1, 9);
    expect(log.overlapMs(0, 9)).toBe(0);
    expect(log.summary()).toEqual({ count: 2, totalMs: 3, maxMs: 2, minor: 1 });
    expect(log.summary(15, 30).count).toBe(1);
  });
});

describe('pilot bench --baseline: pilot loop and bare model interleaved', () => {
  it('alternates blocks of ticks and reports both sides, the overhead and the late ticks', async () => {
    const r = await benchLoop({
      modelPath: resolve('models/pilot-drive.onnx'),
      providers: ['cpu'],
      ticks: 60,
      rateHz: 100,
      cameraHz: 30,
      transport: 'inprocess',
      projectDir: process.cwd(),
      calibrationDir: resolve('calibration'),
      baselineRuns: 60,
      blockTicks: 20,
    });
    const i = r.interleaved!;
    expect(i).toMatchObject({ rateHz: 100, periodMs: 10, deadlineMs: 8, blockTicks: 20, blocks: 3 });
    expect(i.load.cpus).toBeGreaterThan(0);
    expect(i.load.before).toHaveLength(3);
    for (const side of [i.pilot, i.bare]) {
      expect(side.ticks).toBe(60);
      expect(side.misses).toBe(side.late + side.skippedCycles);
      expect(side.responseMs.p50).toBeGreaterThan(0);
      expect(side.responseMs.max).toBeGreaterThanOrEqual(side.responseMs.p99);
      expect(side.inferenceMs.p50).toBeGreaterThan(0);
    }
    expect(i.overheadMs.p50).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(i.overheadP99Ms)).toBe(true);
    const pilotLate = i.lateTicks.filter((t) => t.side === 'pilot');
    expect(pilotLate).toHaveLength(i.pilot.late);
    expect(Object.values(i.pilotLateStages).reduce((n, v) => n + v.dominant, 0)).toBe(i.pilot.late);
    for (const t of i.lateTicks) expect(t.responseMs).toBeGreaterThan(8);
    for (const side of ['pilot', 'bare'] as const) {
      expect(i.stalls.filter((st) => st.side === side).reduce((n, st) => n + st.skipped, 0)).toBeLessThanOrEqual(i[side].skippedCycles);
    }
    expect(r.baselineInferenceMs).toMatchObject({ runs: 60, overDeadline: i.bare.misses });
    const text = formatInterleaved(i);
    expect(text).toMatch(/3 blocks of 20 ticks each, 100 Hz, deadline 8.000 ms/);
    expect(text).toMatch(/^ {2}pilot +60 +\d+ \(\d+\+\d+\)/m);
    expect(text).toMatch(/^ {2}bare +60 /m);
    expect(text).toMatch(/load average [\d.]+ [\d.]+ [\d.]+ before/);
  }, 60_000);

  it('--block-ticks needs --baseline', async () => {
    const { err } = capture();
    expect(await main(['bench', '--block-ticks', '50'])).toBe(2);
    expect(err.join('\n')).toMatch(/--block-ticks goes with --baseline/);
  });
});
