/** Imitation-learning datasets: bags → frames + labels (+ joint states for arms), splits, steering balance, augmentation. */
export {
  checkDataset,
  concatDatasets,
  emptyDataset,
  frameBytes,
  splitByEpisode,
  stateSize,
  subsetDataset,
  summarizeTargets,
  type DatasetSplit,
  type ImageDataset,
  type SplitOptions,
  type TargetSummary,
} from './dataset.js';
export { FrameExtractor, modelInputSize, type ExtractResult, type ImageSize } from './frame-extractor.js';
export {
  datasetFromBags,
  formatDatasetReport,
  probeCameraSize,
  resolveCameraTopic,
  resolveCommandTopic,
  targetSpecFromContract,
  DEFAULT_CAMERA_TOPIC,
  DEFAULT_COMMAND_TOPIC,
  SKIP_REASONS,
  type BagDataset,
  type BagDatasetBagReport,
  type BagDatasetOptions,
  type BagDatasetReport,
  type BagInput,
  type DatasetTargetSpec,
  type SkipReason,
} from './from-bags.js';
export { blockSizes, splitByTime, DEFAULT_GAP_FRAMES, type TimeSplit, type TimeSplitOptions } from './time-split.js';
export { formatBalance, resampleIndices, steeringBalance, type BalanceOptions, type SteeringBalance } from './balance.js';
export { augmentConfig, createAugmenter, DEFAULT_AUGMENT, NO_AUGMENT, type AugmentConfig, type AugmentFn, type AugmentOptions, type Rng } from './augment.js';
export {
  armDatasetFromBags,
  armSpecFromContract,
  formatArmDatasetReport,
  positionsByName,
  resolveArmCommandTopic,
  resolveJointStateTopic,
  summarizeStates,
  ARM_SKIP_REASONS,
  DEFAULT_ARM_CAMERA_TOPIC,
  DEFAULT_ARM_COMMAND_TOPICS,
  DEFAULT_JOINT_STATE_TOPIC,
  type ArmBagDataset,
  type ArmBagDatasetOptions,
  type ArmBagReport,
  type ArmDatasetReport,
  type ArmDatasetSpec,
  type ArmSkipReason,
} from './arm-from-bags.js';
