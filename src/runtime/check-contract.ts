/**
 * The model contract against the deployment: configured topics, calibration and command type.
 * Every mismatch names the input, what the model expects and what the config/calibration provide.
 */
import type { CameraCalibration } from '../calibration/camera.js';
import type { PilotConfig } from '../config/schema.js';
import type { ModelContract } from '../policy/contract.js';
import { PilotError } from '../util/errors.js';

export function checkContractAgainstConfig(contract: ModelContract, config: PilotConfig, camera: CameraCalibration): void {
  const fail = (message: string): never => {
    throw new PilotError('E_MODEL_CONTRACT', `${contract.id} (${config.model.path}): ${message}`);
  };
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
    for (const field of input.fields) {
      if (!provided.has(field)) {
        fail(
          `input '${input.name}' needs state field '${field}', config inputs.state provides [${[...provided.keys()].join(', ') || 'nothing'}]`,
        );
      }
    }
  }
  const wanted = new Set(contract.inputs.flatMap((i) => (i.role === 'state' ? i.fields : [])));
  for (const s of config.inputs.state) {
    if (!wanted.has(s.field)) fail(`config inputs.state field '${s.field}' is not an input of the model (it takes [${[...wanted].join(', ') || 'no state'}])`);
  }
  const kind = config.outputs.command.type;
  const armKinds = ['joint_trajectory', 'float64_multi_array'];
  if (contract.profile === 'vehicle' && armKinds.includes(kind)) fail(`profile 'vehicle' cannot drive command type '${kind}' (use ackermann or twist)`);
  if (contract.profile === 'arm' && !armKinds.includes(kind)) fail(`profile 'arm' cannot drive command type '${kind}' (use joint_trajectory or float64_multi_array)`);
}
