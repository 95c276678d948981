/**
 * Terminal output of a test drive: a progress line while it runs (redrawn in place on a TTY, sparse
 * plain lines in a CI log) and a compact summary table with PASS/FAIL checks at the end.
 */
import type { DriveResult } from '../drive/drive-result.js';
import type { DriveLiveStatus } from '../drive/metrics.js';
import { defaultThresholds, evaluateDrive, type DriveEvaluation, type DriveThresholds } from './evaluate.js';
import { fmt, fmtCount, fmtSigned } from './format.js';

/** The part of a Node stream the progress display needs. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface DriveProgressOptions {
  /** Default `process.stderr`, so stdout stays free for `--json`. */
  readonly stream?: ProgressStream;
  /** Redraw one line in place. Default: `stream.isTTY`. */
  readonly tty?: boolean;
  /** Wall clock in ms (injected for tests). Default `performance.now`. */
  readonly nowMs?: () => number;
  /** TTY redraw interval. Default 100 ms. */
  readonly redrawIntervalMs?: number;
  /** Plain-line interval when not a TTY (a line is also printed at each lap). Default 10 s. */
  readonly plainIntervalMs?: number;
  /** Shown first on the line, e.g. the track name. */
  readonly label?: string;
}

/**
 * Call `update` every sim step: it returns at once unless a redraw is due, and allocates only when
 * it draws. Call `finish` once at the end.
 */
export class DriveProgress {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #redrawMs: number;
  readonly #plainMs: number;
  readonly #label: string;
  readonly #startMs: number;
  #lastDrawMs: number;
  #lastLaps = 0;
  #finished = false;

  constructor(options: DriveProgressOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = options.tty ?? this.#stream.isTTY === true;
    this.#now = options.nowMs ?? (() => performance.now());
    this.#redrawMs = options.redrawIntervalMs ?? 100;
    this.#plainMs = options.plainIntervalMs ?? 10_000;
    this.#label = sanitize(options.label ?? 'drive');
    this.#startMs = this.#now();
    this.#lastDrawMs = this.#tty ? -Infinity : this.#startMs;
  }

