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
import { CliError, parse } from './args.js';

export const SWEEP_USAGE = `pilot sweep plan <sweep.yaml> [--shards N] [--json]
  pilot sweep run <sweep.yaml> --out <results dir> [--shard i (default $JOB_COMPLETION_INDEX, else 0)] [--shards 1] [--jobs 1]
  pilot sweep merge <results dir>... [--json <file>] [--html <file>] [--timing <file>] [--wait-s <s> [--shards N]]
  pilot sweep k8s <sweep.yaml> --image <image> --shards N [--parallelism N] [--jobs 1] [--cpu <jobs>] [--memory 4Gi]
              [--results-claim <pvc> | --results-size 20Gi [--storage-class <class>]] [--mount <pvc>:<path>]...
              [--namespace <ns>] [--backoff-limit-per-index 2] [--max-failed-indexes <N>] [--merge-wait-s 86400] [-o <file>]`;

export async function sweepCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'plan':
      return planCommand(rest);
    case 'run':
      return runCommand(rest, launcher(args));
    case 'merge':
      return mergeCommand(rest);
    case 'k8s':
      return k8sCommand(rest);
    default:
      throw new CliError(sub === undefined ? 'sweep needs plan, run, merge or k8s' : `sweep: unknown subcommand '${sub}' (plan, run, merge, k8s)`);
  }
}

function planCommand(args: readonly string[]): number {
  const { values, positionals } = parse(args, { shards: { type: 'string' }, json: { type: 'boolean' } }, true);
  const plan = expandPlan(loadSweep(onePath(positionals, 'sweep plan <sweep.yaml>')));
  const shards = whole(values.shards, '--shards', 1, 1);
  const rows = plan.items.map((p, i) => ({ shard: i % shards, id: p.item.id, digest: p.digest }));
  if (values.json) console.log(JSON.stringify({ sweep: plan.sweep.name, shards, items: rows }, null, 2));
  else for (const r of rows) console.log(`${r.shard}\t${r.id}`);
  const sizes = Array.from({ length: shards }, (_, s) => shardItems(plan, s, shards).length);
  const drives = plan.items.filter((p) => p.item.kind === 'drive').length;
  console.error(`sweep ${plan.sweep.name}: ${plan.items.length} items (${drives} drives, ${plan.items.length - drives} bag replays) in ${shards} shard(s) of ${Math.min(...sizes)}–${Math.max(...sizes)}`);
  return 0;
}

async function runCommand(args: readonly string[], start: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, shard: { type: 'string' }, shards: { type: 'string' }, jobs: { type: 'string', short: 'j' }, worker: { type: 'boolean' } }, true);
  const sweepPath = onePath(positionals, 'sweep run <sweep.yaml> --out <results dir>');
  if (!values.out) throw new CliError('sweep run needs --out <results dir>');
  const log = (line: string): void => console.error(line);
  if (values.worker) {
    await runWorker(sweepPath, values.out, log);
    return 0;
  }
  const shards = whole(values.shards, '--shards', 1, 1);
  const shardText = values.shard ?? process.env.JOB_COMPLETION_INDEX;
  const shard = whole(shardText, values.shard === undefined ? 'JOB_COMPLETION_INDEX' : '--shard', 0, 0);
  if (shard >= shards) throw new CliError(`--shard ${shard} is not below --shards ${shards} (shards are numbered 0 to ${shards - 1})`);
  const jobs = whole(values.jobs, '--jobs', 1, 1);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const s = await runShard({ sweepPath, shard, shards, out: values.out, jobs, launcher: start, log, signal: controller.signal });
    console.error(`shard ${shard} of ${shards}: ${s.items} items, ${s.passed} passed, ${s.failedChecks} missed a bar, ${s.errors.length} failed to run, ${s.notRun.length} not run, ${s.wallS.toFixed(1)} s`);
    for (const e of s.errors) console.error(`  failed: ${e.id}: ${e.error}`);
    if (s.notRun.length > 0) return 1; // interrupted or a worker died: worth a retry
    return s.errors.length > 0 ? EXIT_DETERMINISTIC : 0;
  } catch (err) {
    if (!(err instanceof PilotError)) throw err;
    // A bad sweep file, config or model: every retry would fail the same way.
    console.error(`pilot: ${err.message}`);
    writeShardMarker(values.out, { shard, shards, status: 'failed', error: err.message });
    return EXIT_DETERMINISTIC;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function mergeCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'string' }, html: { type: 'string' }, timing: { type: 'string' }, 'wait-s': { type: 'string' }, shards: { type: 'string' } }, true);
  if (positionals.length === 0) throw new CliError('sweep merge needs <results dir>...');
  if (values.shards !== undefined && values['wait-s'] === undefined) throw new CliError('--shards applies to merge --wait-s (what to wait for)');
  const first = positionals[0]!;
  const waitS = values['wait-s'] === undefined ? undefined : whole(values['wait-s'], '--wait-s', 0, 0);
  const result = await mergeSweep({
    dirs: positionals,
    json: values.json ?? join(first, 'report.json'),
    html: values.html ?? join(first, 'report.html'),
    timing: values.timing ?? join(first, 'timing.json'),
    ...(waitS !== undefined ? { waitS } : {}),
    ...(values.shards !== undefined ? { shards: whole(values.shards, '--shards', 1, 1) } : {}),
    log: (line) => console.error(line),
  });
  console.error(formatSweepSummary(result.report, result.timing));
  console.error(`report: ${values.json ?? join(first, 'report.json')}, ${values.html ?? join(first, 'report.html')}; timing: ${values.timing ?? join(first, 'timing.json')}`);
  return result.exitCode;
}

