/** `pilot bag import donkey <tub> -o <bag>` and `pilot bag import udacity <driving_log.csv> -o <bag>`. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize, formatTime } from '../bags/format.js';
import { createBagWriter } from '../bags/node-io.js';
import { loadVehicleCalibration } from '../calibration/vehicle.js';
import { CliError, parse, positiveNumber } from '../cli/args.js';
import { packageRoot } from '../util/package-root.js';
import { importDrivingLog, type ImportOptions } from './bag-import.js';
import { readDonkeyTub } from './donkey.js';
import type { RecordResult } from './driving-log.js';
import { readUdacityLog, UDACITY_MAX_STEERING_RAD } from './udacity.js';

export const IMPORT_USAGE = `pilot bag import donkey <tub dir> -o <bag> [--image-key K] [--angle-key K] [--throttle-key K] [--rate 20]
  pilot bag import udacity <driving_log.csv> -o <bag> [--rate 15 | --time-from-names] [--camera center|left|right]
              both: [--max-steering-rad R] [--max-speed M] [--vehicle calibration/vehicle.yaml] [--raw] [--skip-bad]
              [--steering-positive right|left] [--camera-topic T] [--command-topic T] [--start-time <unix s>] [--compression none|lz4|zstd]`;

export async function importCommand(args: readonly string[]): Promise<number> {
  const [format, ...rest] = args;
  if (format !== 'donkey' && format !== 'udacity') throw new CliError(`bag import: unknown format '${format ?? ''}' (known: donkey, udacity)`);
  const { values, positionals } = parse(
    rest,
    {
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
      rate: { type: 'string' },
      'image-key': { type: 'string' },
      'angle-key': { type: 'string' },
      'throttle-key': { type: 'string' },
      'time-from-names': { type: 'boolean' },
      camera: { type: 'string' },
    },
    true,
  );
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new CliError(`bag import ${format} needs one ${format === 'donkey' ? 'tub folder' : 'driving_log.csv'}`);
  if (!values.output) throw new CliError(`bag import ${format} needs -o <bag dir>`);
  const donkeyOnly = (['image-key', 'angle-key', 'throttle-key'] as const).filter((k) => values[k] !== undefined);
  const udacityOnly = (['time-from-names', 'camera'] as const).filter((k) => values[k] !== undefined);
  if (format === 'udacity' && donkeyOnly.length) throw new CliError(`--${donkeyOnly[0]} applies to DonkeyCar tubs`);
  if (format === 'donkey' && udacityOnly.length) throw new CliError(`--${udacityOnly[0]} applies to Udacity logs`);
  if (values['time-from-names'] && values.rate) throw new CliError('--rate and --time-from-names exclude each other');
  const positive = values['steering-positive'] ?? 'right';
  if (positive !== 'right' && positive !== 'left') throw new CliError(`--steering-positive must be right or left, got '${positive}'`);
  const camera = values.camera ?? 'center';
  if (camera !== 'center' && camera !== 'left' && camera !== 'right') throw new CliError(`--camera must be center, left or right, got '${camera}'`);
  const startTimeNs = values['start-time'] === undefined ? undefined : BigInt(Math.round(nonNegative(values['start-time'], '--start-time') * 1e9));
  const rateHz = values.rate === undefined ? undefined : positiveNumber(values.rate, '--rate', 15);

  // Defaults from the vehicle calibration (Udacity's steering is ±25° whatever the car).
  const vehiclePath = values.vehicle ?? (existsSync('calibration/vehicle.yaml') ? 'calibration/vehicle.yaml' : join(packageRoot(), 'calibration/vehicle.yaml'));
  const needVehicle = values['max-speed'] === undefined || (format === 'donkey' && values['max-steering-rad'] === undefined);
  const vehicle = needVehicle ? loadVehicleCalibration(vehiclePath) : undefined;
  const maxSteeringRad = values['max-steering-rad'] !== undefined
    ? positiveNumber(values['max-steering-rad'], '--max-steering-rad', 0)
    : format === 'udacity' ? UDACITY_MAX_STEERING_RAD : vehicle!.max_steering_angle_rad;
  const maxSpeedMps = values['max-speed'] !== undefined ? positiveNumber(values['max-speed'], '--max-speed', 0) : vehicle!.max_speed_mps;

  const records: AsyncIterable<RecordResult> =
    format === 'donkey'
      ? readDonkeyTub(input, {
          ...(values['image-key'] ? { imageKey: values['image-key'] } : {}),
          ...(values['angle-key'] ? { angleKey: values['angle-key'] } : {}),
          ...(values['throttle-key'] ? { throttleKey: values['throttle-key'] } : {}),
          ...(rateHz !== undefined ? { rateHz } : {}),
          ...(startTimeNs !== undefined ? { startTimeNs } : {}),
        })
      : readUdacityLog(input, {
          ...(rateHz !== undefined ? { rateHz } : {}),
          timeFromNames: values['time-from-names'] ?? false,
          camera,
          ...(startTimeNs !== undefined ? { startTimeNs } : {}),
        });
  const options: ImportOptions = {
    maxSteeringRad,
    maxSpeedMps,
    positiveSteering: positive,
    image: values.raw ? 'raw' : 'compressed',
    ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
    ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
    skipBad: values['skip-bad'] ?? false,
  };
  const writer = await createBagWriter(values.output, { compression: values.compression ?? 'none' });
  let stats;
  try {
    stats = await importDrivingLog(records, writer, options);
  } catch (err) {
    // No half-made bag: the folder was created (empty) for this import.
    await writer.close();
    await rm(values.output, { recursive: true, force: true });
    if (!values['skip-bad']) console.error('pilot: --skip-bad skips bad records and missing images (and counts them) instead of stopping');
    throw err;
  }
  const status = await writer.close();
  if (status.state === 'failed') throw status.error ?? new Error('writing the bag failed');
  const size = stats.imageWidth !== undefined ? `${stats.imageWidth}×${stats.imageHeight} ${stats.imageFormat}` : 'no images';
  console.error(
    `pilot: imported ${stats.written} of ${stats.records} records from ${input} into ${values.output} (${formatSize(status.bytesWritten)}; ${size}; ` +
      `steering ±1 → ±${maxSteeringRad.toFixed(4)} rad, positive source steering = ${positive}; throttle 1 → ${maxSpeedMps} m/s)`,
  );
  if (stats.startNs !== undefined && stats.endNs !== undefined) {
    console.error(`  ${formatTime(stats.startNs)} – ${formatTime(stats.endNs)} (${(Number(stats.endNs - stats.startNs) / 1e9).toFixed(3)} s); topics ${stats.topics.join(', ')}`);
  }
  if (stats.skipped > 0) {
    console.error(`  skipped ${stats.skipped} record(s):`);
    for (const i of stats.issues) console.error(`    ${i}`);
    if (stats.skipped > stats.issues.length) console.error(`    … and ${stats.skipped - stats.issues.length} more`);
  }
  if (stats.outOfRange > 0) console.error(`  warning: ${stats.outOfRange} record(s) had steering or throttle outside [-1, 1] (mapped as they are)`);
  if (stats.timeReversals > 0) console.error(`  warning: ${stats.timeReversals} record(s) are earlier than the record before them`);
  return stats.written === 0 ? 1 : 0;
}

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}
