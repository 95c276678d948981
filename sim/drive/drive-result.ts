/**
 * The result of one closed-loop test drive (`pilot drive`), as written to JSON and read by the
 * report renderers. Plain data, JSON-serialisable; versioned by `schema`.
 *
 * Conventions: every name carries its unit (`M` metres, `S` seconds, `Ms` milliseconds, `Mps`
 * metres per second, `Rad` radians, `Radps` rad/s, `Radps2` rad/s²). World coordinates are the
 * track's frame (x right, y up, metres). A metric that could not be measured is NaN in memory and
 * `null` in the JSON file (see `sim/report/json.ts`). Cross-track error is signed: positive left of
 * the centreline in the direction of travel.
 *
 * Schema history:
 * - `pilot.drive/1`: first version.
 */

export const DRIVE_RESULT_SCHEMA = 'pilot.drive/1' as const;

export type DriveMode = 'lockstep' | 'realtime';

/** What the metrics record on the timeline. `timeout` and `fault` come from the harness (`noteEvent`). */
export type DriveEventKind = 'off_road' | 'intervention' | 'collision' | 'lap' | 'timeout' | 'fault';

export const DRIVE_EVENT_KINDS: readonly DriveEventKind[] = ['off_road', 'intervention', 'collision', 'lap', 'timeout', 'fault'];

/**
 * The state after one sim step, fed to `DriveMetrics.add`. Read, never kept: reuse one object per drive.
 */
export interface DriveSample {
  /** Sim time at the end of the step. */
  tS: number;
  x: number;
  y: number;
  yawRad: number;
  /** Longitudinal speed, negative when reversing. */
  speedMps: number;
  /** Steering angle commanded this step, after the safety layer (what the actuator was asked for). */
  steeringRad: number;
  /** Signed distance from the centreline, positive to the left. */
  crossTrackM: number;
  /** Cumulative along-track distance from the start line; goes down when the car reverses. */
  progressM: number;
  /** All wheels (or the reference point) on the road surface. */
  onRoad: boolean;
  /** In contact with an obstacle, cone or barrier this step. */
  collided: boolean;
  /** The car was reset to the centreline this step; x/y/crossTrackM are the pose after the reset. */
  intervention: boolean;
  /** The runtime's safety reason for the command applied this step (`ok`, `stale_input`, …), if known. */
  safetyReason?: string;
}

export interface DriveTrackInfo {
  name: string;
  /** `train`, `eval` (unseen), `procedural`, … as the track catalogue names it. */
  split: string;
  /** Centreline length of one lap. */
  lengthM: number;
  /** Road width, edge to edge. */
  widthM: number;
}

export interface DriveDriverInfo {
  kind: 'model' | 'expert' | 'external';
  /** Model path (kind `model`). */
  model?: string;
  /** SHA-256 of the model file, hex. */
  sha256?: string;
  /** Free text, e.g. `pure pursuit, lookahead 4 m, noise 0.02 rad`. */
  detail?: string;
}

export interface LapResult {
  /** 1-based. */
  lap: number;
  /** False for the lap in progress when a drive ended before `lapsRequested`. */
  complete: boolean;
  /** Crossing to crossing, interpolated between steps; for an incomplete lap, the time driven in it. */
  timeS: number;
  meanAbsCrossTrackM: number;
  maxAbsCrossTrackM: number;
  offRoadEvents: number;
  interventions: number;
  collisions: number;
}

/** Over every step (not time-weighted: sim steps have a fixed dt). */
export interface CrossTrackStats {
  meanAbsM: number;
  /** Signed mean: a bias to one side. */
  meanM: number;
  rmsM: number;
  maxAbsM: number;
  /** Nearest-rank 95th percentile of |error|. */
  p95AbsM: number;
}

/**
 * From the commanded steering angle δ, by finite differences between consecutive steps:
 * rate = Δδ/Δt, acceleration = Δrate/Δt (mean of the two step lengths). The chain restarts after an
 * intervention, so a reset does not count as a steering jump. Lower is smoother.
 */
export interface SteeringSmoothness {
  meanAbsRateRadps: number;
  maxAbsRateRadps: number;
  /** Root mean square of the steering acceleration (d²δ/dt²): penalises jitter and oscillation. */
  rmsAccelRadps2: number;
}

export interface SpeedStats {
  meanMps: number;
  maxMps: number;
  minMps: number;
}

