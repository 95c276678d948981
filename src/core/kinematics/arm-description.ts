/**
 * `calibration/arm.yaml`: the arm the runtime limits and the simulator draws, from one description:
 * URDF chain base_link → tool link, position and velocity limits (URDF, overridden by the MoveIt /
 * ros2_control `joint_limits` layout), acceleration limits, tool-point workspace box, home pose.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PilotError } from '../util/errors.js';
import { KinematicChain } from './forward-kinematics.js';
import { parseUrdf, type UrdfJoint, type UrdfRobot } from './urdf.js';

const JointLimitEntry = z
  .object({
    has_position_limits: z.boolean().optional(),
    min_position: z.number().optional(),
    max_position: z.number().optional(),
    has_velocity_limits: z.boolean().optional(),
    max_velocity: z.number().positive().optional(),
    has_acceleration_limits: z.boolean().optional(),
    max_acceleration: z.number().positive().optional(),
  })
  .strict();

const Vec3 = z.tuple([z.number(), z.number(), z.number()]);

const ArmFile = z
  .object({
    urdf: z.string().min(1),
    base_link: z.string().min(1),
    tool_link: z.string().min(1),
    joint_limits: z.record(z.string(), JointLimitEntry).default({}),
    workspace: z.object({ min_m: Vec3, max_m: Vec3 }).strict(),
    home_rad: z.record(z.string(), z.number()),
  })
  .strict();

export interface ArmJointLimits {
  readonly name: string;
  readonly lower: number;
  readonly upper: number;
  readonly maxVelocity: number;
  /** Infinity when none is given. */
  readonly maxAcceleration: number;
}

export interface ArmDescription {
  readonly source: string;
  readonly robot: UrdfRobot;
  readonly baseLink: string;
  readonly toolLink: string;
  /** Movable joints base → tool, the order of every joint vector (state, action, limits). */
  readonly jointNames: readonly string[];
  readonly limits: readonly ArmJointLimits[];
  readonly workspace: { readonly min: readonly [number, number, number]; readonly max: readonly [number, number, number] };
  readonly home: Float64Array;
  /** The chain's joints (fixed ones included), base → tool. */
  readonly chainJoints: readonly UrdfJoint[];
  /** A fresh chain for forward kinematics (each user gets its own scratch state). */
  createChain(): KinematicChain;
}

export function loadArmDescription(path: string): ArmDescription {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PilotError('E_ARM_DESCRIPTION', `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const parsed = ArmFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PilotError('E_ARM_DESCRIPTION', `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const file = parsed.data;
  const urdfPath = resolve(dirname(path), file.urdf);
  let text: string;
  try {
    text = readFileSync(urdfPath, 'utf8');
  } catch (e) {
    throw new PilotError('E_ARM_DESCRIPTION', `${path}: urdf ${urdfPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return describeArm(parseUrdf(text, urdfPath), file, path);
}

export function describeArm(robot: UrdfRobot, file: z.infer<typeof ArmFile>, source: string): ArmDescription {
  const fail = (what: string): never => {
    throw new PilotError('E_ARM_DESCRIPTION', `${source}: ${what}`);
  };
  // Walk up from the tool link to the base link.
  const chain: UrdfJoint[] = [];
  let link = file.tool_link;
  if (!robot.links.includes(link)) fail(`tool_link ${link} is not a link of ${robot.name}`);
  if (!robot.links.includes(file.base_link)) fail(`base_link ${file.base_link} is not a link of ${robot.name}`);
  while (link !== file.base_link) {
    const j = robot.joints.find((x) => x.child === link);
    if (!j) return fail(`no joint leads to ${link}: ${file.tool_link} is not below ${file.base_link}`);
    chain.unshift(j);
    link = j.parent;
  }
  const movable = chain.filter((j) => j.type !== 'fixed');
  if (movable.length === 0) fail('the chain has no movable joint');
  for (const name of Object.keys(file.joint_limits)) if (!movable.some((j) => j.name === name)) fail(`joint_limits.${name}: not a movable joint of the chain (${movable.map((j) => j.name).join(', ')})`);
  const limits = movable.map((j): ArmJointLimits => {
    const l = file.joint_limits[j.name] ?? {};
    const lower = l.has_position_limits && l.min_position !== undefined ? Math.max(j.lower, l.min_position) : j.lower;
    const upper = l.has_position_limits && l.max_position !== undefined ? Math.min(j.upper, l.max_position) : j.upper;
    const maxVelocity = l.has_velocity_limits && l.max_velocity !== undefined ? Math.min(j.velocity, l.max_velocity) : j.velocity;
    const maxAcceleration = l.has_acceleration_limits && l.max_acceleration !== undefined ? l.max_acceleration : Infinity;
    if (!Number.isFinite(maxVelocity)) fail(`joint ${j.name}: no velocity limit (URDF <limit velocity> or joint_limits.${j.name}.max_velocity)`);
    if (!(lower < upper)) fail(`joint ${j.name}: position limits ${lower}..${upper} are empty`);
    return { name: j.name, lower, upper, maxVelocity, maxAcceleration };
  });
  const { min_m: min, max_m: max } = file.workspace;
  if (min.some((v, i) => !(v < max[i]!))) fail(`workspace: min_m ${JSON.stringify(min)} must be below max_m ${JSON.stringify(max)} on every axis`);
  const home = new Float64Array(limits.length);
  limits.forEach((l, i) => {
    const v = file.home_rad[l.name];
    if (v === undefined) fail(`home_rad: missing joint ${l.name}`);
    if (!(v! >= l.lower && v! <= l.upper)) fail(`home_rad.${l.name} = ${v} is outside its limits ${l.lower}..${l.upper}`);
    home[i] = v!;
  });
  for (const name of Object.keys(file.home_rad)) if (!limits.some((l) => l.name === name)) fail(`home_rad.${name}: not a movable joint of the chain`);
  return {
    source,
    robot,
    baseLink: file.base_link,
    toolLink: file.tool_link,
    jointNames: limits.map((l) => l.name),
    limits,
    workspace: { min, max },
    home,
    chainJoints: chain,
    createChain: () => new KinematicChain(chain),
  };
}
