/**
 * The arm expert: inverse kinematics on ground truth. Its command is always a goal configuration (the
 * IK solution for where the tool should be, tool pointing straight down), published as the joint
 * position target; the joint limits (the runtime's safety layer, the simulated servos) decide how fast
 * the arm gets there. From the same seed every time, so the goal is a smooth, deterministic function
 * of the target: a policy can learn goal-from-image.
 *
 * - reach: the IK goal of the target point, for the whole episode.
 * - push: a small state machine over Cartesian waypoints: hover above a point behind the puck (on the
 *   line from the goal through the puck), descend to pushing height, push through the puck towards the
 *   goal with a carrot a little ahead, back off and re-approach when the puck slides off the line,
 *   lift off once the puck is in the goal.
 */
import { createCommandBuilder, type CommandBuilder } from '../../src/runtime/index.js';
import type { ArmDescription } from '../../src/core/kinematics/index.js';
import { InverseKinematics } from '../../src/core/kinematics/inverse-kinematics.js';
import { PilotError } from '../../src/core/util/errors.js';
import type { Transport, Publisher } from '../../src/transport/index.js';
import { RELIABLE_QOS } from '../../src/transport/index.js';
import type { DriveRuntimeStats } from '../drive/drive-result.js';
import type { SimDriver } from '../drive/drivers.js';
import type { ArmCommandType } from './arm-sim-config.js';
import type { ArmEpisodeSpec } from './arm-task.js';
import { TOOL_RADIUS_M, type ArmWorld } from './arm-world.js';

export interface ArmExpertOptions {
  /** Tool-point height while moving above the table (push). Default 0.08 m. */
  hoverZM?: number;
  /** Tool-point height while pushing (below the puck's top). Default 0.015 m. */
  pushZM?: number;
}

export type PushPhase = 'approach' | 'descend' | 'push' | 'retreat' | 'done';

/** Tool straight down: the tool frame's z axis along −z of base_link. */
export const TOOL_DOWN = { toolAxis: [0, 0, 1] as const, direction: [0, 0, -1] as const };

export class ArmExpert {
  readonly description: ArmDescription;
  readonly ik: InverseKinematics;
  /** The newest goal configuration (description joint order). */
  readonly goalQ: Float64Array;
  phase: PushPhase = 'approach';
  /** Re-approaches after the puck slid off the pushing line. */
  retreats = 0;
  readonly #seed: Float64Array;
  readonly #carrot = new Float64Array(3);
  readonly #hoverZ: number;
  readonly #pushZ: number;
  #reachKey = '';

  constructor(description: ArmDescription, options: ArmExpertOptions = {}) {
    this.description = description;
    this.ik = new InverseKinematics(description, { pointing: TOOL_DOWN });
    this.goalQ = Float64Array.from(description.home);
    this.#seed = Float64Array.from(description.home);
    this.#hoverZ = options.hoverZM ?? 0.08;
    this.#pushZ = options.pushZM ?? 0.015;
  }

  reset(): void {
    this.phase = 'approach';
    this.retreats = 0;
    this.#reachKey = '';
    this.goalQ.set(this.description.home);
  }

