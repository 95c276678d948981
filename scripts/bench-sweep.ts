/**
 * Sweep throughput (issue 22): `npm run build && npm run bench:sweep [-- options]`
 *
 * A sweep of short model drives (default 200: lake and city-block × randomisation 0 and 0.7 × 50
 * seeds, 5 s of sim time each, the bundled model through the real runtime, camera rendered) run on
 * this machine as `pilot sweep run --jobs 1`, then `--jobs 2`, each its own process as a pod would
 * be. Reports the wall time of each, the cost of one drive, and the projected wall time of a
 * 10,000-drive sweep on 100 pods (each pod one drive at a time on one CPU, at the cost measured with
 * --jobs 1). Wall-clock numbers: note the machine's load.
 *
 * Options: --drives 200 --max-time-s 5 --model models/pilot-drive.onnx --jobs 1,2 --project-drives 10000 --pods 100 --keep
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    drives: { type: 'string', default: '200' },
    'max-time-s': { type: 'string', default: '5' },
    model: { type: 'string', default: 'models/pilot-drive.onnx' },
    jobs: { type: 'string', default: '1,2' },
    'project-drives': { type: 'string', default: '10000' },
    pods: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
  },
});

const drives = Number(values.drives);
const perCombination = Math.max(1, Math.round(drives / 4));
const dir = mkdtempSync(join(tmpdir(), 'pilot-bench-sweep-'));
const sweep = join(dir, 'sweep.yaml');
writeFileSync(
  sweep,
  `version: 1\nname: bench\nmodels: [${values.model}]\ndrives:\n  tracks: [lake, city-block]\n  levels: [0, 0.7]\n  seeds: { from: 1, count: ${perCombination} }\n  laps: 1\n  max_time_s: ${values['max-time-s']}\n` +
    // A 5 s drive completes no lap: hold it to its cross-track error and interventions only.
    'gate: { drive: { min_laps: 0 } }\n',
);

interface Run {
  readonly jobs: number;
  readonly wallS: number;
  /** Σ of the drives' own wall time (from the timing files). */
  readonly itemsWallS: number;
  readonly items: number;
  readonly loadBefore: number;
  readonly loadAfter: number;
}

/** `pilot sweep run` as its own process (the pod's view: process start included), then the merge for the timing. */
async function runOnce(jobs: number): Promise<Run> {
  const out = join(dir, `jobs-${jobs}`);
  const loadBefore = loadavg()[0]!;
  const started = performance.now();
  await pilot(['sweep', 'run', sweep, '--out', out, '--jobs', String(jobs)]);
  const wallS = (performance.now() - started) / 1000;
  const loadAfter = loadavg()[0]!;
  await pilot(['sweep', 'merge', out]);
  const timing = JSON.parse(readFileSync(join(out, 'timing.json'), 'utf8')) as { drives: { items: number; wallS: number } };
  return { jobs, wallS, itemsWallS: timing.drives.wallS, items: timing.drives.items, loadBefore, loadAfter };
}

function pilot(args: readonly string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('bin/pilot.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-4000)));
    // merge exits 1 when a group misses its pass rate: the timing is there all the same.
    child.on('exit', (code) => (code === 0 || (args[1] === 'merge' && code === 1) ? done() : fail(new Error(`pilot ${args.join(' ')} exited ${code}:\n${tail}`))));
  });
}

const runs: Run[] = [];
console.log(`sweep of ${perCombination * 4} drives (${values['max-time-s']} s sim time each, ${values.model}) on ${cpus().length} CPUs (${cpus()[0]?.model ?? 'cpu'})`);
for (const jobs of values.jobs.split(',').map(Number)) {
  const r = await runOnce(jobs);
  runs.push(r);
  console.log(
    `  --jobs ${jobs}: ${r.items} drives in ${r.wallS.toFixed(1)} s = ${(r.wallS / r.items).toFixed(3)} s per drive (${(r.items / r.wallS).toFixed(2)} drives/s); ` +
      `Σ drive time ${r.itemsWallS.toFixed(1)} s; load average ${r.loadBefore.toFixed(1)} → ${r.loadAfter.toFixed(1)}`,
  );
}
const one = runs.find((r) => r.jobs === 1) ?? runs[0]!;
for (const r of runs) if (r !== one) console.log(`  --jobs ${r.jobs} vs --jobs ${one.jobs}: ×${(one.wallS / r.wallS).toFixed(2)} throughput`);

// Projection: N drives over P pods at once, each pod one drive at a time on one CPU at the cost
// measured with --jobs 1 (process start, plan and file writes included, spread over its drives).
const projectDrives = Number(values['project-drives']);
const pods = Number(values.pods);
const perDriveS = one.wallS / one.items;
const perPod = Math.ceil(projectDrives / pods);
const projectedS = perPod * perDriveS;
console.log(
  `projection: ${projectDrives} drives on ${pods} pods (1 CPU each, all at once) = ${perPod} drives per pod × ${perDriveS.toFixed(3)} s ≈ ${(projectedS / 60).toFixed(1)} min ` +
    `(one process here: ${((projectDrives * perDriveS) / 3600).toFixed(1)} h); image pull and pod scheduling not included`,
);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`results kept in ${dir}`);
