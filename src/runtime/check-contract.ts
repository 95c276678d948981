/**
 * The model contract against the deployment: configured topics, calibration, command type and, for an
 * arm, the arm description. Every mismatch names the input, what the model expects and what the
 * config/calibration provide.
 */
import type { CameraCalibration } from '../core/calibration/camera.js';
import type { PilotConfig } from '../core/config/schema.js';
import type { ArmDescription } from '../core/kinematics/arm-description.js';
import type { ModelContract } from './policy/contract.js';
import { PilotError } from '../core/util/errors.js';

/**
 * An arm model's joint-state input: a state input naming any of the arm's joints (the check requires
 * it to name exactly the joints, in order). The runtime fills it from sensor_msgs/JointState.
 */
export function isJointStateInput(input: ModelContract['inputs'][number], arm: ArmDescription | undefined): boolean {
  return arm !== undefined && input.role === 'state' && input.fields.some((f) => arm.jointNames.includes(f));
}

export function checkContractAgainstConfig(contract: ModelContract, config: PilotConfig, camera: CameraCalibration, arm?: ArmDescription): void {
  const fail = (message: string): never => {
    throw new PilotError('E_MODEL_CONTRACT', `${contract.id} (${config.model.path}): ${message}`);
  };
  if (contract.profile === 'arm' && !config.arm) fail(`profile 'arm' needs the config's arm: section (arm.description: calibration/arm.yaml, arm.joint_states.topic)`);
  if (contract.profile === 'vehicle' && config.arm) fail(`profile 'vehicle' cannot run with the config's arm: section (${config.arm.description}); remove it for a vehicle`);
  if (contract.profile === 'arm' && arm) checkArm(contract, arm, fail);
  const cameras = contract.inputs.filter((i) => i.role === 'camera');
  if (cameras.length !== 1) fail(`expected exactly one camera input, the model has ${cameras.length}`);
  const cam = cameras[0]!;
  if (cam.role === 'camera' && cam.undistort && camera.distortionModel === 'equidistant' && camera.d.length < 4) {
    fail(`input '${cam.name}' asks for undistortion but the equidistant camera model has ${camera.d.length} of 4 coefficients`);
  }
  const provided = new Map(config.inputs.state.map((s) => [s.field, s]));
  for (const input of contract.inputs) {
    if (input.role !== 'state') continue;
    if (input.shape[1] !== input.fields.length) {
      fail(`input '${input.name}': shape [${input.shape.join(',')}] but ${input.fields.length} fields [${input.fields.join(', ')}]`);
    }
    if (isJointStateInput(input, arm)) continue; // from arm.joint_states, checked above
    for (const field of input.fields) {
      if (!provided.has(field)) {
        fail(
          `input '${input.name}' needs state field '${field}', config inputs.state provides [${[...provided.keys()].join(', ') || 'nothing'}]`,
        );
      }
    }
  }
  const wanted = new Set(contract.inputs.flatMap((i) => (i.role === 'state' && !isJointStateInput(i, arm) ? i.fields : [])));
  for (const s of config.inputs.state) {
    if (!wanted.has(s.field)) fail(`config inputs.state field '${s.field}' is not an input of the model (it takes [${[...wanted].join(', ') || 'no state'}])`);
  }
  const kind = config.outputs.command.type;
  const armKinds = ['joint_trajectory', 'float64_multi_array'];
  if (contract.profile === 'vehicle' && armKinds.includes(kind)) fail(`profile 'vehicle' cannot drive command type '${kind}' (use ackermann or twist)`);
  if (contract.profile === 'arm' && !armKinds.includes(kind)) fail(`profile 'arm' cannot drive command type '${kind}' (use joint_trajectory or float64_multi_array)`);
}

/** Output fields = the arm's joints in order with the joints' units; joint-state inputs likewise. */
function checkArm(contract: ModelContract, arm: ArmDescription, fail: (message: string) => never): void {
  const joints = arm.jointNames;
  const output = contract.outputs[0]!;
  const names = output.fields.map((f) => f.name);
  const mismatch = describeMismatch(names, joints);
  if (mismatch) fail(`output '${output.name}' fields [${names.join(', ')}] do not match the arm's joints [${joints.join(', ')}] (${arm.source}): ${mismatch}`);
  output.fields.forEach((f, i) => {
    const type = arm.chainJoints.find((j) => j.name === joints[i])!.type;
    const unit = type === 'prismatic' ? 'm' : 'rad';
    if (f.unit !== unit) fail(`output '${output.name}' field '${f.name}' has unit '${f.unit}', the ${type} joint takes '${unit}' (joint position targets)`);
  });
  for (const input of contract.inputs) {
    if (input.role !== 'state' || !isJointStateInput(input, arm)) continue;
    const m = describeMismatch(input.fields, joints);
    if (m) fail(`state input '${input.name}' fields [${input.fields.join(', ')}] do not match the arm's joints [${joints.join(', ')}] (${arm.source}): ${m}`);
  }
}

/** '' when `got` equals `want`, else what differs: missing, unexpected, duplicated names, or the order. */
function describeMismatch(got: readonly string[], want: readonly string[]): string {
  if (got.length === want.length && got.every((g, i) => g === want[i])) return '';
  const missing = want.filter((w) => !got.includes(w));
  const extra = got.filter((g) => !want.includes(g));
  const dup = got.filter((g, i) => got.indexOf(g) !== i);
  const parts: string[] = [];
  if (missing.length) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length) parts.push(`not joints of the arm: ${extra.join(', ')}`);
  if (dup.length) parts.push(`repeated: ${[...new Set(dup)].join(', ')}`);
  if (parts.length === 0) parts.push('same joints in a different order (the arm orders them base → tool)');
  return parts.join('; ');
}
