/** The replay's public shapes: what it takes (options, models) and what it returns (runs, result). */
import type { BagReader } from '../bags/bag-reader.js';
import type { BagWriter } from '../bags/bag-writer.js';
import type { PilotConfig } from '../../core/config/schema.js';
import type { Policy } from '../../runtime/policy/policy-session.js';
import type { TrainingBaselines } from './baselines.js';
import type { Comparison, EvaluateOptions, Evaluation, PredictionSeries } from './evaluate.js';
import type { TopicRemap } from './remap.js';

export const REPLAY_SCHEMA = 'pilot.replay/1';

/** Below this share of the window's camera frames accepted by the runtime, its error means nothing. */
export const MIN_ACCEPTED_FRAME_FRACTION = 0.9;

export interface ReplayModelSpec {
  /** Short name for reports and output topics (`a`, `b`, or the model's file name). */
  readonly label: string;
  /** Runtime configuration; `model.path` is the model this run uses. */
  readonly config: PilotConfig;
  /** An already-created policy (tests, benchmarks); the caller disposes it. Else made from `config.model`. */
  readonly policy?: Policy;
  /**
   * The training-set means the baselines compare with; null: none. Default: read from the model's
   * `pilot.baselines` metadata (`config.model.path`).
   */
  readonly baselines?: TrainingBaselines | null;
}

export interface ReplayOutputTopics {
  /** Predicted commands (default `/pilot/cmd`; `/pilot/<label>/cmd` with several models). */
  readonly command?: string;
  /** The runtime's diagnostics (default `/diagnostics`; `/pilot/<label>/diagnostics` with several). */
  readonly diagnostics?: string;
  /** Per-tick timeline (default `/pilot/timeline`; null to leave it out). */
  readonly timeline?: string | null;
}

export interface ReplayTap {
  addTopic(topic: string, type: string, schemaText?: string): void;
  message(topic: string, message: unknown, logTimeNs: bigint): void;
}

export interface ReplayProgress {
  /** Bag time replayed so far and in all, s from the window start. */
  readonly bagS: number;
  readonly totalS: number;
  readonly messages: number;
  readonly wallS: number;
}

export interface ReplayOptions {
  readonly reader: BagReader;
  readonly models: readonly ReplayModelSpec[];
  /** `fast`: as fast as possible on bag time (deterministic, default). `realtime`: wall time × rate. */
  readonly mode?: 'fast' | 'realtime';
  /** Real time only: 2 = twice as fast as recorded (default 1). */
  readonly rate?: number;
  /** Window to replay, s from the bag's first message (default all). */
  readonly startS?: number;
  readonly endS?: number;
  /** Bag topic → topic the runtime sees. */
  readonly remap?: TopicRemap;
  /** Topic (after remapping) of the recorded commands; default the config's command topic; null: none. */
  readonly referenceTopic?: string | null;
  /** Where to write the replay (inputs, recorded and predicted commands, diagnostics, timeline). The caller closes it. */
  readonly output?: BagWriter;
  readonly outputTopics?: ReplayOutputTopics;
  /** Sees what the output bag would get (each topic, then each message with its bag time), bag or not: the live view. */
  readonly tap?: ReplayTap;
  /** Skip unreadable chunks and undecodable messages (counted and noted) instead of failing. */
  readonly recover?: boolean;
  readonly evaluate?: EvaluateOptions;
  readonly log?: (line: string) => void;
  /** Called about once per wall second. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops the replay early; the result covers what was replayed. */
  readonly signal?: AbortSignal;
  /** Wall milliseconds for latency statistics (default performance.now). */
  readonly stopwatch?: () => number;
  /** How long to wait for a runtime to receive a message before failing, wall ms (default 10000). */
  readonly deliveryTimeoutMs?: number;
}

export interface LatencyStats {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

export interface ReplayRuntimeStats {
  readonly ticks: number;
  readonly commands: number;
  readonly deadlineMs: number;
  /** Tick latency (tick start → command published), wall ms on this machine. */
  readonly latencyMs: LatencyStats;
  readonly inferenceMs: LatencyStats;
  /** Camera frame preprocessing on arrival. */
  readonly preprocessMs: LatencyStats;
  /** Ticks whose wall-time work took longer than the loop deadline (they would have missed it live). */
  readonly overDeadline: number;
  readonly skippedCycles: number;
  readonly safetyReasons: Readonly<Record<string, number>>;
  readonly clamped: number;
  readonly slewLimited: number;
  readonly framesReceived: number;
  readonly framesRejected: number;
  readonly lastRejection: string;
  /** Frames of another size than the calibration's, sampled with its intrinsics scaled to them. */
  readonly framesScaledIntrinsics: number;
  /** Frames sampled with the geometry from the bag's camera_info. */
  readonly framesCameraInfoGeometry: number;
  readonly policyErrors: number;
}

/** How much of the camera stream the model actually saw. */
export interface ReplayInputCoverage {
  /** Camera frames in the replayed window delivered to the runtime. */
  readonly cameraFrames: number;
  /** Of those, the frames the runtime accepted (preprocessed into the model's input). */
  readonly framesAccepted: number;
  /** framesAccepted / cameraFrames (0 without frames). */
  readonly fraction: number;
  /** Rejected frames by reason, most frequent first. */
  readonly rejections: readonly { readonly reason: string; readonly count: number }[];
  /** fraction ≥ MIN_ACCEPTED_FRAME_FRACTION: enough frames for the error against the recorded commands to mean something. */
  readonly sufficient: boolean;
}

export interface ReplayRun {
  readonly label: string;
  readonly modelPath: string;
  readonly modelId: string;
  readonly provider: string;
  readonly commandTopic: string;
  readonly commandType: string;
  readonly predictions: PredictionSeries;
  readonly evaluation: Evaluation | null;
  /** The training-set means the evaluation's constant-mean baseline uses; null when the model stores none. */
  readonly baselines: TrainingBaselines | null;
  readonly input: ReplayInputCoverage;
  readonly runtime: ReplayRuntimeStats;
}

export interface ReplayTopic {
  /** The topic as the runtime saw it (after remapping). */
  readonly topic: string;
  readonly bagTopic: string;
  readonly type: string;
  readonly role: 'camera' | 'camera_info' | 'state' | 'estop' | 'reference';
  readonly messages: number;
}

export interface ReplayResult {
  readonly schema: typeof REPLAY_SCHEMA;
  readonly bag: { readonly path: string; readonly storage: string; readonly startNs: bigint; readonly endNs: bigint; readonly durationS: number };
  /** The replayed window: log times and s from the bag start. */
  readonly window: { readonly startNs: bigint; readonly endNs: bigint; readonly startS: number; readonly endS: number };
  readonly mode: 'fast' | 'realtime';
  readonly rate: number;
  readonly topics: readonly ReplayTopic[];
  readonly reference: ReplayTopic | null;
  readonly runs: readonly ReplayRun[];
  /** runs[1] − runs[0] when two models ran. */
  readonly comparison: Comparison | null;
  /** Unreadable parts and undecodable messages skipped (`recover`). */
  readonly skipped: { readonly count: number; readonly notes: readonly string[] };
  /** What the replay adapted or could not do, in words. */
  readonly notes: readonly string[];
  readonly interrupted: boolean;
  /** Real time only: messages published more than one control period after their time. */
  readonly lateMessages: number;
  readonly wallS: number;
  /** Bag time replayed, s. */
  readonly bagS: number;
  /** bagS / wallS. */
  readonly realTimeFactor: number;
  readonly output: { readonly messages: number; readonly topics: readonly string[] } | null;
}
