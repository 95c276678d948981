/**
 * Driving-log records → a rosbag2 bag: the camera image as sensor_msgs/CompressedImage (the JPEG or
 * PNG bytes as they are) or sensor_msgs/Image (decoded to rgb8), the driver's controls as
 * ackermann_msgs/AckermannDriveStamped (steering in radians with ROS's sign, throttle → speed), and
 * a measured speed as nav_msgs/Odometry where the log has one. Every image is decoded once to check
 * it: a record whose image is missing, empty, not JPEG/PNG or does not decode is skipped and counted
 * by reason, like a record that does not parse (`strict` stops at the first instead). The stats say
 * what was imported and skipped, the controls' range and mean, and what the reader found about the
 * log as a whole (deleted and missing indexes, gaps in its clock).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { BagWriter } from '../bags/bag-writer.js';
import { timeFromNs } from '../../core/messages/time.js';
import type { AckermannDriveStamped, CompressedImage, Image, Odometry } from '../../core/messages/types.js';
import { makeOdometry } from '../../core/messages/factories.js';
import type { RawFrame } from '../../runtime/preprocess/camera-preprocessor.js';
import { decodeCompressed } from '../../runtime/preprocess/decode-compressed.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../../transport/transport.js';
import { ImportError, recordProblem, type DrivingRecord, type LogFacts, type RecordPlace, type RecordResult, type SkipReason } from './driving-log.js';

export interface ImportOptions {
  /** Steering angle at a source steering of ±1, rad. */
  readonly maxSteeringRad: number;
  /** Speed at a throttle of 1, m/s. */
  readonly maxSpeedMps: number;
  /** Which way a positive source steering value turns (DonkeyCar, Udacity: right). ROS (REP 103) steers left for positive angles. */
  readonly positiveSteering?: 'right' | 'left';
  /** Multiply the source throttle by −1 first (cars whose throttle axis is inverted). */
  readonly invertThrottle?: boolean;
  /** `compressed` (default): the image file as is; `raw`: decoded to rgb8 sensor_msgs/Image. */
  readonly image?: 'compressed' | 'raw';
  /** Default `/camera/image_raw/compressed` (compressed) or `/camera/image_raw` (raw). */
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  /** Measured speed as Odometry (default `/odom`; null to leave it out). Only for logs that have a speed. */
  readonly odomTopic?: string | null;
  readonly cameraFrameId?: string;
  /** Stop at the first bad record or image (throwing its error) instead of skipping and counting it. */
  readonly strict?: boolean;
  readonly onProgress?: (written: number) => void;
}

/** Range and mean of the imported values, in source units. */
export interface ValueStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export interface ImportStats {
  /** Records the reader gave (records the log marks deleted are not among them: see `log`). */
  readonly records: number;
  readonly written: number;
  readonly skipped: number;
  readonly skippedByReason: Readonly<Partial<Record<SkipReason, number>>>;
  /** The first problems (file:line (index): what), at most 20. */
  readonly issues: readonly string[];
  readonly startNs: bigint | undefined;
  readonly endNs: bigint | undefined;
  /** Size of the first image; `otherImageSizes` counts imported images of another size. */
  readonly imageWidth: number | undefined;
  readonly imageHeight: number | undefined;
  readonly imageFormat: string | undefined;
  readonly otherImageSizes: number;
  /** Source steering and throttle of the imported records (throttle after `invertThrottle`). */
  readonly steering: ValueStats | undefined;
  readonly throttle: ValueStats | undefined;
  /** Records whose steering or throttle lay outside [-1, 1] (written as mapped). */
  readonly outOfRange: number;
  /** Records whose time was before the previous record's. */
  readonly timeReversals: number;
  readonly topics: readonly string[];
  /** What the reader found about the whole log, where it tells (readers of this folder do). */
  readonly log: LogFacts | undefined;
}

const MAX_ISSUES = 20;

function sniff(data: Uint8Array): 'jpeg' | 'png' | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  return undefined;
}

/** RGBA (as the decoders give it) → rgb8 Image. */
function rgbImage(width: number, height: number, rgba: Uint8Array): Omit<Image, 'header'> {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < width * height; p++, q += 4) {
    data[p * 3] = rgba[q]!;
    data[p * 3 + 1] = rgba[q + 1]!;
    data[p * 3 + 2] = rgba[q + 2]!;
  }
  return { height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data };
}

