/**
 * Camera intrinsics in the ROS `camera_calibration` YAML format (what camera_info_manager reads and
 * `cameracalibrator` writes), so one file serves the runtime, the simulator and a ROS 2 camera driver.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../config/load.js';
import type { CameraInfo } from '../messages/types.js';
import { PilotError } from '../util/errors.js';

const Matrix = (rows: number, cols: number) =>
  z
    .object({ rows: z.literal(rows), cols: z.literal(cols), data: z.array(z.number()).length(rows * cols) })
    .strict();

const CameraCalibrationFile = z
  .object({
    image_width: z.number().int().positive(),
    image_height: z.number().int().positive(),
    camera_name: z.string().default('camera'),
    camera_matrix: Matrix(3, 3),
    distortion_model: z.enum(['plumb_bob', 'rational_polynomial', 'equidistant']).default('plumb_bob'),
    distortion_coefficients: z.object({ rows: z.literal(1), cols: z.number().int().min(0), data: z.array(z.number()) }).strict(),
    rectification_matrix: Matrix(3, 3).optional(),
    projection_matrix: Matrix(3, 4).optional(),
    /** Not part of camera_calibration's format, but camera drivers need it; defaults to rgb8. */
    encoding: z.enum(['rgb8', 'bgr8', 'mono8', 'rgba8', 'bgra8']).default('rgb8'),
  })
  .passthrough()
  .refine((c) => c.distortion_coefficients.cols === c.distortion_coefficients.data.length, {
    message: 'distortion_coefficients.cols must equal the length of data',
    path: ['distortion_coefficients'],
  });

export interface CameraCalibration {
  readonly width: number;
  readonly height: number;
  readonly name: string;
  readonly encoding: 'rgb8' | 'bgr8' | 'mono8' | 'rgba8' | 'bgra8';
  /** Row-major 3×3 intrinsics K. */
  readonly k: readonly number[];
  readonly distortionModel: 'plumb_bob' | 'rational_polynomial' | 'equidistant';
  readonly d: readonly number[];
  readonly r: readonly number[];
  readonly p: readonly number[];
  /** Where it came from (a file path, `camera_info on /camera/camera_info`), for messages; optional. */
  readonly source?: string;
}

export function parseCameraCalibration(raw: unknown, source: string): CameraCalibration {
  const parsed = CameraCalibrationFile.safeParse(raw);
  if (!parsed.success) throw new PilotError('E_CALIBRATION', describeIssue(source, parsed.error.issues, raw));
  const c = parsed.data;
  const k = c.camera_matrix.data;
  if (!(k[0]! > 0 && k[4]! > 0)) throw new PilotError('E_CALIBRATION', `${source}: camera_matrix: fx and fy must be positive (got ${k[0]}, ${k[4]})`);
  return {
    width: c.image_width,
    height: c.image_height,
    name: c.camera_name,
    encoding: c.encoding,
    k,
    distortionModel: c.distortion_model,
    d: c.distortion_coefficients.data,
    r: c.rectification_matrix?.data ?? [1, 0, 0, 0, 1, 0, 0, 0, 1],
    p: c.projection_matrix?.data ?? [k[0]!, k[1]!, k[2]!, 0, k[3]!, k[4]!, k[5]!, 0, 0, 0, 1, 0],
    source,
  };
}

export function loadCameraCalibration(path: string): CameraCalibration {
  return parseCameraCalibration(readYamlFile(path, 'camera calibration'), path);
}

