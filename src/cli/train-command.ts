/**
 * `pilot pretrain` (the perception backbone, from simulated data) and `pilot train` (a driving policy
 * fine-tuned on demonstrations, with rehearsal and DAgger). Progress on stderr, a summary on stdout.
 */
import { runPretrain } from '../finetune/pretrain.js';
import { runTrainPolicy, type DaggerOptions } from '../finetune/train-policy.js';
import type { TrainMode, TrainProgress } from '../train/index.js';
import { CliError, parse } from './args.js';

export const PRETRAIN_USAGE = `pilot pretrain [--out models/pilot-backbone.onnx] [--frames 12000] [--epochs 12] [--seed 1]
              [--randomize 1] [--batch 32] [--lr 0.001] [--sim-config <yaml>]`;
export const TRAIN_USAGE = `pilot train --data <bag,...> --base models/pilot-backbone.onnx --out models/<name>.onnx
              [--mode head|partial|full] [--partial-layers 1] [--epochs 30] [--seed 1] [--latency-ms 0]
              [--rehearse <bag,...>] [--dagger N [--dagger-tracks oval,chicane,...] [--dagger-laps 1] [--dagger-beta 0.5]
              [--dagger-epochs 10] [--dagger-randomize 0.3]] [--no-augment] [--no-balance] [--copies 2]
              [--camera-topic T] [--command-topic T] [--config launch/drive.yaml] [--sim-config <yaml>]`;

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
    dagger: { type: 'string' },
    'dagger-tracks': { type: 'string' },
    'dagger-laps': { type: 'string' },
    'dagger-beta': { type: 'string' },
    'dagger-epochs': { type: 'string' },
    'dagger-randomize': { type: 'string' },
    'no-augment': { type: 'boolean' },
    'no-balance': { type: 'boolean' },
    copies: { type: 'string' },
    'camera-topic': { type: 'string' },
    'command-topic': { type: 'string' },
    config: { type: 'string', short: 'c' },
    'sim-config': { type: 'string' },
  });
  if (!values.base) throw new CliError('train needs --base <backbone or policy onnx>');
  if (!values.out) throw new CliError('train needs --out <onnx>');
  const mode = (values.mode ?? 'head') as TrainMode;
  if (!['head', 'partial', 'full'].includes(mode)) throw new CliError(`--mode must be head, partial or full, got '${values.mode}'`);
  const data = (values.data ?? []).flatMap(list);
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
      base: values.base!,
      mode,
      partialLayers: int(values['partial-layers'], '--partial-layers', 1, 1),
      epochs: int(values.epochs, '--epochs', 30, 1),
      batchSize: int(values.batch, '--batch', 32, 1),
      learningRate: num(values.lr, '--lr', 1e-3, 1e-7, 1),
      patience: int(values.patience, '--patience', 4, 1),
      seed: int(values.seed, '--seed', 1),
      latencyMs: num(values['latency-ms'], '--latency-ms', 0, -1000, 1000),
      validationFraction: num(values['validation-fraction'], '--validation-fraction', 0.2, 0, 0.9),
      augment: values['no-augment'] !== true,
      balance: values['no-balance'] !== true,
      copies: int(values.copies, '--copies', 2),
      ...(values.rehearse ? { rehearse: values.rehearse.flatMap(list) } : {}),
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
  console.log(`policy: ${summary.out} (sha256 ${summary.sha256.slice(0, 12)}…), card ${summary.card}`);
  for (const [k, v] of Object.entries(summary.record.metrics)) console.log(`  ${k}: ${v.toFixed(4)}`);
  console.log(`next: pilot eval --model ${summary.out}${data.length > 0 ? '' : ''}`);
  return 0;
}
