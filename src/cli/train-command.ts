/**
 * `pilot pretrain` (the perception backbone, from simulated data) and `pilot train` (a driving policy
 * fine-tuned on demonstrations, with rehearsal and DAgger; or, with `--profile arm`, an arm policy
 * from camera + joint-state demonstrations). Progress on stderr, a summary on stdout.
 */
import { armBackbone, ARM_CAMERA, type ArmBackbonePreset } from '../learning/finetune/arm-setup.js';
import { runPretrain } from '../learning/finetune/pretrain.js';
import { runArmDagger } from '../learning/finetune/arm-dagger.js';
import { runTrainArmPolicy, SCRATCH } from '../learning/finetune/train-arm-policy.js';
import { runTrainPolicy, type DaggerOptions, type TrainPolicySummary } from '../learning/finetune/train-policy.js';
import type { TrainProgress } from '../learning/train/index.js';
import { formatComparison } from '../data/replay/baselines.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { loadConfig } from '../core/config/load.js';
import { join } from 'node:path';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { parseNumber } from './options.js';
import type { Output } from './output.js';
import { ARM_ONLY, PRETRAIN_OPTIONS, TRAIN_OPTIONS, VEHICLE_ONLY } from './train-options.js';

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

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** One status line, redrawn in place on a terminal, printed every ~5 s otherwise. */
function progressLine(out: Output): { update: (text: string) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      if (out.quiet) return;
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

export const PRETRAIN = defineCommand({
  name: 'pretrain',
  summary: 'the perception backbone, from simulated data (progress on stderr, a summary on stdout)',
  options: PRETRAIN_OPTIONS,
  examples: ['pilot pretrain --frames 12000 --epochs 12 --out models/pilot-backbone.onnx'],
  run: pretrain,
});

export const TRAIN = defineCommand({
  name: 'train',
  summary: 'a driving policy from demonstrations (rehearsal, DAgger); with --profile arm an arm policy',
  options: TRAIN_OPTIONS,
  examples: [
    'pilot train --data runs/demos --base models/pilot-backbone.onnx --out models/my-policy.onnx --holdout 0.2',
    'pilot train --profile arm --data runs/arm-demos --base scratch --out models/pilot-arm.onnx --epochs 40',
  ],
  run: train,
});

export function pretrainCommand(args: readonly string[]): Promise<number> {
  return invoke(PRETRAIN, args);
}

export function trainCommand(args: readonly string[]): Promise<number> {
  return invoke(TRAIN, args);
}

async function pretrain({ values, args, out: output }: Parsed<typeof PRETRAIN_OPTIONS>): Promise<number> {
  const line = progressLine(output);
  const out = values.out;
  const summary = await withSignal((signal) =>
    runPretrain({
      out,
      frames: values.frames,
      ...(values['validation-frames'] !== undefined ? { validationFrames: values['validation-frames'] } : {}),
      epochs: values.epochs,
      seed: values.seed,
      randomize: values.randomize,
      batchSize: values.batch,
      learningRate: values.lr,
      patience: values.patience,
      ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
      command: ['pilot pretrain', ...args].join(' '),
      log: (l) => {
        line.done();
        output.log(l);
      },
      onData: (done, total, what) => line.update(`pretrain: rendering ${what} ${bar(done / total)} ${done}/${total}`),
      onProgress: (p) => line.update(describeProgress(p, 'pretrain')),
      signal,
    }),
  );
  line.done();
  const s = summary.record.stages[0]!;
  output.result(`backbone: ${summary.out} (sha256 ${summary.sha256.slice(0, 12)}…), card ${summary.card}`);
  output.result(`pretrain: ${s.epochsRun} epochs (best ${s.bestEpoch}), train loss ${s.trainLoss.toFixed(4)}, validation loss ${s.valLoss?.toFixed(4) ?? '—'}, ${s.durationS.toFixed(0)} s training, data at ${summary.dataFramesPerS.toFixed(0)} frames/s`);
  return 0;
}

type TrainValues = Parsed<typeof TRAIN_OPTIONS>['values'];

async function train(input: Parsed<typeof TRAIN_OPTIONS>): Promise<number> {
  const { values, given } = input;
  const profile = values.profile ?? (values.arm ? 'arm' : 'vehicle');
  if (profile === 'arm') return trainArm(input);
  for (const flag of ARM_ONLY) if (given.has(flag)) throw new CliError(`--${flag} is for --profile arm`);
  if (!values.out) throw new CliError('train needs --out <onnx>');
  // The parser keeps the last of the two; say so instead of picking one.
  if (input.args.includes('--balance') && input.args.includes('--no-balance')) throw new CliError('--balance and --no-balance exclude each other');
  const data = expandBagDirs(values.data ?? []);
  const dagger = daggerOptions(values);
  if (data.length === 0 && !dagger) throw new CliError('train needs --data <bag,...> or --dagger N');
  const chunk = chunkOption(values, given);
  const line = progressLine(input.out);
  const log = (l: string): void => {
    line.done();
    input.out.log(l);
  };
  const summary = await withSignal((signal) =>
    runTrainPolicy({
      ...policyOptions(values, data, dagger),
      ...(chunk ? { chunk } : {}),
      command: ['pilot train', ...input.args].join(' '),
      log,
      onProgress: (p, stage) => line.update(describeProgress(p, stage.split(' (')[0]!)),
      signal,
    }),
  );
  line.done();
  printPolicySummary(summary, input.out);
  return 0;
}

/** --chunk-steps and --chunk-step-ms (default: the runtime config's loop period). */
function chunkOption(values: TrainValues, given: ReadonlySet<string>): { steps: number; step_ms: number } | undefined {
  const steps = values['chunk-steps'];
  if (steps === undefined) {
    for (const flag of ['chunk-step-ms', 'dagger-inference-delay-ms'] as const) if (given.has(flag)) throw new CliError(`--${flag} goes with --chunk-steps <n> (a chunked policy)`);
    return undefined;
  }
  if (given.has('dagger-inference-delay-ms') && values.dagger === 0) throw new CliError('--dagger-inference-delay-ms goes with --dagger <n>');
  const stepMs = values['chunk-step-ms'] ?? 1000 / loadConfig(values.config ?? 'launch/drive.yaml').loop.rate_hz;
  return { steps, step_ms: stepMs };
}

function daggerOptions(values: TrainValues): DaggerOptions | undefined {
  if (values.dagger === 0) return undefined;
  return {
    iterations: values.dagger,
    tracks: values['dagger-tracks'] ?? ['oval', 'chicane', 'hairpin', 'sweepers', 'esses'],
    laps: values['dagger-laps'],
    beta: values['dagger-beta'],
    epochs: values['dagger-epochs'] ?? 10,
    randomize: values['dagger-randomize'] ?? 0.3,
    ...(values['dagger-inference-delay-ms'] ? { inferenceDelayMs: values['dagger-inference-delay-ms'] } : {}),
  };
}

type PolicyOptions = Omit<Parameters<typeof runTrainPolicy>[0], 'command' | 'log' | 'onProgress' | 'signal'>;

function policyOptions(values: TrainValues, data: string[], dagger: DaggerOptions | undefined): PolicyOptions {
  return {
    out: values.out!,
    data,
    base: values.base ?? SCRATCH,
    ...(values.mode ? { mode: values.mode } : {}),
    ...(values.loss ? { loss: values.loss } : {}),
    partialLayers: values['partial-layers'],
    ...(values.epochs !== undefined ? { epochs: values.epochs } : {}),
    batchSize: values.batch,
    learningRate: values.lr,
    ...(values.patience !== undefined ? { patience: values.patience } : {}),
    seed: values.seed,
    latencyMs: values['latency-ms'],
    validationFraction: values['validation-fraction'],
    holdoutFraction: values.holdout,
    gapFrames: values['gap-frames'],
    flip: values.flip,
    augment: !values['no-augment'],
    ...(values.balance ? { balance: true } : values['no-balance'] ? { balance: false } : {}),
    ...(scratchShape(values['input-size'], values.crop) ?? {}),
    copies: values.copies,
    ...(values.rehearse ? { rehearse: expandBagDirs(values.rehearse) } : {}),
    ...(values.earlier ? { earlier: expandBagDirs(values.earlier) } : {}),
    ...(dagger ? { dagger } : {}),
    ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
    ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
    ...(values.config ? { runtimeConfig: values.config } : {}),
    ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
  };
}

/** The result on stdout: the model, its scores against the baselines, warnings, forgetting, what to run next. */
function printPolicySummary(summary: TrainPolicySummary, out: Output): void {
  out.result(`policy: ${summary.out} (sha256 ${summary.sha256.slice(0, 12)}…), card ${summary.card}`);
  for (const c of summary.scores.validation) out.result(`  validation ${formatComparison(c)}`);
  for (const c of summary.scores.holdout) out.result(`  held out   ${formatComparison(c)}`);
  for (const w of summary.scores.warnings) out.result(`  warning: ${w}`);
  if (summary.forgetting) {
    const { before, after } = summary.forgetting;
    out.result(`  earlier data (${after.frames} frames): steering MAE ${before.mae['steering_angle']!.toFixed(4)} before → ${after.mae['steering_angle']!.toFixed(4)} rad after`);
  }
  out.result(`next: pilot eval --model ${summary.out}`);
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
async function trainArm({ values, given, args, out }: Parsed<typeof TRAIN_OPTIONS>): Promise<number> {
  for (const flag of VEHICLE_ONLY) if (given.has(flag)) throw new CliError(`--${flag} is not available with --profile arm`);
  const base = values.base;
  if (!base) throw new CliError(`train --profile arm needs --base <backbone onnx | arm policy onnx | ${SCRATCH}>`);
  if (!values.out) throw new CliError('train needs --out <onnx>');
  const data = expandBagDirs(values.data ?? []);
  if (data.length === 0) throw new CliError('train --profile arm needs --data <bag,...>');
  const line = progressLine(out);
  const log = (l: string): void => {
    line.done();
    out.log(l);
  };
  const arm = values.arm ?? 'calibration/arm.yaml';
  const command = ['pilot train', ...args].join(' ');
  const summary = await withSignal((signal) =>
    runTrainArmPolicy({
      out: values.out!,
      arm,
      base,
      data,
      ...(values.mode ? { mode: values.mode } : {}),
      partialLayers: values['partial-layers'],
      epochs: values.epochs ?? 30,
      batchSize: values.batch,
      learningRate: values.lr,
      patience: values.patience ?? 4,
      seed: values.seed,
      latencyMs: values['latency-ms'],
      validationFraction: values['validation-fraction'],
      augment: !values['no-augment'],
      copies: values.copies,
      ...armShape(values, base),
      ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
      ...(values['joint-state-topic'] ? { jointStateTopic: values['joint-state-topic'] } : {}),
      ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
      ...(values['max-state-age-ms'] !== undefined ? { maxStateAgeMs: values['max-state-age-ms'] } : {}),
      command,
      log,
      onProgress: (p, stage) => line.update(describeProgress(p, stage.split(' on ')[0]!)),
      signal,
    }),
  );
  line.done();
  let result = summary;
  if (values.dagger > 0) {
    const final = await withSignal((signal) =>
      runArmDagger({
        policy: values.out!,
        arm,
        data,
        rounds: values.dagger,
        episodes: values['dagger-episodes'],
        beta: values['dagger-beta'],
        epochs: values['dagger-epochs'] ?? 15,
        randomize: values['dagger-randomize'] ?? 0.5,
        seed: values.seed,
        ...(values.config ? { runtimeConfig: values.config } : {}),
        command,
        log,
        onProgress: (p, stage) => line.update(describeProgress(p, `DAgger ${stage.split(' on ')[0]!}`)),
        signal,
      }),
    );
    line.done();
    if (final) result = final;
  }
  out.result(`arm policy: ${result.out} (sha256 ${result.sha256.slice(0, 12)}…), card ${result.card}`);
  for (const [k, v] of Object.entries(result.record.metrics)) out.result(`  ${k}: ${v.toFixed(4)}`);
  out.result(`next: pilot arm --model ${result.out}`);
  return 0;
}

/** From scratch: the backbone (--arch, --input-size) and camera crop; --hidden: the head. */
function armShape(values: TrainValues, base: string): { scratch?: { backbone: ReturnType<typeof armBackbone>; camera: typeof ARM_CAMERA }; hidden?: number[] } {
  const scratch = base === SCRATCH;
  if (!scratch) {
    for (const flag of ['arch', 'input-size', 'crop'] as const) {
      if (values[flag] !== undefined) throw new CliError(`--${flag} shapes a fresh backbone: it needs --base ${SCRATCH} (a base file brings its own)`);
    }
  }
  const arch = (values.arch ?? 'small') as ArmBackbonePreset;
  let inputSize: { height: number; width: number } | undefined;
  if (values['input-size'] !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(values['input-size']);
    if (!m) throw new CliError(`--input-size must be WIDTHxHEIGHT (e.g. 64x48), got '${values['input-size']}'`);
    inputSize = { width: Number(m[1]), height: Number(m[2]) };
  }
  const crop = values.crop !== undefined ? parseCrop(values.crop) : ARM_CAMERA.crop;
  const hidden = values.hidden !== undefined ? list(values.hidden).map((v) => parseNumber(v, '--hidden', { integer: true, min: 1 })) : undefined;
  return {
    ...(scratch ? { scratch: { backbone: armBackbone(arch, inputSize), camera: { ...ARM_CAMERA, crop } } } : {}),
    ...(hidden ? { hidden } : {}),
  };
}
