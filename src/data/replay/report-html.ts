/**
 * The replay report as one self-contained HTML file: inline CSS and SVG, no scripts, no network.
 * Per model and action: predicted vs recorded over time, the error over time (with the per-segment
 * MAE and the worst moments marked), the error table and the worst moments; the runtime's latency
 * and safety numbers; with two models, where they disagree. Every string is escaped.
 */
import { escapeHtml, htmlPage } from '../../core/util/html.js';
import type { Comparison, Evaluation } from './evaluate.js';
import type { ReplayResult, ReplayRun } from './replay-session.js';
import { describeCoverage, describeRejections, fmtLatency, fmtNumber, fmtS, fmtSigned } from './report-terminal.js';

const WIDTH = 960;
const HEIGHT = 180;
const M = { left: 64, right: 16, top: 12, bottom: 26 };
/** Points per series drawn at most (min/max per pixel column beyond that). */
const MAX_POINTS = 2 * (WIDTH - M.left - M.right);

const COLOURS = { recorded: '#222222', predicted: '#1f77b4', b: '#d62728', error: '#d62728', segment: '#ff7f0e', marker: '#9467bd' };

const esc = escapeHtml;

interface Series {
  readonly name: string;
  readonly colour: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
  /** Draw as steps (value holds until the next x). */
  readonly step?: boolean;
  readonly width?: number;
}

interface Marker {
  readonly x: number;
  readonly label: string;
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Keeps the first and last point and the min and max of each pixel column. */
function decimate(x: readonly number[], y: readonly number[], x0: number, x1: number): { x: number[]; y: number[] } {
  if (x.length <= MAX_POINTS) return { x: [...x], y: [...y] };
  const columns = MAX_POINTS / 2;
  const outX: number[] = [];
  const outY: number[] = [];
  let col = -1;
  let minI = -1;
  let maxI = -1;
  const emit = (): void => {
    if (minI < 0) return;
    const [a, b] = minI < maxI ? [minI, maxI] : [maxI, minI];
    outX.push(x[a]!);
    outY.push(y[a]!);
    if (b !== a) {
      outX.push(x[b]!);
      outY.push(y[b]!);
    }
  };
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(((x[i]! - x0) / (x1 - x0 || 1)) * columns);
    if (!Number.isFinite(y[i]!)) {
      emit();
      minI = maxI = -1;
      outX.push(x[i]!);
      outY.push(NaN);
      col = c;
      continue;
    }
    if (c !== col) {
      emit();
      col = c;
      minI = maxI = i;
    } else {
      if (y[i]! < y[minI]!) minI = i;
      if (y[i]! > y[maxI]!) maxI = i;
    }
  }
  emit();
  return { x: outX, y: outY };
}

function chart(title: string, unit: string, series: readonly Series[], markers: readonly Marker[] = []): string {
  const allX = series.flatMap((s) => s.x);
  const allY = series.flatMap((s) => s.y.filter(Number.isFinite));
  if (allX.length === 0 || allY.length === 0) return `<p class="empty">${esc(title)}: no data</p>`;
  const x0 = Math.min(...allX);
  const x1 = Math.max(...allX, x0 + 1e-3);
  let y0 = Math.min(...allY);
  let y1 = Math.max(...allY);
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * (WIDTH - M.left - M.right);
  const py = (y: number): number => M.top + (1 - (y - y0) / (y1 - y0)) * (HEIGHT - M.top - M.bottom);
  const parts: string[] = [];
  for (const t of ticks(y0, y1)) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${WIDTH - M.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}"/>`);
    parts.push(`<text class="axis" x="${M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${esc(+t.toPrecision(6))}</text>`);
  }
  for (const t of ticks(x0, x1, 10)) {
    parts.push(`<text class="axis" x="${px(t).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle">${esc(+t.toPrecision(6))} s</text>`);
  }
  if (y0 < 0 && y1 > 0) parts.push(`<line class="zero" x1="${M.left}" x2="${WIDTH - M.right}" y1="${py(0).toFixed(1)}" y2="${py(0).toFixed(1)}"/>`);
  for (const m of markers) {
    parts.push(`<line class="marker" x1="${px(m.x).toFixed(1)}" x2="${px(m.x).toFixed(1)}" y1="${M.top}" y2="${HEIGHT - M.bottom}"><title>${esc(m.label)}</title></line>`);
  }
  for (const s of series) {
    const d = decimate(s.x, s.y, x0, x1);
    let path = '';
    let pen = false;
    for (let i = 0; i < d.x.length; i++) {
      const y = d.y[i]!;
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      const X = px(d.x[i]!).toFixed(1);
      const Y = py(y).toFixed(1);
      if (!pen) path += `M${X} ${Y}`;
      else if (s.step) path += `H${X}V${Y}`;
      else path += `L${X} ${Y}`;
      pen = true;
    }
    if (s.step && pen) path += `H${px(x1).toFixed(1)}`;
    parts.push(`<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="${s.width ?? 1.4}"><title>${esc(s.name)}</title></path>`);
  }
  const legend = series.map((s) => `<span class="key"><i style="background:${s.colour}"></i>${esc(s.name)}</span>`).join(' ');
  return (
    `<figure><figcaption>${esc(title)} <small>(${esc(unit)})</small> ${legend}</figcaption>` +
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${esc(title)}">` +
    `<rect class="plot" x="${M.left}" y="${M.top}" width="${WIDTH - M.left - M.right}" height="${HEIGHT - M.top - M.bottom}"/>` +
    parts.join('') +
    '</svg></figure>'
  );
}

