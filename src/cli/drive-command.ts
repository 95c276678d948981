/**
 * `pilot drive`: a closed-loop test drive in the simulator with a model (through the real runtime)
 * or the expert. Prints a progress bar (stderr) and a summary (stdout), writes JSON and HTML reports
 * (a new numbered pair per run), exits 1 when the drive misses its bars (so CI can gate a deploy on it).
 */
import { loadSimConfig } from '../../sim/index.js';
import { runDriveSession, type DriveResult, type DriveSessionOptions } from '../../sim/index.js';
import { evaluateDrive, defaultThresholds, type DriveThresholds } from '../../sim/index.js';
import { renderHtmlReport } from '../../sim/index.js';
import { serializeDriveResult } from '../../sim/index.js';
import { DriveProgress, formatSummary } from '../../sim/index.js';
import type { DriveLiveStatus } from '../../sim/index.js';
import { listTracks } from '../../sim/index.js';
import { loadConfig } from '../core/config/load.js';
import type { PilotConfig } from '../core/config/schema.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { DRIVE_CHUNK_OPTIONS, withDriveChunking } from './drive-chunking.js';
import { flag, number, text } from './options.js';
import type { Output } from './output.js';
import { claimReportPath, safeName } from './report-path.js';
import { closeLiveViewOption, driveWithLiveView, foxgloveOption, startLiveViewOption } from './foxglove-option.js';
import { compressionOption, simConfigOption, transportOption } from './shared-options.js';
import { startViewerFeed, VIEWER_OPTIONS } from './viewer-option.js';
import { writeReport } from './write-report.js';

/** `pilot drive`'s options: one line each. */
const OPTIONS = {
  track: text('-t, --track <name>', 'the track (pilot drive --list-tracks)', { default: 'oval' }),
  laps: number('-n, --laps <n>', 'laps to drive', { default: 3, integer: true, min: 1 }),
  model: text('-m, --model <onnx>', 'the policy to drive', { defaultLabel: "the config's model.path" }),
  expert: flag('--expert', 'drive the expert (pure pursuit on ground truth) instead of a model'),
  config: text('-c, --config <yaml>', 'the runtime config', { default: 'launch/drive.yaml' }),
  'sim-config': simConfigOption(),
  seed: number('--seed <n>', 'seed of the randomisation and the noise', { default: 1, integer: true, min: 0 }),
  randomize: number('--randomize <0..1>', 'domain randomisation strength (lighting, textures, camera)', {
    default: 0,
    min: 0,
    max: 1,
    message: (flag, raw) => `${flag} strength must be in [0, 1] (got '${raw}')`,
  }),
  realtime: flag('--realtime', 'run in real time on the wall clock (default: lockstep, as fast as it goes)'),
  transport: transportOption(),
  json: text('--json [file]', 'the JSON report to this file; bare --json or - prints it on stdout', { defaultLabel: 'runs/drive-<track>-<n>.json', preset: '-' }),
  html: text('--html <file>', 'the HTML report to this file; - writes none', { defaultLabel: 'beside the JSON' }),
  'max-mean-cte': number('--max-mean-cte <m>', 'the bar for the mean |cross-track error|', { default: 0.25, positive: true }),
  'max-interventions': number('--max-interventions <n>', 'the bar for safety interventions', { integer: true, min: 0, defaultLabel: '0' }),
  'max-time': number('--max-time <s>', 'stop after this much simulated time', { positive: true }),
  noise: number('--noise <rad>', "steering noise on the expert's commands", { positive: true }),
  recovery: flag('--recovery', 'the expert steers back from noise-induced drift (for recovery demonstrations)'),
  headless: flag('--headless', 'drives are always headless; kept for old command lines', { hidden: true }),
  ...VIEWER_OPTIONS,
  record: text('--record <bag dir>', 'record the drive (camera, commands, ground truth) into this bag'),
  compression: compressionOption(),
  'list-tracks': flag('--list-tracks', 'list the tracks and exit'),
  'allow-nonfinite': flag('--allow-nonfinite', 'load a model whose check inference returns NaN/Infinity (testing the safety layer)'),
  ...DRIVE_CHUNK_OPTIONS,
  foxglove: foxgloveOption(),
} as const;

export const DRIVE = defineCommand({
  name: 'drive',
  summary: 'a closed-loop test drive in the simulator, with a model or the expert; reports and a pass/fail exit code',
  description: 'Exit 0 when the drive meets its bars, 1 when it misses one. Reports: runs/drive-<track>-<n>.json and .html, n the first free number.',
  options: OPTIONS,
  examples: ['pilot drive --track lake --laps 2 --model models/pilot-drive.onnx', 'pilot drive --expert --track chicane --json - --quiet', 'pilot drive --realtime --track lake --foxglove'],
  run: runDrive,
});

