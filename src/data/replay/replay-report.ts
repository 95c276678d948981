/**
 * Replay, steps 3 and 4 — evaluate and report: each lane's predictions against the recorded commands,
 * its runtime statistics and input coverage, the notes on what the runtimes rejected, and the result.
 */
import { compareSeries, evaluate, type EvaluateOptions, type PredictionSeries, type ReferenceSeries } from './evaluate.js';
import type { RecordedCommands, ReplayWindow } from './replay-inputs.js';
import type { InputRoute, Lane } from './replay-lanes.js';
import type { SkipLog } from '../bags/skip-log.js';
import type { ReplayLoop } from './replay-loop.js';
import type { ReplayOutput } from './replay-output.js';
import {
  MIN_ACCEPTED_FRAME_FRACTION,
  REPLAY_SCHEMA,
  type LatencyStats,
  type ReplayInputCoverage,
  type ReplayOptions,
  type ReplayResult,
  type ReplayRun,
  type ReplayRuntimeStats,
  type ReplayTopic,
} from './replay-types.js';

/** Everything the result is made of. */
export interface ReplayOutcome {
  readonly options: ReplayOptions;
  readonly mode: 'fast' | 'realtime';
  readonly rate: number;
  readonly window: ReplayWindow;
  readonly lanes: readonly Lane[];
  readonly routes: ReadonlyMap<string, InputRoute>;
  readonly reference: RecordedCommands | null;
  readonly loop: ReplayLoop;
  readonly skipped: SkipLog;
  readonly output: ReplayOutput;
  readonly notes: string[];
  readonly wallS: number;
}

export function replayResult(o: ReplayOutcome): ReplayResult {
  const { reader } = o.options;
  const { window: w, notes, skipped } = o;
  let reference = o.reference;
  if (reference && reference.messages === 0) {
    notes.push(`no recorded commands on ${reference.bagTopic} in the replayed window: predictions only, no error against recorded commands`);
    reference = null;
  }
  const referenceSeries = reference ? o.loop.referenceSeries : null;
  const runs = o.lanes.map((lane) => replayRun(lane, referenceSeries, o.options.evaluate));
  notes.push(...runNotes(runs, o.lanes));
  if (skipped.count > 0) notes.push(`${skipped.count} unreadable part(s) or message(s) skipped (--recover)`);
  const bagS = Math.max(0, o.loop.lastMs) / 1000;
  const replayedTopics: ReplayTopic[] = [...o.routes.entries()].map(([bagTopic, r]) => ({ topic: r.topic, bagTopic, type: r.type, role: r.role, messages: r.messages }));
  return {
    schema: REPLAY_SCHEMA,
    bag: { path: reader.path, storage: w.storage, startNs: w.bagStart, endNs: w.bagEnd, durationS: w.durationS },
    window: { startNs: w.windowStart, endNs: w.windowEnd, startS: w.startS, endS: Number(w.windowEnd - w.bagStart) / 1e9 },
    mode: o.mode,
    rate: o.mode === 'fast' ? 1 : o.rate,
    topics: replayedTopics,
    reference: reference ? { ...reference, role: 'reference' } : null,
    runs,
    comparison: runs.length >= 2 ? compareSeries(runs[0]!.predictions, runs[1]!.predictions, o.options.evaluate) : null,
    skipped: { count: skipped.count, notes: skipped.notes },
    notes,
    interrupted: o.loop.interrupted,
    lateMessages: o.loop.lateMessages,
    wallS: o.wallS,
    bagS,
    realTimeFactor: o.wallS > 0 ? bagS / o.wallS : Infinity,
    output: o.output.summary(),
  };
}

/** One model's run: its predictions, evaluated against the recorded commands when there are some. */
function replayRun(lane: Lane, reference: ReferenceSeries | null, evaluateOptions: EvaluateOptions | undefined): ReplayRun {
  const p = lane.pilot;
  const predictions: PredictionSeries = { names: lane.fields.names, units: lane.fields.units, ...lane.predictions };
  return {
    label: lane.spec.label,
    modelPath: lane.config.model.path,
    modelId: p.policy.contract.id,
    provider: p.policy.activeProvider,
    commandTopic: lane.config.outputs.command.topic,
    commandType: lane.fields.type,
    predictions,
    evaluation: reference ? evaluate(predictions, reference, evaluateOptions, lane.baselines?.constant_mean) : null,
    baselines: lane.baselines,
    input: inputCoverage(lane),
    runtime: runtimeStats(lane),
  };
}

function runtimeStats(lane: Lane): ReplayRuntimeStats {
  const p = lane.pilot;
  const t = p.timeline;
  return {
    ticks: p.loop.stats.ticks,
    commands: p.counters.commandsPublished,
    deadlineMs: p.loop.options.deadlineMs,
    latencyMs: latency(t.summary('tickLatencyMs')),
    inferenceMs: latency(t.summary('inferenceMs')),
    preprocessMs: latency(t.summary('preprocessMs')),
    overDeadline: lane.overDeadline,
    skippedCycles: p.loop.stats.skippedCycles,
    safetyReasons: Object.fromEntries(Object.entries(p.safety.counters.byReason).filter(([, n]) => n > 0)),
    clamped: p.safety.counters.clamped,
    slewLimited: p.safety.counters.slewLimited,
    framesReceived: p.camera.received,
    framesRejected: p.camera.rejected,
    lastRejection: p.camera.lastRejection,
    framesScaledIntrinsics: p.cameraGeometry.stats.scaledFrames,
    framesCameraInfoGeometry: p.cameraGeometry.stats.cameraInfoFrames,
    policyErrors: p.counters.policyErrors,
  };
}

/** What the runtimes rejected or adapted, per run, in words. */
function runNotes(runs: readonly ReplayRun[], lanes: readonly Lane[]): string[] {
  const notes: string[] = [];
  for (const [k, run] of runs.entries()) {
    for (const { reason, count } of run.input.rejections) {
      const hint = /calibration says/.test(reason) ? ' (replay with a config whose calibration.camera matches the recorded images)' : '';
      notes.push(`${run.label}: ${count} camera frame(s) rejected by the runtime: ${reason}${hint}`);
    }
    for (const notice of lanes[k]!.pilot.cameraGeometry.notices) notes.push(`${run.label}: ${notice.replace(/^pilot: /, '')}`);
    if (run.runtime.framesReceived === 0 && run.runtime.framesRejected === 0) notes.push(`${run.label}: no camera frame reached the runtime`);
  }
  return notes;
}

function latency(s: { p50: number; p90: number; p99: number; max: number; n: number }): LatencyStats {
  return { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, n: s.n };
}

function inputCoverage(lane: Lane): ReplayInputCoverage {
  const cameraFrames = lane.cameraFrames;
  const framesAccepted = lane.pilot.camera.received;
  const fraction = cameraFrames > 0 ? framesAccepted / cameraFrames : 0;
  const rejections = [...lane.rejections.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
  return { cameraFrames, framesAccepted, fraction, rejections, sufficient: cameraFrames > 0 && fraction >= MIN_ACCEPTED_FRAME_FRACTION };
}