  /**
   * The goal configuration for the tool point at `target`, deterministic in the target: IK from home
   * with the base turned towards it. Throws E_ARM_UNREACHABLE when no posture within the joint limits
   * reaches it with the tool pointing down.
   */
  goalFor(target: ArrayLike<number>, out: Float64Array = this.goalQ, strict = true): Float64Array {
    this.#seed.set(this.description.home);
    this.#seed[0] = Math.atan2(target[1]!, target[0]!);
    const r = strict ? this.ik.solveOrThrow(target, this.#seed) : this.ik.solve(target, this.#seed);
    out.set(r.q);
    return out;
  }

  /** The goal for the world's state now (also kept in `goalQ`). */
  goal(world: ArmWorld): Float64Array {
    const spec = world.spec;
    if (spec.kind === 'reach') {
      const key = spec.target.join(',');
      if (key !== this.#reachKey) {
        this.goalFor(spec.target);
        this.#reachKey = key;
      }
      return this.goalQ;
    }
    this.#pushCarrot(world, this.#carrot);
    return this.goalFor(this.#carrot, this.goalQ, false);
  }

  #pushCarrot(world: ArmWorld, out: Float64Array): void {
    const puck = world.puck!;
    const goal = world.spec.target;
    const tool = world.toolPosition;
    const contact = puck.sizeM / 2 + TOOL_RADIUS_M;
    let dx = goal[0] - puck.x;
    let dy = goal[1] - puck.y;
    const toGoal = Math.hypot(dx, dy);
    dx /= toGoal || 1;
    dy /= toGoal || 1;
    const set = (x: number, y: number, z: number) => {
      out[0] = x;
      out[1] = y;
      out[2] = z;
    };
    if (this.phase !== 'done' && toGoal <= world.spec.toleranceM * 0.5) this.phase = 'done';
    const preX = puck.x - dx * (contact + 0.02);
    const preY = puck.y - dy * (contact + 0.02);
    const planar = (x: number, y: number) => Math.hypot(tool[0]! - x, tool[1]! - y);
    switch (this.phase) {
      case 'approach':
        set(preX, preY, this.#hoverZ);
        if (planar(preX, preY) < 0.01 && Math.abs(tool[2]! - this.#hoverZ) < 0.02) this.phase = 'descend';
        return;
      case 'descend':
        set(preX, preY, this.#pushZ);
        if (planar(preX, preY) > 0.03) this.phase = 'approach';
        else if (tool[2]! < this.#pushZ + 0.006) this.phase = 'push';
        return;
      case 'push': {
        // Off the line through the puck towards the goal: back off and line up again.
        const ox = puck.x - tool[0]!;
        const oy = puck.y - tool[1]!;
        const off = Math.hypot(ox, oy);
        const cos = off > 1e-9 ? (ox * dx + oy * dy) / off : 1;
        if (cos < Math.cos((25 * Math.PI) / 180) || off > contact + 0.04) {
          this.phase = 'retreat';
          this.retreats++;
          set(tool[0]!, tool[1]!, this.#hoverZ);
          return;
        }
        const ahead = Math.min(0.02, toGoal);
        set(puck.x - dx * contact + dx * ahead, puck.y - dy * contact + dy * ahead, this.#pushZ);
        return;
      }
      case 'retreat':
        set(tool[0]!, tool[1]!, this.#hoverZ);
        if (tool[2]! > this.#hoverZ - 0.02) this.phase = 'approach';
        return;
      case 'done':
        set(tool[0]!, tool[1]!, this.#hoverZ);
        return;
    }
  }
}

/**
 * Checks before an episode starts that the arm can do it: the reach target, or for push the goal and
 * the puck's surroundings at pushing height, within the joint limits. E_ARM_UNREACHABLE otherwise.
 */
export function checkEpisodeReachable(expert: ArmExpert, spec: ArmEpisodeSpec): void {
  if (spec.kind === 'reach') {
    expert.goalFor(spec.target, new Float64Array(expert.description.jointNames.length), true);
    return;
  }
  const puck = spec.objects.find((o) => o.role === 'puck')!;
  const out = new Float64Array(expert.description.jointNames.length);
  expert.goalFor([puck.x, puck.y, 0.08], out, true);
  expert.goalFor([spec.target[0], spec.target[1], 0.08], out, true);
}

/**
 * The expert as a driver: publishes its goal on the command topic each step, like a runtime would.
 * One driver serves a whole run: `begin(world)` starts each episode (the publisher stays up, so
 * subscribers over ZeroMQ stay connected).
 */
export class ArmExpertDriver implements SimDriver {
  readonly kind = 'expert' as const;
  readonly lastReason = undefined;
  readonly expert: ArmExpert;
  readonly #builder: CommandBuilder;
  readonly #publisher: Publisher;
  #world: ArmWorld | null = null;

  constructor(expert: ArmExpert, transport: Transport, command: { topic: string; type: ArmCommandType }, periodMs: number) {
    this.expert = expert;
    const d = expert.description;
    this.#builder = createCommandBuilder({ kind: command.type, actionNames: d.jointNames, frameId: d.baseLink, periodMs });
    this.#publisher = transport.advertise(command.topic, this.#builder.type, RELIABLE_QOS);
  }

  /** A new episode in `world`. */
  begin(world: ArmWorld): void {
    this.#world = world;
    this.expert.reset();
  }

  start(): void {}
  afterStep(): void {}

  /** The expert reads ground truth directly: nothing to wait for. */
  inputsArrived(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  advanceTo(tMs: number): void {
    if (!this.#world) throw new PilotError('E_ARM_STATE', 'ArmExpertDriver: begin(world) before the first step');
    const goal = this.expert.goal(this.#world);
    this.#publisher.publish(this.#builder.fill(goal, tMs));
  }

  runtimeStats(): DriveRuntimeStats | undefined {
    return undefined;
  }

  async dispose(): Promise<void> {
    this.#publisher.close();
  }
}
