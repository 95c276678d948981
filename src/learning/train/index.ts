/**
 * Training engine: tfjs on the wasm backend, the driving network, the trainer and ONNX export/import.
 *
 * ```ts
 * await initTrainingBackend();                                   // once, before any Network
 * const base = readNetworkOnnx(bytes, 'models/backbone.onnx');   // E_BASE_MODEL when it does not fit
 * const net = loadNetwork(base, 'models/backbone.onnx', { head: POLICY_HEAD, seed });
 * const result = await trainNetwork(net, { train: { frames, indices, weights }, validation: { frames, indices } }, {
 *   mode: 'head', epochs: 30, seed, normalize: base.metadata.input.normalize, augment, onProgress,
 * });                                                            // E_TRAIN_NAN on a non-finite loss
 * const { bytes: onnx, contract } = exportPolicyOnnx(net, { id, camera: base.metadata.input, maxSteeringRad, maxSpeedMps });
 * net.dispose();
 *
 * // An arm policy: the head also takes the joint state (rad, joint order), normalised in-graph.
 * const arm = new Network({ backbone, head: { hidden: [64], outputs: jointNames, outputActivation: 'tanh', state: armStateArchitecture(limits) } });
 * await trainNetwork(arm, { train: { frames: datasetWithStates } }, { mode: 'full' });  // frames.states / stateNames
 * const { bytes } = exportArmPolicyOnnx(arm, { id, camera, joints: limits });           // image + joint_state → action
 * ```
 *
 * API
 * - `initTrainingBackend(): Promise<TrainingBackendInfo>` selects tfjs wasm (SIMD, one thread) and
 *   registers the gradients and wasm kernels training needs (Conv2DBackpropFilter; a faster
 *   Conv2DBackpropInput). Idempotent.
 * - `new Network(arch, { seed })`: named tf.Variables (HWIO conv, [in, out] dense), seeded He/Glorot init.
 *   `forward(x)`, `features(x)`, `head(f)` take NHWC float input (`{ fused: true }` for inference-only
 *   passes; `{ state }` [B, S] for a head with a state input, `arch.head.state`, concatenated to the
 *   features after (s − offset) / scale); `trainableVariables(mode, k)`, `getWeights()`, `setWeights(map)`, `dispose()`.
 *   Architectures: `DRIVING_BACKBONE`, `POLICY_HEAD`, `DRIVING_NETWORK`, `geometryHead(names)`, `describeLayers(arch)`.
 * - `trainNetwork(network, { train, validation? }, options): Promise<TrainResult>` — Adam, weighted MSE,
 *   modes 'head' | 'partial' | 'full', early stopping with best weights kept, augmentation hook,
 *   progress callback. Frames are `LabelledFrames` (any src/learning/dataset ImageDataset) with optional indices
 *   and per-frame weights.
 * - `exportPolicyOnnx(network, options): { bytes, contract }`, `exportBackboneOnnx(network, options)`,
 *   `exportPretrainOnnx(network, options)`: ONNX bytes (NCHW `image` → `action` / `features` / `geometry`).
 * - `exportArmPolicyOnnx(network, { id, camera, joints })`: `image` + `joint_state` [1, n] → `action` [1, n],
 *   contract profile 'arm', tanh mapped to each joint's limits (`armActionFields`, `armStateArchitecture`).
 * - `readNetworkOnnx(bytes, source): SavedNetwork` and `loadNetwork(saved, source, { head?, seed? })`.
 *
 * Error codes: E_TRAIN_BACKEND, E_TRAIN_ARCH, E_TRAIN_OPTIONS, E_TRAIN_DATA, E_TRAIN_WEIGHTS, E_TRAIN_NAN,
 * E_TRAIN_EXPORT, E_BASE_MODEL (plus E_MODEL_CONTRACT / E_MODEL_FORMAT from the runtime's own checks).
 */
export { initTrainingBackend, type TrainingBackendInfo } from './backend.js';
export { FrameNormalizer, SYMMETRIC_NORMALIZE, type FrameSelection, type LabelledFrames, type Normalize } from './frames.js';
export {
  convBackbone,
  describeLayers,
  DRIVING_BACKBONE,
  DRIVING_NETWORK,
  geometryHead,
  Network,
  POLICY_HEAD,
  type BackboneArchitecture,
  type ConvSpec,
  type HeadArchitecture,
  type LayerInfo,
  type ForwardOptions,
  type NetworkArchitecture,
  type NetworkOptions,
  type StateInputArchitecture,
} from './network.js';
export {
  ARM_STATE_INPUT,
  armActionFields,
  armStateArchitecture,
  BACKBONE_METADATA_KEY,
  BACKBONE_OUTPUT,
  DEFAULT_STATE_INPUT,
  exportArmPolicyOnnx,
  exportBackboneOnnx,
  exportPolicyOnnx,
  exportPretrainOnnx,
  INPUT_NAME,
  loadNetwork,
  NETWORK_METADATA_KEY,
  POLICY_OUTPUT,
  PRETRAIN_OUTPUT,
  readNetworkOnnx,
  type ArmJoint,
  type ArmPolicyExportOptions,
  type CameraPreprocessing,
  type ExportOptions,
  type LoadNetworkOptions,
  type PolicyExportOptions,
  type SavedKind,
  type SavedNetwork,
  type SavedNetworkMetadata,
} from './onnx-io.js';
export {
  trainNetwork,
  type AugmentFn,
  type EpochRecord,
  type TrainData,
  type TrainLoss,
  type TrainMode,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer.js';
