/**
 * `pilot arm`: arm episodes in the simulator with a model (through the real runtime, launch/arm.yaml)
 * or the IK expert, the arm counterpart of `pilot drive`. Prints one line per episode and a summary
 * (success rate, time to success, final error, joint-limit interventions), writes a JSON report, and
 * exits 1 when the success rate is below --min-success (so CI can gate a model on it).
 */
import { formatArmSummary, type ArmEpisodeResult } from '../../sim/index.js';
import { runArmSession, type ArmDriverOption, type ArmRunResult } from '../../sim/index.js';
import { loadArmSimConfig } from '../../sim/index.js';
import { parseTaskKind, UNSEEN_PLACEMENTS, type ArmTaskKind, type PlacementSplit } from '../../sim/index.js';
import { PilotError } from '../core/util/errors.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { DRIVE_CHUNK_OPTIONS, withDriveChunking } from './drive-chunking.js';
import { flag, number, text } from './options.js';
import type { Output } from './output.js';
import { claimReportPath } from './report-path.js';
import { compressionOption, transportOption } from './shared-options.js';
import { writeReport } from './write-report.js';

const fraction = (flag: string, raw: string): string => `${flag} must be in [0, 1] (got '${raw}')`;

const OPTIONS = {
  task: text('--task <task>', 'the task: reach or push', { default: 'reach' }),
  episodes: number('-n, --episodes <n>', 'episodes to run', { default: 100, integer: true, min: 1 }),
  model: text('-m, --model <onnx>', 'the arm policy', { defaultLabel: "the config's model.path" }),
  expert: flag('--expert', 'run the IK expert instead of a model'),
  config: text('-c, --config <yaml>', 'the runtime config', { default: 'launch/arm.yaml' }),
  'sim-config': text('--sim-config <yaml>', 'arm simulator settings', { defaultLabel: 'the built-in settings' }),
  seed: number('--seed <n>', 'the first episode\'s seed', { default: 1, integer: true, min: 0 }),
  unseen: flag('--unseen', `held-out placements (seeds ≥ ${UNSEEN_PLACEMENTS.seedBase}, the object in the held-out azimuth bands)`),
  'train-split': flag('--train-split', 'training placements only'),
  randomize: number('--randomize [0..1]', 'domain randomisation strength; bare --randomize is 1', { default: 0, min: 0, max: 1, preset: '1', message: fraction }),
  realtime: flag('--realtime', 'run in real time (default: lockstep)'),
  transport: transportOption(),
  record: text('--record <dir>', 'record each episode as a bag in this folder (demonstrations)'),
  compression: compressionOption('the recorded bags'),
  json: text('--json [file]', 'the JSON report to this file; bare --json or - prints it on stdout', { defaultLabel: 'runs/arm-<task>-<split>-<n>.json', preset: '-' }),
  'min-success': number('--min-success <0..1>', 'the success rate needed to pass (exit 0)', { default: 0.9, min: 0, max: 1, message: fraction }),
  'time-limit': number('--time-limit <s>', 'the time an episode gets', { positive: true, defaultLabel: "the task's" }),
  ...DRIVE_CHUNK_OPTIONS,
} as const;

export const ARM = defineCommand({
  name: 'arm',
  summary: 'arm episodes in the simulator with a model or the IK expert; exit 1 below --min-success',
  options: OPTIONS,
  examples: ['pilot arm --model models/pilot-arm.onnx --task reach --episodes 100 --unseen', 'pilot arm --model models/pilot-arm.onnx --chunked --inference-delay-ms 60'],
  run: runArm,
});

type ArmValues = Parsed<typeof OPTIONS>['values'];

export function armCommand(args: readonly string[]): Promise<number> {
  return invoke(ARM, args);
}

