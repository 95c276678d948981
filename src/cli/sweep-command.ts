/**
 * `pilot sweep plan|run|merge|k8s`: fleet evaluation. A sweep file expands into work items (drives and
 * bag replays), split into shards that run anywhere (this machine with --jobs, or pods of a Kubernetes
 * Indexed Job); the merge checks that every item ran exactly once and writes the report.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_DETERMINISTIC, manifestYaml, sweepManifests, unmountedPaths, wantsGpu } from '../learning/sweep/k8s.js';
import { mergeSweep } from '../learning/sweep/merge.js';
import { expandPlan, shardItems } from '../learning/sweep/plan.js';
import { formatSweepSummary } from '../learning/sweep/report-terminal.js';
import { runShard, runWorker, writeShardMarker } from '../learning/sweep/run-shard.js';
import { loadSweep } from '../learning/sweep/sweep-file.js';
import { writeAtomic } from '../learning/sweep/results-dir.js';
import { PilotError } from '../core/util/errors.js';
import { packageRoot } from '../core/util/package-root.js';
import { CliError } from './args.js';
import { defineCommand, type GroupDef, type Parsed } from './command.js';
import { flag, number, parseNumber, repeated, text } from './options.js';

const SWEEP_ARG = [{ name: '<sweep.yaml>', description: 'the sweep file (e.g. launch/sweep-example.yaml)' }];

/** A whole number ≥ min: `--shards must be a whole number ≥ 1 (got 'x')`. */
const whole = <const O extends { readonly default?: number; readonly defaultLabel?: string }>(flags: string, description: string, min: number, o?: O) =>
  number(flags, description, { integer: true, min, ...(o as O) });

const PLAN_OPTIONS = {
  shards: whole('--shards <n>', 'split the items into this many shards', 1, { default: 1 }),
  json: flag('--json', 'the plan as JSON on stdout'),
} as const;

const PLAN = defineCommand({
  name: 'plan',
  summary: 'the work items of a sweep, shard by shard (stdout), and their count (stderr)',
  arguments: SWEEP_ARG,
  options: PLAN_OPTIONS,
  examples: ['pilot sweep plan launch/sweep-example.yaml --shards 4'],
  run: plan,
});

const RUN_OPTIONS = {
  out: text('-o, --out <dir>', 'the results folder (required; shared by the shards)'),
  shard: whole('--shard <i>', 'which shard to run (0-based)', 0, { defaultLabel: '$JOB_COMPLETION_INDEX, else 0' }),
  shards: whole('--shards <n>', 'how many shards the sweep is split into', 1, { default: 1 }),
  jobs: whole('-j, --jobs <n>', 'worker processes on this machine', 1, { default: 1 }),
  worker: flag('--worker', 'run as a worker of --jobs (started by pilot itself)', { hidden: true }),
} as const;

const RUN = defineCommand({
  name: 'run',
  summary: 'run one shard of a sweep (all of it with the default --shards 1) into a results folder',
  arguments: SWEEP_ARG,
  options: RUN_OPTIONS,
  examples: ['pilot sweep run launch/sweep-example.yaml --out runs/sweep --jobs 2', 'pilot sweep run sweep.yaml --shard 3 --shards 100 --out /results'],
  run: runSweep,
});

const MERGE_OPTIONS = {
  json: text('--json <file>', 'the merged report', { defaultLabel: '<first dir>/report.json' }),
  html: text('--html <file>', 'the report as a page', { defaultLabel: '<first dir>/report.html' }),
  timing: text('--timing <file>', 'how long items and shards took', { defaultLabel: '<first dir>/timing.json' }),
  'wait-s': whole('--wait-s <s>', 'wait this long for the shards to finish', 0, { defaultLabel: 'no wait' }),
  shards: whole('--shards <n>', 'with --wait-s: the shards to wait for', 1, { defaultLabel: "the plan's" }),
} as const;

const MERGE = defineCommand({
  name: 'merge',
  summary: 'check that every item ran exactly once and write the report (exit 0 pass, 1 a bar missed)',
  arguments: [{ name: '<results dirs...>', description: 'results folders of the shards' }],
  options: MERGE_OPTIONS,
  examples: ['pilot sweep merge runs/sweep', 'pilot sweep merge /results --wait-s 3600 --shards 100'],
  run: merge,
});

