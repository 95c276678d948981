/** The options of `pilot pretrain` and `pilot train` (both profiles), one line each. */
import { ARM_BACKBONES } from '../learning/finetune/arm-setup.js';
import { choice, commaList, flag, number, repeated, text } from './options.js';
import { simConfigOption } from './shared-options.js';

/** The wording train's range errors have always had. */
const range = (min: number, max = Infinity) => ({ min, max, message: (flag: string, raw: string) => `${flag} must be a number in [${min}, ${max}], got '${raw}'` });
const whole = (min: number) => ({ integer: true, min, message: (flag: string, raw: string) => `${flag} must be an integer ≥ ${min}, got '${raw}'` });
const oneOf = (flag: string, raw: string, words: string) => `${flag} must be ${words}, got '${raw}'`;

export const PRETRAIN_OPTIONS = {
  out: text('-o, --out <onnx>', 'where to write the backbone', { default: 'models/pilot-backbone.onnx' }),
  frames: number('--frames <n>', 'simulated training frames', { default: 12_000, ...whole(64) }),
  'validation-frames': number('--validation-frames <n>', 'simulated validation frames', { ...whole(16), defaultLabel: 'a share of --frames' }),
  epochs: number('--epochs <n>', 'training epochs (at most)', { default: 12, ...whole(1) }),
  seed: number('--seed <n>', 'the seed of the data and the weights', { default: 1, ...whole(0) }),
  randomize: number('--randomize <0..1>', 'domain randomisation strength of the data', { default: 1, ...range(0, 1) }),
  batch: number('--batch <n>', 'batch size', { default: 32, ...whole(1) }),
  lr: number('--lr <rate>', 'learning rate', { default: 1e-3, ...range(1e-7, 1) }),
  patience: number('--patience <n>', 'epochs without improvement before stopping', { default: 3, ...whole(1) }),
  'sim-config': simConfigOption(),
} as const;