export interface LatencyPercentilesMs {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** The control runtime's own counters over the drive (model drives only). */
export interface DriveRuntimeStats {
  ticks: number;
  deadlineMisses: number;
  skippedCycles: number;
  /** Ticks stopped because the camera or a state input was older than its max age. */
  staleInput: number;
  /** Tick latency: input ready → command published. */
  latencyMs: LatencyPercentilesMs;
  inferenceMs: { p50: number; p99: number };
  /** Ticks per safety reason (`ok`, `startup`, `deadline_miss`, …). */
  safetyReasons: Record<string, number>;
  /** A chunked policy's action queue (README "Action chunks"). */
  chunks?: DriveChunkStats;
}

export interface DriveChunkStats {
  steps: number;
  stepMs: number;
  blend: string;
  inferences: number;
  chunksQueued: number;
  /** Ticks with good inputs and no chunk covering now (hold, then stop). */
  emptyQueueFallbacks: number;
  blendedActions: number;
  freshActions: number;
  /** Steps left in the newest chunk at each tick. */
  queueDepthSteps: { p50: number; min: number };
  /** Age of the newest chunk when used: now − observation time, ms (the loop's clock). */
  chunkAgeMs: { p50: number; p99: number; max: number };
  /** Inference start → chunk back, wall ms. */
  inferenceMs: { p50: number; p99: number };
  /** Chunks never executed because their horizon had passed (on arrival or unused). */
  chunksExpired: number;
}

export interface DriveLockstepStats {
  steps: number;
  /** Steps where the runtime's command did not arrive before the per-step timeout. */
  commandTimeouts: number;
  /** Steps where the driver had not received the step's sensor messages before the timeout. */
  deliveryTimeouts?: number;
}

/**
 * The driven path, decimated to at most `maxPathPoints` (first and last step always kept; inside,
 * each bucket of steps keeps its largest |cross-track error| so peaks survive). Parallel arrays.
 */
export interface DrivePath {
  tS: number[];
  x: number[];
  y: number[];
  crossTrackM: number[];
  speedMps: number[];
  steeringRad: number[];
  /** Indices i where the car was reset between point i-1 and point i: draw no segment there. */
  breaks: number[];
}

export interface DriveEvent {
  tS: number;
  kind: DriveEventKind;
  /** Where it happened (for an intervention: where the car was before the reset). */
  x: number;
  y: number;
  detail?: string;
}

/** Decimated track geometry for the map: `[x, y]` points. */
export interface TrackOutline {
  centre: [number, number][];
  left: [number, number][];
  right: [number, number][];
  /** A loop: the last point joins the first. */
  closed: boolean;
}

export interface DriveResult {
  schema: typeof DRIVE_RESULT_SCHEMA;
  track: DriveTrackInfo;
  driver: DriveDriverInfo;
  seed: number;
  mode: DriveMode;
  /** `nominal`, or a description of the domain randomisation applied. */
  domain: string;
  lapsRequested: number;
  lapsCompleted: number;
  /** `lapsCompleted >= lapsRequested`. */
  completed: boolean;
  /** Why the drive ended: `laps completed`, `time limit`, `runtime stopped answering`, … */
  endReason: string;
  /** Times of the completed laps, in order. */
  lapTimesS: number[];
  /** Completed laps, then the lap in progress when the drive ended early. */
  laps: LapResult[];
  /** Sim steps fed to the metrics. */
  samples: number;
  simTimeS: number;
  wallTimeS: number;
  /** simTimeS / wallTimeS. */
  realtimeFactor: number;
  crossTrack: CrossTrackStats;
  /** Entries into off-road (transitions), not off-road steps. */
  offRoadEvents: number;
  offRoadTimeS: number;
  /** Resets to the centreline (like disengagements). */
  interventions: number;
  /** Distinct collisions: contact within the debounce time of the last contact is the same collision. */
  collisions: number;
  steeringSmoothness: SteeringSmoothness;
  speed: SpeedStats;
  /** Sim steps per safety reason of the applied command, when samples carried one. */
  stepsBySafetyReason?: Record<string, number>;
  runtime?: DriveRuntimeStats;
  lockstep?: DriveLockstepStats;
  /** Injected faults by kind (`camera_dropout`, `latency`, …). */
  faults?: Record<string, number>;
  path: DrivePath;
  /** In time order. Laps are always all listed; other kinds are capped per kind (see eventsOmitted). */
  events: DriveEvent[];
  /** Events left out of `events` by kind because of the cap; the counters above stay exact. */
  eventsOmitted?: Partial<Record<DriveEventKind, number>>;
  trackOutline?: TrackOutline;
}
