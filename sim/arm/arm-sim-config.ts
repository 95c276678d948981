/**
 * The arm simulator's settings: which files describe the arm and its camera, the topics it publishes
 * and listens on, its rates, lockstep timeout and renderer. YAML (`pilot arm --sim-config`), snake_case,
 * validated at start with errors that name the file and key. Every key has a default.
 */
import { z } from 'zod';
import { readYamlFile } from '../../src/core/calibration/camera.js';
import { describeIssue } from '../../src/core/config/load.js';
import { PilotError } from '../../src/core/util/errors.js';

const Topic = z.string().startsWith('/');

export const ARM_COMMAND_TYPES = ['joint_trajectory', 'float64_multi_array'] as const;
export type ArmCommandType = (typeof ARM_COMMAND_TYPES)[number];

export const ArmSimConfigSchema = z
  .object({
    /** The arm (URDF + limits + workspace + home), as the runtime reads it. */
    description: z.string().default('calibration/arm.yaml'),
    camera: z
      .object({
        calibration: z.string().default('calibration/arm_camera.yaml'),
        mount: z.string().default('calibration/arm_camera_mount.yaml'),
        topic: Topic.default('/arm_camera/image_raw'),
        /** Published every step it is due, so at most the step rate. */
        rate_hz: z.number().positive().max(120).default(20),
        frame_id: z.string().default('arm_camera_optical_frame'),
      })
      .strict()
      .default({ calibration: 'calibration/arm_camera.yaml', mount: 'calibration/arm_camera_mount.yaml', topic: '/arm_camera/image_raw', rate_hz: 20, frame_id: 'arm_camera_optical_frame' }),
    joint_states_topic: Topic.default('/joint_states'),
    clock_topic: Topic.default('/clock'),
    command: z
      .object({
        topic: Topic.default('/arm_controller/joint_trajectory'),
        type: z.enum(ARM_COMMAND_TYPES).default('joint_trajectory'),
      })
      .strict()
      .default({ topic: '/arm_controller/joint_trajectory', type: 'joint_trajectory' }),
    /** Control step when no runtime sets it (the expert); a runtime steps at its loop rate. */
    rate_hz: z.number().positive().max(200).default(20),
    /** Joint dynamics integration step. */
    substep_s: z.number().positive().max(0.01).default(0.002),
    render: z
      .object({ backend: z.enum(['opengles', 'vulkan', 'auto']).default('opengles') })
      .strict()
      .default({ backend: 'opengles' }),
    lockstep: z
      .object({ step_timeout_ms: z.number().positive().max(60_000).default(2000) })
      .strict()
      .default({ step_timeout_ms: 2000 }),
  })
  .strict();

export type ArmSimConfig = z.infer<typeof ArmSimConfigSchema>;

export function parseArmSimConfig(raw: unknown, source: string): ArmSimConfig {
  const parsed = ArmSimConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new PilotError('E_ARM_SIM_CONFIG', describeIssue(source, parsed.error.issues, raw));
  return parsed.data;
}

export function loadArmSimConfig(path: string | undefined): ArmSimConfig {
  if (!path) return parseArmSimConfig({}, 'default arm simulator settings');
  return parseArmSimConfig(readYamlFile(path, 'arm simulator config'), path);
}