type CheckedImage = { readonly ok: true; readonly bytes: Uint8Array; readonly format: 'jpeg' | 'png'; readonly frame: RawFrame } | { readonly ok: false; readonly error: ImportError };

/** Reads and decodes a record's image; a problem names the image and why (the skip reason). */
export async function checkImage(r: DrivingRecord): Promise<CheckedImage> {
  const place: RecordPlace = r.place ?? { where: r.source, short: r.source, label: '' };
  const path = r.imagePath;
  const name = basename(path);
  let bytes: Uint8Array;
  try {
    const b = await readFile(path);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return recordProblem('missing file', place, `image ${path} not found`, `image ${name} not found`);
    const why = `unreadable (${code ?? (err as Error).message})`;
    return recordProblem('unreadable file', place, `image ${path} ${why}`, `image ${name} ${why}`);
  }
  if (bytes.length === 0) return recordProblem('empty image file', place, `image ${path} is an empty file (0 bytes)`, `image ${name} is empty (0 bytes)`);
  const format = sniff(bytes);
  if (!format) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const why = `is neither JPEG nor PNG (${bytes.length} bytes, starting ${head})`;
    return recordProblem('not JPEG/PNG', place, `image ${path} ${why}`, `image ${name} ${why}`);
  }
  const decoded = decodeCompressed(format, bytes);
  if (!decoded.ok) return recordProblem('decode failed', place, `image ${path}: ${decoded.reason}`, `image ${name}: ${decoded.reason}`);
  return { ok: true, bytes, format, frame: decoded.frame };
}

/** Running min, max and mean. */
class Spread {
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;
  private n = 0;

  add(v: number): void {
    this.min = Math.min(this.min, v);
    this.max = Math.max(this.max, v);
    this.sum += v;
    this.n++;
  }

  get value(): ValueStats | undefined {
    return this.n === 0 ? undefined : { min: this.min, max: this.max, mean: this.sum / this.n };
  }
}

function isLogFacts(value: unknown): value is LogFacts {
  return typeof value === 'object' && value !== null && typeof (value as LogFacts).description === 'string' && Array.isArray((value as LogFacts).missingRanges);
}

export async function importDrivingLog(records: AsyncIterable<RecordResult>, writer: BagWriter, options: ImportOptions): Promise<ImportStats> {
  const { maxSteeringRad, maxSpeedMps } = options;
  if (!(maxSteeringRad > 0 && Number.isFinite(maxSteeringRad))) throw new ImportError('E_IMPORT_OPTIONS', `--max-steering-rad must be a positive number, got ${maxSteeringRad}`);
  if (!(maxSpeedMps > 0 && Number.isFinite(maxSpeedMps))) throw new ImportError('E_IMPORT_OPTIONS', `--max-speed must be a positive number, got ${maxSpeedMps}`);
  const importer = new LogImporter(writer, options);
  // Iterated by hand: the readers of this folder return their LogFacts when done.
  const it = records[Symbol.asyncIterator]();
  let log: LogFacts | undefined;
  try {
    for (;;) {
      const next = await it.next();
      if (next.done) {
        log = isLogFacts(next.value) ? next.value : undefined;
        break;
      }
      await importer.take(next.value);
    }
  } catch (err) {
    await it.return?.(undefined);
    throw err;
  }
  return importer.stats(log);
}