function htmlTable(head: readonly string[], rows: readonly (readonly string[])[], numeric: (col: number) => boolean = () => false): string {
  return (
    '<table><thead><tr>' +
    head.map((h, c) => `<th${numeric(c) ? ' class="num"' : ''}>${esc(h)}</th>`).join('') +
    '</tr></thead><tbody>' +
    rows.map((r) => '<tr>' + r.map((cell, c) => `<td${numeric(c) ? ' class="num"' : ''}>${esc(cell)}</td>`).join('') + '</tr>').join('') +
    '</tbody></table>'
  );
}

function evaluationSection(run: ReplayRun, ev: Evaluation): string {
  const p = run.predictions;
  const tS = p.tMs.map((t) => t / 1000);
  const out: string[] = [];
  if (!run.input.sufficient) out.push(`<p><strong>Not meaningful:</strong> ${esc(describeCoverage(run.input))}. Rejected: ${esc(describeRejections(run.input))}.</p>`);
  out.push(
    htmlTable(
      ['field', 'n', run.input.sufficient ? 'MAE' : 'MAE (not meaningful)', 'corr', 'constant-mean MAE', 'zero MAE', 'RMSE', 'max |error|', 'at', 'bias', 'unit'],
      ev.fields.map((f) => [
        f.name,
        String(f.n),
        fmtNumber(f.mae),
        f.corr === null ? 'n/a' : f.corr.toFixed(2),
        f.baselines.constant_mean ? `${fmtNumber(f.baselines.constant_mean.mae)} (mean ${fmtSigned(f.baselines.constant_mean.value)})` : 'no training mean',
        fmtNumber(f.baselines.zero.mae),
        fmtNumber(f.rmse),
        fmtNumber(f.maxAbs),
        fmtS(f.maxAtS),
        fmtSigned(f.bias),
        f.unit,
      ]),
      (c) => c >= 1 && c <= 9,
    ),
  );
  const excluded = Object.entries(ev.excluded).map(([r, n]) => `${r} ${n}`).join(', ');
  out.push(`<p>${ev.evaluated} of ${ev.ticks} ticks compared with the recorded command in force${ev.noReference ? `; ${ev.noReference} without one` : ''}${excluded ? `; left out: ${esc(excluded)}` : ''}.</p>`);
  ev.names.forEach((name, f) => {
    const unit = ev.units[f] ?? '';
    const markers = ev.worst[f]!.map((m, k) => ({ x: m.tS, label: `#${k + 1} at ${fmtS(m.tS)}: error ${fmtSigned(m.error)}` }));
    out.push(
      chart(`${name}: predicted vs recorded`, unit, [
        { name: 'recorded', colour: COLOURS.recorded, x: tS, y: ev.recorded[f]!, step: true },
        { name: `predicted (${run.label})`, colour: COLOURS.predicted, x: tS, y: p.values[f]! },
      ]),
    );
    const error = p.values[f]!.map((v, i) => v - ev.recorded[f]![i]!);
    const segX = ev.segments.map((s) => s.startS);
    const segY = ev.segments.map((s) => s.mae[f]!);
    out.push(
      chart(`${name}: error (predicted − recorded)`, unit, [
        { name: 'error', colour: COLOURS.error, x: tS, y: error },
        ...(ev.segments.length > 1 ? [{ name: `MAE per ${ev.options.segmentS} s`, colour: COLOURS.segment, x: segX, y: segY, step: true, width: 2 }] : []),
      ], markers),
    );
    out.push(
      `<h4>Worst moments: ${esc(name)}</h4>` +
        htmlTable(
          ['#', 'time', 'predicted', 'recorded', 'error', 'safety'],
          ev.worst[f]!.map((m, k) => [String(k + 1), fmtS(m.tS), fmtSigned(m.predicted), fmtSigned(m.recorded), fmtSigned(m.error), m.reason]),
          (c) => c >= 1 && c <= 4,
        ),
    );
  });
  return out.join('\n');
}

