/**
 * `pilot sim`: the simulator on its own, in real time, for a runtime in another process
 * (`pilot run --config launch/drive.yaml`) or any other node on the transport; optionally with the
 * browser viewer. Runs until Ctrl-C or --duration.
 */
import { loadSimConfig } from '../../sim/index.js';
import { runDriveSession } from '../../sim/index.js';
import { DriveProgress } from '../../sim/index.js';
import type { DriveLiveStatus } from '../../sim/index.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { closeLiveViewOption, driveWithLiveView, foxgloveOption, startLiveViewOption } from './foxglove-option.js';
import { number, text } from './options.js';
import { simConfigOption, transportOption } from './shared-options.js';
import { startViewerFeed, VIEWER_OPTIONS } from './viewer-option.js';

const OPTIONS = {
  track: text('-t, --track <name>', 'the track (pilot drive --list-tracks)', { default: 'oval' }),
  ...VIEWER_OPTIONS,
  'sim-config': simConfigOption(),
  seed: number('--seed <n>', 'seed of the randomisation and the noise', { default: 1, integer: true, min: 0 }),
  randomize: number('--randomize <0..1>', 'domain randomisation strength', { default: 0, min: 0, max: 1 }),
  transport: transportOption(),
  duration: number('--duration <s>', 'stop after this many seconds', { positive: true, defaultLabel: 'until Ctrl-C' }),
  foxglove: foxgloveOption(),
} as const;

export const SIM = defineCommand({
  name: 'sim',
  summary: 'the simulator alone, in real time, for a runtime in another process (pilot run)',
  options: OPTIONS,
  examples: ['pilot sim --track lake --view    # then, in another terminal: pilot run --config launch/drive.yaml', 'pilot sim --track oval --foxglove'],
  run: runSim,
});

export function simCommand(args: readonly string[]): Promise<number> {
  return invoke(SIM, args);
}

async function runSim({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  const sim = loadSimConfig(values['sim-config']);
  const viewer = values.view ? await startViewerFeed(values.port, 'external runtime') : undefined;
  const liveView = await startLiveViewOption(values.foxglove, out);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = out.quiet ? undefined : new DriveProgress({ label: `sim ${values.track}` });
  let live: DriveLiveStatus | undefined;
  out.log(
    `pilot sim: ${values.track} in real time on ${values.transport}: camera ${sim.camera.topic} (${sim.camera.rate_hz} Hz), ` +
      `${sim.sensors.imu_topic}, ${sim.sensors.odom_topic}, ${sim.clock_topic}; listening for ${sim.command.type} on ${sim.command.topic}\n` +
      `  drive it from another terminal: npx pilot run --config launch/drive.yaml`,
  );
  try {
    await runDriveSession(driveWithLiveView({
      track: values.track,
      laps: 1_000_000, // until Ctrl-C or --duration
      driver: { kind: 'external' },
      sim,
      seed: values.seed,
      randomize: values.randomize,
      mode: 'realtime',
      transport: values.transport,
      maxSimTimeS: values.duration ?? 365 * 24 * 3600,
      signal: controller.signal,
      onWorld: (t, look) => viewer?.world(t, look),
      onStep: (sample, metrics) => {
        live = metrics;
        progress?.update(metrics);
        viewer?.feed.step(sample, metrics);
      },
      onFrame: (rgb, w, h) => viewer?.feed.frame(rgb, w, h),
      log: out.log,
    }, liveView));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (live) progress?.finish(live);
    await viewer?.close();
    await closeLiveViewOption(liveView, out);
  }
  return 0;
}
