/**
 * `pilot sweep run`: one shard of a sweep, its items one after the other in this process or spread
 * over K worker processes (`--jobs`). Writes the plan, each item's files, and at the end the shard's
 * marker. Item failures do not stop the shard; they are in their result files and in the summary.
 */
import { expandPlan, shardItems, type PlannedItem } from './plan.js';
import { ItemContext, runItem, type ItemOutcome } from './run-item.js';
import { shardMarkerPath, writeAtomic, writePlanFile } from './results-dir.js';
import { loadSweep } from './sweep-file.js';
import { runPool, type WorkerCommand, type WorkerMessage } from './worker-pool.js';

export interface ShardOptions {
  readonly sweepPath: string;
  readonly shard: number;
  readonly shards: number;
  readonly out: string;
  readonly jobs: number;
  /** How to start `pilot` again for the workers (node arguments before `sweep`). */
  readonly launcher: readonly string[];
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ShardSummary {
  readonly shard: number;
  readonly shards: number;
  readonly items: number;
  readonly passed: number;
  readonly failedChecks: number;
  /** Items whose run failed (result file with status error). */
  readonly errors: readonly { readonly id: string; readonly error: string }[];
  /** Items with no result: their worker died, or the run was interrupted. */
  readonly notRun: readonly string[];
  readonly wallS: number;
}

export async function runShard(o: ShardOptions): Promise<ShardSummary> {
  const started = performance.now();
  const sweep = loadSweep(o.sweepPath);
  const plan = expandPlan(sweep);
  const items = shardItems(plan, o.shard, o.shards);
  writePlanFile(o.out, plan);
  o.log(`sweep ${sweep.name}: shard ${o.shard} of ${o.shards}: ${items.length} of ${plan.items.length} items${o.jobs > 1 ? `, ${o.jobs} workers` : ''}`);
  let finished = 0;
  const report = (r: ItemOutcome): void => {
    finished++;
    const verdict = r.status === 'error' ? `ERROR ${r.error}` : r.pass ? 'PASS' : 'FAIL';
    o.log(`[${finished}/${items.length}] ${r.id}  ${verdict}  ${r.wallS.toFixed(1)} s`);
  };
  let outcomes: ItemOutcome[];
  let notRun: string[] = [];
  if (o.jobs > 1 && items.length > 1) {
    const workerArgs = ['sweep', 'run', o.sweepPath, '--out', o.out, '--worker'];
    const pooled = await runPool({ ids: items.map((p) => p.item.id), jobs: o.jobs, launcher: o.launcher, workerArgs, onOutcome: report, ...(o.signal ? { signal: o.signal } : {}) });
    outcomes = pooled.outcomes;
    notRun = pooled.lost;
  } else {
    outcomes = await runSequential(new ItemContext(sweep, o.out, o.log), items, report, o.signal);
    notRun = items.slice(outcomes.length).map((p) => p.item.id);
  }
  const summary: ShardSummary = {
    shard: o.shard,
    shards: o.shards,
    items: items.length,
    passed: outcomes.filter((r) => r.status === 'ok' && r.pass).length,
    failedChecks: outcomes.filter((r) => r.status === 'ok' && !r.pass).length,
    errors: outcomes.filter((r) => r.status === 'error').map((r) => ({ id: r.id, error: r.error ?? '' })),
    notRun,
    wallS: (performance.now() - started) / 1000,
  };
  // No marker for an interrupted or crashed shard: it is not done, and a rerun will write one.
  if (notRun.length === 0) writeShardMarker(o.out, { ...summary, status: summary.errors.length > 0 ? 'errors' : 'done' });
  return summary;
}

/** The marker of a shard that ended: `done`, `errors` (some items failed to run) or `failed` (nothing could run). */
export function writeShardMarker(out: string, marker: { shard: number; shards: number; status: 'done' | 'errors' | 'failed'; error?: string }): void {
  writeAtomic(shardMarkerPath(out, marker.shard, marker.shards), `${JSON.stringify(marker, null, 2)}\n`);
}

async function runSequential(ctx: ItemContext, items: readonly PlannedItem[], report: (r: ItemOutcome) => void, signal?: AbortSignal): Promise<ItemOutcome[]> {
  const outcomes: ItemOutcome[] = [];
  for (const planned of items) {
    if (signal?.aborted) break;
    try {
      const r = await runItem(ctx, planned, signal);
      outcomes.push(r);
      report(r);
    } catch (err) {
      if (signal?.aborted) break;
      throw err;
    }
  }
  return outcomes;
}

/** The worker side of `--jobs`: runs the items the parent sends, one at a time, until told to exit. */
export async function runWorker(sweepPath: string, out: string, log: (line: string) => void): Promise<void> {
  const sweep = loadSweep(sweepPath);
  const byId = new Map(expandPlan(sweep).items.map((p) => [p.item.id, p]));
  const ctx = new ItemContext(sweep, out, log);
  const send = (m: WorkerMessage): void => void process.send!(m);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  await new Promise<void>((resolve) => {
    process.on('message', (m: WorkerCommand) => {
      if ('exit' in m) return resolve();
      const planned = byId.get(m.run);
      const run = planned
        ? runItem(ctx, planned, controller.signal)
        : Promise.resolve<ItemOutcome>({ id: m.run, status: 'error', pass: false, wallS: 0, error: `not an item of ${sweepPath}` });
      run.then((outcome) => send({ outcome }), () => resolve());
    });
    process.once('disconnect', () => resolve());
    send({ ready: true });
  });
  process.disconnect?.();
}
