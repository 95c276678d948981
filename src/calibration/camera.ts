/**
 * Camera intrinsics in the ROS `camera_calibration` YAML format (what camera_info_manager reads and
 * `cameracalibrator` writes), so one file serves the runtime, the simulator and a ROS 2 camera driver.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../config/load.js';
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
