/**
 * The arm simulation's world: the arm (forward kinematics + joint dynamics), the objects on the table
 * and the task's progress. Pure and stepped with an explicit time; rendering only reads it.
 *
 * Pushing is planar and quasi-static: the tool is a vertical finger of radius TOOL_RADIUS_M at the
 * tool point; while the tool point is below the puck's top, a puck it overlaps is moved out along the
 * line between their centres until they just touch (no friction, no rotation), every substep.
 */
import type { ArmDescription, KinematicChain } from '../../src/core/kinematics/index.js';
import { PilotError } from '../../src/core/util/errors.js';
import type { ArmEpisodeSpec, ArmObject } from './arm-task.js';
import { JointDynamics } from './joint-dynamics.js';

export const TOOL_RADIUS_M = 0.01;
/** Pucks stay on the table top (base_link frame). */
const TABLE = { minX: -0.25, maxX: 0.6, minY: -0.55, maxY: 0.55 };

export class ArmWorld {
  readonly description: ArmDescription;
  readonly chain: KinematicChain;
  readonly dynamics: JointDynamics;
  readonly spec: ArmEpisodeSpec;
  /** The objects as they are now (pucks move). */
  readonly objects: ArmObject[];
  /** Tool point in base_link after the last step (m). */
  readonly toolPosition = new Float64Array(3);
  /** Sim time since the episode start (ms). */
  timeMs = 0;
  /** Substeps that ended with the tool point below the table top (a collision in a real cell). */
  tableContacts = 0;
  readonly #substepS: number;
  readonly #puck: ArmObject | null;

  constructor(description: ArmDescription, spec: ArmEpisodeSpec, substepS = 0.002) {
    if (!(substepS > 0 && substepS <= 0.01)) throw new PilotError('E_ARM_SIM_CONFIG', `substep_s must be in (0, 0.01] s (got ${substepS})`);
    if (spec.startQ.length !== description.jointNames.length) {
      throw new PilotError('E_ARM_TASK', `start posture has ${spec.startQ.length} joint positions, ${description.robot.name} has ${description.jointNames.length}`);
    }
    this.description = description;
    this.chain = description.createChain();
    this.dynamics = new JointDynamics(description.limits, spec.startQ);
    this.spec = spec;
    this.objects = spec.objects.map((o) => ({ ...o }));
    this.#puck = this.objects.find((o) => o.role === 'puck') ?? null;
    this.#substepS = substepS;
    this.#fk();
  }

  /** Joint positions (rad), description order. Live: read, don't keep. */
  get q(): Float64Array {
    return this.dynamics.position;
  }

  /** The moving puck (push), or null. */
  get puck(): Readonly<ArmObject> | null {
    return this.#puck;
  }

  /**
   * Distance that decides the task: tool point to the target point (reach), or puck centre to the
   * goal centre on the table (push).
   */
  taskError(): number {
    const t = this.spec.target;
    if (this.spec.kind === 'push') return Math.hypot(this.#puck!.x - t[0], this.#puck!.y - t[1]);
    const p = this.toolPosition;
    return Math.hypot(p[0]! - t[0], p[1]! - t[1], p[2]! - t[2]);
  }

  /** Puts the arm at rest at `q` (clamped to the limits), target = q (tests, scripted scenes). */
  setPosture(q: ArrayLike<number>): void {
    this.dynamics.reset(q);
    this.#fk();
  }

  /** Sets the joint position targets (clamped to the limits); returns how many joints were clamped. */
  command(q: ArrayLike<number>): number {
    return this.dynamics.setTarget(q);
  }

  /** Integrates the joints (and pushing) up to `tMs` in substeps. */
  stepTo(tMs: number): void {
    const dt = this.#substepS;
    while (this.timeMs < tMs - 1e-9) {
      const h = Math.min(dt, (tMs - this.timeMs) / 1000);
      this.dynamics.step(h);
      this.timeMs += h * 1000;
      this.#fk();
      if (this.#puck) this.#push(this.#puck);
      if (this.toolPosition[2]! < 0) this.tableContacts++;
    }
    this.timeMs = tMs;
  }

  #fk(): void {
    this.chain.solve(this.dynamics.position);
    this.chain.toolPosition(this.toolPosition);
  }

  #push(puck: ArmObject): void {
    const p = this.toolPosition;
    if (p[2]! > puck.heightM) return;
    const reach = puck.sizeM / 2 + TOOL_RADIUS_M;
    const dx = puck.x - p[0]!;
    const dy = puck.y - p[1]!;
    const d = Math.hypot(dx, dy);
    if (d >= reach) return;
    // Straight down onto the centre: push towards +x (any direction would do; this one is fixed).
    const ux = d > 1e-9 ? dx / d : 1;
    const uy = d > 1e-9 ? dy / d : 0;
    puck.x = Math.min(TABLE.maxX, Math.max(TABLE.minX, p[0]! + ux * reach));
    puck.y = Math.min(TABLE.maxY, Math.max(TABLE.minY, p[1]! + uy * reach));
  }
}
