/**
 * `pilot eval`: holds a model to its gate. Open-loop error on held-out bags (through the real runtime,
 * as `pilot replay`), closed-loop drives on unseen tracks, the same drives under domain randomisation,
 * and the runtime's latency over all drives. Every threshold becomes one check; a check that could
 * not be measured fails. Open loop also holds each gated field's MAE, pooled over the held-out bags,
 * to a margin below the constant-mean baseline (the training-set mean stored in the model).
 */
import { hostname, cpus } from 'node:os';
import { loadSimConfig } from '../../../sim/index.js';
import { runDriveSession } from '../../../sim/index.js';
import type { DriveResult } from '../../../sim/index.js';
import { evaluateDrive, type DriveThresholds } from '../../../sim/index.js';
import { loadTrack } from '../../../sim/index.js';
import { openBag } from '../../data/bags/node-io.js';
import { loadConfig } from '../../core/config/load.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { MIN_ACCEPTED_FRAME_FRACTION, runReplay, type ReplayRun } from '../../data/replay/replay-session.js';
import { benchLoop } from '../../runtime/bench/loop-bench.js';
import { PilotError } from '../../core/util/errors.js';
import { EVAL_RECORD_SCHEMA, sha256File, type EvalCheck, type EvalRecord } from '../../runtime/policy/eval-record.js';
import { beatsConstantBaseline, compareWithBaselines, readModelBaselines, type FieldBaselineComparison } from '../../data/replay/baselines.js';
import { minImprovementOverConstant, type EvalGate } from '../../runtime/policy/eval-gate.js';

