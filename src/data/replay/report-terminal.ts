/**
 * The replay summary for a terminal: what was replayed, the error per action beside the trivial
 * baselines, the worst moments, the runtime's numbers. An error measured on too few of the camera
 * frames is labelled as not meaningful.
 */
import { formatComparison } from './baselines.js';
import type { Comparison, EvaluatedField, Evaluation, FieldError, SegmentError } from './evaluate.js';
import { MIN_ACCEPTED_FRAME_FRACTION, type LatencyStats, type ReplayInputCoverage, type ReplayResult, type ReplayRun } from './replay-session.js';

export interface TerminalOptions {
  /** Worst moments listed per field (default 5). */
  readonly worst?: number;
  /** Worst segments listed (default 3). */
  readonly segments?: number;
}

export function fmtNumber(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v.toFixed(digits);
}

export function fmtSigned(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return 'n/a';
  const magnitude = Math.abs(v).toFixed(digits);
  // A tiny negative value rounds to zero: no "-0.0000".
  return (v < 0 && Number(magnitude) !== 0 ? '-' : '+') + magnitude;
}

export function fmtS(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(3)} s` : 'n/a';
}

function fmtMs(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : 'n/a';
}

export function fmtLatency(l: LatencyStats): string {
  return l.n === 0 ? 'n/a' : `p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  p99 ${fmtMs(l.p99)}  max ${fmtMs(l.max)} ms`;
}

function table(rows: readonly (readonly string[])[], rightAlign: (col: number) => boolean): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (rightAlign(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

function fieldTable(fields: readonly FieldError[], label = 'error', maeLabel = 'MAE'): string[] {
  const rows = [['field', 'n', maeLabel, 'RMSE', `max |${label}|`, 'at', 'bias', 'unit']];
  for (const f of fields) rows.push([f.name, String(f.n), fmtNumber(f.mae), fmtNumber(f.rmse), fmtNumber(f.maxAbs), fmtS(f.maxAtS), fmtSigned(f.bias), f.unit]);
  return table(rows, (c) => c >= 1 && c <= 6);
}

function worstSegments(segments: readonly SegmentError[], names: readonly string[], count: number): string[] {
  if (segments.length <= 1 || count <= 0) return [];
  // Ranked by the first field's MAE (steering for a car).
  const ranked = [...segments].sort((a, b) => (b.mae[0] ?? 0) - (a.mae[0] ?? 0)).slice(0, count);
  return ranked.map((s) => `    ${fmtS(s.startS).padStart(10)} – ${fmtS(s.endS).padEnd(10)} n ${String(s.n).padStart(4)}  ` + names.map((n, f) => `${n} MAE ${fmtNumber(s.mae[f]!)}`).join('  '));
}

/** `the model saw 12 of 1200 camera frames (1.0 %)`. */
export function describeCoverage(c: ReplayInputCoverage): string {
  return `the model saw ${c.framesAccepted} of ${c.cameraFrames} camera frames (${(c.fraction * 100).toFixed(1)} %)`;
}

/** `1188 × image 160x80 but calibration says …; 12 × jpeg decode failed: …`. */
export function describeRejections(c: ReplayInputCoverage): string {
  return c.rejections.map((r) => `${r.count} × ${r.reason}`).join('; ') || 'no frame was rejected';
}

function baselineLines(run: ReplayRun, fields: readonly EvaluatedField[], meaningful: boolean): string[] {
  const b = run.baselines;
  const source = b ? `constant = the training mean stored in the model (${b.train_frames} frames)` : 'no constant-mean baseline: the model stores no training means (pilot.baselines)';
  const lines = [`  against baselines over the same ticks, ${source}${meaningful ? '' : ' — NOT MEANINGFUL'}:`];
  for (const f of fields) lines.push(`    ${formatComparison(f)}`);
  return lines;
}

function evaluationLines(run: ReplayRun, ev: Evaluation, o: Required<TerminalOptions>): string[] {
  const lines: string[] = [];
  const meaningful = run.input.sufficient;
  if (!meaningful) {
    lines.push(
      `  NOT MEANINGFUL: ${describeCoverage(run.input)}, fewer than ${Math.round(MIN_ACCEPTED_FRAME_FRACTION * 100)} %; ` +
        `ticks without an accepted frame published the fallback command. Rejected: ${describeRejections(run.input)}`,
    );
  }
  const excluded = Object.entries(ev.excluded)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  lines.push(`  ticks ${ev.ticks}: ${ev.evaluated} compared with the recorded command in force` + (ev.noReference ? `, ${ev.noReference} without one` : '') + (excluded ? `, left out: ${excluded}` : ''));
  lines.push(...fieldTable(ev.fields, 'error', meaningful ? 'MAE' : 'MAE (not meaningful)').map((l) => `    ${l}`));
  lines.push(...baselineLines(run, ev.fields, meaningful));
  ev.names.forEach((name, f) => {
    const worst = ev.worst[f]!.slice(0, o.worst);
    if (worst.length === 0) return;
    lines.push(`  worst moments, ${name} (${ev.units[f]}):`);
    for (const m of worst) {
      lines.push(`    ${fmtS(m.tS).padStart(10)}  predicted ${fmtSigned(m.predicted).padStart(8)}  recorded ${fmtSigned(m.recorded).padStart(8)}  error ${fmtSigned(m.error).padStart(8)}  ${m.reason}`);
    }
  });
  const seg = worstSegments(ev.segments, ev.names, o.segments);
  if (seg.length > 0) lines.push(`  worst ${ev.options.segmentS} s segments:`, ...seg);
  return lines;
}

function runtimeLines(run: ReplayRun): string[] {
  const r = run.runtime;
  const reasons = Object.entries(r.safetyReasons)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return [
    `  tick latency    ${fmtLatency(r.latencyMs)}`,
    `  inference       ${fmtLatency(r.inferenceMs)}`,
    `  preprocess      ${fmtLatency(r.preprocessMs)}`,
    `  deadline        ${r.deadlineMs.toFixed(1)} ms: ${r.overDeadline} tick(s) took longer on this machine; ${r.skippedCycles} skipped cycle(s)`,
    `  safety          ${reasons || 'none'}; clamped ${r.clamped}, slew-limited ${r.slewLimited}` + (r.policyErrors ? `, policy errors ${r.policyErrors}` : ''),
    `  camera          ${describeCoverage(run.input)}; ${r.framesRejected} rejected${r.framesRejected ? ` (last: ${r.lastRejection})` : ''}` +
      (r.framesScaledIntrinsics ? `; ${r.framesScaledIntrinsics} sampled with scaled intrinsics` : '') +
      (r.framesCameraInfoGeometry ? `; ${r.framesCameraInfoGeometry} with camera_info's geometry` : ''),
  ];
}