export const TRAIN_OPTIONS = {
  data: repeated('-d, --data <bags>', 'demonstration bags, comma separated or repeated (a folder of bags counts as all of them)', { split: true }),
  base: text('-b, --base <onnx|scratch>', 'what to start from: scratch, a backbone or a policy', { defaultLabel: 'scratch (arm: required)' }),
  out: text('-o, --out <onnx>', 'where to write the policy (required)'),
  profile: choice('--profile <profile>', 'what to train', ['vehicle', 'arm'], { defaultLabel: 'vehicle; arm with --arm', message: (f, r) => oneOf(f, r, 'vehicle or arm') }),
  mode: choice('--mode <mode>', 'which layers learn', ['head', 'partial', 'full'], { defaultLabel: 'by --base', message: (f, r) => oneOf(f, r, 'head, partial or full') }),
  'partial-layers': number('--partial-layers <n>', 'with --mode partial: backbone layers that learn', { default: 1, ...whole(1) }),
  epochs: number('--epochs <n>', 'training epochs (at most)', { ...whole(1), defaultLabel: '30; from scratch: by the data size' }),
  seed: number('--seed <n>', 'the seed of the split, the augmentation and the weights', { default: 1, ...whole(0) }),
  batch: number('--batch <n>', 'batch size', { default: 32, ...whole(1) }),
  lr: number('--lr <rate>', 'learning rate', { default: 1e-3, ...range(1e-7, 1) }),
  patience: number('--patience <n>', 'epochs without improvement before stopping', { ...whole(1), defaultLabel: '4' }),
  'latency-ms': number('--latency-ms <ms>', 'pair each frame with the command this much later', { default: 0, ...range(-1000, 1000) }),
  'chunk-steps': number('--chunk-steps <n>', 'a chunked policy: predict this many future actions per frame', { integer: true, min: 1, max: 1000, message: (flag: string, raw: string) => `${flag} must be an integer in [1, 1000], got '${raw}'` }),
  'chunk-step-ms': number('--chunk-step-ms <ms>', 'with --chunk-steps: time between the actions of a chunk', { ...range(1, 60_000), defaultLabel: "the loop period of --config (launch/drive.yaml: 50)" }),
  'validation-fraction': number('--validation-fraction <f>', 'share of the frames for validation', { default: 0.2, ...range(0, 0.9) }),
  holdout: number('--holdout <f>', 'share of the frames held out for the final scores', { default: 0, ...range(0, 0.8) }),
  'gap-frames': number('--gap-frames <n>', 'frames dropped between the splits (no near-duplicates across them)', { default: 20, ...whole(0) }),
  loss: choice('--loss <loss>', 'training loss', ['l1', 'huber', 'mse'], { defaultLabel: "the base's", message: (f, r) => oneOf(f, r, 'l1, huber or mse') }),
  flip: number('--flip <p>', 'probability of a mirrored frame (steering negated)', { default: 0.5, ...range(0, 1) }),
  balance: flag('--balance', 'balance the steering histogram'),
  'no-balance': flag('--no-balance', 'do not balance the steering histogram'),
  'no-augment': flag('--no-augment', 'no photometric augmentation'),
  copies: number('--copies <n>', 'augmented copies of each frame', { default: 2, ...whole(0) }),
  'input-size': text('--input-size <WxH>', 'from scratch: the network input size'),
  crop: text('--crop <t,b,l,r>', 'from scratch: the fractions cropped off the top, bottom, left and right'),
  rehearse: repeated('--rehearse <bags>', 'earlier data mixed in (against forgetting)', { split: true }),
  earlier: repeated('--earlier <bags>', 'earlier data only scored before and after (to measure forgetting)', { split: true }),
  dagger: number('--dagger <n>', 'DAgger rounds after training (drives in the simulator, the expert labels)', { default: 0, ...whole(0) }),
  'dagger-tracks': commaList('--dagger-tracks <names>', 'DAgger tracks', { defaultLabel: 'oval,chicane,hairpin,sweepers,esses' }),
  'dagger-laps': number('--dagger-laps <n>', 'DAgger laps per track', { default: 1, ...whole(1) }),
  'dagger-beta': number('--dagger-beta <0..1>', "share of the expert's control in the first round", { default: 0.5, ...range(0, 1) }),
  'dagger-epochs': number('--dagger-epochs <n>', 'epochs per DAgger round', { ...whole(1), defaultLabel: '10; arm: 15' }),
  'dagger-randomize': number('--dagger-randomize <0..1>', 'domain randomisation of the DAgger drives', { ...range(0, 1), defaultLabel: '0.3; arm: 0.5' }),
  'dagger-inference-delay-ms': number('--dagger-inference-delay-ms <ms>', 'with --chunk-steps: simulated inference time of the policy in the DAgger drives', { default: 0, ...range(0, 10_000) }),
  'dagger-episodes': number('--dagger-episodes <n>', 'arm: episodes per DAgger round', { default: 150, ...whole(1) }),
  'camera-topic': text('--camera-topic <topic>', 'the camera topic in the bags', { defaultLabel: "the config's" }),
  'command-topic': text('--command-topic <topic>', 'the command topic in the bags', { defaultLabel: "the config's" }),
  config: text('-c, --config <yaml>', 'the runtime config (topics, contract)', { defaultLabel: 'launch/drive.yaml; arm: launch/arm.yaml' }),
  'sim-config': simConfigOption(),
  arm: text('--arm <yaml>', 'arm: the arm description (implies --profile arm)', { defaultLabel: 'calibration/arm.yaml' }),
  arch: choice('--arch <preset>', 'arm, from scratch: the backbone size', Object.keys(ARM_BACKBONES), { defaultLabel: 'small', message: (f, r) => oneOf(f, r, Object.keys(ARM_BACKBONES).join(' or ')) }),
  hidden: text('--hidden <sizes>', 'arm: hidden layer sizes of the head, comma separated', { defaultLabel: '64' }),
  'joint-state-topic': text('--joint-state-topic <topic>', 'arm: the joint state topic in the bags', { defaultLabel: '/joint_states' }),
  'max-state-age-ms': number('--max-state-age-ms <ms>', 'arm: the oldest joint state paired with a frame', { ...range(0), defaultLabel: '200' }),
} as const;

/** Options only the arm profile takes, and those it does not. */
export const ARM_ONLY = ['arm', 'arch', 'hidden', 'joint-state-topic', 'max-state-age-ms'] as const;
export const VEHICLE_ONLY = ['rehearse', 'earlier', 'no-balance', 'balance', 'holdout', 'gap-frames', 'loss', 'flip', 'sim-config', 'dagger-tracks', 'dagger-laps', 'chunk-steps', 'chunk-step-ms', 'dagger-inference-delay-ms'] as const;