const K8S_OPTIONS = {
  image: text('--image <image>', 'the container image (built from launch/sweep/Dockerfile; required)'),
  shards: whole('--shards <n>', 'the pods of the Indexed Job (required)', 1),
  parallelism: whole('--parallelism <n>', 'pods at a time', 1, { defaultLabel: '--shards' }),
  jobs: whole('--jobs <n>', 'worker processes per pod', 1, { default: 1 }),
  cpu: text('--cpu <cores>', 'CPU request of a pod', { defaultLabel: '--jobs' }),
  memory: text('--memory <size>', 'memory request of a pod', { default: '4Gi' }),
  'results-claim': text('--results-claim <pvc>', 'an existing ReadWriteMany claim for the results, instead of a new one'),
  'results-size': text('--results-size <size>', 'size of the results claim emitted', { default: '20Gi' }),
  'storage-class': text('--storage-class <class>', 'storage class of the results claim emitted', { defaultLabel: "the cluster's default" }),
  mount: repeated('--mount <pvc>:<path>', 'mount a claim read-only at an absolute path (repeatable), e.g. bags:/data/bags'),
  namespace: text('--namespace <ns>', 'the namespace of the objects', { defaultLabel: "kubectl's current one" }),
  'backoff-limit-per-index': whole('--backoff-limit-per-index <n>', 'retries of a failed shard', 0, { default: 2 }),
  'max-failed-indexes': whole('--max-failed-indexes <n>', 'stop the Job after this many failed shards', 0, { defaultLabel: '--shards' }),
  'merge-wait-s': whole('--merge-wait-s <s>', "how long the merge Job waits for the shards", 0, { default: 86_400 }),
  out: text('-o, --out <file>', 'write the objects here', { defaultLabel: 'stdout' }),
} as const;

const K8S = defineCommand({
  name: 'k8s',
  summary: 'the Kubernetes objects of a sweep: ConfigMap, results claim, Indexed Job, merge Job (YAML)',
  arguments: SWEEP_ARG,
  options: K8S_OPTIONS,
  examples: ['pilot sweep k8s sweep.yaml --image registry.example.com/pilot-sweep:1 --shards 100 --parallelism 50 --mount bags:/data/bags -o runs/sweep.k8s.yaml'],
  run: k8s,
});

export const SWEEP: GroupDef = {
  name: 'sweep',
  summary: 'fleet evaluation: plan a sweep, run its shards here or on Kubernetes, merge the report',
  commands: [PLAN, RUN, MERGE, K8S],
};

function plan({ values, positionals, out }: Parsed<typeof PLAN_OPTIONS>): Promise<number> {
  const expanded = expandPlan(loadSweep(positionals[0]!));
  const shards = values.shards;
  const rows = expanded.items.map((p, i) => ({ shard: i % shards, id: p.item.id, digest: p.digest }));
  if (values.json) out.result(JSON.stringify({ sweep: expanded.sweep.name, shards, items: rows }, null, 2));
  else for (const r of rows) out.result(`${r.shard}\t${r.id}`);
  const sizes = Array.from({ length: shards }, (_, s) => shardItems(expanded, s, shards).length);
  const drives = expanded.items.filter((p) => p.item.kind === 'drive').length;
  out.log(
    `sweep ${expanded.sweep.name}: ${expanded.items.length} items (${drives} drives, ${expanded.items.length - drives} bag replays) ` +
      `in ${shards} shard(s) of ${Math.min(...sizes)}–${Math.max(...sizes)}`,
  );
  return Promise.resolve(0);
}

/** --shard, else the Indexed Job's $JOB_COMPLETION_INDEX, else 0; below --shards. */
function shardOf(values: Parsed<typeof RUN_OPTIONS>['values']): number {
  const fromEnv = process.env.JOB_COMPLETION_INDEX;
  const shard = values.shard ?? (fromEnv === undefined ? 0 : parseNumber(fromEnv, 'JOB_COMPLETION_INDEX', { integer: true, min: 0 }));
  if (shard >= values.shards) throw new CliError(`--shard ${shard} is not below --shards ${values.shards} (shards are numbered 0 to ${values.shards - 1})`);
  return shard;
}

