/** The merged sweep on the terminal: verdict, completeness, per-model figures and the wall-clock costs. */
import type { SweepReport } from './report.js';
import type { SweepTiming } from './timing.js';

/** Ids listed per completeness list (the reports have them all). */
const MAX_LISTED = 20;

export function formatSweepSummary(r: SweepReport, t: SweepTiming): string {
  const c = r.counts;
  const lines = [`sweep ${r.sweep}: ${r.passed ? 'PASS' : r.complete ? 'FAIL' : 'INCOMPLETE'}`, `  ${c.planned} planned, ${c.ran} ran (${c.passed} passed, ${c.failedChecks} missed a bar), ${c.missing} missing, ${c.failed} failed to run, ${c.duplicates} duplicated, ${c.stale} stale`];
  const k = r.completeness;
  list(lines, 'missing', k.missing);
  list(lines, 'failed to run', k.failed.map((f) => `${f.id}: ${f.error}`));
  list(lines, 'duplicated', k.duplicates.map((d) => `${d.id} (${d.copies} copies)`));
  list(lines, 'stale (another version of the sweep)', k.stale);
  list(lines, 'unexpected (ignored)', k.unexpected);
  for (const g of r.drives.byModel) {
    lines.push(`  drives ${g.model}: ${g.passed}/${g.runs} passed (${rate(g.passRate)}), ${g.interventions} interventions, mean |CTE| ${num(g.meanAbsCteM)} m, max ${num(g.maxAbsCteM)} m`);
  }
  const failingGroups = r.drives.groups.filter((g) => !g.pass);
  list(lines, 'drive groups not passing', failingGroups.map((g) => `${g.model} ${g.track} level ${g.level} fault ${g.fault}: ${g.passed} of ${g.runs} passed (${rate(g.passRate)})${g.runs < g.planned ? `, ${g.planned - g.runs} of ${g.planned} missing` : ''}`));
  for (const m of r.bags.byModel) {
    const fields = m.fields.map((f) => `${f.name} MAE ${num(f.mae)} (constant ${num(f.constantMeanMae)}, zero ${num(f.zeroMae)})`).join(', ');
    lines.push(`  bags ${m.model}: ${m.passed}/${m.bags} passed (${rate(m.passRate)}); pooled ${fields}`);
  }
  const lat = t.drives.latencyP99Ms;
  lines.push(`  wall clock: ${t.all.items} items in ${num(t.all.wallS)} s of runs (${num(t.drives.wallSPerItem)} s per drive, ${num(t.bags.wallSPerItem)} s per bag)${lat ? `; drive tick latency p99 median ${num(lat.median)} ms, max ${num(lat.max)} ms` : ''}`);
  return lines.join('\n');
}

function list(lines: string[], title: string, ids: readonly string[]): void {
  if (ids.length === 0) return;
  lines.push(`  ${title}: ${ids.length}`);
  for (const id of ids.slice(0, MAX_LISTED)) lines.push(`    ${id}`);
  if (ids.length > MAX_LISTED) lines.push(`    … and ${ids.length - MAX_LISTED} more`);
}

function num(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '—';
}

function rate(v: number | null): string {
  return v === null ? '—' : `${(100 * v).toFixed(1)} %`;
}
