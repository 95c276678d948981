/**
 * Simulator configuration: which calibration files describe the robot, sensor topics and rates, the
 * vehicle model, lockstep timeouts, faults and domain randomisation. YAML, snake_case like ROS 2
 * parameters, validated at start with errors that name the file and key.
 */
import { z } from 'zod';
import { readYamlFile } from '../../src/core/calibration/camera.js';
import { describeIssue } from '../../src/core/config/load.js';
import { PilotError } from '../../src/core/util/errors.js';

const Topic = z.string().startsWith('/');

const NoiseSection = z
  .object({
    /** Standard deviations; 0 = perfect sensor. */
    gyro_sigma_radps: z.number().min(0).default(0.002),
    accel_sigma_mps2: z.number().min(0).default(0.02),
    speed_sigma_mps: z.number().min(0).default(0.01),
    yaw_rate_sigma_radps: z.number().min(0).default(0.002),
  })
  .strict();

export const SimConfigSchema = z
  .object({
    camera: z
      .object({
        calibration: z.string().default('calibration/camera.yaml'),
        mount: z.string().default('calibration/camera_mount.yaml'),
        topic: Topic.default('/camera/image_raw'),
        rate_hz: z.number().positive().max(120).default(20),
        frame_id: z.string().default('camera_optical_frame'),
      })
      .strict()
      .default({ calibration: 'calibration/camera.yaml', mount: 'calibration/camera_mount.yaml', topic: '/camera/image_raw', rate_hz: 20, frame_id: 'camera_optical_frame' }),
    vehicle: z
      .object({
        calibration: z.string().default('calibration/vehicle.yaml'),
        model: z.enum(['kinematic', 'dynamic']).default('dynamic'),
        substep_s: z.number().positive().max(0.01).default(0.002),
      })
      .strict()
      .default({ calibration: 'calibration/vehicle.yaml', model: 'dynamic', substep_s: 0.002 }),
    sensors: z
      .object({
        imu_topic: Topic.default('/imu'),
        odom_topic: Topic.default('/odom'),
        /** Published once per step at most, so effectively min(rate, step rate) in lockstep. */
        imu_rate_hz: z.number().positive().max(1000).default(100),
        odom_rate_hz: z.number().positive().max(1000).default(50),
        noise: NoiseSection.default({ gyro_sigma_radps: 0.002, accel_sigma_mps2: 0.02, speed_sigma_mps: 0.01, yaw_rate_sigma_radps: 0.002 }),
      })
      .strict()
      .default({ imu_topic: '/imu', odom_topic: '/odom', imu_rate_hz: 100, odom_rate_hz: 50, noise: { gyro_sigma_radps: 0.002, accel_sigma_mps2: 0.02, speed_sigma_mps: 0.01, yaw_rate_sigma_radps: 0.002 } }),
    command: z
      .object({
        topic: Topic.default('/cmd/ackermann'),
        type: z.enum(['ackermann', 'twist']).default('ackermann'),
        /** Like an ESC failsafe: no command for this long and the car brakes to a stop. */
        timeout_ms: z.number().positive().default(250),
      })
      .strict()
      .default({ topic: '/cmd/ackermann', type: 'ackermann', timeout_ms: 250 }),
    render: z
      .object({
        /** Dawn backend for the headless camera: `opengles` (Mesa llvmpipe, any machine) or `vulkan` (a GPU). */
        backend: z.enum(['opengles', 'vulkan', 'auto']).default('opengles'),
      })
      .strict()
      .default({ backend: 'opengles' }),
    clock_topic: Topic.default('/clock'),
    lockstep: z
      .object({
        /** Wall time the simulator waits for the runtime's command each step before it counts a timeout and steps on. */
        step_timeout_ms: z.number().positive().max(60_000).default(2000),
      })
      .strict()
      .default({ step_timeout_ms: 2000 }),
    interventions: z
      .object({
        /** The car is put back on the centreline when its centre is this far beyond the road edge… */
        off_road_margin_m: z.number().min(0).default(0.3),
        /** …or has been off the road this long, or has made no progress this long. */
        off_road_timeout_s: z.number().positive().default(2),
        stuck_timeout_s: z.number().positive().default(4),
      })
      .strict()
      .default({ off_road_margin_m: 0.3, off_road_timeout_s: 2, stuck_timeout_s: 4 }),
    /** Fault injection (camera drop-outs, latency, jitter, noise bursts); see sim/faults. */
    faults: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type SimConfig = z.infer<typeof SimConfigSchema>;

export function parseSimConfig(raw: unknown, source: string): SimConfig {
  const parsed = SimConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new PilotError('E_SIM_CONFIG', describeIssue(source, parsed.error.issues, raw));
  return parsed.data;
}

export function loadSimConfig(path: string | undefined): SimConfig {
  if (!path) return parseSimConfig({}, 'default simulator settings');
  return parseSimConfig(readYamlFile(path, 'simulator config'), path);
}
