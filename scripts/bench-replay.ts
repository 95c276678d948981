/**
 * Replay throughput (issue 4): `npm run build && node dist/scripts/bench-replay.js [options]`
 *
 * A 320×240 rgb8 camera bag on disk (the runtime's calibrated size) replayed as fast as possible:
 * decoded only; through the runtime with the network stubbed out; through the runtime with the model.
 * Reports × real time. Wall-clock numbers: run on a quiet machine.
 *
 * Options: --config launch/drive.yaml --model <onnx> --seconds 20 --camera-hz 30 --passes 3 --json
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/core/config/load.js';
import { benchReplayThroughput } from '../src/data/replay/replay-bench.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'launch/drive.yaml' },
    model: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    'camera-hz': { type: 'string', default: '30' },
    passes: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});

const base = loadConfig(values.config);
const config = values.model ? { ...base, model: { ...base.model, path: resolve(values.model) } } : base;
const results = await benchReplayThroughput({
  config,
  seconds: Number(values.seconds),
  cameraHz: Number(values['camera-hz']),
  passes: Number(values.passes),
});
if (values.json) console.log(JSON.stringify({ model: config.model.path, loopHz: config.loop.rate_hz, results }, null, 2));
else {
  console.log(`replay of ${values.seconds} s of 320×240 rgb8 at ${values['camera-hz']} Hz, loop ${config.loop.rate_hz} Hz, model ${config.model.path}`);
  for (const r of results) {
    console.log(
      `  ${r.variant.padEnd(22)} ${r.frames} frames${r.ticks ? `, ${r.ticks} ticks` : ''} in ${r.wallS.toFixed(3)} s = ${r.realTime.toFixed(0).padStart(4)}× real time` +
        (Number.isFinite(r.inferenceP50Ms) ? `  (inference p50 ${r.inferenceP50Ms.toFixed(2)} ms)` : ''),
    );
  }
}