async function runArm({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (values.model && values.expert) throw new CliError('arm takes --model <onnx> or --expert, not both');
  if (values.unseen && values['train-split']) throw new CliError('arm takes --unseen or --train-split, not both');
  let task;
  try {
    task = parseTaskKind(values.task);
  } catch (e) {
    throw new CliError(`--task: ${(e as PilotError).message.replace(/^E_ARM_TASK: /, '')}`);
  }
  const split: PlacementSplit = values.unseen ? 'unseen' : values['train-split'] ? 'train' : 'any';
  const result = await episodes(values, task, split, out);
  return report(values, result, task, split, out);
}

async function episodes(values: ArmValues, task: ArmTaskKind, split: PlacementSplit, out: Output): Promise<ArmRunResult> {
  const { episodes, seed, randomize } = values;
  const timeLimitS = values['time-limit'];
  const sim = loadArmSimConfig(values['sim-config']);
  const driver = driverOf(values, out);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    return await runArmSession({
      task,
      episodes,
      seed,
      split,
      driver,
      sim,
      randomize,
      mode: values.realtime ? 'realtime' : 'lockstep',
      transport: values.transport,
      ...(timeLimitS !== undefined ? { taskOptions: { timeLimitS } } : {}),
      ...(values.record ? { record: { dir: values.record, compression: values.compression } } : {}),
      onEpisode: values.quiet ? undefined : (e) => out.log(episodeLine(e, episodes)),
      signal: controller.signal,
      log: out.log,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function driverOf(values: ArmValues, out: Output): ArmDriverOption {
  const driver: ArmDriverOption = values.expert
    ? { kind: 'expert' }
    : { kind: 'model', config: values.config, ...(values.model ? { modelPath: values.model } : {}) };
  // Chunked and/or remote policy: the runtime config gets chunking / policy_server (drive-chunking.ts).
  return withDriveChunking(driver, values, out.log);
}

/** The summary on stdout (stderr when the JSON report goes to stdout), and the pass/fail exit code. */
function report(values: ArmValues, result: ArmRunResult, task: ArmTaskKind, split: PlacementSplit, out: Output): number {
  const episodes = values.episodes;
  const minSuccess = values['min-success'];
  const s = result.summary;
  const pass = s.episodes === episodes && s.successRate >= minSuccess;
  const report = { summary: s, min_success: minSuccess, pass, joint_names: result.description.jointNames, step_ms: result.stepMs, episodes: result.episodes };
  const jsonPath = values.json ?? claimReportPath(`runs/arm-${task}-${split}`, '.json', ['.json']);
  writeReport(jsonPath, JSON.stringify(report, null, 2) + '\n');
  const say = jsonPath === '-' ? out.log : out.result;
  say(formatArmSummary(s));
  say(`${pass ? 'PASS' : 'FAIL'}: success rate ${(s.successRate * 100).toFixed(1)} % ${pass ? '≥' : '<'} ${(minSuccess * 100).toFixed(1)} %${s.episodes < episodes ? ` (interrupted after ${s.episodes} of ${episodes} episodes)` : ''}`);
  if (jsonPath !== '-') say(`report: ${jsonPath}`);
  return pass ? 0 : 1;
}

function episodeLine(e: ArmEpisodeResult, total: number): string {
  const width = String(total).length;
  const outcome = e.success ? `success in ${e.timeToSuccessS!.toFixed(2)} s` : `${e.endReason} (${e.simTimeS.toFixed(1)} s)`;
  const extra = [
    e.jointLimitInterventions ? `${e.jointLimitInterventions} joint-limit interventions` : '',
    e.commandTimeouts ? `${e.commandTimeouts} command timeouts` : '',
    e.commandsRejected ? `${e.commandsRejected} commands rejected` : '',
  ].filter(Boolean);
  return `episode ${String(e.index + 1).padStart(width)}/${total} seed ${e.seed}: ${outcome}, final error ${(e.finalErrorM * 100).toFixed(1)} cm${extra.length ? `, ${extra.join(', ')}` : ''}`;
}