type DriveValues = Parsed<typeof OPTIONS>['values'];

export function driveCommand(args: readonly string[]): Promise<number> {
  return invoke(DRIVE, args);
}

async function runDrive({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (values['list-tracks']) {
    for (const t of listTracks()) out.result(`${t.name.padEnd(12)} ${t.split.padEnd(8)} ${t.lengthM.toFixed(1).padStart(6)} m  ${t.description}`);
    return 0;
  }
  if (values.model && values.expert) throw new CliError('drive takes --model <onnx> or --expert, not both');
  if (values['allow-nonfinite'] && values.expert) throw new CliError('--allow-nonfinite applies to a model (--model or --config); the expert has none');
  const result = await drive(values, driverOf(values, out), out);
  return finish(values, result, out);
}

function driverOf(values: DriveValues, out: Output): DriveSessionOptions['driver'] {
  const driver: DriveSessionOptions['driver'] = values.expert
    ? { kind: 'expert', recovery: values.recovery, ...(values.noise !== undefined ? { noiseRad: values.noise } : {}) }
    : { kind: 'model', config: runtimeConfig(values.config, values['allow-nonfinite']), ...(values.model ? { modelPath: values.model } : {}) };
  // Chunked and/or remote policy: the runtime config gets chunking / policy_server (drive-chunking.ts).
  return withDriveChunking(driver, values, out.log);
}

async function drive(values: DriveValues, driver: DriveSessionOptions['driver'], out: Output): Promise<DriveResult> {
  const sim = loadSimConfig(values['sim-config']);
  const viewer = values.view ? await startViewerFeed(values.port, values.expert ? 'expert' : (values.model ?? 'model')) : undefined;
  const liveView = await startLiveViewOption(values.foxglove, out);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const progress = out.quiet ? undefined : new DriveProgress({ label: values.track });
  let live: DriveLiveStatus | undefined;
  try {
    return await runDriveSession(driveWithLiveView({
      track: values.track,
      laps: values.laps,
      driver,
      sim,
      seed: values.seed,
      randomize: values.randomize,
      mode: values.realtime ? 'realtime' : 'lockstep',
      transport: values.transport,
      ...(values['max-time'] !== undefined ? { maxSimTimeS: values['max-time'] } : {}),
      onWorld: (t, look) => viewer?.world(t, look),
      onStep: (sample, metrics) => {
        live = metrics;
        progress?.update(metrics);
        viewer?.feed.step(sample, metrics);
      },
      onFrame: (rgb, w, h) => viewer?.feed.frame(rgb, w, h),
      signal: controller.signal,
      ...(values.record ? { record: { dir: values.record, compression: values.compression } } : {}),
      log: out.log,
    }, liveView));
  } finally {
    process.off('SIGINT', onSignal);
    if (live) progress?.finish(live);
    await viewer?.close();
    await closeLiveViewOption(liveView, out);
  }
}

/** Reports and the summary: the summary on stdout, or on stderr when the JSON goes to stdout. */
function finish(values: DriveValues, result: DriveResult, out: Output): number {
  const thresholds: DriveThresholds = {
    ...defaultThresholds(result),
    maxMeanCrossTrackM: values['max-mean-cte'],
    ...(values['max-interventions'] !== undefined ? { maxInterventions: values['max-interventions'] } : {}),
  };
  const evaluation = evaluateDrive(result, thresholds);
  const stem = `runs/drive-${safeName(values.track)}`;
  const jsonPath = values.json ?? claimReportPath(stem);
  const htmlPath = values.html ?? (jsonPath === '-' ? claimReportPath(stem, '.html') : jsonPath.replace(/\.json$/, '') + '.html');
  writeReport(jsonPath, serializeDriveResult(result) + '\n');
  if (htmlPath !== '-') writeReport(htmlPath, renderHtmlReport(result, { thresholds }));
  const toStdout = jsonPath === '-';
  const summary = formatSummary(result, { thresholds, color: (toStdout ? process.stderr : process.stdout).isTTY === true });
  if (toStdout) out.log(summary);
  else out.result(summary);
  const written = [jsonPath, htmlPath].filter((p) => p !== '-');
  if (written.length > 0) (toStdout ? out.log : out.result)(`report: ${written.join(', ')}`);
  return evaluation.pass ? 0 : 1;
}

/** The runtime config's path, or with --allow-nonfinite the loaded config with model.allow_nonfinite set. */
function runtimeConfig(path: string, allowNonfinite: boolean): string | PilotConfig {
  if (!allowNonfinite) return path;
  const config = loadConfig(path);
  return { ...config, model: { ...config.model, allow_nonfinite: true } };
}
