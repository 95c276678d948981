/**
 * The numbers a command message carries, by name, so predicted and recorded commands are compared
 * field by field in the units the robot receives: Ackermann `steering_angle` (rad) and `speed`
 * (m/s); Twist `linear_x` and `angular_z`; Float64MultiArray and JointTrajectory by the model's
 * action names.
 */
import type { CommandKind } from '../../runtime/commands/command-builder.js';
import type { AckermannDriveStamped, Float64MultiArray, JointTrajectory, Twist } from '../../core/messages/types.js';
import { PilotError } from '../../core/util/errors.js';

export const COMMAND_MESSAGE_TYPES: Record<CommandKind, string> = {
  ackermann: 'ackermann_msgs/msg/AckermannDriveStamped',
  twist: 'geometry_msgs/msg/Twist',
  joint_trajectory: 'trajectory_msgs/msg/JointTrajectory',
  float64_multi_array: 'std_msgs/msg/Float64MultiArray',
};

export interface CommandFields {
  readonly kind: CommandKind;
  readonly type: string;
  readonly names: readonly string[];
  readonly units: readonly string[];
  /** Writes the fields of `message` into `out`; false when the message lacks them (malformed). */
  read(message: unknown, out: Float64Array): boolean;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN);

/** Fields of a command of `kind`; `actionNames`/`actionUnits` come from the model contract. */
export function commandFields(kind: CommandKind, actionNames: readonly string[], actionUnits: readonly string[]): CommandFields {
  const type = COMMAND_MESSAGE_TYPES[kind];
  switch (kind) {
    case 'ackermann':
      return {
        kind,
        type,
        names: ['steering_angle', 'speed'],
        units: ['rad', 'm/s'],
        read(message, out) {
          const d = (message as Partial<AckermannDriveStamped> | undefined)?.drive;
          if (!d) return false;
          out[0] = num(d.steering_angle);
          out[1] = num(d.speed);
          return true;
        },
      };
    case 'twist':
      return {
        kind,
        type,
        names: ['linear_x', 'angular_z'],
        units: ['m/s', 'rad/s'],
        read(message, out) {
          const t = message as Partial<Twist> | undefined;
          if (!t?.linear || !t.angular) return false;
          out[0] = num(t.linear.x);
          out[1] = num(t.angular.z);
          return true;
        },
      };
    case 'float64_multi_array':
      return {
        kind,
        type,
        names: actionNames,
        units: actionUnits,
        read(message, out) {
          const data = (message as Partial<Float64MultiArray> | undefined)?.data;
          if (!data || data.length < actionNames.length) return false;
          for (let i = 0; i < actionNames.length; i++) out[i] = num(data[i]);
          return true;
        },
      };
    case 'joint_trajectory':
      return {
        kind,
        type,
        names: actionNames,
        units: actionUnits,
        read(message, out) {
          const m = message as Partial<JointTrajectory> | undefined;
          const positions = m?.points?.[0]?.positions;
          if (!positions) return false;
          const names = m!.joint_names ?? [];
          for (let i = 0; i < actionNames.length; i++) {
            // By joint name when the message names its joints, else by position.
            const j = names.length > 0 ? names.indexOf(actionNames[i]!) : i;
            if (j < 0 || j >= positions.length) return false;
            out[i] = num(positions[j]);
          }
          return true;
        },
      };
    default:
      throw new PilotError('E_REPLAY_COMMAND', `unknown command type '${String(kind)}'`);
  }
}
