/** The text report of the interleaved pilot-loop-versus-bare-model comparison (`pilot bench --baseline`). */
import type { InterleavedResult, LateStageTable } from './interleaved.js';
import type { Percentiles } from './percentiles.js';
import type { LateTick, SideStats, Stall } from './tick-samples.js';

const WORST_SHOWN = 8;

export function formatInterleaved(r: InterleavedResult): string {
  const f = (x: number) => x.toFixed(3);
  const pct = (x: Percentiles) => `${f(x.p50).padStart(7)} ${f(x.p99).padStart(7)} ${f(x.p999).padStart(7)} ${f(x.max).padStart(8)}`;
  const side = (name: string, s: SideStats) =>
    `  ${name.padEnd(6)} ${String(s.ticks).padStart(6)} ${`${s.misses} (${s.late}+${s.skippedCycles})`.padStart(10)}  ${pct(s.responseMs)}   ${pct(s.inferenceMs)}`;
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `interleaved    pilot loop and bare model in turns: ${r.blocks} blocks of ${r.blockTicks} ticks each, ${r.rateHz} Hz, deadline ${f(r.deadlineMs)} ms`,
    `               load average ${load(r.load.before)} before, ${load(r.load.after)} after (${r.load.cpus} CPUs)`,
    `         ticks  misses (late+skipped)    due → done ms: p50     p99   p99.9      max   inference ms: p50     p99   p99.9      max`,
    side('pilot', r.pilot),
    side('bare', r.bare),
    `overhead       p50 ${f(r.overheadMs.p50)}  p99 ${f(r.overheadMs.p99)}  p99.9 ${f(r.overheadMs.p999)}  max ${f(r.overheadMs.max)} ms per tick (tick − inference); tick p99 − inference p99 = ${f(r.overheadP99Ms)} ms`,
    `gc             ${r.gc.count} collections (${r.gc.minor} minor), ${r.gc.totalMs.toFixed(1)} ms in all, longest ${f(r.gc.maxMs)} ms`,
    `late ticks     pilot ${describeStages(r.pilotLateStages)}`,
    `               bare  ${describeStages(r.bareLateStages)}`,
  ];
  lines.push(`stalls         ${describeStalls(r.stalls)}`);
  const worst = [...r.lateTicks].sort((a, b) => b.responseMs - a.responseMs).slice(0, WORST_SHOWN);
  if (worst.length) lines.push('  worst (due → done; where the time went, ms):', ...worst.map((t) => `    ${describeLateTick(t)}`));
  return lines.join('\n');
}

/** "pilot 2 (9 cycles), bare 1 (1 cycle); longest gap 45.1 ms (pilot, 0.0 ms GC in it)". */
export function describeStalls(stalls: readonly Stall[]): string {
  if (stalls.length === 0) return 'none (no cycle skipped between ticks)';
  const side = (name: 'pilot' | 'bare') => {
    const mine = stalls.filter((s) => s.side === name);
    return `${name} ${mine.length} (${mine.reduce((n, s) => n + s.skipped, 0)} cycles)`;
  };
  const worst = stalls.reduce((a, b) => (b.gapMs > a.gapMs ? b : a));
  return `${side('pilot')}, ${side('bare')} with more than a period between two ticks; longest gap ${worst.gapMs.toFixed(1)} ms (${worst.side} at ${(worst.atMs / 1000).toFixed(2)} s, ${worst.gcMs.toFixed(1)} ms GC in it)`;
}

/** "3, longest stage: wait 2, inference 1; in them: wait 20.1, inference 12.0 ms" or "none". */
export function describeStages(table: LateStageTable): string {
  const entries = Object.entries(table) as [keyof LateStageTable, { dominant: number; totalMs: number }][];
  const count = entries.reduce((n, [, v]) => n + v.dominant, 0);
  if (count === 0) return 'none';
  const dominant = entries.filter(([, v]) => v.dominant > 0).sort((a, b) => b[1].dominant - a[1].dominant);
  const spent = entries.filter(([, v]) => v.totalMs >= 0.0005).sort((a, b) => b[1].totalMs - a[1].totalMs);
  return (
    `${count}, longest stage: ${dominant.map(([k, v]) => `${k} ${v.dominant}`).join(', ')}; ` +
    `time in them: ${spent.map(([k, v]) => `${k} ${v.totalMs.toFixed(1)}`).join(', ')} ms`
  );
}

export function describeLateTick(t: LateTick): string {
  const s = t.stagesMs;
  const f = (x: number) => x.toFixed(2);
  const pilotOnly = t.side === 'pilot' ? `, input ${f(s.input)}, safety ${f(s.safety)}, publish ${f(s.publish)}` : '';
  const inside = t.side === 'pilot' ? `frames ${f(s.frameDecode + s.framePreprocess)}, gc ${f(s.gc)}` : `gc ${f(s.gc)}`;
  return (
    `${(t.atMs / 1000).toFixed(2)} s ${t.side.padEnd(5)} ${f(t.responseMs).padStart(6)}: wait ${f(s.wait)}, inference ${f(s.inference)}${pilotOnly}, ` +
    `other ${f(s.other)} (of which ${inside}) → ${t.dominant}`
  );
}
