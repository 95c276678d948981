/**
 * Driving-log records → a rosbag2 bag: the camera image as sensor_msgs/CompressedImage (the JPEG or
 * PNG bytes as they are) or sensor_msgs/Image (decoded to rgb8), the driver's controls as
 * ackermann_msgs/AckermannDriveStamped (steering in radians with ROS's sign, throttle → speed), and
 * a measured speed as nav_msgs/Odometry where the log has one. A bad record or missing image stops
 * the import with its file and line, or is skipped and counted (`skipBad`).
 */
import { readFile } from 'node:fs/promises';
import type { BagWriter } from '../bags/bag-writer.js';
import { timeFromNs } from '../messages/time.js';
import type { AckermannDriveStamped, CompressedImage, Image, Odometry } from '../messages/types.js';
import { makeOdometry } from '../messages/factories.js';
import { decodeCompressed } from '../preprocess/decode-compressed.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../transport/transport.js';
import { ImportError, type RecordResult } from './driving-log.js';

export interface ImportOptions {
  /** Steering angle at a source steering of ±1, rad. */
  readonly maxSteeringRad: number;
  /** Speed at a throttle of 1, m/s. */
  readonly maxSpeedMps: number;
  /** Which way a positive source steering value turns (DonkeyCar, Udacity: right). ROS (REP 103) steers left for positive angles. */
  readonly positiveSteering?: 'right' | 'left';
  /** `compressed` (default): the image file as is; `raw`: decoded to rgb8 sensor_msgs/Image. */
  readonly image?: 'compressed' | 'raw';
  /** Default `/camera/image_raw/compressed` (compressed) or `/camera/image_raw` (raw). */
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  /** Measured speed as Odometry (default `/odom`; null to leave it out). Only for logs that have a speed. */
  readonly odomTopic?: string | null;
  readonly cameraFrameId?: string;
  /** Skip bad records and missing images (counted) instead of failing on the first. */
  readonly skipBad?: boolean;
  readonly onProgress?: (written: number) => void;
}