function comparisonLines(c: Comparison, labels: readonly string[], o: Required<TerminalOptions>): string[] {
  const [a, b] = labels;
  const lines = [`compare: ${b} − ${a} over ${c.compared} ticks` + (c.unmatched ? ` (${c.unmatched} unmatched)` : '')];
  lines.push(...fieldTable(c.fields, 'diff').map((l) => `    ${l}`));
  c.names.forEach((name, f) => {
    const worst = c.worst[f]!.slice(0, o.worst).filter((d) => d.difference !== 0);
    if (worst.length === 0) {
      lines.push(`  ${name}: the models agree exactly`);
      return;
    }
    lines.push(`  most disagreement, ${name} (${c.units[f]}):`);
    for (const d of worst) {
      lines.push(`    ${fmtS(d.tS).padStart(10)}  ${a} ${fmtSigned(d.a).padStart(8)}  ${b} ${fmtSigned(d.b).padStart(8)}  diff ${fmtSigned(d.difference).padStart(8)}  ${d.reasonA === d.reasonB ? d.reasonA : `${d.reasonA}/${d.reasonB}`}`);
    }
  });
  return lines;
}

export function formatReplaySummary(result: ReplayResult, options: TerminalOptions = {}): string {
  const o: Required<TerminalOptions> = { worst: options.worst ?? 5, segments: options.segments ?? 3 };
  const lines: string[] = [];
  const w = result.window;
  const how = result.mode === 'fast' ? 'as fast as possible' : `real time × ${result.rate}`;
  lines.push(
    `replay ${result.bag.path} (${result.bag.storage}, ${result.bag.durationS.toFixed(3)} s), window ${w.startS.toFixed(3)}–${w.endS.toFixed(3)} s, ${how}` +
      `${result.interrupted ? ' — INTERRUPTED' : ''}`,
  );
  lines.push(`  ${result.bagS.toFixed(2)} s of bag in ${result.wallS.toFixed(2)} s = ${Number.isFinite(result.realTimeFactor) ? result.realTimeFactor.toFixed(1) : '∞'}× real time` + (result.lateMessages ? `; ${result.lateMessages} message(s) published late` : ''));
  for (const t of result.topics) lines.push(`  input     ${t.topic}${t.bagTopic !== t.topic ? ` (from ${t.bagTopic})` : ''}  ${t.type}  ${t.messages} messages`);
  if (result.reference) lines.push(`  recorded  ${result.reference.bagTopic}  ${result.reference.type}  ${result.reference.messages} commands`);
  for (const run of result.runs) {
    lines.push('');
    lines.push(`model ${run.label}: ${run.modelId} (${run.modelPath}) on ${run.provider}`);
    if (run.evaluation) lines.push(...evaluationLines(run, run.evaluation, o));
    else {
      lines.push(`  ${run.predictions.tMs.length} commands predicted (no recorded commands to compare with)`);
      if (!run.input.sufficient) lines.push(`  NOT MEANINGFUL: ${describeCoverage(run.input)}. Rejected: ${describeRejections(run.input)}`);
    }
    lines.push(...runtimeLines(run));
  }
  if (result.comparison) {
    lines.push('');
    lines.push(...comparisonLines(result.comparison, result.runs.map((r) => r.label), o));
  }
  if (result.skipped.count > 0) {
    lines.push('');
    lines.push(`skipped ${result.skipped.count} unreadable part(s)/message(s):`);
    for (const n of result.skipped.notes) lines.push(`  - ${n}`);
  }
  if (result.notes.length > 0) {
    lines.push('');
    lines.push('notes:');
    for (const n of result.notes) lines.push(`  - ${n}`);
  }
  return lines.join('\n');
}
