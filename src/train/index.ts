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
 * ```
 *
 * API
 * - `initTrainingBackend(): Promise<TrainingBackendInfo>` selects tfjs wasm (SIMD, one thread) and
 *   registers the gradients and wasm kernels training needs (Conv2DBackpropFilter; a faster
 *   Conv2DBackpropInput). Idempotent.
 * - `new Network(arch, { seed })`: named tf.Variables (HWIO conv, [in, out] dense), seeded He/Glorot init.
 *   `forward(x)`, `features(x)`, `head(f)` take NHWC float input (`{ fused: true }` for inference-only
 *   passes); `trainableVariables(mode, k)`, `getWeights()`, `setWeights(map)`, `dispose()`.
 *   Architectures: `DRIVING_BACKBONE`, `POLICY_HEAD`, `DRIVING_NETWORK`, `geometryHead(names)`, `describeLayers(arch)`.
 * - `trainNetwork(network, { train, validation? }, options): Promise<TrainResult>` — Adam, weighted MSE,
 *   modes 'head' | 'partial' | 'full', early stopping with best weights kept, augmentation hook,
 *   progress callback. Frames are `LabelledFrames` (any src/dataset ImageDataset) with optional indices
 *   and per-frame weights.
 * - `exportPolicyOnnx(network, options): { bytes, contract }`, `exportBackboneOnnx(network, options)`,
 *   `exportPretrainOnnx(network, options)`: ONNX bytes (NCHW `image` → `action` / `features` / `geometry`).
 * - `readNetworkOnnx(bytes, source): SavedNetwork` and `loadNetwork(saved, source, { head?, seed? })`.
 *
 * Error codes: E_TRAIN_BACKEND, E_TRAIN_ARCH, E_TRAIN_OPTIONS, E_TRAIN_DATA, E_TRAIN_WEIGHTS, E_TRAIN_NAN,
 * E_TRAIN_EXPORT, E_BASE_MODEL (plus E_MODEL_CONTRACT / E_MODEL_FORMAT from the runtime's own checks).
 */
export { initTrainingBackend, type TrainingBackendInfo } from './backend.js';
export { FrameNormalizer, SYMMETRIC_NORMALIZE, type FrameSelection, type LabelledFrames, type Normalize } from './frames.js';
export {
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
  type NetworkArchitecture,
  type NetworkOptions,
} from './network.js';
export {
  BACKBONE_METADATA_KEY,
  BACKBONE_OUTPUT,
  exportBackboneOnnx,
  exportPolicyOnnx,
  exportPretrainOnnx,
  INPUT_NAME,
  loadNetwork,
  NETWORK_METADATA_KEY,
  POLICY_OUTPUT,
  PRETRAIN_OUTPUT,
  readNetworkOnnx,
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
  type TrainMode,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './trainer.js';
