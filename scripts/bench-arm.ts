/**
 * Arm simulator benchmark (`node dist/scripts/bench-arm.js`, after `npm run build`): the IK expert on
 * N randomised episodes per task and placement split, without and with the camera, through the
 * lockstep loop and a transport as `pilot arm` runs them. Reports success rate, time to success,
 * final error, joint-limit interventions and episodes/s.
 * With --model: also that policy through the runtime (--config, default launch/arm.yaml) on the unseen
 * reach placements.
 * Bars (issue 7): the expert reaches ≥ 99 % of 100 randomised reach episodes; the bundled policy ≥ 90 %
 * of 100 randomised reach episodes in unseen placements.
 * Flags: --episodes 100 --seed 1 --tasks reach,push --transport inprocess|zeromq --randomize 1
 *        [--model <onnx> [--config launch/arm.yaml]] [--json <file>]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatArmSummary, type ArmRunSummary } from '../sim/arm/arm-metrics.js';
import { runArmSession } from '../sim/arm/arm-session.js';
import { parseTaskKind, type PlacementSplit } from '../sim/arm/arm-task.js';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    tasks: { type: 'string', default: 'reach,push' },
    transport: { type: 'string', default: 'inprocess' },
    randomize: { type: 'string', default: '1' },
    json: { type: 'string' },
    model: { type: 'string' },
    config: { type: 'string', default: 'launch/arm.yaml' },
  },
});
const episodes = Number(values.episodes);
const seed = Number(values.seed);
const randomize = Number(values.randomize);
const transport = values.transport === 'zeromq' ? 'zeromq' : 'inprocess';
const tasks = values.tasks!.split(',').map((t) => parseTaskKind(t.trim()));

const rows: (ArmRunSummary & { camera: boolean })[] = [];
let failed = false;
for (const task of tasks) {
  for (const split of ['any', 'unseen'] as PlacementSplit[]) {
    for (const camera of [false, true]) {
      // The camera only changes speed, not the expert's episodes: render one split only.
      if (camera && split === 'unseen') continue;
      const r = await runArmSession({ task, episodes, seed, split, randomize, transport, render: camera, driver: { kind: 'expert' } });
      console.log(`${formatArmSummary(r.summary)}\n  camera: ${camera ? 'rendered (160×120)' : 'off'}, transport ${transport}\n`);
      rows.push({ ...r.summary, camera });
      if (task === 'reach' && r.summary.successRate < 0.99) {
        failed = true;
        console.log('FAIL: the expert reached < 99 % of these reach episodes');
      }
    }
  }
}
if (values.model) {
  const r = await runArmSession({ task: 'reach', episodes, seed, split: 'unseen', randomize, transport, driver: { kind: 'model', config: values.config!, modelPath: values.model } });
  console.log(`${formatArmSummary(r.summary)}\n  camera: rendered, runtime ${values.config}, transport ${transport}\n`);
  rows.push({ ...r.summary, camera: true });
  if (r.summary.successRate < 0.9) {
    failed = true;
    console.log(`FAIL: ${values.model} reached < 90 % of unseen reach episodes`);
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n');
console.log(failed ? 'FAIL: a bar was missed (see above)' : `PASS: the expert reached ≥ 99 % of reach episodes on every split${values.model ? ', the model ≥ 90 % of unseen ones' : ''}`);
process.exitCode = failed ? 1 : 0;
