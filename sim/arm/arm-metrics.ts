/**
 * Arm episode results and their summary: success rate, time to success, final error, joint-limit
 * interventions. An episode succeeds when the task condition (tool point within tolerance of the
 * target for reach, puck centre within tolerance of the goal for push) has held for `holdSteps`
 * consecutive control steps before the time limit. Time to success is when the tool (or puck) entered
 * the tolerance for the streak that held. A joint-limit intervention is a control step whose command
 * had to be clamped: by the simulator (a target outside a joint's position limits) or by the runtime's
 * safety layer (its clamp counter rose during the step).
 */
import type { DriveChunkStats } from '../drive/drive-result.js';
import { formatArmChunkLine, summarizeArmChunks, type ArmChunkSummary } from './arm-chunk-stats.js';
import type { ArmTaskKind, PlacementSplit } from './arm-task.js';

export interface ArmEpisodeResult {
  index: number;
  seed: number;
  kind: ArmTaskKind;
  split: PlacementSplit;
  success: boolean;
  /** Sim seconds from the episode start until the condition that held began; null when it failed. */
  timeToSuccessS: number | null;
  /** Task error when the episode ended (m). */
  finalErrorM: number;
  /** Smallest task error seen (m). */
  minErrorM: number;
  steps: number;
  simTimeS: number;
  /** Steps whose command had to be clamped to the joint limits (simulator or runtime). */
  jointLimitInterventions: number;
  /** Steps without a fresh command within the lockstep timeout (the arm kept its previous target). */
  commandTimeouts: number;
  /** Commands dropped as malformed (missing or repeated joints, wrong length, non-finite). */
  commandsRejected: number;
  /** Substeps with the tool point below the table top. */
  tableContacts: number;
  endReason: 'success' | 'time limit' | 'interrupted';
  /** reach: target point; push: goal centre (base_link, m). */
  target: [number, number, number];
  /** Runtime safety-layer ticks per reason (model driver only). */
  safetyReasons?: Record<string, number>;
  /** Runtime deadline misses (model driver only). */
  deadlineMisses?: number;
  /** A chunked policy's action queue this episode (model driver with a chunked policy only). */
  chunks?: DriveChunkStats;
}

export interface Stats {
  mean: number;
  p50: number;
  p90: number;
  max: number;
}

export interface ArmRunSummary {
  kind: ArmTaskKind;
  split: PlacementSplit;
  driver: string;
  episodes: number;
  successes: number;
  successRate: number;
  /** Over successful episodes (null when none succeeded). */
  timeToSuccessS: Stats | null;
  finalErrorM: Stats;
  jointLimitInterventions: number;
  /** Episodes with at least one joint-limit intervention. */
  episodesWithInterventions: number;
  commandTimeouts: number;
  commandsRejected: number;
  tableContacts: number;
  wallS: number;
  episodesPerS: number;
  simStepsPerS: number;
  /** Runtime deadline misses, all episodes (model driver only). */
  deadlineMisses?: number;
  /** A chunked policy's action queue over the run (arm-chunk-stats.ts). */
  chunks?: ArmChunkSummary;
}

/** Tracks one episode's success condition step by step. */
export class SuccessMonitor {
  readonly #toleranceM: number;
  readonly #holdSteps: number;
  #streak = 0;
  #streakStartMs = NaN;
  minErrorM = Infinity;
  lastErrorM = NaN;
  successAtMs = NaN;

  constructor(toleranceM: number, holdSteps: number) {
    this.#toleranceM = toleranceM;
    this.#holdSteps = holdSteps;
  }

  get succeeded(): boolean {
    return !Number.isNaN(this.successAtMs);
  }

  /** The condition that held began here (ms), or NaN. */
  get enteredAtMs(): number {
    return this.succeeded ? this.#streakStartMs : NaN;
  }

  /** Feeds the task error after the step that ended at `tMs`; returns true once the episode has succeeded. */
  update(errorM: number, tMs: number): boolean {
    this.lastErrorM = errorM;
    if (errorM < this.minErrorM) this.minErrorM = errorM;
    if (this.succeeded) return true;
    if (errorM <= this.#toleranceM) {
      if (this.#streak === 0) this.#streakStartMs = tMs;
      this.#streak++;
      if (this.#streak >= this.#holdSteps) this.successAtMs = tMs;
    } else {
      this.#streak = 0;
    }
    return this.succeeded;
  }
}

export function summarize(results: readonly ArmEpisodeResult[], info: { kind: ArmTaskKind; split: PlacementSplit; driver: string; wallS: number }): ArmRunSummary {
  const ok = results.filter((r) => r.success);
  const sum = (f: (r: ArmEpisodeResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const steps = sum((r) => r.steps);
  const chunks = summarizeArmChunks(results.map((r) => r.chunks));
  const runtime = results.some((r) => r.deadlineMisses !== undefined);
  return {
    kind: info.kind,
    split: info.split,
    driver: info.driver,
    episodes: results.length,
    successes: ok.length,
    successRate: results.length ? ok.length / results.length : 0,
    timeToSuccessS: ok.length ? stats(ok.map((r) => r.timeToSuccessS!)) : null,
    finalErrorM: stats(results.map((r) => r.finalErrorM)),
    jointLimitInterventions: sum((r) => r.jointLimitInterventions),
    episodesWithInterventions: results.filter((r) => r.jointLimitInterventions > 0).length,
    commandTimeouts: sum((r) => r.commandTimeouts),
    commandsRejected: sum((r) => r.commandsRejected),
    tableContacts: sum((r) => r.tableContacts),
    wallS: info.wallS,
    episodesPerS: info.wallS > 0 ? results.length / info.wallS : 0,
    simStepsPerS: info.wallS > 0 ? steps / info.wallS : 0,
    ...(runtime ? { deadlineMisses: sum((r) => r.deadlineMisses ?? 0) } : {}),
    ...(chunks ? { chunks } : {}),
  };
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { mean: NaN, p50: NaN, p90: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return { mean: values.reduce((s, v) => s + v, 0) / values.length, p50: at(0.5), p90: at(0.9), max: sorted[sorted.length - 1]! };
}

/** One line per run for terminals and logs. */
export function formatArmSummary(s: ArmRunSummary): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const t = s.timeToSuccessS;
  const lines = [
    `arm ${s.kind} (${s.split} placements, ${s.driver}): ${s.successes}/${s.episodes} succeeded (${pct(s.successRate)})`,
    `  time to success: ${t ? `mean ${t.mean.toFixed(2)} s, p50 ${t.p50.toFixed(2)} s, p90 ${t.p90.toFixed(2)} s, max ${t.max.toFixed(2)} s` : 'n/a (no success)'}`,
    `  final error: mean ${(s.finalErrorM.mean * 100).toFixed(2)} cm, p90 ${(s.finalErrorM.p90 * 100).toFixed(2)} cm, max ${(s.finalErrorM.max * 100).toFixed(2)} cm`,
    `  joint-limit interventions: ${s.jointLimitInterventions} steps in ${s.episodesWithInterventions} episodes; command timeouts ${s.commandTimeouts}, rejected ${s.commandsRejected}, table contacts ${s.tableContacts}`,
    `  ${s.episodes} episodes in ${s.wallS.toFixed(1)} s wall (${s.episodesPerS.toFixed(2)} episodes/s, ${Math.round(s.simStepsPerS)} steps/s)`,
  ];
  if (s.deadlineMisses !== undefined) lines.push(`  runtime: ${s.deadlineMisses} deadline misses`);
  if (s.chunks) lines.push(formatArmChunkLine(s.chunks));
  return lines.join('\n');
}