  update(status: DriveLiveStatus): void {
    if (this.#finished) return;
    const now = this.#now();
    const lapDone = status.lapsCompleted !== this.#lastLaps;
    if (!lapDone && now - this.#lastDrawMs < (this.#tty ? this.#redrawMs : this.#plainMs)) return;
    this.#lastLaps = status.lapsCompleted;
    this.#lastDrawMs = now;
    this.#draw(status, now);
  }

  /** The final state of the line, and a newline on a TTY. */
  finish(status: DriveLiveStatus): void {
    if (this.#finished) return;
    this.#draw(status, this.#now());
    if (this.#tty) this.#stream.write('\n');
    this.#finished = true;
  }

  #draw(status: DriveLiveStatus, nowMs: number): void {
    const wallTimeS = (nowMs - this.#startMs) / 1000;
    if (this.#tty) {
      const columns = Math.max(40, (this.#stream.columns ?? 100) - 1);
      const line = formatProgressLine(status, wallTimeS, { label: this.#label, bar: true });
      this.#stream.write(`\r${line.length > columns ? line.slice(0, columns) : line}\x1b[K`);
    } else {
      this.#stream.write(`${formatProgressLine(status, wallTimeS, { label: this.#label, bar: false })}\n`);
    }
  }
}

/**
 * One progress line: laps, distance (as a bar on a TTY), sim time, × real time, the current
 * cross-track error and the incident counters.
 */
export function formatProgressLine(status: DriveLiveStatus, wallTimeS: number, options: { label?: string; bar?: boolean; barWidth?: number } = {}): string {
  const totalM = status.trackLengthM * status.lapsRequested;
  const fraction = totalM > 0 ? Math.min(1, Math.max(0, status.progressM / totalM)) : 0;
  const done = status.lapsCompleted >= status.lapsRequested;
  const lap = done ? `laps ${status.lapsCompleted}/${status.lapsRequested}` : `lap ${status.lapsCompleted + 1}/${status.lapsRequested}`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const factor = wallTimeS > 0 ? `×${fmt(status.simTimeS / wallTimeS, 1)}` : '×—';
  const label = sanitize(options.label ?? 'drive');
  if (options.bar) {
    const width = options.barWidth ?? 20;
    const filled = Math.round(fraction * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    return (
      `${label}  ${lap} ${bar} ${pct}  sim ${fmt(status.simTimeS, 1)} s  ${factor}  CTE ${fmtSigned(status.lastCrossTrackM, 2)} m` +
      `  off-road ${status.offRoadEvents}  interventions ${status.interventions}  collisions ${status.collisions}`
    );
  }
  return (
    `${label}: ${lap}, ${pct.trim()}, sim ${fmt(status.simTimeS, 1)} s, ${factor}, CTE ${fmtSigned(status.lastCrossTrackM, 2)} m, ` +
    `off-road ${status.offRoadEvents}, interventions ${status.interventions}, collisions ${status.collisions}`
  );
}

export interface SummaryOptions {
  /** Default: `defaultThresholds(result)` (all laps, no interventions, no collisions). */
  readonly thresholds?: DriveThresholds;
  /** ANSI colours for PASS/FAIL. Default false. */
  readonly color?: boolean;
}

/** A compact, fixed-width summary for a terminal or CI log, ending with the checks and the verdict. */
export function formatSummary(result: DriveResult, options: SummaryOptions = {}): string {
  const evaluation = evaluateDrive(result, options.thresholds ?? defaultThresholds(result));
  const paint = (pass: boolean, text: string): string => (options.color ? `\x1b[${pass ? 32 : 31}m${text}\x1b[0m` : text);
  return [
    summaryTitle(result),
    ...drivingRows(result),
    ...(result.runtime ? runtimeRows(result.runtime) : []),
    ...harnessRows(result),
    ...lapTable(result.laps),
    ...checkLines(evaluation, paint),
  ].join('\n');
}

/** One labelled line of the summary. */
function summaryRow(label: string, value: string): string {
  return `  ${label.padEnd(15)} ${value}`;
}

function summaryTitle(result: DriveResult): string {
  const d = result.driver;
  const driver =
    d.kind === 'model'
      ? `model ${sanitize(d.model ?? '?')}${d.sha256 ? ` (sha256 ${sanitize(d.sha256.slice(0, 12))})` : ''}`
      : `expert${d.detail ? ` (${sanitize(d.detail)})` : ''}`;
  return `drive  ${sanitize(result.track.name)} [${sanitize(result.track.split)}] · ${driver} · seed ${result.seed} · ${result.mode} · ${sanitize(result.domain)}`;
}

/** Laps, cross-track error, off road, interventions, collisions, steering, speed and time. */
function drivingRows(result: DriveResult): string[] {
  const rows = [summaryRow('laps', `${result.lapsCompleted}/${result.lapsRequested} · ${sanitize(result.endReason)}`)];
  if (result.lapTimesS.length > 0) {
    const best = Math.min(...result.lapTimesS);
    const mean = result.lapTimesS.reduce((a, b) => a + b, 0) / result.lapTimesS.length;
    const times = result.lapTimesS.length <= 8 ? result.lapTimesS.map((t) => fmt(t, 3)).join('  ') + ' s · ' : '';
    rows.push(summaryRow('lap times', `${times}best ${fmt(best, 3)} s · mean ${fmt(mean, 3)} s`));
  }
  const ct = result.crossTrack;
  const st = result.steeringSmoothness;
  rows.push(
    summaryRow('cross-track', `mean |e| ${fmt(ct.meanAbsM, 3)} m · rms ${fmt(ct.rmsM, 3)} m · p95 ${fmt(ct.p95AbsM, 3)} m · max ${fmt(ct.maxAbsM, 3)} m · bias ${fmtSigned(ct.meanM, 3)} m`),
    summaryRow('off road', `${result.offRoadEvents} events · ${fmt(result.offRoadTimeS, 2)} s`),
    summaryRow('interventions', String(result.interventions)),
    summaryRow('collisions', String(result.collisions)),
    summaryRow('steering', `mean |rate| ${fmt(st.meanAbsRateRadps, 3)} rad/s · max |rate| ${fmt(st.maxAbsRateRadps, 3)} rad/s · rms accel ${fmt(st.rmsAccelRadps2, 2)} rad/s²`),
    summaryRow('speed', `mean ${fmt(result.speed.meanMps, 2)} m/s · max ${fmt(result.speed.maxMps, 2)} m/s`),
    summaryRow('time', `sim ${fmt(result.simTimeS, 1)} s · wall ${fmt(result.wallTimeS, 1)} s · ×${fmt(result.realtimeFactor, 1)} real time`),
  );
  return rows;
}

/** The embedded runtime's ticks, latency, safety reasons and action queue. */
function runtimeRows(rt: NonNullable<DriveResult['runtime']>): string[] {
  const rows = [
    summaryRow('runtime', `${fmtCount(rt.ticks)} ticks · ${fmtCount(rt.deadlineMisses)} deadline misses · ${fmtCount(rt.skippedCycles)} skipped · ${fmtCount(rt.staleInput)} stale input`),
    summaryRow(
      'latency',
      `p50 ${fmt(rt.latencyMs.p50, 2)} · p90 ${fmt(rt.latencyMs.p90, 2)} · p99 ${fmt(rt.latencyMs.p99, 2)} · max ${fmt(rt.latencyMs.max, 2)} ms · ` +
        `inference p50 ${fmt(rt.inferenceMs.p50, 2)} · p99 ${fmt(rt.inferenceMs.p99, 2)} ms`,
    ),
  ];
  const reasons = countsLine(rt.safetyReasons);
  if (reasons) rows.push(summaryRow('safety', reasons));
  const q = rt.chunks;
  if (q) {
    rows.push(
      summaryRow(
        'action queue',
        `chunks ${q.steps} × ${q.stepMs} ms, ${q.blend} · ${fmtCount(q.inferences)} inferences (p50 ${fmt(q.inferenceMs.p50, 1)} ms) · ` +
          `depth p50 ${fmt(q.queueDepthSteps.p50, 1)} min ${fmt(q.queueDepthSteps.min, 1)} steps · chunk age p50 ${fmt(q.chunkAgeMs.p50, 0)} max ${fmt(q.chunkAgeMs.max, 0)} ms · ` +
          `${fmtCount(q.blendedActions)} blended / ${fmtCount(q.freshActions)} single · ${fmtCount(q.emptyQueueFallbacks)} empty-queue fallbacks · ${fmtCount(q.chunksExpired)} expired`,
      ),
    );
  }
  return rows;
}

/** What the harness counted: lockstep timeouts and injected faults. */
function harnessRows(result: DriveResult): string[] {
  const rows: string[] = [];
  if (result.lockstep) {
    const ls = result.lockstep;
    rows.push(summaryRow('lockstep', `${fmtCount(ls.steps)} steps · ${fmtCount(ls.commandTimeouts)} command timeouts${ls.deliveryTimeouts !== undefined ? ` · ${fmtCount(ls.deliveryTimeouts)} delivery timeouts` : ''}`));
  }
  if (result.faults) {
    const faults = countsLine(result.faults);
    if (faults) rows.push(summaryRow('faults', faults));
  }
  return rows;
}

/** One line per lap; a lap not completed is marked with `*`. */
function lapTable(laps: DriveResult['laps']): string[] {
  if (laps.length === 0) return [];
  const cells = (c: string[]): string => `  ${c[0]!.padEnd(4)}${c[1]!.padStart(10)}${c[2]!.padStart(12)}${c[3]!.padStart(11)}${c[4]!.padStart(10)}${c[5]!.padStart(15)}${c[6]!.padStart(12)}`;
  const lines = [cells(['lap', 'time s ', 'mean|e| m', 'max|e| m', 'off-road', 'interventions', 'collisions'])];
  for (const lap of laps) {
    lines.push(
      cells([
        String(lap.lap),
        `${fmt(lap.timeS, 3)}${lap.complete ? ' ' : '*'}`,
        fmt(lap.meanAbsCrossTrackM, 3),
        fmt(lap.maxAbsCrossTrackM, 3),
        fmtCount(lap.offRoadEvents),
        fmtCount(lap.interventions),
        fmtCount(lap.collisions),
      ]),
    );
  }
  if (laps.some((l) => !l.complete)) lines.push('  * lap not completed: time driven in it');
  return lines;
}

/** The checks, each PASS or FAIL, and the verdict. */
function checkLines(evaluation: DriveEvaluation, paint: (pass: boolean, text: string) => string): string[] {
  const lines = ['checks'];
  for (const c of evaluation.checks) lines.push(`  ${paint(c.pass, c.pass ? 'PASS' : 'FAIL')}  ${formatCheck(c)}`);
  if (evaluation.checks.length === 0) lines.push('  (no thresholds)');
  const passed = evaluation.checks.filter((c) => c.pass).length;
  lines.push(`verdict  ${paint(evaluation.pass, evaluation.pass ? 'PASS' : 'FAIL')} (${passed}/${evaluation.checks.length} checks)`);
  return lines;
}

/** `interventions  2 ≤ 0`, or `… not measured ≤ 5 ms`. */
export function formatCheck(c: DriveEvaluation['checks'][number]): string {
  const unit = c.unit === '' ? '' : c.unit === '×' ? '' : ` ${c.unit}`;
  const prefix = c.unit === '×' ? '×' : '';
  // The limit as given; the actual value with at least as many decimals, so a FAIL never reads `0.25 ≤ 0.25`.
  const limit = String(Number(c.limit.toPrecision(6)));
  const decimals = Math.max(c.decimals, limit.includes('.') ? limit.length - limit.indexOf('.') - 1 : 0);
  const actual = c.measured ? `${prefix}${fmt(c.actual, decimals)}${unit}` : 'not measured';
  return `${c.label.padEnd(22)} ${actual} ${c.op === '<=' ? '≤' : '≥'} ${prefix}${limit}${unit}`;
}

function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${sanitize(k)} ${n}`)
    .join(' · ');
}

/** Control characters (ANSI escapes, newlines) in names from files must not reach the terminal raw. */
function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
