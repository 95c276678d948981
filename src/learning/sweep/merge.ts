/**
 * `pilot sweep merge`: the results of every shard → the report (JSON + HTML, deterministic) and the
 * timing file (wall clock). Exit status: 0 complete and passed, 1 complete with a group below its pass
 * rate, 3 incomplete (missing, failed, duplicated or stale items; listed).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { collectResults, isComplete, type Collected } from './collect.js';
import { renderSweepHtml } from './report-html.js';
import { buildReport, serializeReport, type SweepReport } from './report.js';
import { listShardMarkers, writeAtomic } from './results-dir.js';
import { aggregateTiming, type SweepTiming } from './timing.js';

export const EXIT_INCOMPLETE = 3;

export interface MergeOptions {
  readonly dirs: readonly string[];
  /** Where to write; undefined: not written. */
  readonly json?: string;
  readonly html?: string;
  readonly timing?: string;
  /** Wait up to this long for the shards to finish (every item there, or every shard's marker when `shards` is given). */
  readonly waitS?: number;
  readonly shards?: number;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export interface MergeResult {
  readonly report: SweepReport;
  readonly timing: SweepTiming;
  readonly exitCode: number;
}

export async function mergeSweep(o: MergeOptions): Promise<MergeResult> {
  const collected = o.waitS ? await waitForShards(o) : collectResults(o.dirs);
  const report = buildReport(collected);
  const timing = aggregateTiming(collected.plan, collected.timings);
  if (o.json) writeAtomic(o.json, serializeReport(report));
  if (o.html) writeAtomic(o.html, renderSweepHtml(report));
  if (o.timing) writeAtomic(o.timing, serializeReport(timing));
  return { report, timing, exitCode: !report.complete ? EXIT_INCOMPLETE : report.passed ? 0 : 1 };
}

/** Polls until the shards are done or the time is up; then what is there. */
async function waitForShards(o: MergeOptions): Promise<Collected> {
  const deadline = performance.now() + o.waitS! * 1000;
  let said = '';
  for (;;) {
    const planned = o.dirs.every((d) => existsSync(join(d, 'plan.json')));
    if (planned) {
      const c = collectResults(o.dirs);
      const markers = new Set(o.dirs.flatMap((d) => listShardMarkers(d)).filter((m) => o.shards !== undefined && m.endsWith(`-of-${o.shards}`)));
      const allMarked = o.shards !== undefined && Array.from({ length: o.shards }, (_, i) => `${i}-of-${o.shards}`).every((m) => markers.has(m));
      if (isComplete(c.completeness) || allMarked || performance.now() >= deadline) return c;
      const status = `${c.results.size + c.completeness.failed.length} of ${c.plan.items.length} items${o.shards ? `, ${markers.size} of ${o.shards} shards done` : ''}`;
      if (status !== said) o.log?.(`sweep merge: waiting: ${status}`);
      said = status;
    } else if (performance.now() >= deadline) {
      return collectResults(o.dirs); // says that no shard has started
    }
    await sleep(Math.max(10, Math.min(o.pollMs ?? 10_000, deadline - performance.now())));
  }
}