export interface ImportStats {
  readonly records: number;
  readonly written: number;
  readonly skipped: number;
  /** The first problems (file:line: what), at most 20. */
  readonly issues: readonly string[];
  readonly startNs: bigint | undefined;
  readonly endNs: bigint | undefined;
  readonly imageWidth: number | undefined;
  readonly imageHeight: number | undefined;
  readonly imageFormat: string | undefined;
  /** Records whose steering or throttle lay outside [-1, 1] (written as mapped). */
  readonly outOfRange: number;
  /** Records whose time was before the previous record's. */
  readonly timeReversals: number;
  readonly topics: readonly string[];
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

export async function importDrivingLog(records: AsyncIterable<RecordResult>, writer: BagWriter, options: ImportOptions): Promise<ImportStats> {
  const { maxSteeringRad, maxSpeedMps } = options;
  if (!(maxSteeringRad > 0 && Number.isFinite(maxSteeringRad))) throw new ImportError('E_IMPORT_OPTIONS', `--max-steering-rad must be a positive number, got ${maxSteeringRad}`);
  if (!(maxSpeedMps > 0 && Number.isFinite(maxSpeedMps))) throw new ImportError('E_IMPORT_OPTIONS', `--max-speed must be a positive number, got ${maxSpeedMps}`);
  const raw = options.image === 'raw';
  const sign = (options.positiveSteering ?? 'right') === 'right' ? -1 : 1;
  const cameraTopic = options.cameraTopic ?? (raw ? '/camera/image_raw' : '/camera/image_raw/compressed');
  const commandTopic = options.commandTopic ?? '/cmd/ackermann';
  const odomTopic = options.odomTopic === undefined ? '/odom' : options.odomTopic;
  const frameId = options.cameraFrameId ?? 'camera';
  writer.addTopic(cameraTopic, raw ? 'sensor_msgs/msg/Image' : 'sensor_msgs/msg/CompressedImage', { qos: SENSOR_QOS });
  writer.addTopic(commandTopic, 'ackermann_msgs/msg/AckermannDriveStamped', { qos: RELIABLE_QOS });
  const topics = [cameraTopic, commandTopic];
  let odomAdded = false;

  let seen = 0;
  let written = 0;
  let skipped = 0;
  let outOfRange = 0;
  let timeReversals = 0;
  let startNs: bigint | undefined;
  let endNs: bigint | undefined;
  let lastNs: bigint | undefined;
  let width: number | undefined;
  let height: number | undefined;
  let imageFormat: string | undefined;
  const issues: string[] = [];
  const problem = (error: ImportError): void => {
    if (!options.skipBad) throw error;
    skipped++;
    if (issues.length < MAX_ISSUES) issues.push(error.message.replace(/^E_IMPORT_\w+: /, ''));
  };
  const command: AckermannDriveStamped = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'base_link' },
    drive: { steering_angle: 0, steering_angle_velocity: 0, speed: 0, acceleration: 0, jerk: 0 },
  };
  const odom: Odometry = makeOdometry({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'odom' }, child_frame_id: 'base_link' });

  for await (const result of records) {
    seen++;
    if (!result.ok) {
      problem(result.error);
      continue;
    }
    const r = result.record;
    let bytes: Uint8Array;
    try {
      const b = await readFile(r.imagePath);
      bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problem(new ImportError('E_IMPORT_IMAGE', `${r.source}: image ${r.imagePath} ${code === 'ENOENT' ? 'not found' : `unreadable (${code ?? (err as Error).message})`}`, r.source));
      continue;
    }
    const format = sniff(bytes);
    if (!format) {
      problem(new ImportError('E_IMPORT_IMAGE', `${r.source}: image ${r.imagePath} is neither JPEG nor PNG`, r.source));
      continue;
    }
    const stamp = timeFromNs(r.timeNs);
    let image: Image | CompressedImage;
    if (raw || width === undefined) {
      const decoded = decodeCompressed(format, bytes);
      if (!decoded.ok) {
        problem(new ImportError('E_IMPORT_IMAGE', `${r.source}: image ${r.imagePath}: ${decoded.reason}`, r.source));
        continue;
      }
      width ??= decoded.frame.width;
      height ??= decoded.frame.height;
      imageFormat ??= format;
      image = raw
        ? { header: { stamp, frame_id: frameId }, ...rgbImage(decoded.frame.width, decoded.frame.height, decoded.frame.data) }
        : { header: { stamp, frame_id: frameId }, format, data: bytes };
    } else {
      image = { header: { stamp, frame_id: frameId }, format, data: bytes };
    }
    if (Math.abs(r.steering) > 1 || Math.abs(r.throttle) > 1) outOfRange++;
    if (lastNs !== undefined && r.timeNs < lastNs) timeReversals++;
    lastNs = r.timeNs;
    command.header.stamp = stamp;
    command.drive.steering_angle = sign * r.steering * maxSteeringRad;
    command.drive.speed = r.throttle * maxSpeedMps;
    const ok = [await writer.writeMessage(cameraTopic, image, r.timeNs), await writer.writeMessage(commandTopic, command, r.timeNs)];
    if (r.speedMps !== undefined && odomTopic !== null) {
      if (!odomAdded) {
        writer.addTopic(odomTopic, 'nav_msgs/msg/Odometry', { qos: SENSOR_QOS });
        topics.push(odomTopic);
        odomAdded = true;
      }
      odom.header.stamp = stamp;
      odom.twist.twist.linear.x = r.speedMps;
      ok.push(await writer.writeMessage(odomTopic, odom, r.timeNs));
    }
    if (ok.includes(false)) {
      throw writer.status().error ?? new ImportError('E_IMPORT_FORMAT', 'the output bag stopped accepting messages');
    }
    written++;
    if (startNs === undefined || r.timeNs < startNs) startNs = r.timeNs;
    if (endNs === undefined || r.timeNs > endNs) endNs = r.timeNs;
    options.onProgress?.(written);
  }
  return { records: seen, written, skipped, issues, startNs, endNs, imageWidth: width, imageHeight: height, imageFormat, outOfRange, timeReversals, topics };
}
