/**
 * `pilot arm`: arm episodes in the simulator with a model (through the real runtime, launch/arm.yaml)
 * or the IK expert, the arm counterpart of `pilot drive`. Prints one line per episode and a summary
 * (success rate, time to success, final error, joint-limit interventions), writes a JSON report, and
 * exits 1 when the success rate is below --min-success (so CI can gate a model on it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatArmSummary, type ArmEpisodeResult } from '../../sim/index.js';
import { runArmSession, type ArmDriverOption } from '../../sim/index.js';
import { loadArmSimConfig } from '../../sim/index.js';
import { parseTaskKind, UNSEEN_PLACEMENTS, type PlacementSplit } from '../../sim/index.js';
import { PilotError } from '../core/util/errors.js';
import { CliError, parse, transportKind } from './args.js';

export const ARM_USAGE = `pilot arm [--task reach|push] [--episodes 100] [--model <onnx> | --expert] [--config launch/arm.yaml]
              [--sim-config <yaml>] [--seed 1] [--unseen | --train-split] [--randomize [0..1]] [--realtime]
              [--transport zeromq|inprocess] [--record <dir> [--compression none|lz4|zstd]]
              [--json <file>|-] [--min-success 0.9] [--time-limit <s>] [--quiet]
  --unseen: held-out placements (seeds ≥ ${UNSEEN_PLACEMENTS.seedBase}, task object in the held-out azimuth bands)`;

export async function armCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(withDefaultStrength(args), {
    task: { type: 'string' },
    episodes: { type: 'string', short: 'n' },
    model: { type: 'string', short: 'm' },
    expert: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    'sim-config': { type: 'string' },
    seed: { type: 'string' },
    unseen: { type: 'boolean' },
    'train-split': { type: 'boolean' },
    randomize: { type: 'string' },
    realtime: { type: 'boolean' },
    transport: { type: 'string' },
    record: { type: 'string' },
    compression: { type: 'string' },
    json: { type: 'string' },
    'min-success': { type: 'string' },
    'time-limit': { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (values.model && values.expert) throw new CliError('arm takes --model <onnx> or --expert, not both');
  if (values.unseen && values['train-split']) throw new CliError('arm takes --unseen or --train-split, not both');
  let task;
  try {
    task = parseTaskKind(values.task ?? 'reach');
  } catch (e) {
    throw new CliError(`--task: ${(e as PilotError).message.replace(/^E_ARM_TASK: /, '')}`);
  }
  const episodes = wholeNumber(values.episodes ?? '100', '--episodes', 1);
  const seed = wholeNumber(values.seed ?? '1', '--seed', 0);
  const split: PlacementSplit = values.unseen ? 'unseen' : values['train-split'] ? 'train' : 'any';
  const randomize = values.randomize === undefined ? 0 : fraction(values.randomize, '--randomize');
  const minSuccess = values['min-success'] === undefined ? 0.9 : fraction(values['min-success'], '--min-success');
  const timeLimitS = values['time-limit'] === undefined ? undefined : positive(values['time-limit'], '--time-limit');
  const sim = loadArmSimConfig(values['sim-config']);
  const driver: ArmDriverOption = values.expert
    ? { kind: 'expert' }
    : { kind: 'model', config: values.config ?? 'launch/arm.yaml', ...(values.model ? { modelPath: values.model } : {}) };

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const log = (line: string) => console.error(line);
  let result;
  try {
    result = await runArmSession({
      task,
      episodes,
      seed,
      split,
      driver,
      sim,
      randomize,
      mode: values.realtime ? 'realtime' : 'lockstep',
      transport: transportKind(values.transport ?? 'zeromq'),
      ...(timeLimitS !== undefined ? { taskOptions: { timeLimitS } } : {}),
      ...(values.record ? { record: { dir: values.record, compression: compression(values.compression) } } : {}),
      onEpisode: values.quiet ? undefined : (e) => log(episodeLine(e, episodes)),
      signal: controller.signal,
      log,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  const s = result.summary;
  const pass = s.episodes === episodes && s.successRate >= minSuccess;
  const report = { summary: s, min_success: minSuccess, pass, joint_names: result.description.jointNames, step_ms: result.stepMs, episodes: result.episodes };
  const json = JSON.stringify(report, null, 2);
  const jsonPath = values.json ?? `runs/arm-${task}-${split}-${seed}.json`;
  if (jsonPath === '-') process.stdout.write(json + '\n');
  else {
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, json + '\n');
  }
  log(formatArmSummary(s));
  log(`${pass ? 'PASS' : 'FAIL'}: success rate ${(s.successRate * 100).toFixed(1)} % ${pass ? '≥' : '<'} ${(minSuccess * 100).toFixed(1)} %${s.episodes < episodes ? ` (interrupted after ${s.episodes} of ${episodes} episodes)` : ''}`);
  if (jsonPath !== '-') log(`report: ${jsonPath}`);
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

/** `--randomize` alone means full strength: insert the value parseArgs needs. */
function withDefaultStrength(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    out.push(a);
    const next = args[i + 1];
    if (a === '--randomize' && (next === undefined || next.startsWith('--'))) out.push('1');
  });
  return out;
}

function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${flag} must be a whole number ≥ ${min} (got '${value}')`);
  return n;
}

function fraction(value: string, flag: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new CliError(`${flag} must be in [0, 1] (got '${value}')`);
  return n;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!(n > 0 && Number.isFinite(n))) throw new CliError(`${flag} must be a positive number (got '${value}')`);
  return n;
}

function compression(value: string | undefined): 'none' | 'lz4' | 'zstd' {
  if (value === undefined || value === 'none' || value === 'lz4' || value === 'zstd') return value ?? 'none';
  throw new CliError(`--compression must be none, lz4 or zstd (got '${value}')`);
}
