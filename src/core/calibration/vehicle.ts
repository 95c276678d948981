/** Vehicle parameters shared by the safety layer, the command builder and the simulator. */
import { z } from 'zod';
import { describeIssue } from '../config/load.js';
import { PilotError } from '../util/errors.js';
import { readYamlFile } from './camera.js';

const VehicleFile = z
  .object({
    wheelbase_m: z.number().positive(),
    track_width_m: z.number().positive().default(0.25),
    max_steering_angle_rad: z.number().positive().max(1.5),
    max_steering_rate_radps: z.number().positive(),
    max_speed_mps: z.number().positive(),
    max_reverse_speed_mps: z.number().min(0).default(0),
    max_acceleration_mps2: z.number().positive(),
    max_deceleration_mps2: z.number().positive(),
    /** Actuator delay the simulator applies; the runtime only reports it. */
    actuator_delay_ms: z.number().min(0).default(0),
    mass_kg: z.number().positive().optional(),
  })
  .passthrough();

export type VehicleCalibration = z.infer<typeof VehicleFile>;

export function parseVehicleCalibration(raw: unknown, source: string): VehicleCalibration {
  const parsed = VehicleFile.safeParse(raw);
  if (!parsed.success) throw new PilotError('E_CALIBRATION', describeIssue(source, parsed.error.issues, raw));
  return parsed.data;
}

export function loadVehicleCalibration(path: string): VehicleCalibration {
  return parseVehicleCalibration(readYamlFile(path, 'vehicle calibration'), path);
}