export function readYamlFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PilotError('E_CALIBRATION', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new PilotError('E_CALIBRATION', `${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** How a calibration names itself in messages: its file (relative to the working directory when inside it), else its camera name. */
export function describeCalibration(camera: CameraCalibration): string {
  if (camera.source === undefined) return `calibration '${camera.name}'`;
  const rel = isAbsolute(camera.source) ? relative(process.cwd(), camera.source) : camera.source;
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : camera.source;
}

/**
 * Relative difference of the aspect ratios (width / height) of an image and a calibration:
 * 0 when equal, 0.5 for 2:1 against 4:3.
 */
export function aspectRatioDifference(widthPx: number, heightPx: number, camera: CameraCalibration): number {
  return Math.abs((widthPx / heightPx) / (camera.width / camera.height) - 1);
}

/**
 * The calibration for the same camera delivering `widthPx`×`heightPx` images (a driver's resize or
 * binning): K and P scaled by width / image_width in x and height / image_height in y, as ROS
 * image_proc's resize does; distortion and rectification are unitless and stay. The caller decides
 * whether the aspect ratio is close enough for this to describe the camera.
 */
export function scaleCameraCalibration(camera: CameraCalibration, widthPx: number, heightPx: number): CameraCalibration {
  if (!(Number.isInteger(widthPx) && Number.isInteger(heightPx) && widthPx > 0 && heightPx > 0)) {
    throw new PilotError('E_CALIBRATION', `${describeCalibration(camera)}: cannot scale to an image of ${widthPx}x${heightPx} pixels`);
  }
  const sx = widthPx / camera.width;
  const sy = heightPx / camera.height;
  const k = camera.k;
  const p = camera.p;
  return {
    ...camera,
    width: widthPx,
    height: heightPx,
    k: [k[0]! * sx, k[1]! * sx, k[2]! * sx, k[3]! * sy, k[4]! * sy, k[5]! * sy, k[6]!, k[7]!, k[8]!],
    p: [p[0]! * sx, p[1]! * sx, p[2]! * sx, p[3]! * sx, p[4]! * sy, p[5]! * sy, p[6]! * sy, p[7]! * sy, p[8]!, p[9]!, p[10]!, p[11]!],
  };
}

const DISTORTION_MODELS = ['plumb_bob', 'rational_polynomial', 'equidistant'] as const;

/**
 * sensor_msgs/CameraInfo → the calibration of the images published beside it: binning and region of
 * interest applied to K and P (the message gives them for the full-resolution sensor), the image
 * encoding taken from `encoding`. Returns why not instead when the message cannot describe the
 * images (uncalibrated, an unknown distortion model, malformed matrices); `source` names it.
 */
export function cameraCalibrationFromInfo(
  info: CameraInfo,
  source: string,
  encoding: CameraCalibration['encoding'] = 'rgb8',
): { ok: true; camera: CameraCalibration } | { ok: false; reason: string } {
  const fail = (why: string): { ok: false; reason: string } => ({ ok: false, reason: `${source}: ${why}` });
  if (!(info.k?.length === 9 && info.p?.length === 12 && info.r?.length === 9)) {
    return fail(`k, r and p must hold 9, 9 and 12 numbers (got ${info.k?.length ?? 0}, ${info.r?.length ?? 0}, ${info.p?.length ?? 0})`);
  }
  if (!(info.k[0]! > 0 && info.k[4]! > 0)) return fail(`uncalibrated camera (K has fx ${info.k[0]}, fy ${info.k[4]}; both must be positive)`);
  const model = DISTORTION_MODELS.find((m) => m === info.distortion_model);
  if (!model) return fail(`distortion model '${info.distortion_model}' is not one of ${DISTORTION_MODELS.join(', ')}`);
  if (model === 'equidistant' && (info.d?.length ?? 0) < 4) return fail(`the equidistant model needs 4 distortion coefficients, d has ${info.d?.length ?? 0}`);
  const bx = info.binning_x > 1 ? info.binning_x : 1;
  const by = info.binning_y > 1 ? info.binning_y : 1;
  const roi = info.roi;
  const hasRoi = roi !== undefined && roi.width > 0 && roi.height > 0;
  const ox = hasRoi ? roi.x_offset : 0;
  const oy = hasRoi ? roi.y_offset : 0;
  const width = Math.floor((hasRoi ? roi.width : info.width) / bx);
  const height = Math.floor((hasRoi ? roi.height : info.height) / by);
  if (!(width > 0 && height > 0)) return fail(`image size ${info.width}x${info.height} (binning ${bx}x${by}, roi ${hasRoi ? `${roi.width}x${roi.height}` : 'none'}) is empty`);
  const k = info.k;
  const p = info.p;
  return {
    ok: true,
    camera: {
      width,
      height,
      name: info.header?.frame_id || 'camera_info',
      encoding,
      k: [k[0]! / bx, k[1]! / bx, (k[2]! - ox) / bx, k[3]! / by, k[4]! / by, (k[5]! - oy) / by, k[6]!, k[7]!, k[8]!],
      distortionModel: model,
      d: Array.from(info.d ?? []),
      r: Array.from(info.r),
      p: [p[0]! / bx, p[1]! / bx, (p[2]! - ox) / bx, p[3]! / bx, p[4]! / by, p[5]! / by, (p[6]! - oy) / by, p[7]! / by, p[8]!, p[9]!, p[10]!, p[11]!],
      source,
    },
  };
}

/** image_transport's transport suffixes (`/camera/image_raw/compressed` is `/camera/image_raw` compressed). */
const IMAGE_TRANSPORTS = new Set(['compressed', 'compressedDepth', 'theora', 'zstd', 'ffmpeg']);

/**
 * Where a camera publishes its sensor_msgs/CameraInfo, by the image_transport convention: the
 * image's namespace + `/camera_info` (`/camera/image_raw/compressed` → `/camera/camera_info`).
 */
export function cameraInfoTopicFor(imageTopic: string): string {
  const parts = imageTopic.split('/');
  if (parts.length > 2 && IMAGE_TRANSPORTS.has(parts[parts.length - 1]!)) parts.pop();
  parts.pop();
  return `${parts.join('/')}/camera_info`;
}