async function runSweep({ values, positionals, args, out }: Parsed<typeof RUN_OPTIONS>): Promise<number> {
  const sweepPath = positionals[0]!;
  if (!values.out) throw new CliError('sweep run needs --out <results dir>');
  const log = (line: string): void => out.log(line);
  if (values.worker) {
    await runWorker(sweepPath, values.out, log);
    return 0;
  }
  const { shards, jobs } = values;
  const shard = shardOf(values);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const s = await runShard({ sweepPath, shard, shards, out: values.out, jobs, launcher: launcher(args), log, signal: controller.signal });
    out.result(`shard ${shard} of ${shards}: ${s.items} items, ${s.passed} passed, ${s.failedChecks} missed a bar, ${s.errors.length} failed to run, ${s.notRun.length} not run, ${s.wallS.toFixed(1)} s`);
    for (const e of s.errors) out.warn(`  failed: ${e.id}: ${e.error}`);
    if (s.notRun.length > 0) return 1; // interrupted or a worker died: worth a retry
    return s.errors.length > 0 ? EXIT_DETERMINISTIC : 0;
  } catch (err) {
    if (!(err instanceof PilotError)) throw err;
    // A bad sweep file, config or model: every retry would fail the same way.
    out.warn(`pilot: ${err.message}`);
    writeShardMarker(values.out, { shard, shards, status: 'failed', error: err.message });
    return EXIT_DETERMINISTIC;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function merge({ values, positionals, given, out }: Parsed<typeof MERGE_OPTIONS>): Promise<number> {
  if (given.has('shards') && !given.has('wait-s')) throw new CliError('--shards applies to merge --wait-s (what to wait for)');
  const first = positionals[0]!;
  const json = values.json ?? join(first, 'report.json');
  const html = values.html ?? join(first, 'report.html');
  const timing = values.timing ?? join(first, 'timing.json');
  const result = await mergeSweep({
    dirs: [...positionals],
    json,
    html,
    timing,
    ...(values['wait-s'] !== undefined ? { waitS: values['wait-s'] } : {}),
    ...(values.shards !== undefined ? { shards: values.shards } : {}),
    log: (line) => out.log(line),
  });
  out.result(formatSweepSummary(result.report, result.timing));
  out.log(`report: ${json}, ${html}; timing: ${timing}`);
  return result.exitCode;
}

function k8s({ values, positionals, given, out }: Parsed<typeof K8S_OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  if (!values.image) throw new CliError('sweep k8s needs --image <image> (built from launch/sweep/Dockerfile)');
  if (values.shards === undefined) throw new CliError('sweep k8s needs --shards N (the pods of the Indexed Job)');
  if (values['results-claim'] && (given.has('results-size') || given.has('storage-class'))) {
    throw new CliError('--results-size and --storage-class apply to the claim sweep k8s emits, not to --results-claim');
  }
  const sweep = loadSweep(path);
  const { shards, jobs } = values;
  const parallelism = Math.min(shards, values.parallelism ?? shards);
  const mounts = (values.mount ?? []).map(parseMount);
  const manifests = sweepManifests({
    sweep,
    sweepText: readFileSync(path, 'utf8'),
    image: values.image,
    shards,
    parallelism,
    jobs,
    cpu: values.cpu ?? String(jobs),
    memory: values.memory,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['results-claim'] ? { resultsClaim: values['results-claim'] } : {}),
    resultsSize: values['results-size'],
    ...(values['storage-class'] ? { storageClass: values['storage-class'] } : {}),
    mounts,
    backoffLimitPerIndex: values['backoff-limit-per-index'],
    maxFailedIndexes: values['max-failed-indexes'] ?? shards,
    mergeWaitS: values['merge-wait-s'],
  });
  const text = manifestYaml(manifests);
  const file = values.out && values.out !== '-' ? values.out : undefined;
  if (file) writeAtomic(file, text);
  else process.stdout.write(text);
  for (const p of unmountedPaths(sweep, mounts)) out.warn(`pilot: warning: ${p} (in ${path}) is under no --mount <pvc>:<path>: the pods will not find it`);
  out.log(`sweep ${sweep.name}: ${manifests.length} objects, ${shards} shards, ${parallelism} at a time${wantsGpu(sweep) ? ', one nvidia.com/gpu per pod' : ''}${file ? `: ${file}` : ''}`);
  return Promise.resolve(0);
}

/** node's arguments that start this pilot again (bin/pilot.js, or the test's runner), for the --jobs workers. */
function launcher(args: readonly string[]): string[] {
  const argv = process.argv;
  const tail = ['sweep', 'run', ...args];
  const at = argv.length - tail.length;
  // A debugger's port is the parent's alone.
  const node = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  if (at >= 2 && tail.every((a, i) => argv[at + i] === a)) return [...node, ...argv.slice(1, at)];
  return [join(packageRoot(), 'bin', 'pilot.js')];
}

function parseMount(value: string): { claim: string; path: string } {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):(\/.*)$/.exec(value);
  if (!m) throw new CliError(`--mount must be <pvc name>:<absolute path>, e.g. bags:/data/bags (got '${value}')`);
  return { claim: m[1]!, path: m[3]! };
}
