/**
 * Safe action vector → the outgoing command message. One preallocated message per builder, mutated
 * in place each tick (subscribers that keep a message must copy it).
 */
import type { VehicleCalibration } from '../../core/calibration/vehicle.js';
import type { COMMAND_TYPES } from '../../core/config/schema.js';
import type {
  AckermannDriveStamped,
  Float64MultiArray,
  JointTrajectory,
  Twist,
} from '../../core/messages/types.js';
import { writeTimeFromMs } from '../../core/messages/time.js';
import { PilotError } from '../../core/util/errors.js';

export type CommandKind = (typeof COMMAND_TYPES)[number];

export interface CommandBuilder<T = unknown> {
  readonly type: string;
  readonly message: T;
  /** Fill the message from the safe command; `stampMs` is epoch or sim time in ms. */
  fill(command: Float64Array, stampMs: number): T;
}

export interface CommandBuilderOptions {
  readonly kind: CommandKind;
  readonly actionNames: readonly string[];
  readonly frameId: string;
  readonly periodMs: number;
  readonly vehicle?: VehicleCalibration;
}

export function createCommandBuilder(options: CommandBuilderOptions): CommandBuilder {
  switch (options.kind) {
    case 'ackermann':
      return new AckermannBuilder(options);
    case 'twist':
      return new TwistBuilder(options);
    case 'joint_trajectory':
      return new JointTrajectoryBuilder(options);
    case 'float64_multi_array':
      return new Float64MultiArrayBuilder(options);
  }
}

function requireAction(names: readonly string[], name: string, kind: string): number {
  const i = names.indexOf(name);
  if (i < 0) {
    throw new PilotError('E_MODEL_CONTRACT', `command type '${kind}' needs model output field '${name}', the model has [${names.join(', ')}]`);
  }
  return i;
}


class AckermannBuilder implements CommandBuilder<AckermannDriveStamped> {
  readonly type = 'ackermann_msgs/msg/AckermannDriveStamped';
  readonly message: AckermannDriveStamped;
  readonly #steer: number;
  readonly #speed: number;

  constructor(o: CommandBuilderOptions) {
    this.#steer = requireAction(o.actionNames, 'steering_angle', o.kind);
    this.#speed = requireAction(o.actionNames, 'speed', o.kind);
    this.message = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: o.frameId },
      drive: { steering_angle: 0, steering_angle_velocity: 0, speed: 0, acceleration: 0, jerk: 0 },
    };
  }

  fill(command: Float64Array, stampMs: number): AckermannDriveStamped {
    writeTimeFromMs(this.message.header.stamp, stampMs);
    this.message.drive.steering_angle = command[this.#steer]!;
    this.message.drive.speed = command[this.#speed]!;
    return this.message;
  }
}

/** Twist for a car-like base: yaw rate from the bicycle model, ω = v·tan(δ)/L. */
class TwistBuilder implements CommandBuilder<Twist> {
  readonly type = 'geometry_msgs/msg/Twist';
  readonly message: Twist;
  readonly #steer: number;
  readonly #speed: number;
  readonly #wheelbase: number;

  constructor(o: CommandBuilderOptions) {
    this.#steer = requireAction(o.actionNames, 'steering_angle', o.kind);
    this.#speed = requireAction(o.actionNames, 'speed', o.kind);
    if (!o.vehicle) throw new PilotError('E_CONFIG', `command type 'twist' needs the vehicle calibration (wheelbase_m)`);
    this.#wheelbase = o.vehicle.wheelbase_m;
    this.message = { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } };
  }

  fill(command: Float64Array): Twist {
    const v = command[this.#speed]!;
    this.message.linear.x = v;
    this.message.angular.z = (v * Math.tan(command[this.#steer]!)) / this.#wheelbase;
    return this.message;
  }
}

/** One-point trajectory reaching the commanded joint positions one period from now. */
class JointTrajectoryBuilder implements CommandBuilder<JointTrajectory> {
  readonly type = 'trajectory_msgs/msg/JointTrajectory';
  readonly message: JointTrajectory;
  readonly #positions: Float64Array;

  constructor(o: CommandBuilderOptions) {
    this.#positions = new Float64Array(o.actionNames.length);
    const fromStartNs = Math.round(o.periodMs * 1e6);
    this.message = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: o.frameId },
      joint_names: [...o.actionNames],
      points: [
        {
          positions: this.#positions,
          velocities: new Float64Array(0),
          accelerations: new Float64Array(0),
          effort: new Float64Array(0),
          time_from_start: { sec: Math.floor(fromStartNs / 1e9), nanosec: fromStartNs % 1e9 },
        },
      ],
    };
  }

  fill(command: Float64Array, stampMs: number): JointTrajectory {
    writeTimeFromMs(this.message.header.stamp, stampMs);
    this.#positions.set(command);
    return this.message;
  }
}

/** ros2_control forward_command_controller input: data in the controller's joint order. */
class Float64MultiArrayBuilder implements CommandBuilder<Float64MultiArray> {
  readonly type = 'std_msgs/msg/Float64MultiArray';
  readonly message: Float64MultiArray;
  readonly #data: Float64Array;

  constructor(o: CommandBuilderOptions) {
    this.#data = new Float64Array(o.actionNames.length);
    this.message = { layout: { dim: [], data_offset: 0 }, data: this.#data };
  }

  fill(command: Float64Array): Float64MultiArray {
    this.#data.set(command);
    return this.message;
  }
}