function runtimeSection(run: ReplayRun): string {
  const r = run.runtime;
  const reasons = Object.entries(r.safetyReasons).map(([k, n]) => `${k} ${n}`).join(', ');
  return htmlTable(
    ['', 'value'],
    [
      ['tick latency', fmtLatency(r.latencyMs)],
      ['inference', fmtLatency(r.inferenceMs)],
      ['preprocess (per frame)', fmtLatency(r.preprocessMs)],
      ['deadline', `${r.deadlineMs.toFixed(1)} ms; ${r.overDeadline} tick(s) took longer on this machine; ${r.skippedCycles} skipped cycle(s)`],
      ['safety reasons', reasons || 'none'],
      ['clamped / slew-limited', `${r.clamped} / ${r.slewLimited}`],
      ['camera frames', `${describeCoverage(run.input)}; ${r.framesRejected} rejected${r.framesRejected ? ` (last: ${r.lastRejection})` : ''}${r.framesScaledIntrinsics ? `; ${r.framesScaledIntrinsics} with scaled intrinsics` : ''}`],
    ],
  );
}

function comparisonSection(result: ReplayResult, c: Comparison): string {
  const [ra, rb] = result.runs;
  const a = ra!.label;
  const b = rb!.label;
  const out: string[] = [`<h2>Compare: ${esc(b)} − ${esc(a)}</h2>`];
  out.push(`<p>${c.compared} ticks compared${c.unmatched ? `, ${c.unmatched} unmatched` : ''}.</p>`);
  out.push(
    htmlTable(
      ['field', 'n', 'mean |diff|', 'RMS diff', 'max |diff|', 'at', 'mean diff', 'unit'],
      c.fields.map((f) => [f.name, String(f.n), fmtNumber(f.mae), fmtNumber(f.rmse), fmtNumber(f.maxAbs), fmtS(f.maxAtS), fmtSigned(f.bias), f.unit]),
      (k) => k >= 1 && k <= 6,
    ),
  );
  const tS = c.tMs.map((t) => t / 1000);
  c.names.forEach((name, f) => {
    const unit = c.units[f] ?? '';
    const pa = ra!.predictions;
    const pb = rb!.predictions;
    const series: Series[] = [
      { name: a, colour: COLOURS.predicted, x: pa.tMs.map((t) => t / 1000), y: pa.values[f]! },
      { name: b, colour: COLOURS.b, x: pb.tMs.map((t) => t / 1000), y: pb.values[f]! },
    ];
    const ev = ra!.evaluation;
    if (ev) series.unshift({ name: 'recorded', colour: COLOURS.recorded, x: pa.tMs.map((t) => t / 1000), y: ev.recorded[f]!, step: true });
    out.push(chart(`${name}: ${a} vs ${b}`, unit, series));
    const markers = c.worst[f]!.map((d, k) => ({ x: d.tS, label: `#${k + 1} at ${fmtS(d.tS)}: ${fmtSigned(d.difference)}` }));
    out.push(chart(`${name}: ${b} − ${a}`, unit, [{ name: 'difference', colour: COLOURS.error, x: tS, y: c.differences[f]! }], markers));
    out.push(
      `<h4>Most disagreement: ${esc(name)}</h4>` +
        htmlTable(
          ['#', 'time', a, b, 'diff', 'safety'],
          c.worst[f]!.map((d, k) => [String(k + 1), fmtS(d.tS), fmtSigned(d.a), fmtSigned(d.b), fmtSigned(d.difference), d.reasonA === d.reasonB ? d.reasonA : `${d.reasonA}/${d.reasonB}`]),
          (k) => k >= 1 && k <= 4,
        ),
    );
  });
  return out.join('\n');
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:16px;margin:20px 0 6px}h4{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}th{background:#f6f6f6}
.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:10px 0}figcaption{font-weight:600;margin-bottom:2px}
.key{font-weight:normal;margin-left:12px;font-size:12px}.key i{display:inline-block;width:14px;height:3px;margin-right:4px;vertical-align:middle}
svg .plot{fill:#fcfcfc;stroke:#ddd}svg .grid{stroke:#eee}svg .zero{stroke:#bbb}svg .axis{font-size:11px;fill:#666}svg .marker{stroke:${COLOURS.marker};stroke-dasharray:3 3}
.notes li{margin:2px 0}.empty{color:#888}small{color:#666;font-weight:normal}`;

export function renderReplayHtml(result: ReplayResult): string {
  const w = result.window;
  const title = `pilot replay — ${result.bag.path}`;
  const how = result.mode === 'fast' ? 'as fast as possible (deterministic)' : `real time × ${result.rate}`;
  const body: string[] = [];
  body.push(`<h1>${esc(title)}</h1>`);
  body.push(
    htmlTable(
      ['', ''],
      [
        ['bag', `${result.bag.path} (${result.bag.storage}, ${result.bag.durationS.toFixed(3)} s)`],
        ['window', `${w.startS.toFixed(3)} – ${w.endS.toFixed(3)} s`],
        ['mode', how],
        ['throughput', `${result.bagS.toFixed(2)} s of bag in ${result.wallS.toFixed(2)} s = ${Number.isFinite(result.realTimeFactor) ? result.realTimeFactor.toFixed(1) : '∞'}× real time`],
        ...result.topics.map((t) => ['input', `${t.topic}${t.bagTopic !== t.topic ? ` (from ${t.bagTopic})` : ''}: ${t.type}, ${t.messages} messages`]),
        ...(result.reference ? [['recorded commands', `${result.reference.bagTopic}: ${result.reference.type}, ${result.reference.messages} messages`]] : []),
        ...(result.interrupted ? [['status', 'interrupted: the report covers what was replayed']] : []),
      ],
    ),
  );
  if (result.notes.length > 0 || result.skipped.count > 0) {
    body.push('<h2>Notes</h2><ul class="notes">' + [...result.notes, ...result.skipped.notes.map((n) => `skipped: ${n}`)].map((n) => `<li>${esc(n)}</li>`).join('') + '</ul>');
  }
  for (const run of result.runs) {
    body.push(`<h2>Model ${esc(run.label)}: ${esc(run.modelId)}</h2>`);
    body.push(`<p>${esc(run.modelPath)} on ${esc(run.provider)}; commands ${esc(run.commandType)}.</p>`);
    if (run.evaluation) body.push(evaluationSection(run, run.evaluation));
    else {
      const tS = run.predictions.tMs.map((t) => t / 1000);
      body.push('<p>No recorded commands to compare with: predictions only.</p>');
      run.predictions.names.forEach((name, f) => body.push(chart(`${name}: predicted`, run.predictions.units[f] ?? '', [{ name: 'predicted', colour: COLOURS.predicted, x: tS, y: run.predictions.values[f]! }])));
    }
    body.push('<h3>Runtime</h3>', runtimeSection(run));
  }
  if (result.comparison) body.push(comparisonSection(result, result.comparison));
  return htmlPage({ title, generator: `pilot ${result.schema}`, css: CSS, body });
}