/** Writes records one at a time and keeps the counts. */
class LogImporter {
  private readonly raw: boolean;
  private readonly sign: number;
  private readonly cameraTopic: string;
  private readonly commandTopic: string;
  private readonly odomTopic: string | null;
  private readonly topics: string[];
  private odomAdded = false;
  private seen = 0;
  private written = 0;
  private skipped = 0;
  private readonly byReason: Partial<Record<SkipReason, number>> = {};
  private readonly issues: string[] = [];
  private outOfRange = 0;
  private timeReversals = 0;
  private otherSizes = 0;
  private startNs: bigint | undefined;
  private endNs: bigint | undefined;
  private lastNs: bigint | undefined;
  private size: { width: number; height: number; format: string } | undefined;
  private readonly steering = new Spread();
  private readonly throttle = new Spread();
  private readonly command: AckermannDriveStamped = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
    drive: { steering_angle: 0, steering_angle_velocity: 0, speed: 0, acceleration: 0, jerk: 0 },
  };
  private readonly odom: Odometry = makeOdometry({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' }, child_frame_id: 'base_link' });

  constructor(private readonly writer: BagWriter, private readonly options: ImportOptions) {
    this.raw = options.image === 'raw';
    this.sign = (options.positiveSteering ?? 'right') === 'right' ? -1 : 1;
    this.cameraTopic = options.cameraTopic ?? (this.raw ? '/camera/image_raw' : '/camera/image_raw/compressed');
    this.commandTopic = options.commandTopic ?? '/cmd/ackermann';
    this.odomTopic = options.odomTopic === undefined ? '/odom' : options.odomTopic;
    writer.addTopic(this.cameraTopic, this.raw ? 'sensor_msgs/msg/Image' : 'sensor_msgs/msg/CompressedImage', { qos: SENSOR_QOS });
    writer.addTopic(this.commandTopic, 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
    this.topics = [this.cameraTopic, this.commandTopic];
  }

  async take(result: RecordResult): Promise<void> {
    this.seen++;
    if (!result.ok) return this.problem(result.error);
    const image = await checkImage(result.record);
    if (!image.ok) return this.problem(image.error);
    await this.write(result.record, image);
  }

  private problem(error: ImportError): void {
    if (this.options.strict) throw error;
    const reason = error.reason ?? 'bad value';
    this.skipped++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (this.issues.length < MAX_ISSUES) this.issues.push(error.brief.replace(/^E_IMPORT_\w+: /, ''));
  }

  private async write(r: DrivingRecord, image: CheckedImage & { ok: true }): Promise<void> {
    const { frame } = image;
    if (!this.size) this.size = { width: frame.width, height: frame.height, format: image.format };
    else if (frame.width !== this.size.width || frame.height !== this.size.height) this.otherSizes++;
    const stamp = timeFromNs(r.timeNs);
    const header = { stamp, frame_id: this.options.cameraFrameId ?? 'camera' };
    const message: Image | CompressedImage = this.raw ? { header, ...rgbImage(frame.width, frame.height, frame.data) } : { header, format: image.format, data: image.bytes };
    const throttle = this.options.invertThrottle ? -r.throttle || 0 : r.throttle;
    if (Math.abs(r.steering) > 1 || Math.abs(throttle) > 1) this.outOfRange++;
    if (this.lastNs !== undefined && r.timeNs < this.lastNs) this.timeReversals++;
    this.lastNs = r.timeNs;
    this.command.header.stamp = stamp;
    this.command.drive.steering_angle = this.sign * r.steering * this.options.maxSteeringRad;
    this.command.drive.speed = throttle * this.options.maxSpeedMps;
    const ok = [await this.writer.writeMessage(this.cameraTopic, message, r.timeNs), await this.writer.writeMessage(this.commandTopic, this.command, r.timeNs)];
    if (r.speedMps !== undefined && this.odomTopic !== null) ok.push(await this.writeOdom(r, stamp));
    if (ok.includes(false)) {
      throw this.writer.status().error ?? new ImportError('E_IMPORT_FORMAT', 'the output bag stopped accepting messages');
    }
    this.written++;
    this.steering.add(r.steering);
    this.throttle.add(throttle);
    if (this.startNs === undefined || r.timeNs < this.startNs) this.startNs = r.timeNs;
    if (this.endNs === undefined || r.timeNs > this.endNs) this.endNs = r.timeNs;
    this.options.onProgress?.(this.written);
  }

  private async writeOdom(r: DrivingRecord, stamp: Odometry['header']['stamp']): Promise<boolean> {
    const topic = this.odomTopic!;
    if (!this.odomAdded) {
      this.writer.addTopic(topic, 'nav_msgs/msg/Odometry', { qos: SENSOR_QOS });
      this.topics.push(topic);
      this.odomAdded = true;
    }
    this.odom.header.stamp = stamp;
    this.odom.twist.twist.linear.x = r.speedMps!;
    return this.writer.writeMessage(topic, this.odom, r.timeNs);
  }

  stats(log: LogFacts | undefined): ImportStats {
    return {
      records: this.seen,
      written: this.written,
      skipped: this.skipped,
      skippedByReason: { ...this.byReason },
      issues: [...this.issues],
      startNs: this.startNs,
      endNs: this.endNs,
      imageWidth: this.size?.width,
      imageHeight: this.size?.height,
      imageFormat: this.size?.format,
      otherImageSizes: this.otherSizes,
      steering: this.steering.value,
      throttle: this.throttle.value,
      outOfRange: this.outOfRange,
      timeReversals: this.timeReversals,
      topics: [...this.topics],
      log,
    };
  }
}
