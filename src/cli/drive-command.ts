/**
 * `pilot drive`: a closed-loop test drive in the simulator with a model (through the real runtime)
 * or the expert. Prints a progress bar and a summary, writes JSON and HTML reports, exits 1 when the
 * drive misses its bars (so CI can gate a deploy on it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadSimConfig } from '../../sim/index.js';
import { runDriveSession, type DriveSessionOptions } from '../../sim/index.js';
import { evaluateDrive, defaultThresholds, type DriveThresholds } from '../../sim/index.js';
import { renderHtmlReport } from '../../sim/index.js';
import { serializeDriveResult } from '../../sim/index.js';
import { DriveProgress, formatSummary } from '../../sim/index.js';
import type { DriveLiveStatus } from '../../sim/index.js';
import { listTracks } from '../../sim/index.js';
import { loadConfig } from '../core/config/load.js';
import type { PilotConfig } from '../core/config/schema.js';
import { CliError, parse, positiveNumber, transportKind } from './args.js';
import { startViewerFeed } from './viewer-option.js';
import { applyDriveChunking, DRIVE_CHUNK_FLAGS, wantsChunking } from './drive-chunking.js';

export const DRIVE_USAGE = `pilot drive [--track oval] [--laps 3] [--model <onnx> | --expert] [--config launch/drive.yaml]
              [--sim-config <yaml>] [--seed 1] [--randomize <0..1>] [--realtime] [--transport zeromq|inprocess]
              [--json <file>|-] [--html <file>] [--max-mean-cte 0.25] [--max-interventions 0] [--max-time <s>]
              [--noise <rad>] [--recovery] [--headless] [--view [--port 8080]] [--record <bag dir> [--compression none|lz4|zstd]]
              [--allow-nonfinite] [--chunked [--chunk-steps 10] [--chunk-step-ms <period>]] [--inference-delay-ms <ms>]
              [--blend ensemble|latest|average] [--policy-server <endpoint>]
  pilot drive --list-tracks`;

export async function driveCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    track: { type: 'string', short: 't' },
    laps: { type: 'string', short: 'n' },
    model: { type: 'string', short: 'm' },
    expert: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    'sim-config': { type: 'string' },
    seed: { type: 'string' },
    randomize: { type: 'string' },
    realtime: { type: 'boolean' },
    transport: { type: 'string' },
    json: { type: 'string' },
    html: { type: 'string' },
    'max-mean-cte': { type: 'string' },
    'max-interventions': { type: 'string' },
    'max-time': { type: 'string' },
    noise: { type: 'string' },
    recovery: { type: 'boolean' },
    headless: { type: 'boolean' },
    view: { type: 'boolean' },
    port: { type: 'string' },
    record: { type: 'string' },
    compression: { type: 'string' },
    'list-tracks': { type: 'boolean' },
    'allow-nonfinite': { type: 'boolean' },
    ...DRIVE_CHUNK_FLAGS,
  });
  if (values['list-tracks']) {
    for (const t of listTracks()) console.log(`${t.name.padEnd(12)} ${t.split.padEnd(8)} ${t.lengthM.toFixed(1).padStart(6)} m  ${t.description}`);
    return 0;
  }
  if (values.model && values.expert) throw new CliError('drive takes --model <onnx> or --expert, not both');
  if (values['allow-nonfinite'] && values.expert) throw new CliError('--allow-nonfinite applies to a model (--model or --config); the expert has none');
  const track = values.track ?? 'oval';
  const laps = Math.round(positiveNumber(values.laps, '--laps', 3));
  const seed = values.seed === undefined ? 1 : integer(values.seed, '--seed');
  const randomize = values.randomize === undefined ? 0 : strength(values.randomize);
  const sim = loadSimConfig(values['sim-config']);
  const driver: DriveSessionOptions['driver'] = values.expert
    ? {
        kind: 'expert',
        recovery: values.recovery === true,
        ...(values.noise ? { noiseRad: positiveNumber(values.noise, '--noise', 0) } : {}),
      }
    : { kind: 'model', config: runtimeConfig(values.config ?? 'launch/drive.yaml', values['allow-nonfinite'] === true), ...(values.model ? { modelPath: values.model } : {}) };
  if (wantsChunking(values)) {
    // Chunked and/or remote policy: the runtime config gets chunking / policy_server (drive-chunking.ts).
    if (driver.kind !== 'model') throw new CliError('--chunked, --inference-delay-ms, --blend and --policy-server apply to a model, not the expert');
    const applied = applyDriveChunking(driver.config, driver.modelPath, values, values.realtime !== true);
    if (applied.note) console.error(applied.note);
    Object.assign(driver, { config: applied.config, ...(applied.modelPath ? { modelPath: applied.modelPath } : {}) });
  }

  const viewer = values.view ? await startViewerFeed(values.port, values.expert ? 'expert' : (values.model ?? 'model')) : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const progress = new DriveProgress({ label: track });
  let live: DriveLiveStatus | undefined;
  let result;
  try {
    result = await runDriveSession({
      track,
      laps,
      driver,
      sim,
      seed,
      randomize,
      mode: values.realtime ? 'realtime' : 'lockstep',
      transport: transportKind(values.transport ?? 'zeromq'),
      ...(values['max-time'] ? { maxSimTimeS: positiveNumber(values['max-time'], '--max-time', 0) } : {}),
      onWorld: (t, look) => viewer?.world(t, look),
      onStep: (sample, metrics) => {
        live = metrics;
        progress.update(metrics);
        viewer?.feed.step(sample, metrics);
      },
      onFrame: (rgb, w, h) => viewer?.feed.frame(rgb, w, h),
      signal: controller.signal,
      ...(values.record ? { record: { dir: values.record, compression: compression(values.compression) } } : {}),
      log: (line) => console.error(line),
    });
  } finally {
    process.off('SIGINT', onSignal);
    if (live) progress.finish(live);
    await viewer?.close();
  }

  const thresholds: DriveThresholds = {
    ...defaultThresholds(result),
    maxMeanCrossTrackM: values['max-mean-cte'] ? positiveNumber(values['max-mean-cte'], '--max-mean-cte', 0) : 0.25,
    ...(values['max-interventions'] ? { maxInterventions: integer(values['max-interventions'], '--max-interventions') } : {}),
  };
  const evaluation = evaluateDrive(result, thresholds);
  const json = serializeDriveResult(result);
  const jsonPath = values.json ?? `runs/drive-${safeName(track)}-${seed}.json`;
  const htmlPath = values.html ?? jsonPath.replace(/\.json$/, '') + '.html';
  if (jsonPath === '-') process.stdout.write(json + '\n');
  else writeFile(jsonPath, json + '\n');
  if (htmlPath !== '-') writeFile(htmlPath, renderHtmlReport(result, { thresholds }));
  console.error(formatSummary(result, { thresholds, color: process.stderr.isTTY === true }));
  if (jsonPath !== '-') console.error(`report: ${jsonPath}${htmlPath !== '-' ? `, ${htmlPath}` : ''}`);
  return evaluation.pass ? 0 : 1;
}

/** The runtime config's path, or with --allow-nonfinite the loaded config with model.allow_nonfinite set. */
function runtimeConfig(path: string, allowNonfinite: boolean): string | PilotConfig {
  if (!allowNonfinite) return path;
  const config = loadConfig(path);
  return { ...config, model: { ...config.model, allow_nonfinite: true } };
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function integer(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a whole number ≥ 0 (got '${value}')`);
  return n;
}

function strength(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new CliError(`--randomize strength must be in [0, 1] (got '${value}')`);
  return n;
}

function compression(value: string | undefined): 'none' | 'lz4' | 'zstd' {
  if (value === undefined || value === 'none' || value === 'lz4' || value === 'zstd') return value ?? 'none';
  throw new CliError(`--compression must be none, lz4 or zstd (got '${value}')`);
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}
