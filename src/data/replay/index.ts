/**
 * Replay (issue 4): recorded bags through the real runtime with open-loop evaluation and model
 * comparison; `bag play` onto a transport.
 */
export { runReplay, adaptCamera, MIN_ACCEPTED_FRAME_FRACTION, REPLAY_SCHEMA, type LatencyStats, type ReplayInputCoverage, type ReplayModelSpec, type ReplayOptions, type ReplayOutputTopics, type ReplayProgress, type ReplayResult, type ReplayRun, type ReplayRuntimeStats, type ReplayTopic } from './replay-session.js';
export {
  compareSeries,
  DEFAULT_EVALUATE_OPTIONS,
  errorStats,
  evaluate,
  segmentStats,
  withBaselines,
  worstMoments,
  type Comparison,
  type EvaluatedField,
  type Disagreement,
  type EvaluateOptions,
  type Evaluation,
  type FieldError,
  type Moment,
  type PredictionSeries,
  type ReferenceSeries,
  type SegmentError,
} from './evaluate.js';
export { COMMAND_MESSAGE_TYPES, commandFields, type CommandFields } from './command-fields.js';
export { ScaledWallClock } from './replay-clock.js';
export { bagTopicFor, parseRemaps, remapTopic, type TopicRemap } from './remap.js';
export { playBag, qosFromOffered, VirtualTimer, WallTimer, type PlaybackTimer, type PlayOptions, type PlayStats } from './bag-player.js';
export { describeCoverage, describeRejections, formatReplaySummary, type TerminalOptions } from './report-terminal.js';
export { readModelBaselines } from './baselines.js';
export { renderReplayHtml } from './report-html.js';
export { replayJson, serializeReplay, type ReplayJsonOptions } from './report-json.js';
export { benchReplayThroughput, type ReplayBenchOptions, type ReplayBenchResult } from './replay-bench.js';
