/**
 * The merged sweep report as one self-contained HTML page (inline CSS, no scripts, no network): the
 * verdict, what is missing or failed, the drive groups and roll-ups, the bags, the failing runs.
 * Made from the report alone, so it is as deterministic as the JSON. Every string is escaped.
 */
import { escapeHtml as esc, htmlPage } from '../../core/util/html.js';
import type { BagFieldStats, DriveGroup } from './aggregate.js';
import type { SweepReport } from './report.js';

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}ul.ids{font-family:monospace;font-size:12px;max-height:240px;overflow:auto}`;

/** At most this many ids listed per completeness list and failing runs (the JSON has them all). */
const MAX_LISTED = 200;

export function renderSweepHtml(r: SweepReport): string {
  const verdict = r.passed ? '<span class="pass">PASS</span>' : `<span class="fail">${r.complete ? 'FAIL' : 'INCOMPLETE'}</span>`;
  const c = r.counts;
  const body = [
    `<h1>Sweep ${esc(r.sweep)}: ${verdict}</h1>`,
    `<p>${c.planned} items planned, ${c.ran} ran: ${c.passed} passed their bars, ${c.failedChecks} missed one; ${c.missing} missing, ${c.failed} failed to run, ${c.duplicates} duplicated, ${c.stale} stale. Groups pass at a pass rate ≥ ${fmt(r.gate.min_pass_rate)}.</p>`,
    `<p>Models: ${r.models.map((m) => `${esc(m.name)}${m.path ? ` (${esc(m.path)})` : ''}`).join(', ')}</p>`,
    completenessSection(r),
    r.drives.groups.length > 0 ? driveSection(r) : '',
    r.bags.bags.length > 0 || r.bags.byModel.length > 0 ? bagSection(r) : '',
    idList('Runs that missed a bar', r.failingRuns.map((f) => `${f.id}: ${f.failedChecks.join('; ')}`)),
  ];
  return htmlPage({ title: `sweep ${r.sweep}`, generator: 'pilot sweep merge', css: CSS, body });
}

function completenessSection(r: SweepReport): string {
  const k = r.completeness;
  return [
    idList('Missing (no result)', k.missing),
    idList('Failed to run', k.failed.map((f) => `${f.id}: ${f.error}`)),
    idList('Duplicated (in more than one results directory)', k.duplicates.map((d) => `${d.id} ×${d.copies}`)),
    idList('Stale (a result of another version of the sweep)', k.stale),
    idList('Unexpected (not in the plan; ignored)', k.unexpected),
  ].join('\n');
}

function idList(title: string, lines: readonly string[]): string {
  if (lines.length === 0) return '';
  const more = lines.length > MAX_LISTED ? `<p>… and ${lines.length - MAX_LISTED} more (see the JSON report)</p>` : '';
  return `<h2>${esc(title)}: ${lines.length}</h2>\n<ul class="ids">${lines.slice(0, MAX_LISTED).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${more}`;
}

const DRIVE_HEAD = ['runs', 'passed', 'pass rate', 'laps', 'interventions', 'per run', 'collisions', 'off-road', 'mean |CTE| m', 'max |CTE| m', 'verdict'];

function driveRow(g: DriveGroup, keys: readonly (keyof DriveGroup)[]): string {
  const cells = keys.map((k) => `<td>${esc(g[k] ?? '')}</td>`);
  const nums = [`${g.runs}/${g.planned}`, g.passed, pct(g.passRate), `${g.lapsCompleted}/${g.lapsRequested}`, g.interventions, fmt(g.interventionsPerRun), g.collisions, g.offRoadEvents, fmt(g.meanAbsCteM), fmt(g.maxAbsCteM)];
  return `<tr>${cells.join('')}${nums.map((n) => `<td class="n">${esc(n)}</td>`).join('')}<td>${g.pass ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>'}</td></tr>`;
}

function driveTable(title: string, groups: readonly DriveGroup[], keys: readonly (keyof DriveGroup)[]): string {
  const head = [...keys.map(String), ...DRIVE_HEAD].map((h) => `<th>${esc(h)}</th>`).join('');
  return `<h2>${esc(title)}</h2>\n<table><tr>${head}</tr>\n${groups.map((g) => driveRow(g, keys)).join('\n')}</table>`;
}

function driveSection(r: SweepReport): string {
  const d = r.drives;
  return [
    driveTable('Drives per model, track, randomisation level and fault profile', d.groups, ['model', 'track', 'level', 'fault']),
    driveTable('Drives per model', d.byModel, ['model']),
    driveTable('Per track', d.byTrack, ['model', 'track']),
    driveTable('Per randomisation level', d.byLevel, ['model', 'level']),
    driveTable('Per fault profile', d.byFault, ['model', 'fault']),
  ].join('\n');
}

function fieldCells(f: BagFieldStats): string {
  return [f.name, f.n, fmt(f.mae), fmt(f.constantMeanMae), fmt(f.zeroMae), pct(f.improvement)].map((v, i) => `<td${i > 0 ? ' class="n"' : ''}>${esc(v)}</td>`).join('');
}

function bagSection(r: SweepReport): string {
  const head = ['field', 'ticks', 'MAE', 'constant-mean MAE', 'zero MAE', 'below the better baseline'];
  const pooled = r.bags.byModel.flatMap((m) => m.fields.map((f) => `<tr><td>${esc(m.model)}</td><td class="n">${m.bags}/${m.planned}</td><td class="n">${pct(m.passRate)}</td>${fieldCells(f)}</tr>`));
  const rows = r.bags.bags.flatMap((b) =>
    b.fields.map((f) => `<tr><td>${esc(b.model)}</td><td>${esc(b.bag)}</td><td>${b.pass ? '<span class="pass">pass</span>' : `<span class="fail">fail</span> ${esc(b.failedChecks.join('; '))}`}</td><td class="n">${pct(b.framesFraction)}</td>${fieldCells(f)}</tr>`),
  );
  return [
    '<h2>Bags, pooled per model</h2>',
    `<table><tr>${['model', 'bags', 'pass rate', ...head].map((h) => `<th>${esc(h)}</th>`).join('')}</tr>\n${pooled.join('\n')}</table>`,
    '<h2>Per bag</h2>',
    `<table><tr>${['model', 'bag', 'verdict', 'frames seen', ...head].map((h) => `<th>${esc(h)}</th>`).join('')}</tr>\n${rows.join('\n')}</table>`,
  ].join('\n');
}

function fmt(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '—';
}

function pct(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(1)} %` : '—';
}
