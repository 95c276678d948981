import { describe, expect, it } from 'vitest';
import type { DriveLiveStatus } from '../../../sim/drive/metrics.js';
import { DriveProgress, formatProgressLine, formatSummary } from '../../../sim/report/terminal.js';
import { fixtureResult } from './fixture.js';

function status(over: Partial<DriveLiveStatus> = {}): DriveLiveStatus {
  return {
    samples: 100,
    simTimeS: 30,
    progressM: 150,
    lapsCompleted: 1,
    lapsRequested: 3,
    trackLengthM: 100,
    lastCrossTrackM: 0.123,
    offRoadEvents: 1,
    interventions: 2,
    collisions: 0,
    ...over,
  };
}

class FakeStream {
  chunks: string[] = [];
  constructor(readonly isTTY: boolean, readonly columns = 200) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
}

describe('progress', () => {
  it('formats laps, a bar, sim time, × real time, CTE and counters', () => {
    const line = formatProgressLine(status(), 3, { label: 'oval', bar: true, barWidth: 10 });
    expect(line).toBe('oval  lap 2/3 █████░░░░░  50%  sim 30.0 s  ×10.0  CTE +0.12 m  off-road 1  interventions 2  collisions 0');
    expect(formatProgressLine(status({ lapsCompleted: 3, progressM: 400 }), 0, { bar: false })).toBe(
      'drive: laps 3/3, 100%, sim 30.0 s, ×—, CTE +0.12 m, off-road 1, interventions 2, collisions 0',
    );
  });

  it('redraws one line in place on a TTY, at most once per interval', () => {
    let now = 0;
    const stream = new FakeStream(true, 60);
    const p = new DriveProgress({ stream, nowMs: () => now, redrawIntervalMs: 100, label: 'oval' });
    for (let i = 0; i < 1000; i++) {
      now = i; // 1 ms per step → a redraw every 100 steps
      p.update(status({ simTimeS: i * 0.01 }));
    }
    expect(stream.chunks.length).toBe(10);
    for (const c of stream.chunks) {
      expect(c.startsWith('\r')).toBe(true);
      expect(c.endsWith('\x1b[K')).toBe(true);
      expect(c.length).toBeLessThanOrEqual(1 + 59 + 3); // truncated to the terminal width
    }
    p.finish(status());
    expect(stream.chunks.at(-1)).toBe('\n');
    p.update(status());
    expect(stream.chunks.at(-1)).toBe('\n'); // nothing after finish
  });

  it('prints sparse plain lines when not a TTY: per lap and per interval', () => {
    let now = 0;
    const stream = new FakeStream(false);
    const p = new DriveProgress({ stream, nowMs: () => now, plainIntervalMs: 10_000 });
    let laps = 0;
    for (let i = 0; i <= 25_000; i++) {
      now = i;
      if (i === 3000 || i === 6000) laps++;
      p.update(status({ lapsCompleted: laps }));
    }
    // laps at 3 s and 6 s, then 16 s and 26 s would be due; the interval runs from the last line.
    expect(stream.chunks.length).toBe(3);
    expect(stream.chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    p.finish(status({ lapsCompleted: 3 }));
    expect(stream.chunks.at(-1)).toMatch(/^drive: laps 3\/3/);
  });
});

describe('formatSummary', () => {
  it('prints a compact table with lap times, errors, incidents, runtime and the checks', () => {
    const r = fixtureResult({ name: 'oval' });
    const text = formatSummary(r, { thresholds: { maxMeanCrossTrackM: 0.25, maxInterventions: 0, minLaps: 3, maxLatencyP99Ms: 5 } });
    expect(text.split('\n')[0]).toBe('drive  oval [test] · model models/pilotnet-test.onnx (sha256 abababababab) · seed 7 · lockstep · nominal');
    expect(text).toMatch(/^ {2}laps {12}3\/3 · laps completed$/m);
    expect(text).toMatch(/^ {2}lap times {7}25\.133 {2}25\.133 {2}25\.133 s · best 25\.133 s/m);
    expect(text).toMatch(/^ {2}cross-track {5}mean \|e\| 0\.\d{3} m · rms/m);
    expect(text).toMatch(/^ {2}latency {9}p50 1\.93 · p90 2\.40 · p99 4\.59 · max 8\.52 ms · inference p50 1\.74 · p99 4\.27 ms$/m);
    expect(text).toMatch(/^ {2}safety {10}ok 7580 · startup 18 · deadline_miss 2$/m);
    expect(text).toMatch(/^ {2}PASS {2}tick latency p99 +4\.59 ms ≤ 5 ms$/m);
    expect(text).toMatch(/^ {2}PASS {2}mean \|cross-track\| +0\.\d{3} m ≤ 0\.25 m$/m);
    expect(text.endsWith('verdict  PASS (4/4 checks)')).toBe(true);
  });

  it('says FAIL with the failing check, and marks an unfinished lap', () => {
    const r = fixtureResult({ resets: [1000], laps: 3 });
    const cut = { ...r, lapsCompleted: 1, completed: false, lapTimesS: r.lapTimesS.slice(0, 1), laps: [r.laps[0]!, { ...r.laps[1]!, complete: false }] };
    const text = formatSummary(cut);
    expect(text).toMatch(/^ {2}FAIL {2}laps completed +1 ≥ 3$/m);
    expect(text).toMatch(/^ {2}FAIL {2}interventions +1 ≤ 0$/m);
    expect(text).toMatch(/^ {2}2 +\d+\.\d{3}\*/m);
    expect(text).toContain('* lap not completed');
    expect(text.endsWith('verdict  FAIL (1/3 checks)')).toBe(true);
    expect(formatSummary(cut, { color: true })).toContain('\x1b[31mFAIL\x1b[0m');
  });

  it('keeps control characters from names out of the terminal', () => {
    const r = fixtureResult({ name: 'evil\x1b[2J\nname' });
    const first = formatSummary(r).split('\n')[0]!;
    expect(first).toContain('evil?[2J?name');
    expect(formatSummary(r)).not.toContain('\x1b');
  });
});
