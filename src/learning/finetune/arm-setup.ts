/**
 * What arm policies see and produce: the camera preprocessing and small backbones for training from
 * scratch, the head (joint targets from features + joint state), the action fields scaled to each
 * joint's limits, and the check that a contract fits the arm in calibration/.
 *
 * Conventions (shared with the runtime's arm profile and the simulator): joint order = the arm
 * description's `jointNames` (base → tool); the policy takes `image` and `joint_state` [1, n]
 * (positions, rad) and outputs `action` [1, n] = absolute joint position targets, raw tanh mapped to
 * each joint's limits: scale = (upper − lower) / 2, offset = (upper + lower) / 2.
 */
import type { ArmDescription } from '../../core/kinematics/index.js';
import type { ContractOutputField, ModelContract, StateContractInput } from '../../runtime/policy/contract.js';
import { armActionFields, armStateArchitecture, convBackbone, SYMMETRIC_NORMALIZE, type BackboneArchitecture, type CameraPreprocessing, type HeadArchitecture } from '../train/index.js';
import { PilotError } from '../../core/util/errors.js';

/** The whole frame (the arm camera looks down at the table: nothing to crop), pixels to [−1, 1]. */
export const ARM_CAMERA: CameraPreprocessing = {
  color: 'rgb',
  normalize: SYMMETRIC_NORMALIZE,
  crop: { top: 0, bottom: 0, left: 0, right: 0 },
  undistort: false,
};

export type ArmBackbonePreset = 'small' | 'medium';

/**
 * Backbones for `--base scratch`, 4:3 inputs like the arm camera (160×120 / 320×240):
 *  - small: 48×64, 4 convolutions (16-24-32-32), a 64-wide feature vector (37k backbone parameters,
 *    42k with the default arm head; ≈ 500 samples/s in full mode on the 2-core wasm backend);
 *  - medium: 72×96, 4 convolutions (24-32-48-48), a 96-wide feature vector (228k backbone parameters,
 *    235k with the head; ≈ 150 samples/s).
 */
export const ARM_BACKBONES: Readonly<Record<ArmBackbonePreset, BackboneArchitecture>> = {
  small: convBackbone({ height: 48, width: 64 }, [[16, 5, 2], [24, 3, 2], [32, 3, 2], [32, 3, 1]], [64]),
  medium: convBackbone({ height: 72, width: 96 }, [[24, 5, 2], [32, 3, 2], [48, 3, 2], [48, 3, 1]], [96]),
};

/** A preset, optionally at another input size (height × width; the convolutions must still fit). */
export function armBackbone(preset: ArmBackbonePreset = 'small', input?: { readonly height: number; readonly width: number }): BackboneArchitecture {
  const base = ARM_BACKBONES[preset];
  if (!base) throw new PilotError('E_TRAIN_OPTIONS', `no arm backbone preset '${preset}' (have ${Object.keys(ARM_BACKBONES).join(', ')})`);
  return input ? { ...base, input: { channels: 3, height: input.height, width: input.width } } : base;
}

/** The arm policy head: joint position targets (tanh) from the features and the joint state. */
export function armPolicyHead(arm: Pick<ArmDescription, 'limits'>, hidden: readonly number[] = [64]): HeadArchitecture {
  return { hidden: [...hidden], outputs: arm.limits.map((l) => l.name), outputActivation: 'tanh', state: armStateArchitecture(arm.limits) };
}

/** Action fields of the arm's policy (one per joint, rad, tanh ±1 ↔ the joint's limits). */
export function armFields(arm: Pick<ArmDescription, 'limits'>): ContractOutputField[] {
  return armActionFields(arm.limits) as ContractOutputField[];
}

/**
 * Joint positions (rad, `count × n`, joint order) → raw labels for the network, clamped to ±1 (a
 * target beyond a joint limit cannot be output anyway). For collectors that build datasets in memory.
 */
export function jointTargetsToRaw(fields: readonly ContractOutputField[], positionsRad: ArrayLike<number>, out = new Float32Array(positionsRad.length)): Float32Array {
  const n = fields.length;
  if (positionsRad.length % n !== 0 || out.length < positionsRad.length) {
    throw new PilotError('E_DATASET_SHAPE', `joint targets: ${positionsRad.length} values are not whole vectors of ${n} joints (or out has ${out.length})`);
  }
  for (let i = 0; i < positionsRad.length; i++) {
    const f = fields[i % n]!;
    const raw = (positionsRad[i]! - f.offset) / f.scale;
    out[i] = raw > 1 ? 1 : raw < -1 ? -1 : raw;
  }
  return out;
}

/**
 * A contract fits the arm when its profile is 'arm', its action fields are the arm's joints in
 * order, mapped to their limits, and it has exactly one state input whose fields are the joints.
 * Throws E_ARM_CONTRACT naming what differs.
 */
export function checkArmContract(contract: ModelContract, arm: Pick<ArmDescription, 'limits' | 'source'>, source: string): void {
  const fail = (what: string): never => {
    throw new PilotError('E_ARM_CONTRACT', `${source}: ${what} (arm ${arm.source})`);
  };
  const joints = arm.limits.map((l) => l.name);
  if (contract.profile !== 'arm') fail(`contract profile is '${contract.profile}', not 'arm'`);
  const fields = contract.outputs[0]!.fields;
  const names = fields.map((f) => f.name);
  if (names.join('\u0000') !== joints.join('\u0000')) fail(`action fields [${names.join(', ')}] are not the arm's joints [${joints.join(', ')}]`);
  const want = armActionFields(arm.limits);
  fields.forEach((f, i) => {
    const w = want[i]!;
    if (f.unit !== 'rad' || Math.abs(f.scale - w.scale) > 1e-6 || Math.abs(f.offset - w.offset) > 1e-6) {
      fail(`action field ${f.name}: ${f.unit}, scale ${f.scale}, offset ${f.offset}; the arm's limits give rad, scale ${w.scale}, offset ${w.offset}`);
    }
  });
  const states = contract.inputs.filter((i): i is StateContractInput => i.role === 'state');
  if (states.length !== 1) fail(`an arm policy has one state input (the joint state), the contract has ${states.length}`);
  const s = states[0]!.fields;
  if (s.join('\u0000') !== joints.join('\u0000')) fail(`state input fields [${s.join(', ')}] are not the arm's joints [${joints.join(', ')}]`);
}
