/** `pilot bag import donkey <tub> -o <bag>` and `pilot bag import udacity <driving_log.csv> -o <bag>`. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize, formatTime } from '../data/bags/format.js';
import { createBagWriter } from '../data/bags/node-io.js';
import { loadVehicleCalibration } from '../core/calibration/vehicle.js';
import { CliError, parse, positiveNumber } from './args.js';
import { packageRoot } from '../core/util/package-root.js';
import { importDrivingLog, type ImportOptions, type ImportStats } from '../data/import/bag-import.js';
import { readDonkeyTub } from '../data/import/donkey.js';
import type { RecordResult } from '../data/import/driving-log.js';
import { importSummary, summaryLines } from '../data/import/import-summary.js';
import { readUdacityLog, UDACITY_MAX_STEERING_RAD } from '../data/import/udacity.js';

export const IMPORT_USAGE = `pilot bag import donkey <tub dir> -o <bag> [--image-key K] [--angle-key K] [--throttle-key K] [--rate 20]
  pilot bag import udacity <driving_log.csv> -o <bag> [--rate 15 | --time-from-names] [--camera center|left|right]
              both: [--max-steering-rad R] [--max-speed M] [--vehicle calibration/vehicle.yaml] [--raw]
              [--strict] [--invert-throttle] [--json] [--steering-positive right|left] [--camera-topic T]
              [--command-topic T] [--start-time <unix s>] [--compression none|lz4|zstd]
              (bad records and images are skipped and counted; --strict stops at the first)`;

const FLAGS = {
  output: { type: 'string', short: 'o' },
  'max-steering-rad': { type: 'string' },
  'max-speed': { type: 'string' },
  vehicle: { type: 'string' },
  raw: { type: 'boolean' },
  'steering-positive': { type: 'string' },
  'camera-topic': { type: 'string' },
  'command-topic': { type: 'string' },
  'start-time': { type: 'string' },
  compression: { type: 'string' },
  'skip-bad': { type: 'boolean' },
  strict: { type: 'boolean' },
  'invert-throttle': { type: 'boolean' },
  json: { type: 'boolean' },
  rate: { type: 'string' },
  'image-key': { type: 'string' },
  'angle-key': { type: 'string' },
  'throttle-key': { type: 'string' },
  'time-from-names': { type: 'boolean' },
  camera: { type: 'string' },
} as const;

type Values = ReturnType<typeof parse<typeof FLAGS>>['values'];
type Format = 'donkey' | 'udacity';

interface ImportPlan {
  readonly format: Format;
  readonly input: string;
  readonly output: string;
  readonly values: Values;
  readonly options: ImportOptions;
}

export async function importCommand(args: readonly string[]): Promise<number> {
  const plan = importPlan(args);
  const { format, input, output, values, options } = plan;
  const records = reader(format, input, values);
  const writer = await createBagWriter(output, { compression: values.compression ?? 'none' });
  let stats: ImportStats;
  try {
    stats = await importDrivingLog(records, writer, options);
  } catch (err) {
    // No half-made bag: the folder was created (empty) for this import.
    await writer.close();
    await rm(output, { recursive: true, force: true });
    if (options.strict) console.error('pilot: --strict stops at the first bad record; without it bad records and images are skipped and counted');
    throw err;
  }
  const status = await writer.close();
  if (status.state === 'failed') throw status.error ?? new Error('writing the bag failed');
  const summary = importSummary(stats, { format, input, output, bagBytes: status.bytesWritten, throttleInverted: options.invertThrottle ?? false });
  const size = stats.imageWidth !== undefined ? `${stats.imageWidth}×${stats.imageHeight} ${stats.imageFormat}` : 'no images';
  console.error(
    `pilot: imported ${stats.written} of ${stats.records} records from ${input} into ${output} (${formatSize(status.bytesWritten)}; ${size}; ` +
      `steering ±1 → ±${options.maxSteeringRad.toFixed(4)} rad, positive source steering = ${options.positiveSteering}; ` +
      `throttle 1 → ${options.maxSpeedMps} m/s${options.invertThrottle ? ', inverted' : ''})`,
  );
  if (stats.startNs !== undefined && stats.endNs !== undefined) {
    console.error(`  ${formatTime(stats.startNs)} – ${formatTime(stats.endNs)} (${(Number(stats.endNs - stats.startNs) / 1e9).toFixed(3)} s); topics ${stats.topics.join(', ')}`);
  }
  for (const line of summaryLines(summary)) console.error(line);
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  return stats.written === 0 ? 1 : 0;
}

/** The command line → what to read and how to write it; usage errors are CliErrors. */
function importPlan(args: readonly string[]): ImportPlan {
  const [format, ...rest] = args;
  if (format !== 'donkey' && format !== 'udacity') throw new CliError(`bag import: unknown format '${format ?? ''}' (known: donkey, udacity)`);
  const { values, positionals } = parse(rest, FLAGS, true);
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new CliError(`bag import ${format} needs one ${format === 'donkey' ? 'tub folder' : 'driving_log.csv'}`);
  if (!values.output) throw new CliError(`bag import ${format} needs -o <bag dir>`);
  const donkeyOnly = (['image-key', 'angle-key', 'throttle-key'] as const).filter((k) => values[k] !== undefined);
  const udacityOnly = (['time-from-names', 'camera'] as const).filter((k) => values[k] !== undefined);
  if (format === 'udacity' && donkeyOnly.length) throw new CliError(`--${donkeyOnly[0]} applies to DonkeyCar tubs`);
  if (format === 'donkey' && udacityOnly.length) throw new CliError(`--${udacityOnly[0]} applies to Udacity logs`);
  if (values['time-from-names'] && values.rate) throw new CliError('--rate and --time-from-names exclude each other');
  if (values.strict && values['skip-bad']) throw new CliError('--strict and --skip-bad exclude each other (skipping bad records is the default)');
  const positive = values['steering-positive'] ?? 'right';
  if (positive !== 'right' && positive !== 'left') throw new CliError(`--steering-positive must be right or left, got '${positive}'`);
  const camera = values.camera ?? 'center';
  if (camera !== 'center' && camera !== 'left' && camera !== 'right') throw new CliError(`--camera must be center, left or right, got '${camera}'`);
  const { maxSteeringRad, maxSpeedMps } = scales(format, values);
  const options: ImportOptions = {
    maxSteeringRad,
    maxSpeedMps,
    positiveSteering: positive,
    invertThrottle: values['invert-throttle'] ?? false,
    image: values.raw ? 'raw' : 'compressed',
    ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
    ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
    strict: values.strict ?? false,
  };
  return { format, input, output: values.output, values, options };
}

