/**
 * `pilot pretrain` (the perception backbone, from simulated data) and `pilot train` (a driving policy
 * fine-tuned on demonstrations, with rehearsal and DAgger; or, with `--profile arm`, an arm policy
 * from camera + joint-state demonstrations). Progress on stderr, a summary on stdout.
 */
import { armBackbone, ARM_BACKBONES, ARM_CAMERA, type ArmBackbonePreset } from '../learning/finetune/arm-setup.js';
import { runPretrain } from '../learning/finetune/pretrain.js';
import { runArmDagger } from '../learning/finetune/arm-dagger.js';
import { runTrainArmPolicy, SCRATCH } from '../learning/finetune/train-arm-policy.js';
import { runTrainPolicy, type DaggerOptions, type TrainPolicySummary } from '../learning/finetune/train-policy.js';
import type { TrainLoss, TrainMode, TrainProgress } from '../learning/train/index.js';
import { formatComparison } from '../data/replay/baselines.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, parse } from './args.js';

export const PRETRAIN_USAGE = `pilot pretrain [--out models/pilot-backbone.onnx] [--frames 12000] [--epochs 12] [--seed 1]
              [--randomize 1] [--batch 32] [--lr 0.001] [--sim-config <yaml>]`;
export const TRAIN_USAGE = `pilot train --data <bag,...> --out models/<name>.onnx [--base scratch | models/pilot-backbone.onnx | <policy.onnx>]
              [--holdout 0.2] [--validation-fraction 0.2] [--gap-frames 20] [--mode head|partial|full] [--partial-layers 1]
              [--epochs 30 (scratch: auto)] [--seed 1] [--latency-ms 0] [--loss l1|huber|mse] [--flip 0.5] [--balance | --no-balance]
              [--input-size WxH] [--crop top,bottom,left,right] (scratch) [--rehearse <bag,...> | --earlier <bag,...>]
              [--dagger N [--dagger-tracks oval,chicane,...] [--dagger-laps 1] [--dagger-beta 0.5]
              [--dagger-epochs 10] [--dagger-randomize 0.3]] [--no-augment] [--copies 2]
              [--camera-topic T] [--command-topic T] [--config launch/drive.yaml] [--sim-config <yaml>]
       pilot train --profile arm [--arm calibration/arm.yaml] --data <bag,...> --base <backbone.onnx|arm policy.onnx|scratch>
              --out models/<name>.onnx [--mode head|partial|full (scratch: full)] [--arch small|medium] [--input-size WxH]
              [--crop top,bottom,left,right] [--hidden 64] [--epochs 30] [--seed 1] [--latency-ms 0] [--no-augment] [--copies 2]
              [--camera-topic /arm_camera/image_raw] [--joint-state-topic /joint_states] [--command-topic T] [--max-state-age-ms 200]`;

/** A folder of bag folders (e.g. `pilot arm --record`, one bag per episode) stands for all of them. */
export function expandBagDirs(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (existsSync(join(p, 'metadata.yaml')) || !existsSync(p) || !statSync(p).isDirectory()) {
      out.push(p);
      continue;
    }
    const children = readdirSync(p)
      .sort()
      .map((c) => join(p, c))
      .filter((c) => statSync(c).isDirectory() && existsSync(join(c, 'metadata.yaml')));
    out.push(...(children.length > 0 ? children : [p]));
  }
  return out;
}