export interface EvalOptions {
  readonly modelPath: string;
  /** Runtime config the drives and replays use (its model.path is replaced by modelPath). */
  readonly config: string | PilotConfig;
  readonly gate: EvalGate;
  /** Held-out bags for the open-loop check; none: the open-loop checks are reported as not measured. */
  readonly bags: readonly string[];
  readonly simConfig?: string;
  /** Run only these sections (default all). */
  readonly sections?: readonly EvalSection[];
  /** Ticks of the latency benchmark (default 20 s at the config's rate). */
  readonly latencyTicks?: number;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export type EvalSection = 'open_loop' | 'closed_loop' | 'robustness' | 'latency';
export const EVAL_SECTIONS: readonly EvalSection[] = ['open_loop', 'closed_loop', 'robustness', 'latency'];

export interface DriveSummary {
  readonly track: string;
  readonly seed: number;
  readonly randomize: number;
  readonly laps: number;
  readonly meanCteM: number;
  readonly maxCteM: number;
  readonly interventions: number;
  readonly collisions: number;
  readonly latencyP99Ms: number;
  readonly deadlineMisses: number;
  readonly realtimeFactor: number;
}

function check(section: string, label: string, actual: number, op: '<=' | '>=', limit: number, unit: string): EvalCheck {
  const measured = Number.isFinite(actual);
  return { section, label, actual: measured ? actual : null, limit, op, unit, pass: measured && (op === '<=' ? actual <= limit : actual >= limit) };
}

function summarise(r: DriveResult, seed: number, randomize: number): DriveSummary {
  return {
    track: r.track.name,
    seed,
    randomize,
    laps: r.lapsCompleted,
    meanCteM: r.crossTrack.meanAbsM,
    maxCteM: r.crossTrack.maxAbsM,
    interventions: r.interventions,
    collisions: r.collisions,
    latencyP99Ms: r.runtime?.latencyMs.p99 ?? NaN,
    deadlineMisses: r.runtime?.deadlineMisses ?? NaN,
    realtimeFactor: r.realtimeFactor,
  };
}

/** Details key of the per-field comparisons with the baselines (FieldBaselineComparison[]). */
export const BASELINES_DETAILS_KEY = 'open_loop_baselines';

/** Predicted and recorded values of one field over the evaluated ticks of every bag so far. */
export interface PooledSeries {
  readonly unit: string;
  readonly predicted: number[];
  readonly recorded: number[];
}

/** Adds a replay run's evaluated ticks (those with a recorded command in force) to `pooled`, per field. */
export function poolEvaluatedTicks(pooled: Map<string, PooledSeries>, run: ReplayRun): void {
  const evaluation = run.evaluation;
  if (!evaluation) return;
  evaluation.names.forEach((name, f) => {
    let series = pooled.get(name);
    if (!series) pooled.set(name, (series = { unit: evaluation.units[f] ?? '', predicted: [], recorded: [] }));
    const predicted = run.predictions.values[f] ?? [];
    const recorded = evaluation.recorded[f] ?? [];
    for (let i = 0; i < recorded.length; i++) {
      // recorded is NaN on the ticks the evaluation left out (no command in force, startup, shutdown).
      if (!Number.isFinite(recorded[i]!)) continue;
      series.predicted.push(predicted[i]!);
      series.recorded.push(recorded[i]!);
    }
  });
}

/**
 * One check per field of the gate's max_mae: the model's pooled MAE as a percentage of the
 * constant-mean baseline's (the zero baseline's when the model stores no training mean), at most
 * 100 × (1 − min_improvement_over_constant) %. A field without comparison or without evaluated ticks
 * is not measured and fails.
 */
export function baselineChecks(gate: EvalGate, comparisons: readonly FieldBaselineComparison[], units: Readonly<Record<string, string>> = {}): EvalCheck[] {
  const margin = minImprovementOverConstant(gate);
  return Object.keys(gate.open_loop.max_mae).map((field) => {
    const c = comparisons.find((x) => x.name === field) ?? compareWithBaselines(field, [], [], undefined);
    return baselineCheck(c, margin, units[field] ?? '');
  });
}

/** `steering_angle MAE vs constant-mean baseline (0.0300 rad): must be ≤ 80 %`, actual in % of the baseline MAE. */
export function baselineCheck(c: FieldBaselineComparison, margin: number, unit: string): EvalCheck {
  const verdict = beatsConstantBaseline(c, margin);
  const constant = c.baselines.constant_mean;
  const baselineMae = constant?.mae ?? c.baselines.zero.mae;
  // A baseline with no error (recorded commands all equal to it) is beaten only by a model with none.
  const percent = baselineMae > 0 ? (100 * c.mae) / baselineMae : c.mae === 0 ? 0 : NaN;
  const limitPercent = Number((100 * (1 - margin)).toFixed(6));
  const value = constant ? ` (${constant.value.toFixed(4)}${unit ? ` ${unit}` : ''})` : '';
  const measured = Number.isFinite(percent);
  return {
    section: 'open_loop',
    label: `${c.name} MAE vs ${verdict.against}${value}: must be ≤ ${limitPercent} %`,
    actual: measured ? percent : null,
    limit: limitPercent,
    op: '<=',
    unit: '%',
    pass: measured && verdict.pass,
  };
}

/** The comparisons `runEvaluation` stored in a record's details (none when open loop did not run). */
export function recordComparisons(record: EvalRecord): FieldBaselineComparison[] {
  const value = record.details[BASELINES_DETAILS_KEY];
  return Array.isArray(value) ? (value as FieldBaselineComparison[]) : [];
}

interface SectionResult {
  readonly checks: EvalCheck[];
  readonly details: Record<string, unknown>;
}

/** Open loop: replays every held-out bag through the runtime; MAE per bag and pooled, and the baselines. */
async function openLoopSection(o: EvalOptions, config: PilotConfig, log: (line: string) => void): Promise<SectionResult> {
  const baselines = readModelBaselines(o.modelPath);
  const pooled = new Map<string, PooledSeries>();
  const perBag: unknown[] = [];
  const coverage: EvalCheck[] = [];
  for (const bag of o.bags) {
    const reader = await openBag(bag);
    try {
      log(`eval: open loop on ${bag}`);
      const result = await runReplay({ reader, models: [{ label: 'model', config }], ...(o.signal ? { signal: o.signal } : {}) });
      const run = result.runs[0];
      if (!run?.evaluation) throw new PilotError('E_EVAL_BAG', `${bag}: has no recorded commands on ${config.outputs.command.topic} to compare with`);
      perBag.push({ bag, fields: run.evaluation.fields.map((f) => ({ name: f.name, mae: f.mae, rmse: f.rmse, n: f.n })), input: run.input });
      // A model that saw few frames published the fallback: its MAE says nothing about the model.
      coverage.push(check('open_loop', `camera frames the model saw on ${bag} (${run.input.framesAccepted} of ${run.input.cameraFrames})`, run.input.cameraFrames > 0 ? 100 * run.input.fraction : NaN, '>=', 100 * MIN_ACCEPTED_FRAME_FRACTION, '%'));
      poolEvaluatedTicks(pooled, run);
    } finally {
      await reader.close();
    }
  }
  // Every output field is compared (details); the gated ones are also checked.
  const fields = new Set([...pooled.keys(), ...Object.keys(o.gate.open_loop.max_mae)]);
  const comparisons = [...fields].map((field) => {
    const s = pooled.get(field);
    return compareWithBaselines(field, s?.predicted ?? [], s?.recorded ?? [], baselines?.constant_mean[field]);
  });
  const checks = Object.entries(o.gate.open_loop.max_mae).map(([field, limit]) => {
    const mae = comparisons.find((c) => c.name === field)?.mae ?? NaN;
    return check('open_loop', `${field} MAE on ${o.bags.length} held-out bag(s)`, mae, '<=', limit, '');
  });
  const units = Object.fromEntries([...pooled].map(([field, s]) => [field, s.unit]));
  checks.push(...baselineChecks(o.gate, comparisons, units), ...coverage);
  return { checks, details: { open_loop: perBag, [BASELINES_DETAILS_KEY]: comparisons } };
}

/** Closed-loop drives on the gate's tracks, then the same drives randomised, as the sections ask. */
async function driveSections(o: EvalOptions, config: PilotConfig, sections: ReadonlySet<EvalSection>, log: (line: string) => void): Promise<SectionResult & { drives: DriveSummary[] }> {
  const gate = o.gate;
  const checks: EvalCheck[] = [];
  const drives: DriveSummary[] = [];
  const sim = loadSimConfig(o.simConfig);
  const drive = async (track: string, seed: number, randomize: number, thresholds: DriveThresholds, section: string): Promise<void> => {
    const t = loadTrack(track);
    if (t.split === 'train') log(`eval: warning: track ${track} is a training track; the gate means unseen tracks`);
    log(`eval: ${section}: ${track}, ${gate.closed_loop.laps} laps, seed ${seed}${randomize > 0 ? `, randomize ${randomize}` : ''}`);
    const result = await runDriveSession({
      track: t,
      laps: gate.closed_loop.laps,
      driver: { kind: 'model', config },
      sim,
      seed,
      randomize,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const summary = summarise(result, seed, randomize);
    drives.push(summary);
    log(`eval:   ${summary.laps} laps, mean |CTE| ${summary.meanCteM.toFixed(3)} m, max ${summary.maxCteM.toFixed(3)} m, ${summary.interventions} interventions, ×${summary.realtimeFactor.toFixed(1)} real time`);
    for (const c of evaluateDrive(result, thresholds).checks) {
      checks.push({ section: `${section}/${track}${randomize > 0 ? `/seed ${seed}` : ''}`, label: c.label, actual: c.measured ? c.actual : null, limit: c.limit, op: c.op, unit: c.unit, pass: c.pass });
    }
  };

  if (sections.has('closed_loop')) {
    const c = gate.closed_loop;
    for (const track of c.tracks) {
      await drive(track, 1, 0, { minLaps: c.laps, maxMeanCrossTrackM: c.max_mean_cte_m, maxInterventions: c.max_interventions, maxCollisions: c.max_collisions }, 'closed_loop');
    }
  }
  if (sections.has('robustness')) {
    const r = gate.robustness;
    for (const track of gate.closed_loop.tracks) {
      for (const seed of r.seeds) {
        await drive(track, seed, r.randomize, { minLaps: gate.closed_loop.laps, maxMeanCrossTrackM: r.max_mean_cte_m, maxInterventions: r.max_interventions }, 'robustness');
      }
    }
  }
  return { checks, details: { drives }, drives };
}

/**
 * The runtime alone (no simulator sharing its thread), at the config's rate, on synthetic frames:
 * in a lockstep drive the renderer runs on the loop's thread and its pauses are not the model's.
 */
async function latencySection(o: EvalOptions, config: PilotConfig, drives: readonly DriveSummary[], log: (line: string) => void): Promise<SectionResult> {
  const ticks = o.latencyTicks ?? Math.max(200, Math.round(config.loop.rate_hz * 20));
  log(`eval: latency: ${ticks} ticks at ${config.loop.rate_hz} Hz on ${config.model.providers.join(',')}`);
  const bench = await benchLoop({
    modelPath: o.modelPath,
    providers: config.model.providers,
    ticks,
    rateHz: config.loop.rate_hz,
    cameraHz: 30,
    transport: 'inprocess',
    projectDir: process.cwd(),
  });
  log(`eval:   tick p50 ${bench.tickLatencyMs.p50.toFixed(2)} ms, p99 ${bench.tickLatencyMs.p99.toFixed(2)} ms, inference p99 ${bench.inferenceMs.p99.toFixed(2)} ms, ${bench.deadlineMisses} deadline misses on ${bench.provider}`);
  const latency = { provider: bench.provider, rateHz: bench.rateHz, ticks: bench.ticks, tickLatencyMs: bench.tickLatencyMs, inferenceMs: bench.inferenceMs, deadlineMisses: bench.deadlineMisses, inDrives: drives.map((d) => ({ track: d.track, seed: d.seed, latencyP99Ms: d.latencyP99Ms, deadlineMisses: d.deadlineMisses })) };
  return {
    checks: [
      check('latency', `tick latency p99 (${bench.provider}, ${bench.rateHz} Hz)`, bench.tickLatencyMs.p99, '<=', o.gate.latency.max_p99_ms, 'ms'),
      check('latency', `deadline misses (${bench.ticks} ticks)`, bench.deadlineMisses, '<=', o.gate.latency.max_deadline_misses, ''),
    ],
    details: { latency },
  };
}

export async function runEvaluation(o: EvalOptions): Promise<EvalRecord> {
  const log = o.log ?? (() => {});
  const sections = new Set(o.sections ?? EVAL_SECTIONS);
  const base = typeof o.config === 'string' ? loadConfig(o.config) : o.config;
  const config: PilotConfig = { ...base, model: { ...base.model, path: o.modelPath, require_eval: false } };
  const checks: EvalCheck[] = [];
  const details: Record<string, unknown> = {};
  const add = (r: SectionResult): void => {
    checks.push(...r.checks);
    Object.assign(details, r.details);
  };

  if (sections.has('open_loop')) add(await openLoopSection(o, config, log));
  const drives = await driveSections(o, config, sections, log);
  add(drives);
  if (sections.has('latency')) add(await latencySection(o, config, drives.drives, log));

  return {
    schema: EVAL_RECORD_SCHEMA,
    model: o.modelPath,
    sha256: sha256File(o.modelPath),
    passed: checks.length > 0 && checks.every((c) => c.pass) && sections.size === EVAL_SECTIONS.length,
    gate: o.gate,
    checks,
    evaluatedAt: new Date().toISOString(),
    machine: `${hostname()}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
    details,
  };
}
