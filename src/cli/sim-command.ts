/**
 * `pilot sim`: the simulator on its own, in real time, for a runtime in another process
 * (`pilot run --config launch/drive.yaml`) or any other node on the transport; optionally with the
 * browser viewer. Runs until Ctrl-C or --duration.
 */
import { loadSimConfig } from '../../sim/index.js';
import { runDriveSession } from '../../sim/index.js';
import { DriveProgress } from '../../sim/index.js';
import type { DriveLiveStatus } from '../../sim/index.js';
import { CliError, parse, positiveNumber, transportKind } from './args.js';
import { startViewerFeed } from './viewer-option.js';

export const SIM_USAGE = `pilot sim [--track oval] [--view] [--port 8080] [--sim-config <yaml>] [--seed 1] [--randomize <0..1>]
            [--transport zeromq|inprocess] [--duration <s>]`;

export async function simCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    track: { type: 'string', short: 't' },
    view: { type: 'boolean' },
    port: { type: 'string' },
    'sim-config': { type: 'string' },
    seed: { type: 'string' },
    randomize: { type: 'string' },
    transport: { type: 'string' },
    duration: { type: 'string' },
  });
  const track = values.track ?? 'oval';
  const sim = loadSimConfig(values['sim-config']);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed must be a whole number ≥ 0 (got '${values.seed}')`);
  const randomize = values.randomize === undefined ? 0 : Number(values.randomize);
  if (!(randomize >= 0 && randomize <= 1)) throw new CliError(`--randomize must be in [0, 1] (got '${values.randomize}')`);
  const durationS = values.duration ? positiveNumber(values.duration, '--duration', 0) : undefined;
  const viewer = values.view ? await startViewerFeed(values.port, 'external runtime') : undefined;

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const progress = new DriveProgress({ label: `sim ${track}` });
  let live: DriveLiveStatus | undefined;
  console.error(
    `pilot sim: ${track} in real time on ${values.transport ?? 'zeromq'}: camera ${sim.camera.topic} (${sim.camera.rate_hz} Hz), ` +
      `${sim.sensors.imu_topic}, ${sim.sensors.odom_topic}, ${sim.clock_topic}; listening for ${sim.command.type} on ${sim.command.topic}\n` +
      `  drive it from another terminal: npx pilot run --config launch/drive.yaml`,
  );
  try {
    await runDriveSession({
      track,
      laps: 1_000_000, // until Ctrl-C or --duration
      driver: { kind: 'external' },
      sim,
      seed,
      randomize,
      mode: 'realtime',
      transport: transportKind(values.transport ?? 'zeromq'),
      maxSimTimeS: durationS ?? 365 * 24 * 3600,
      signal: controller.signal,
      onWorld: (t, look) => viewer?.world(t, look),
      onStep: (sample, metrics) => {
        live = metrics;
        progress.update(metrics);
        viewer?.feed.step(sample, metrics);
      },
      onFrame: (rgb, w, h) => viewer?.feed.frame(rgb, w, h),
      log: (line) => console.error(line),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (live) progress.finish(live);
    await viewer?.close();
  }
  return 0;
}
