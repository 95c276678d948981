/** `pilot bag import donkey <tub> -o <bag>` and `pilot bag import udacity <driving_log.csv> -o <bag>`. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSize, formatTime } from '../data/bags/format.js';
import { createBagWriter } from '../data/bags/node-io.js';
import { loadVehicleCalibration } from '../core/calibration/vehicle.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { choice, flag, number, text } from './options.js';
import { compressionOption } from './shared-options.js';
import { packageRoot } from '../core/util/package-root.js';
import { importDrivingLog, type ImportOptions, type ImportStats } from '../data/import/bag-import.js';
import { readDonkeyTub } from '../data/import/donkey.js';
import type { RecordResult } from '../data/import/driving-log.js';
import { importSummary, summaryLines } from '../data/import/import-summary.js';
import { readUdacityLog, UDACITY_MAX_STEERING_RAD } from '../data/import/udacity.js';

const OPTIONS = {
  output: text('-o, --output <bag dir>', 'the bag to write (required)'),
  'max-steering-rad': number('--max-steering-rad <rad>', 'the steering angle of a ±1 source value', { positive: true, defaultLabel: 'udacity: 25°; donkey: the vehicle calibration' }),
  'max-speed': number('--max-speed <m/s>', 'the speed of throttle 1', { positive: true, defaultLabel: 'the vehicle calibration' }),
  vehicle: text('--vehicle <yaml>', 'the vehicle calibration', { defaultLabel: 'calibration/vehicle.yaml' }),
  raw: flag('--raw', 'store images as raw sensor_msgs/Image (default: compressed as in the source)'),
  'steering-positive': choice('--steering-positive <side>', 'which way positive source steering turns', ['right', 'left'], { default: 'right' }),
  'camera-topic': text('--camera-topic <topic>', 'the camera topic in the bag'),
  'command-topic': text('--command-topic <topic>', 'the command topic in the bag'),
  'start-time': number('--start-time <unix s>', 'the time of the first record', { min: 0 }),
  compression: compressionOption('the bag'),
  'skip-bad': flag('--skip-bad', 'skip and count bad records and images (the default)'),
  strict: flag('--strict', 'stop at the first bad record or image'),
  'invert-throttle': flag('--invert-throttle', 'negate the throttle (cars whose forward is negative)'),
  json: flag('--json', 'the import summary as JSON on stdout'),
  rate: number('--rate <hz>', 'the record rate, for timestamps', { positive: true, defaultLabel: 'donkey: 20; udacity: 15' }),
  'image-key': text('--image-key <key>', 'donkey: the record key of the image'),
  'angle-key': text('--angle-key <key>', 'donkey: the record key of the steering'),
  'throttle-key': text('--throttle-key <key>', 'donkey: the record key of the throttle'),
  'time-from-names': flag('--time-from-names', 'udacity: timestamps from the image file names'),
  camera: choice('--camera <which>', 'udacity: which camera', ['center', 'left', 'right'], { default: 'center' }),
} as const;

export const IMPORT = defineCommand({
  name: 'import',
  summary: 'a DonkeyCar tub or a Udacity driving_log.csv as a ROS 2 bag (bad records are skipped and counted; --strict stops)',
  arguments: [
    { name: '<format>', description: 'donkey or udacity' },
    { name: '<input>', description: 'the tub folder (donkey) or driving_log.csv (udacity)' },
  ],
  options: OPTIONS,
  examples: ['pilot bag import donkey data/tub_1 -o runs/tub1', 'pilot bag import udacity data/driving_log.csv -o runs/udacity --rate 15'],
  run: runImport,
});

export function importCommand(args: readonly string[]): Promise<number> {
  return invoke(IMPORT, args);
}

type Values = Parsed<typeof OPTIONS>['values'];
type Format = 'donkey' | 'udacity';

interface ImportPlan {
  readonly format: Format;
  readonly input: string;
  readonly output: string;
  readonly values: Values;
  readonly options: ImportOptions;
}

async function runImport(parsed: Parsed<typeof OPTIONS>): Promise<number> {
  const { format, input, output, values, options } = importPlan(parsed.values, parsed.positionals, parsed.given);
  const out = parsed.out;
  const records = reader(format, input, values);
  const writer = await createBagWriter(output, { compression: values.compression });
  let stats: ImportStats;
  try {
    stats = await importDrivingLog(records, writer, options);
  } catch (err) {
    // No half-made bag: the folder was created (empty) for this import.
    await writer.close();
    await rm(output, { recursive: true, force: true });
    if (options.strict) out.warn('pilot: --strict stops at the first bad record; without it bad records and images are skipped and counted');
    throw err;
  }
  const status = await writer.close();
  if (status.state === 'failed') throw status.error ?? new Error('writing the bag failed');
  const summary = importSummary(stats, { format, input, output, bagBytes: status.bytesWritten, throttleInverted: options.invertThrottle ?? false });
  const size = stats.imageWidth !== undefined ? `${stats.imageWidth}×${stats.imageHeight} ${stats.imageFormat}` : 'no images';
  out.log(
    `pilot: imported ${stats.written} of ${stats.records} records from ${input} into ${output} (${formatSize(status.bytesWritten)}; ${size}; ` +
      `steering ±1 → ±${options.maxSteeringRad.toFixed(4)} rad, positive source steering = ${options.positiveSteering}; ` +
      `throttle 1 → ${options.maxSpeedMps} m/s${options.invertThrottle ? ', inverted' : ''})`,
  );
  if (stats.startNs !== undefined && stats.endNs !== undefined) {
    out.log(`  ${formatTime(stats.startNs)} – ${formatTime(stats.endNs)} (${(Number(stats.endNs - stats.startNs) / 1e9).toFixed(3)} s); topics ${stats.topics.join(', ')}`);
  }
  // With --json the JSON is the result (stdout) and the human summary goes to stderr.
  for (const line of summaryLines(summary)) (values.json ? out.log : out.result)(line);
  if (values.json) out.result(JSON.stringify(summary, null, 2));
  return stats.written === 0 ? 1 : 0;
}

/** The command line → what to read and how to write it; usage errors are CliErrors. */
function importPlan(values: Values, positionals: readonly string[], given: ReadonlySet<string>): ImportPlan {
  const [format, input] = positionals as [string, string];
  if (format !== 'donkey' && format !== 'udacity') throw new CliError(`bag import: unknown format '${format}' (known: donkey, udacity)`);
  if (!values.output) throw new CliError(`bag import ${format} needs -o <bag dir>`);
  const donkeyOnly = (['image-key', 'angle-key', 'throttle-key'] as const).filter((k) => values[k] !== undefined);
  const udacityOnly = (['time-from-names', 'camera'] as const).filter((k) => given.has(k));
  if (format === 'udacity' && donkeyOnly.length) throw new CliError(`--${donkeyOnly[0]} applies to DonkeyCar tubs`);
  if (format === 'donkey' && udacityOnly.length) throw new CliError(`--${udacityOnly[0]} applies to Udacity logs`);
  if (values['time-from-names'] && values.rate) throw new CliError('--rate and --time-from-names exclude each other');
  if (values.strict && values['skip-bad']) throw new CliError('--strict and --skip-bad exclude each other (skipping bad records is the default)');
  const positive = values['steering-positive'];
  const { maxSteeringRad, maxSpeedMps } = scales(format, values);
  const options: ImportOptions = {
    maxSteeringRad,
    maxSpeedMps,
    positiveSteering: positive,
    invertThrottle: values['invert-throttle'],
    image: values.raw ? 'raw' : 'compressed',
    ...(values['camera-topic'] ? { cameraTopic: values['camera-topic'] } : {}),
    ...(values['command-topic'] ? { commandTopic: values['command-topic'] } : {}),
    strict: values.strict,
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
      ? values['max-steering-rad']
      : format === 'udacity'
        ? UDACITY_MAX_STEERING_RAD
        : vehicle!.max_steering_angle_rad;
  const maxSpeedMps = values['max-speed'] ?? vehicle!.max_speed_mps;
  return { maxSteeringRad, maxSpeedMps };
}

function reader(format: Format, input: string, values: Values): AsyncIterable<RecordResult> {
  const startTimeNs = values['start-time'] === undefined ? undefined : BigInt(Math.round(values['start-time'] * 1e9));
  const rateHz = values.rate;
  const timing = { ...(rateHz !== undefined ? { rateHz } : {}), ...(startTimeNs !== undefined ? { startTimeNs } : {}) };
  if (format === 'donkey') {
    return readDonkeyTub(input, {
      ...(values['image-key'] ? { imageKey: values['image-key'] } : {}),
      ...(values['angle-key'] ? { angleKey: values['angle-key'] } : {}),
      ...(values['throttle-key'] ? { throttleKey: values['throttle-key'] } : {}),
      ...timing,
    });
  }
  return readUdacityLog(input, { ...timing, timeFromNames: values['time-from-names'], camera: values.camera });
}