function k8sCommand(args: readonly string[]): number {
  const { values, positionals } = parse(
    args,
    {
      image: { type: 'string' }, shards: { type: 'string' }, parallelism: { type: 'string' }, jobs: { type: 'string' }, cpu: { type: 'string' }, memory: { type: 'string' },
      'results-claim': { type: 'string' }, 'results-size': { type: 'string' }, 'storage-class': { type: 'string' }, mount: { type: 'string', multiple: true }, namespace: { type: 'string' },
      'backoff-limit-per-index': { type: 'string' }, 'max-failed-indexes': { type: 'string' }, 'merge-wait-s': { type: 'string' }, out: { type: 'string', short: 'o' },
    },
    true,
  );
  const path = onePath(positionals, 'sweep k8s <sweep.yaml> --image <image> --shards N');
  if (!values.image) throw new CliError('sweep k8s needs --image <image> (built from launch/sweep/Dockerfile)');
  if (values.shards === undefined) throw new CliError('sweep k8s needs --shards N (the pods of the Indexed Job)');
  if (values['results-claim'] && (values['results-size'] || values['storage-class'])) throw new CliError('--results-size and --storage-class apply to the claim sweep k8s emits, not to --results-claim');
  const sweep = loadSweep(path);
  const shards = whole(values.shards, '--shards', 1, 1);
  const jobs = whole(values.jobs, '--jobs', 1, 1);
  const mounts = (values.mount ?? []).map(parseMount);
  const manifests = sweepManifests({
    sweep,
    sweepText: readFileSync(path, 'utf8'),
    image: values.image,
    shards,
    parallelism: Math.min(shards, whole(values.parallelism, '--parallelism', shards, 1)),
    jobs,
    cpu: values.cpu ?? String(jobs),
    memory: values.memory ?? '4Gi',
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['results-claim'] ? { resultsClaim: values['results-claim'] } : {}),
    resultsSize: values['results-size'] ?? '20Gi',
    ...(values['storage-class'] ? { storageClass: values['storage-class'] } : {}),
    mounts,
    backoffLimitPerIndex: whole(values['backoff-limit-per-index'], '--backoff-limit-per-index', 2, 0),
    maxFailedIndexes: whole(values['max-failed-indexes'], '--max-failed-indexes', shards, 0),
    mergeWaitS: whole(values['merge-wait-s'], '--merge-wait-s', 86_400, 0),
  });
  const text = manifestYaml(manifests);
  if (values.out && values.out !== '-') writeAtomic(values.out, text);
  else process.stdout.write(text);
  for (const p of unmountedPaths(sweep, mounts)) console.error(`pilot: warning: ${p} (in ${path}) is under no --mount <pvc>:<path>: the pods will not find it`);
  console.error(`sweep ${sweep.name}: ${manifests.length} objects, ${shards} shards, ${Math.min(shards, whole(values.parallelism, '--parallelism', shards, 1))} at a time${wantsGpu(sweep) ? ', one nvidia.com/gpu per pod' : ''}${values.out && values.out !== '-' ? `: ${values.out}` : ''}`);
  return 0;
}

/** node's arguments that start this pilot again (bin/pilot.js, or the test's runner), for the --jobs workers. */
function launcher(args: readonly string[]): string[] {
  const argv = process.argv;
  const tail = ['sweep', ...args];
  const at = argv.length - tail.length;
  // A debugger's port is the parent's alone.
  const node = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  if (at >= 2 && tail.every((a, i) => argv[at + i] === a)) return [...node, ...argv.slice(1, at)];
  return [join(packageRoot(), 'bin', 'pilot.js')];
}

function onePath(positionals: readonly string[], usage: string): string {
  if (positionals.length !== 1) throw new CliError(`${usage}: expected one file (got ${positionals.length === 0 ? 'none' : positionals.join(' ')})`);
  return positionals[0]!;
}

function parseMount(value: string): { claim: string; path: string } {
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?):(\/.*)$/.exec(value);
  if (!m) throw new CliError(`--mount must be <pvc name>:<absolute path>, e.g. bags:/data/bags (got '${value}')`);
  return { claim: m[1]!, path: m[3]! };
}

function whole(value: string | undefined, flag: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || value.trim() === '') throw new CliError(`${flag} must be a whole number ≥ ${min} (got '${value}')`);
  return n;
}