/** Steering and speed scales: the flags, else the vehicle calibration (Udacity's steering is ±25° whatever the car). */
function scales(format: Format, values: Values): { maxSteeringRad: number; maxSpeedMps: number } {
  const vehiclePath = values.vehicle ?? (existsSync('calibration/vehicle.yaml') ? 'calibration/vehicle.yaml' : join(packageRoot(), 'calibration/vehicle.yaml'));
  const needVehicle = values['max-speed'] === undefined || (format === 'donkey' && values['max-steering-rad'] === undefined);
  const vehicle = needVehicle ? loadVehicleCalibration(vehiclePath) : undefined;
  const maxSteeringRad =
    values['max-steering-rad'] !== undefined
      ? positiveNumber(values['max-steering-rad'], '--max-steering-rad', 0)
      : format === 'udacity'
        ? UDACITY_MAX_STEERING_RAD
        : vehicle!.max_steering_angle_rad;
  const maxSpeedMps = values['max-speed'] !== undefined ? positiveNumber(values['max-speed'], '--max-speed', 0) : vehicle!.max_speed_mps;
  return { maxSteeringRad, maxSpeedMps };
}

function reader(format: Format, input: string, values: Values): AsyncIterable<RecordResult> {
  const startTimeNs = values['start-time'] === undefined ? undefined : BigInt(Math.round(nonNegative(values['start-time'], '--start-time') * 1e9));
  const rateHz = values.rate === undefined ? undefined : positiveNumber(values.rate, '--rate', 15);
  const timing = { ...(rateHz !== undefined ? { rateHz } : {}), ...(startTimeNs !== undefined ? { startTimeNs } : {}) };
  if (format === 'donkey') {
    return readDonkeyTub(input, {
      ...(values['image-key'] ? { imageKey: values['image-key'] } : {}),
      ...(values['angle-key'] ? { angleKey: values['angle-key'] } : {}),
      ...(values['throttle-key'] ? { throttleKey: values['throttle-key'] } : {}),
      ...timing,
    });
  }
  const camera = (values.camera ?? 'center') as 'center' | 'left' | 'right';
  return readUdacityLog(input, { ...timing, timeFromNames: values['time-from-names'] ?? false, camera });
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}