const int = (v: string | undefined, flag: string, fallback: number, min = 0): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${flag} must be an integer ≥ ${min}, got '${v}'`);
  return n;
};
const num = (v: string | undefined, flag: string, fallback: number, min = 0, max = Infinity): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new CliError(`${flag} must be a number in [${min}, ${max}], got '${v}'`);
  return n;
};
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** One status line, redrawn in place on a terminal, printed every ~5 s otherwise. */
function progressLine(): { update: (text: string) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        process.stderr.write(`\r\x1b[2K${text}`);
        shown = true;
      } else if (now - last >= 5000) {
        process.stderr.write(text + '\n');
      } else return;
      last = now;
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
      shown = false;
    },
  };
}

function bar(fraction: number, width = 24): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

function describeProgress(p: TrainProgress, stage: string): string {
  const loss = `loss ${p.trainLoss.toFixed(4)}${p.valLoss !== undefined ? ` val ${p.valLoss.toFixed(4)}` : ''}`;
  if (p.phase === 'features') return `${stage}: features ${bar(p.step / p.steps)} ${p.step}/${p.steps}`;
  return `${stage}: epoch ${p.epoch}/${p.epochs} ${bar(p.step / p.steps)} ${loss} ${p.samplesPerSec.toFixed(0)} samples/s`;
}

function withSignal<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  return run(controller.signal).finally(() => process.off('SIGINT', onSignal));
}

export async function pretrainCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    out: { type: 'string', short: 'o' },
    frames: { type: 'string' },
    'validation-frames': { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    randomize: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    patience: { type: 'string' },
    'sim-config': { type: 'string' },
  });
  const line = progressLine();
  const out = values.out ?? 'models/pilot-backbone.onnx';
  const summary = await withSignal((signal) =>
    runPretrain({
      out,
      frames: int(values.frames, '--frames', 12_000, 64),
      ...(values['validation-frames'] ? { validationFrames: int(values['validation-frames'], '--validation-frames', 0, 16) } : {}),
      epochs: int(values.epochs, '--epochs', 12, 1),
      seed: int(values.seed, '--seed', 1),
      randomize: num(values.randomize, '--randomize', 1, 0, 1),
      batchSize: int(values.batch, '--batch', 32, 1),
      learningRate: num(values.lr, '--lr', 1e-3, 1e-7, 1),
      patience: int(values.patience, '--patience', 3, 1),
      ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
      command: ['pilot pretrain', ...args].join(' '),
      log: (l) => {
        line.done();
        console.error(l);
      },
      onData: (done, total, what) => line.update(`pretrain: rendering ${what} ${bar(done / total)} ${done}/${total}`),
      onProgress: (p) => line.update(describeProgress(p, 'pretrain')),
      signal,
    }),
  );
  line.done();
  const s = summary.record.stages[0]!;
  console.log(`backbone: ${summary.out} (sha256 ${summary.sha256.slice(0, 12)}…), card ${summary.card}`);
  console.log(`pretrain: ${s.epochsRun} epochs (best ${s.bestEpoch}), train loss ${s.trainLoss.toFixed(4)}, validation loss ${s.valLoss?.toFixed(4) ?? '—'}, ${s.durationS.toFixed(0)} s training, data at ${summary.dataFramesPerS.toFixed(0)} frames/s`);
  return 0;
}

export async function trainCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    data: { type: 'string', short: 'd', multiple: true },
    base: { type: 'string', short: 'b' },
    out: { type: 'string', short: 'o' },
    mode: { type: 'string' },
    'partial-layers': { type: 'string' },
    epochs: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    patience: { type: 'string' },
    'latency-ms': { type: 'string' },
    'validation-fraction': { type: 'string' },
    rehearse: { type: 'string', multiple: true },
    earlier: { type: 'string', multiple: true },
    dagger: { type: 'string' },
    'dagger-tracks': { type: 'string' },
    'dagger-laps': { type: 'string' },
    'dagger-beta': { type: 'string' },
    'dagger-epochs': { type: 'string' },
    'dagger-randomize': { type: 'string' },
    'dagger-episodes': { type: 'string' },
    'no-augment': { type: 'boolean' },
    'no-balance': { type: 'boolean' },
    balance: { type: 'boolean' },
    holdout: { type: 'string' },
    'gap-frames': { type: 'string' },
    loss: { type: 'string' },
    flip: { type: 'string' },
    copies: { type: 'string' },
    'camera-topic': { type: 'string' },
    'command-topic': { type: 'string' },
    config: { type: 'string', short: 'c' },
    'sim-config': { type: 'string' },
    profile: { type: 'string' },
    arm: { type: 'string' },
    arch: { type: 'string' },
    'input-size': { type: 'string' },
    crop: { type: 'string' },
    hidden: { type: 'string' },
    'joint-state-topic': { type: 'string' },
    'max-state-age-ms': { type: 'string' },
  });
  const profile = values.profile ?? (values.arm ? 'arm' : 'vehicle');
  if (profile !== 'vehicle' && profile !== 'arm') throw new CliError(`--profile must be vehicle or arm, got '${values.profile}'`);
  if (profile === 'arm') return trainArm(args, values);
  for (const flag of ['arm', 'arch', 'hidden', 'joint-state-topic', 'max-state-age-ms'] as const) {
    if (values[flag] !== undefined) throw new CliError(`--${flag} is for --profile arm`);
  }
  if (!values.out) throw new CliError('train needs --out <onnx>');
  const mode = values.mode as TrainMode | undefined;
  if (mode !== undefined && !['head', 'partial', 'full'].includes(mode)) throw new CliError(`--mode must be head, partial or full, got '${values.mode}'`);
  const loss = values.loss as TrainLoss | undefined;
  if (loss !== undefined && !['l1', 'huber', 'mse'].includes(loss)) throw new CliError(`--loss must be l1, huber or mse, got '${values.loss}'`);
  if (values.balance && values['no-balance']) throw new CliError('--balance and --no-balance exclude each other');
  const data = expandBagDirs((values.data ?? []).flatMap(list));
  const iterations = int(values.dagger, '--dagger', 0);
  const dagger: DaggerOptions | undefined =
    iterations > 0
      ? {
          iterations,
          tracks: values['dagger-tracks'] ? list(values['dagger-tracks']) : ['oval', 'chicane', 'hairpin', 'sweepers', 'esses'],
          laps: int(values['dagger-laps'], '--dagger-laps', 1, 1),
          beta: num(values['dagger-beta'], '--dagger-beta', 0.5, 0, 1),
          epochs: int(values['dagger-epochs'], '--dagger-epochs', 10, 1),
          randomize: num(values['dagger-randomize'], '--dagger-randomize', 0.3, 0, 1),
        }
      : undefined;
  if (data.length === 0 && !dagger) throw new CliError('train needs --data <bag,...> or --dagger N');
  const line = progressLine();
  const summary = await withSignal((signal) =>
    runTrainPolicy({
      out: values.out!,
      data,
      base: values.base ?? SCRATCH,
      ...(mode ? { mode } : {}),
      ...(loss ? { loss } : {}),
      partialLayers: int(values['partial-layers'], '--partial-layers', 1, 1),
      ...(values.epochs !== undefined ? { epochs: int(values.epochs, '--epochs', 30, 1) } : {}),
      batchSize: int(values.batch, '--batch', 32, 1),
      learningRate: num(values.lr, '--lr', 1e-3, 1e-7, 1),
      ...(values.patience !== undefined ? { patience: int(values.patience, '--patience', 4, 1) } : {}),
      seed: int(values.seed, '--seed', 1),
      latencyMs: num(values['latency-ms'], '--latency-ms', 0, -1000, 1000),
      validationFraction: num(values['validation-fraction'], '--validation-fraction', 0.2, 0, 0.9),
      holdoutFraction: num(values.holdout, '--holdout', 0, 0, 0.8),
      gapFrames: int(values['gap-frames'], '--gap-frames', 20),
      flip: num(values.flip, '--flip', 0.5, 0, 1),
      augment: values['no-augment'] !== true,
      ...(values.balance ? { balance: true } : values['no-balance'] ? { balance: false } : {}),
      ...(scratchShape(values['input-size'], values.crop) ?? {}),
      copies: int(values.copies, '--copies', 2),
      ...(values.rehearse ? { rehearse: expandBagDirs(values.rehearse.flatMap(list)) } : {}),
      ...(values.earlier ? { earlier: expandBagDirs(values.earlier.flatMap(list)) } : {}),
      ...(dagger ? { dagger } : {}),
      ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
      ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
      ...(values.config ? { runtimeConfig: values.config } : {}),
      ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
      command: ['pilot train', ...args].join(' '),
      log: (l) => {
        line.done();
        console.error(l);
      },
      onProgress: (p, stage) => line.update(describeProgress(p, stage.split(' (')[0]!)),
      signal,
    }),
  );
  line.done();
  printPolicySummary(summary);
  return 0;
}

/** The result on stdout: the model, its scores against the baselines, warnings, forgetting, what to run next. */
function printPolicySummary(summary: TrainPolicySummary): void {
  console.log(`policy: ${summary.out} (sha256 ${summary.sha256.slice(0, 12)}…), card ${summary.card}`);
  for (const c of summary.scores.validation) console.log(`  validation ${formatComparison(c)}`);
  for (const c of summary.scores.holdout) console.log(`  held out   ${formatComparison(c)}`);
  for (const w of summary.scores.warnings) console.log(`  warning: ${w}`);
  if (summary.forgetting) {
    const { before, after } = summary.forgetting;
    console.log(`  earlier data (${after.frames} frames): steering MAE ${before.mae['steering_angle']!.toFixed(4)} before → ${after.mae['steering_angle']!.toFixed(4)} rad after`);
  }
  console.log(`next: pilot eval --model ${summary.out}`);
}

/** `--input-size WxH` and `--crop t,b,l,r` for a driving network trained from scratch. */
function scratchShape(inputSize: string | undefined, crop: string | undefined): { scratch: { inputSize?: { width: number; height: number }; crop?: { top: number; bottom: number; left: number; right: number } } } | undefined {
  if (inputSize === undefined && crop === undefined) return undefined;
  return { scratch: { ...(inputSize !== undefined ? { inputSize: parseInputSize(inputSize) } : {}), ...(crop !== undefined ? { crop: parseCrop(crop) } : {}) } };
}

function parseInputSize(v: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(v);
  if (!m) throw new CliError(`--input-size must be WIDTHxHEIGHT (e.g. 96x48), got '${v}'`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function parseCrop(v: string): { top: number; bottom: number; left: number; right: number } {
  const parts = list(v).map(Number);
  if (parts.length !== 4 || parts.some((x) => !(x >= 0 && x < 1))) throw new CliError(`--crop must be four fractions top,bottom,left,right in [0, 1), got '${v}'`);
  return { top: parts[0]!, bottom: parts[1]!, left: parts[2]!, right: parts[3]! };
}

/** `pilot train --profile arm`: camera + joint state → joint position targets. */
async function trainArm(args: readonly string[], values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  const str = (k: string): string | undefined => values[k] as string | undefined;
  for (const flag of ['rehearse', 'earlier', 'no-balance', 'balance', 'holdout', 'gap-frames', 'loss', 'flip', 'sim-config', 'dagger-tracks', 'dagger-laps'] as const) {
    if (values[flag] !== undefined) throw new CliError(`--${flag} is not available with --profile arm`);
  }
  const base = str('base');
  if (!base) throw new CliError(`train --profile arm needs --base <backbone onnx | arm policy onnx | ${SCRATCH}>`);
  if (!str('out')) throw new CliError('train needs --out <onnx>');
  const data = expandBagDirs(((values.data as string[] | undefined) ?? []).flatMap(list));
  if (data.length === 0) throw new CliError('train --profile arm needs --data <bag,...>');
  const mode = str('mode') as TrainMode | undefined;
  if (mode !== undefined && !['head', 'partial', 'full'].includes(mode)) throw new CliError(`--mode must be head, partial or full, got '${mode}'`);
  const scratch = base === SCRATCH;
  if (!scratch) {
    for (const flag of ['arch', 'input-size', 'crop'] as const) {
      if (values[flag] !== undefined) throw new CliError(`--${flag} shapes a fresh backbone: it needs --base ${SCRATCH} (a base file brings its own)`);
    }
  }
  const arch = (str('arch') ?? 'small') as ArmBackbonePreset;
  if (!(arch in ARM_BACKBONES)) throw new CliError(`--arch must be ${Object.keys(ARM_BACKBONES).join(' or ')}, got '${arch}'`);
  let inputSize: { height: number; width: number } | undefined;
  if (str('input-size') !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(str('input-size')!);
    if (!m) throw new CliError(`--input-size must be WIDTHxHEIGHT (e.g. 64x48), got '${str('input-size')}'`);
    inputSize = { width: Number(m[1]), height: Number(m[2]) };
  }
  let crop = ARM_CAMERA.crop;
  if (str('crop') !== undefined) {
    const parts = list(str('crop')).map(Number);
    if (parts.length !== 4 || parts.some((v) => !(v >= 0 && v < 1))) throw new CliError(`--crop must be four fractions top,bottom,left,right in [0, 1), got '${str('crop')}'`);
    crop = { top: parts[0]!, bottom: parts[1]!, left: parts[2]!, right: parts[3]! };
  }
  const hidden = str('hidden') !== undefined ? list(str('hidden')).map((v) => int(v, '--hidden', 0, 1)) : undefined;
  const line = progressLine();
  const summary = await withSignal((signal) =>
    runTrainArmPolicy({
      out: str('out')!,
      arm: str('arm') ?? 'calibration/arm.yaml',
      base,
      data,
      ...(mode ? { mode } : {}),
      partialLayers: int(str('partial-layers'), '--partial-layers', 1, 1),
      epochs: int(str('epochs'), '--epochs', 30, 1),
      batchSize: int(str('batch'), '--batch', 32, 1),
      learningRate: num(str('lr'), '--lr', 1e-3, 1e-7, 1),
      patience: int(str('patience'), '--patience', 4, 1),
      seed: int(str('seed'), '--seed', 1),
      latencyMs: num(str('latency-ms'), '--latency-ms', 0, -1000, 1000),
      validationFraction: num(str('validation-fraction'), '--validation-fraction', 0.2, 0, 0.9),
      augment: values['no-augment'] !== true,
      copies: int(str('copies'), '--copies', 2),
      ...(scratch ? { scratch: { backbone: armBackbone(arch, inputSize), camera: { ...ARM_CAMERA, crop } } } : {}),
      ...(hidden ? { hidden } : {}),
      ...(str('camera-topic') ? { cameraTopic: str('camera-topic')! } : {}),
      ...(str('joint-state-topic') ? { jointStateTopic: str('joint-state-topic')! } : {}),
      ...(str('command-topic') ? { commandTopic: str('command-topic')! } : {}),
      ...(str('max-state-age-ms') !== undefined ? { maxStateAgeMs: num(str('max-state-age-ms'), '--max-state-age-ms', 200, 0) } : {}),
      command: ['pilot train', ...args].join(' '),
      log: (l) => {
        line.done();
        console.error(l);
      },
      onProgress: (p, stage) => line.update(describeProgress(p, stage.split(' on ')[0]!)),
      signal,
    }),
  );
  line.done();
  const rounds = int(str('dagger'), '--dagger', 0);
  let result = summary;
  if (rounds > 0) {
    const final = await withSignal((signal) =>
      runArmDagger({
        policy: str('out')!,
        arm: str('arm') ?? 'calibration/arm.yaml',
        data,
        rounds,
        episodes: int(str('dagger-episodes'), '--dagger-episodes', 150, 1),
        beta: num(str('dagger-beta'), '--dagger-beta', 0.5, 0, 1),
        epochs: int(str('dagger-epochs'), '--dagger-epochs', 15, 1),
        randomize: num(str('dagger-randomize'), '--dagger-randomize', 0.5, 0, 1),
        seed: int(str('seed'), '--seed', 1),
        ...(str('config') ? { runtimeConfig: str('config')! } : {}),
        command: ['pilot train', ...args].join(' '),
        log: (l) => {
          line.done();
          console.error(l);
        },
        onProgress: (p, stage) => line.update(describeProgress(p, `DAgger ${stage.split(' on ')[0]!}`)),
        signal,
      }),
    );
    line.done();
    if (final) result = final;
  }
  console.log(`arm policy: ${result.out} (sha256 ${result.sha256.slice(0, 12)}…), card ${result.card}`);
  for (const [k, v] of Object.entries(result.record.metrics)) console.log(`  ${k}: ${v.toFixed(4)}`);
  console.log(`next: pilot arm --model ${result.out}`);
  return 0;
}
