/**
 * Replay: a bag's recorded sensors through the real runtime (preprocessing, policy, safety layer),
 * over an in-process transport, with open-loop evaluation against the recorded commands.
 *
 * As fast as possible (default, deterministic): a ManualClock follows the bag's log time. For each
 * message at t: the timer ticks due before t run one at a time (each awaited), time moves to t, the
 * message is published and the replay waits until every runtime has it (`inputsArrived`), so the tick
 * due at t sees it — the simulator's lockstep order. Same bag + same model = the same predictions.
 * Real time: a ScaledWallClock at 1× or N×; messages are published when their time comes and the
 * runtime ticks on its own.
 *
 * Several models (`--compare`) run side by side on the same clock, each with its own transport and
 * runtime, fed the same messages.
 *
 * The steps, each in its own module: open the inputs (replay-inputs), the runtimes (replay-lanes),
 * run (replay-loop), evaluate and report (replay-report).
 */
import { SkipLog } from '../bags/skip-log.js';
import { ManualClock } from '../../runtime/loop/clock.js';
import { ScaledWallClock } from './replay-clock.js';
import { checkReplayOptions, openWindow, planTopics } from './replay-inputs.js';
import { addOutputTopics, disposeLanes, openLanes, type Lanes } from './replay-lanes.js';
import { ReplayLoop, type ReplayClocks } from './replay-loop.js';
import { ReplayOutput } from './replay-output.js';
import { replayResult } from './replay-report.js';
import type { ReplayOptions, ReplayResult } from './replay-types.js';

export { adaptCamera } from './replay-inputs.js';
export {
  MIN_ACCEPTED_FRAME_FRACTION,
  REPLAY_SCHEMA,
  type LatencyStats,
  type ReplayInputCoverage,
  type ReplayModelSpec,
  type ReplayOptions,
  type ReplayOutputTopics,
  type ReplayProgress,
  type ReplayResult,
  type ReplayRun,
  type ReplayRuntimeStats,
  type ReplayTap,
  type ReplayTopic,
} from './replay-types.js';

export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { reader } = options;
  const { mode, rate } = checkReplayOptions(options);
  const remap = options.remap ?? new Map<string, string>();
  const log = options.log ?? ((line: string) => console.error(line));
  const notes: string[] = [];
  const window = openWindow(reader, options);
  const { bagTypes, bagNames, configs, reference } = planTopics(reader, options, remap, notes);

  // Runtimes, one per model, on one clock.
  const { windowStart } = window;
  const windowStartMs = Number(windowStart / 1_000_000n) + Number(windowStart % 1_000_000n) / 1e6;
  const clocks: ReplayClocks = mode === 'fast'
    ? { replay: new ManualClock({ epochMs: windowStartMs }), wall: null }
    : { replay: null, wall: new ScaledWallClock({ epochMs: windowStartMs, rate }) };
  const clock = (clocks.replay ?? clocks.wall)!;
  const output = new ReplayOutput(options.output, notes, options.tap);
  const lanes: Lanes = await openLanes(options.models, configs, {
    bagTypes,
    bagNames,
    remap,
    reference,
    clock,
    stopwatch: options.stopwatch ?? (() => performance.now()),
    log,
    output,
    outputTopics: options.outputTopics,
    several: options.models.length > 1,
    logNsAt: (ms) => windowStart + BigInt(Math.round(ms * 1e6)),
  });
  addOutputTopics(output, lanes, reference);

  const skipped = new SkipLog();
  const loop = new ReplayLoop({
    reader,
    options,
    window,
    lanes,
    reference,
    clocks,
    output,
    skipped,
    periodMs: 1000 / configs[0]!.loop.rate_hz,
    cameraTopics: configs.map((c) => c.inputs.camera.topic),
  });
  try {
    await loop.run();
  } catch (err) {
    for (const lane of lanes.lanes) lane.collecting = false;
    await disposeLanes(lanes);
    throw err;
  }
  const wallS = (performance.now() - loop.wallStart) / 1000;
  for (const lane of lanes.lanes) lane.collecting = false;
  await disposeLanes(lanes);
  await output.flush();
  return replayResult({ options, mode, rate, window, lanes: lanes.lanes, routes: lanes.routes, reference, loop, skipped, output, notes, wallS });
}
