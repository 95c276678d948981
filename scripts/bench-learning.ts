/**
 * Learning on real logs (issue 15's bars): `npm run build && npm run bench:learning [-- options]`
 *
 * For each real log in ../shared/data/real-logs (or --logs <dir>): import it with `pilot bag import`,
 * train a policy from scratch with `pilot train`'s defaults and a time-ordered split (the last
 * --holdout of the log never trained on, a validation block before it, gaps between), and print the
 * held-out steering MAE and correlation beside the constant-mean and zero baselines, and the training
 * time. Then continual learning: the first DonkeyCar policy fine-tuned on the second log, without and
 * with rehearsal of the first, and the first log's held-out MAE before and after (forgetting). Last, the
 * time bar: one `pilot train` on every log together (≈ 5,000 frames).
 *
 * Options: --logs <dir> --holdout 0.2 --epochs N (default: pilot train's) --seed 1 --work <dir> --json <file> --skip-forgetting --skip-timing
 * The bars: held-out steering MAE ≥ 30 % below the constant-mean baseline, correlation ≥ 0.6,
 * ≤ 5 minutes of training for 5,000 frames on 2 cores. Load average is printed: other processes change the times.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FieldBaselineComparison } from '../src/data/replay/baselines.js';
import { runTrainPolicy, type TrainPolicySummary } from '../src/learning/finetune/train-policy.js';
import { packageRoot } from '../src/core/util/package-root.js';

const { values } = parseArgs({
  options: {
    logs: { type: 'string' },
    holdout: { type: 'string', default: '0.2' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    work: { type: 'string' },
    json: { type: 'string' },
    'skip-forgetting': { type: 'boolean', default: false },
    'skip-timing': { type: 'boolean', default: false },
  },
});
const root = packageRoot();
const logsDir = resolve(values.logs ?? join(root, '..', 'shared', 'data', 'real-logs'));
const work = resolve(values.work ?? join(tmpdir(), `pilot-bench-learning-${process.pid}`));
const holdout = Number(values.holdout);
const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
const seed = Number(values.seed);
const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');
const pilot = join(root, 'bin', 'pilot.js');

interface LogSpec {
  readonly name: string;
  readonly format: 'donkey' | 'udacity';
  readonly input: string;
  readonly flags: readonly string[];
}

/** The logs in the folder: DonkeyCar tubs (throttle inverted where the log's mean throttle is negative) and Udacity CSVs. */
function findLogs(dir: string): LogSpec[] {
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder (give --logs <dir of real logs>)`);
  const out: LogSpec[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    if (existsSync(join(path, 'manifest.json')) || readdirSync(path, { withFileTypes: true }).some((e) => /^record_\d+\.json$/.test(e.name))) {
      out.push({ name, format: 'donkey', input: path, flags: [] });
    } else if (existsSync(join(path, 'driving_log.csv'))) {
      out.push({ name, format: 'udacity', input: join(path, 'driving_log.csv'), flags: [] });
    }
  }
  return out;
}

/** Imports one log; a tub whose throttle is mostly negative gets --invert-throttle (the importer's summary says so). */
function importLog(log: LogSpec): { bag: string; inverted: boolean } {
  const bag = join(work, log.name);
  rmSync(bag, { recursive: true, force: true });
  const run = (extra: string[]) => JSON.parse(execFileSync('node', [pilot, 'bag', 'import', log.format, log.input, '-o', bag, '--json', ...log.flags, ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Record<string, unknown>;
  const summary = run([]);
  const throttle = (summary['throttle'] ?? {}) as { mean?: number };
  if (log.format === 'donkey' && (throttle.mean ?? 0) < 0) {
    rmSync(bag, { recursive: true, force: true });
    run(['--invert-throttle']);
    return { bag, inverted: true };
  }
  return { bag, inverted: false };
}

async function train(name: string, args: { data: string[]; base?: string; rehearse?: string[]; earlier?: string[]; holdout?: number; validation?: number }): Promise<{ summary: TrainPolicySummary; seconds: number }> {
  const out = join(work, `${name}.onnx`);
  const started = performance.now();
  const summary = await runTrainPolicy({
    out,
    data: args.data,
    base: args.base ?? 'scratch',
    ...(epochs !== undefined ? { epochs } : {}),
    seed,
    holdoutFraction: args.holdout ?? holdout,
    ...(args.validation !== undefined ? { validationFraction: args.validation } : {}),
    ...(args.rehearse ? { rehearse: args.rehearse } : {}),
    ...(args.earlier ? { earlier: args.earlier } : {}),
    command: `bench:learning ${name}`,
  });
  return { summary, seconds: (performance.now() - started) / 1000 };
}

const steering = (list: readonly FieldBaselineComparison[]) => list.find((c) => c.name === 'steering_angle')!;
const f4 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(4));
/** `58 % lower` / `14 % higher`: the model's MAE against a baseline's. */
const pct = (v: number) => (Number.isFinite(v) ? `${Math.abs(v * 100).toFixed(0)} % ${v >= 0 ? 'lower' : 'higher'}` : '—');

mkdirSync(work, { recursive: true });
console.log(`bench:learning: logs ${logsDir}, held out the last ${holdout * 100} % of each, ${epochs ?? 'auto'} epochs max, seed ${seed}; load average ${load()}`);
const rows: Record<string, unknown>[] = [];
const bags = new Map<string, string>();
for (const log of findLogs(logsDir)) {
  const { bag, inverted } = importLog(log);
  bags.set(log.name, bag);
  const { summary, seconds } = await train(log.name, { data: [bag] });
  const h = steering(summary.scores.holdout);
  const constant = h.baselines.constant_mean!;
  const row = {
    log: log.name, trainFrames: summary.record.data.trainFrames, heldOutFrames: h.n, inverted,
    modelMae: h.mae, constantMae: constant.mae, zeroMae: h.baselines.zero.mae, corr: h.corr,
    vsConstant: 1 - h.mae / constant.mae, vsBest: h.improvement, trainSeconds: seconds,
    bars: { mae30: 1 - h.mae / constant.mae >= 0.3, corr06: (h.corr ?? -1) >= 0.6 },
  };
  rows.push(row);
  console.log(`${log.name}${inverted ? ' (throttle inverted)' : ''}: ${row.trainFrames} train / ${h.n} held-out frames; held-out steering MAE ${f4(h.mae)} rad, constant-mean ${f4(constant.mae)}, zero ${f4(h.baselines.zero.mae)}; MAE ${pct(row.vsConstant)} than constant; corr ${f4(h.corr)}; trained in ${seconds.toFixed(0)} s (${((seconds * 5000) / Math.max(1, row.trainFrames)).toFixed(0)} s per 5,000 frames); load ${load()}`);
}
console.log('\n| log | train frames | held-out frames | model MAE (rad) | constant-mean MAE | zero MAE | vs constant | corr | train s |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows as { log: string; trainFrames: number; heldOutFrames: number; modelMae: number; constantMae: number; zeroMae: number; vsConstant: number; corr: number | null; trainSeconds: number }[]) {
  console.log(`| ${r.log} | ${r.trainFrames} | ${r.heldOutFrames} | ${f4(r.modelMae)} | ${f4(r.constantMae)} | ${f4(r.zeroMae)} | ${pct(r.vsConstant)} | ${f4(r.corr)} | ${r.trainSeconds.toFixed(0)} |`);
}

let forgetting: Record<string, unknown> | undefined;
const donkeys = [...bags.keys()].filter((n) => n.startsWith('donkey'));
if (!values['skip-forgetting'] && donkeys.length >= 2) {
  const [a, b] = [donkeys[0]!, donkeys[1]!];
  const baseA = join(work, `${a}.onnx`);
  console.log(`\nforgetting: ${a} policy fine-tuned on ${b}, without and with --rehearse ${a}; ${a}'s held-out steering MAE before → after`);
  const plain = await train(`${b}-after-${a}`, { data: [bags.get(b)!], base: baseA, earlier: [bags.get(a)!] });
  const rehearsed = await train(`${b}-after-${a}-rehearsed`, { data: [bags.get(b)!], base: baseA, rehearse: [bags.get(a)!] });
  const line = (what: string, s: TrainPolicySummary) => {
    const fg = s.forgetting!;
    const newH = steering(s.scores.holdout);
    console.log(`| ${what} | ${f4(fg.before.mae['steering_angle'])} | ${f4(fg.after.mae['steering_angle'])} | ${f4(newH.mae)} (constant ${f4(newH.baselines.constant_mean?.mae)}) |`);
    return { beforeMae: fg.before.mae['steering_angle'], afterMae: fg.after.mae['steering_angle'], newHeldOutMae: newH.mae, newConstantMae: newH.baselines.constant_mean?.mae };
  };
  console.log(`| fine-tune on ${b} | ${a} held-out MAE before | after | ${b} held-out MAE |`);
  console.log('|---|---|---|---|');
  forgetting = { a, b, plain: line('without rehearsal', plain.summary), rehearsed: line(`with --rehearse ${a}`, rehearsed.summary) };
}
// The time bar: every log together (≈ 5,000 frames), 10 % validation, nothing held out: the whole
// `pilot train` run (reading and decoding the bags, training, scoring, writing the model), timed.
let timing: Record<string, unknown> | undefined;
if (!values['skip-timing'] && bags.size > 0) {
  const { summary, seconds } = await train('all-logs', { data: [...bags.values()], holdout: 0, validation: 0.1 });
  const stage = summary.record.stages[0]!;
  timing = { trainFrames: summary.record.data.trainFrames, seconds, trainingSeconds: stage.durationS, epochs: stage.epochsRun };
  console.log(`\ntiming: pilot train from scratch on all ${bags.size} logs: ${summary.record.data.trainFrames} training frames, ${stage.epochsRun} epochs, ${stage.durationS.toFixed(0)} s training, ${seconds.toFixed(0)} s in all (bar: ≤ 300 s for 5,000 frames); load ${load()}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ logsDir, holdout, epochs, seed, rows, forgetting, timing }, null, 2) + '\n');
if (!values.work) rmSync(work, { recursive: true, force: true });
