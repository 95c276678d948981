/**
 * `pilot eval`: holds a model to its gate. Open-loop error on held-out bags (through the real runtime,
 * as `pilot replay`), closed-loop drives on unseen tracks, the same drives under domain randomisation,
 * and the runtime's latency over all drives. Every threshold becomes one check; a check that could
 * not be measured fails.
 */
import { hostname, cpus } from 'node:os';
import { loadSimConfig } from '../../sim/config/sim-config.js';
import { runDriveSession } from '../../sim/drive/drive-session.js';
import type { DriveResult } from '../../sim/drive/drive-result.js';
import { evaluateDrive, type DriveThresholds } from '../../sim/report/evaluate.js';
import { loadTrack } from '../../sim/world/track.js';
import { openBag } from '../bags/node-io.js';
import { loadConfig } from '../config/load.js';
import type { PilotConfig } from '../config/schema.js';
import { runReplay } from '../replay/replay-session.js';
import { benchLoop } from '../bench/loop-bench.js';
import { PilotError } from '../util/errors.js';
import { EVAL_RECORD_SCHEMA, sha256File, type EvalCheck, type EvalRecord } from './eval-record.js';
import type { EvalGate } from './gate.js';

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

export async function runEvaluation(o: EvalOptions): Promise<EvalRecord> {
  const log = o.log ?? (() => {});
  const sections = new Set(o.sections ?? EVAL_SECTIONS);
  const base = typeof o.config === 'string' ? loadConfig(o.config) : o.config;
  const config: PilotConfig = { ...base, model: { ...base.model, path: o.modelPath, require_eval: false } };
  const checks: EvalCheck[] = [];
  const details: Record<string, unknown> = {};
  const gate = o.gate;

  if (sections.has('open_loop')) {
    const sums = new Map<string, { abs: number; n: number }>();
    const perBag: unknown[] = [];
    for (const bag of o.bags) {
      const reader = await openBag(bag);
      try {
        log(`eval: open loop on ${bag}`);
        const result = await runReplay({ reader, models: [{ label: 'model', config }], ...(o.signal ? { signal: o.signal } : {}) });
        const evaluation = result.runs[0]?.evaluation;
        if (!evaluation) throw new PilotError('E_EVAL_BAG', `${bag}: has no recorded commands on ${config.outputs.command.topic} to compare with`);
        perBag.push({ bag, fields: evaluation.fields.map((f) => ({ name: f.name, mae: f.mae, rmse: f.rmse, n: f.n })) });
        for (const f of evaluation.fields) {
          const s = sums.get(f.name) ?? { abs: 0, n: 0 };
          s.abs += f.mae * f.n;
          s.n += f.n;
          sums.set(f.name, s);
        }
      } finally {
        await reader.close();
      }
    }
    details['open_loop'] = perBag;
    for (const [field, limit] of Object.entries(gate.open_loop.max_mae)) {
      const s = sums.get(field);
      checks.push(check('open_loop', `${field} MAE on ${o.bags.length} held-out bag(s)`, s && s.n > 0 ? s.abs / s.n : NaN, '<=', limit, ''));
    }
  }

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
  details['drives'] = drives;

  if (sections.has('latency')) {
    // The runtime alone (no simulator sharing its thread), at the config's rate, on synthetic frames:
    // in a lockstep drive the renderer runs on the loop's thread and its pauses are not the model's.
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
    details['latency'] = { provider: bench.provider, rateHz: bench.rateHz, ticks: bench.ticks, tickLatencyMs: bench.tickLatencyMs, inferenceMs: bench.inferenceMs, deadlineMisses: bench.deadlineMisses, inDrives: drives.map((d) => ({ track: d.track, seed: d.seed, latencyP99Ms: d.latencyP99Ms, deadlineMisses: d.deadlineMisses })) };
    checks.push(check('latency', `tick latency p99 (${bench.provider}, ${bench.rateHz} Hz)`, bench.tickLatencyMs.p99, '<=', gate.latency.max_p99_ms, 'ms'));
    checks.push(check('latency', `deadline misses (${bench.ticks} ticks)`, bench.deadlineMisses, '<=', gate.latency.max_deadline_misses, ''));
  }

  return {
    schema: EVAL_RECORD_SCHEMA,
    model: o.modelPath,
    sha256: sha256File(o.modelPath),
    passed: checks.length > 0 && checks.every((c) => c.pass) && sections.size === EVAL_SECTIONS.length,
    gate,
    checks,
    evaluatedAt: new Date().toISOString(),
    machine: `${hostname()}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
    details,
  };
}
