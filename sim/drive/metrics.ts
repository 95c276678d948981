/**
 * Accumulates a test drive's metrics step by step and turns them into a `DriveResult`.
 *
 * `add` runs once per sim step and allocates nothing beyond the amortised doubling of its
 * typed-array columns (the full-resolution path, and |cross-track error| for percentiles); events
 * go to typed columns too, capped per kind (test/sim/drive/metrics-alloc.test.ts counts minor GCs
 * over a million steps). `finish` does the slow work: percentiles, decimation, plain arrays.
 *
 * Laps: lap k is complete when the cumulative progress first reaches k × track length (crossing time
 * interpolated between steps). Progress lost by reversing has to be driven again before the next
 * lap counts, so going backwards never earns a lap. Thresholds are absolute (lap 1 at 1 × length),
 * so progress must start at 0 on the start line.
 */
import { PilotError } from '../../src/core/util/errors.js';
import {
  DRIVE_EVENT_KINDS,
  DRIVE_RESULT_SCHEMA,
  type DriveDriverInfo,
  type DriveEvent,
  type DriveEventKind,
  type DriveLockstepStats,
  type DriveMode,
  type DriveResult,
  type DriveRuntimeStats,
  type DriveSample,
  type DriveTrackInfo,
  type LapResult,
  type TrackOutline,
} from './drive-result.js';
import { RecordBuffer } from './metrics-buffers.js';
import { decimateIndices, decimateOutline, percentileSorted } from './metrics-path.js';

export interface DriveMetricsOptions {
  readonly track: DriveTrackInfo;
  readonly lapsRequested: number;
  readonly driver: DriveDriverInfo;
  readonly seed: number;
  readonly mode: DriveMode;
  /** Default `nominal`. */
  readonly domain?: string;
  /** Full-resolution track geometry for the map; decimated to `maxOutlinePoints` per ring. */
  readonly outline?: TrackOutline;
  /** Sim time the drive started (lap 1 is timed from here). Default: the first sample's time. */
  readonly startTimeS?: number;
  /** Record every n-th step into the path (statistics still use every step). Default 1. */
  readonly sampleEvery?: number;
  /** Points in the result's path. Default 5000. */
  readonly maxPathPoints?: number;
  /** Points per outline ring in the result. Default 1000. */
  readonly maxOutlinePoints?: number;
  /** Contact within this long after the last contact is the same collision. Default 1 s. */
  readonly collisionDebounceS?: number;
  /** Events listed per kind (laps are always all listed); counters stay exact. Default 500. */
  readonly maxEventsPerKind?: number;
  /** Initial steps of column capacity (they double when full). Default 4096. */
  readonly initialCapacity?: number;
}

/** What is known only at the end of a drive. */
export interface DriveFinishInfo {
  readonly wallTimeS: number;
  /** Default: `laps completed`, or `stopped before the requested laps`. */
  readonly endReason?: string;
  readonly runtime?: DriveRuntimeStats;
  readonly lockstep?: DriveLockstepStats;
  readonly faults?: Record<string, number>;
}

/** The live view a progress display reads each step (getters, no allocation). */
export interface DriveLiveStatus {
  readonly samples: number;
  readonly simTimeS: number;
  readonly progressM: number;
  readonly lapsCompleted: number;
  readonly lapsRequested: number;
  readonly trackLengthM: number;
  readonly lastCrossTrackM: number;
  readonly offRoadEvents: number;
  readonly interventions: number;
  readonly collisions: number;
}

const FLAG_BREAK = 1;
const FLAG_OFF_ROAD = 2;
const FLAG_COLLIDED = 4;

const KIND_OFF_ROAD = DRIVE_EVENT_KINDS.indexOf('off_road');
const KIND_INTERVENTION = DRIVE_EVENT_KINDS.indexOf('intervention');
const KIND_COLLISION = DRIVE_EVENT_KINDS.indexOf('collision');
const KIND_LAP = DRIVE_EVENT_KINDS.indexOf('lap');

export class DriveMetrics implements DriveLiveStatus {
  readonly lapsRequested: number;
  readonly #o: DriveMetricsOptions;
  readonly #lengthM: number;
  readonly #sampleEvery: number;
  readonly #maxPathPoints: number;
  readonly #debounceS: number;
  readonly #maxEventsPerKind: number;
  readonly #outline: TrackOutline | undefined;

  // Full-resolution path (every sampleEvery-th step); `flags` holds FLAG_* bits.
  readonly #path: RecordBuffer<'tS' | 'x' | 'y' | 'crossTrackM' | 'speedMps' | 'steeringRad' | 'flags'>;
  /** Reset flag carried over steps that were not recorded, to the next recorded point. */
  #pendingFlags = 0;
  /** Off-road/collided flags of the latest step. */
  #lastFlags = 0;
  #lastStored = -1;
  // |cross-track| of every step, for percentiles.
  #absCte: Float64Array;

  // Events; `kind` is the index in DRIVE_EVENT_KINDS, `value` what `describe` turns into the detail.
  readonly #events: RecordBuffer<'tS' | 'kind' | 'x' | 'y' | 'value'>;
  readonly #eDetail = new Map<number, string>();
  readonly #eCount = new Uint32Array(DRIVE_EVENT_KINDS.length);
  readonly #eOmitted = new Uint32Array(DRIVE_EVENT_KINDS.length);
  #openOffRoad = -1;
  // The event being recorded: set these, then `#pushEvent(kind)`. Passing per-step doubles to a
  // call, even on a rare branch, can make V8 box them on every step; fields are updated in place.
  #evT = 0;
  #evX = 0;
  #evY = 0;
  #evValue = 0;
  #offRoadSinceS = 0;

  // Completed laps.
  readonly #laps: RecordBuffer<'timeS' | 'meanAbsCrossTrackM' | 'maxAbsCrossTrackM' | 'offRoadEvents' | 'interventions' | 'collisions'>;
  /** Crossing time of the lap line being closed (a field, so closing a lap passes no double). */
  #crossS = 0;

  // Running state.
  #n = 0;
  /** Time since the previous step (since the start for the first one), set by `#beginStep`. */
  #dtS = 0;
  #startS = 0;
  #lastS = 0;
  #lastX = 0;
  #lastY = 0;
  #lastCte = 0;
  #lastSpeed = 0;
  #lastSteer = 0;
  #lastProgressM = 0;
  #wasOnRoad = true;
  #lapsCompleted = 0;
  #lapStartS = 0;
  #lapN = 0;
  #lapSumAbs = 0;
  #lapMaxAbsCte = 0;
  #lapOffRoadEvents = 0;
  #lapInterventionCount = 0;
  #lapCollisionCount = 0;
  #sumAbs = 0;
  #sumCte = 0;
  #sumSq = 0;
  #maxAbs = 0;
  #sumSpeed = 0;
  #maxSpeed = -Infinity;
  #minSpeed = Infinity;
  #offRoadEvents = 0;
  #offRoadTimeS = 0;
  #interventions = 0;
  #collisions = 0;
  #everCollided = false;
  #lastContactS = 0;
  #hasPrevSteer = false;
  #hasPrevRate = false;
  #prevRate = 0;
  #prevRateDtS = 0;
  #sumAbsRate = 0;
  #maxAbsRate = 0;
  #nRate = 0;
  #sumSqAccel = 0;
  #nAccel = 0;
  readonly #safetyCounts = new Map<string, number>();

  constructor(options: DriveMetricsOptions) {
    const { track, lapsRequested } = options;
    if (!(Number.isFinite(track.lengthM) && track.lengthM > 0)) {
      throw new PilotError('E_DRIVE_METRICS', `track length must be positive [track=${track.name}, lengthM=${track.lengthM}]`);
    }
    if (!(Number.isFinite(track.widthM) && track.widthM > 0)) {
      throw new PilotError('E_DRIVE_METRICS', `track width must be positive [track=${track.name}, widthM=${track.widthM}]`);
    }
    if (!Number.isInteger(lapsRequested) || lapsRequested < 1) {
      throw new PilotError('E_DRIVE_METRICS', `laps requested must be an integer ≥ 1, got ${lapsRequested}`);
    }
    const sampleEvery = options.sampleEvery ?? 1;
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1) throw new PilotError('E_DRIVE_METRICS', `sampleEvery must be an integer ≥ 1, got ${sampleEvery}`);
    const maxPathPoints = options.maxPathPoints ?? 5000;
    if (!Number.isInteger(maxPathPoints) || maxPathPoints < 2) throw new PilotError('E_DRIVE_METRICS', `maxPathPoints must be an integer ≥ 2, got ${maxPathPoints}`);
    const debounceS = options.collisionDebounceS ?? 1;
    if (!(debounceS >= 0)) throw new PilotError('E_DRIVE_METRICS', `collisionDebounceS must be ≥ 0, got ${debounceS}`);
    const maxEventsPerKind = options.maxEventsPerKind ?? 500;
    if (!Number.isInteger(maxEventsPerKind) || maxEventsPerKind < 0) throw new PilotError('E_DRIVE_METRICS', `maxEventsPerKind must be an integer ≥ 0, got ${maxEventsPerKind}`);

    this.#o = options;
    this.lapsRequested = lapsRequested;
    this.#lengthM = track.lengthM;
    this.#sampleEvery = sampleEvery;
    this.#maxPathPoints = maxPathPoints;
    this.#debounceS = debounceS;
    this.#maxEventsPerKind = maxEventsPerKind;
    this.#outline = options.outline ? decimateOutline(options.outline, options.maxOutlinePoints ?? 1000) : undefined;

    const cap = options.initialCapacity ?? 4096;
    this.#path = new RecordBuffer(['tS', 'x', 'y', 'crossTrackM', 'speedMps', 'steeringRad', 'flags'], cap);
    this.#absCte = new Float64Array(cap);
    this.#events = new RecordBuffer(['tS', 'kind', 'x', 'y', 'value'], 64);
    this.#laps = new RecordBuffer(['timeS', 'meanAbsCrossTrackM', 'maxAbsCrossTrackM', 'offRoadEvents', 'interventions', 'collisions'], Math.max(4, Math.min(lapsRequested, 64) + 1)); // grows when needed
  }

  // --- live status -------------------------------------------------------------------------

  get samples(): number {
    return this.#n;
  }
  get simTimeS(): number {
    return this.#n === 0 ? 0 : this.#lastS - this.#startS;
  }
  get progressM(): number {
    return this.#lastProgressM;
  }
  get lapsCompleted(): number {
    return this.#lapsCompleted;
  }
  get trackLengthM(): number {
    return this.#lengthM;
  }
  get lastCrossTrackM(): number {
    return this.#lastCte;
  }
  get offRoadEvents(): number {
    return this.#offRoadEvents;
  }
  get interventions(): number {
    return this.#interventions;
  }
  get collisions(): number {
    return this.#collisions;
  }
  /** All requested laps are done. */
  get done(): boolean {
    return this.#lapsCompleted >= this.lapsRequested;
  }

  // --- per step (real-time path: no allocation beyond column growth) ------------------------

  /**
   * Account for one sim step. Samples must come in time order. Each part reads the sample and the
   * fields it updates (no per-step doubles are passed to a call: V8 may box them).
   */
  add(s: DriveSample): void {
    this.#beginStep(s);
    // Laps first: a step past the line belongs to the new lap.
    this.#closeCrossedLaps(s);
    this.#addCrossTrack(s);
    this.#addSpeed(s);
    this.#addSteering(s);
    this.#addOffRoad(s);
    this.#addIntervention(s);
    this.#addCollision(s);
    if (s.safetyReason !== undefined) this.#safetyCounts.set(s.safetyReason, (this.#safetyCounts.get(s.safetyReason) ?? 0) + 1);
    this.#endStep(s);
  }

  /** Checks the sample (finite, in time order), starts the clock on the first, sets `#dtS`. */
  #beginStep(s: DriveSample): void {
    const t = s.tS;
    if (
      !Number.isFinite(t) ||
      !Number.isFinite(s.x) ||
      !Number.isFinite(s.y) ||
      !Number.isFinite(s.crossTrackM) ||
      !Number.isFinite(s.progressM) ||
      !Number.isFinite(s.speedMps) ||
      !Number.isFinite(s.steeringRad)
    ) {
      throw new PilotError(
        'E_DRIVE_SAMPLE',
        `non-finite drive sample at step ${this.#n} [tS=${t}, x=${s.x}, y=${s.y}, crossTrackM=${s.crossTrackM}, progressM=${s.progressM}, speedMps=${s.speedMps}, steeringRad=${s.steeringRad}]`,
      );
    }
    const first = this.#n === 0;
    if (first) {
      this.#startS = this.#o.startTimeS ?? t;
      if (t < this.#startS) throw new PilotError('E_DRIVE_SAMPLE', `first sample at ${t} s is before the start time ${this.#startS} s`);
      this.#lapStartS = this.#startS;
    } else if (t < this.#lastS) {
      throw new PilotError('E_DRIVE_SAMPLE', `sample time went backwards at step ${this.#n}: ${t} s after ${this.#lastS} s`);
    }
    this.#dtS = t - (first ? this.#startS : this.#lastS);
  }

  /** Closes every lap whose line this step reached, the crossing time interpolated between steps. */
  #closeCrossedLaps(s: DriveSample): void {
    const t = s.tS;
    const first = this.#n === 0;
    const progressM = s.progressM;
    while (progressM >= (this.#lapsCompleted + 1) * this.#lengthM) {
      const lineM = (this.#lapsCompleted + 1) * this.#lengthM;
      let crossS = t;
      if (!first && progressM > this.#lastProgressM && this.#lastProgressM < lineM) {
        crossS = this.#lastS + ((lineM - this.#lastProgressM) / (progressM - this.#lastProgressM)) * (t - this.#lastS);
      }
      this.#crossS = crossS;
      this.#evX = s.x;
      this.#evY = s.y;
      this.#closeLap();
    }
  }

  #addCrossTrack(s: DriveSample): void {
    const cte = s.crossTrackM;
    const abs = cte < 0 ? -cte : cte;
    this.#sumAbs += abs;
    this.#sumCte += cte;
    this.#sumSq += cte * cte;
    if (abs > this.#maxAbs) this.#maxAbs = abs;
    if (this.#n === this.#absCte.length) this.#growAbsCte();
    this.#absCte[this.#n] = abs;
    this.#lapN++;
    this.#lapSumAbs += abs;
    if (abs > this.#lapMaxAbsCte) this.#lapMaxAbsCte = abs;
  }

  #addSpeed(s: DriveSample): void {
    const v = s.speedMps;
    this.#sumSpeed += v;
    if (v > this.#maxSpeed) this.#maxSpeed = v;
    if (v < this.#minSpeed) this.#minSpeed = v;
  }

  /** Steering smoothness: finite differences of the commanded angle (an intervention restarts them). */
  #addSteering(s: DriveSample): void {
    const steer = s.steeringRad;
    const dtS = this.#dtS;
    if (this.#hasPrevSteer && dtS > 0) {
      const rate = (steer - this.#lastSteer) / dtS;
      const absRate = rate < 0 ? -rate : rate;
      this.#sumAbsRate += absRate;
      if (absRate > this.#maxAbsRate) this.#maxAbsRate = absRate;
      this.#nRate++;
      if (this.#hasPrevRate) {
        const accel = (rate - this.#prevRate) / ((dtS + this.#prevRateDtS) / 2);
        this.#sumSqAccel += accel * accel;
        this.#nAccel++;
      }
      this.#prevRate = rate;
      this.#prevRateDtS = dtS;
      this.#hasPrevRate = true;
    }
    this.#hasPrevSteer = !s.intervention;
    if (s.intervention) this.#hasPrevRate = false;
  }

  /** Off road: count entries; time is the steps spent off road. */
  #addOffRoad(s: DriveSample): void {
    const t = s.tS;
    if (!s.onRoad) {
      this.#offRoadTimeS += this.#dtS;
      if (this.#wasOnRoad) {
        this.#offRoadEvents++;
        this.#lapOffRoadEvents++;
        this.#offRoadSinceS = t;
        this.#evT = t;
        this.#evX = s.x;
        this.#evY = s.y;
        this.#evValue = NaN;
        this.#openOffRoad = this.#pushEvent(KIND_OFF_ROAD);
      }
    } else if (!this.#wasOnRoad) {
      if (this.#openOffRoad >= 0) this.#events.columns.value[this.#openOffRoad] = t - this.#offRoadSinceS;
      this.#openOffRoad = -1;
    }
    this.#wasOnRoad = s.onRoad;
  }

  /** Interventions: marked where the car was before the reset. */
  #addIntervention(s: DriveSample): void {
    if (!s.intervention) return;
    const first = this.#n === 0;
    this.#interventions++;
    this.#lapInterventionCount++;
    const lastCteAbs = this.#lastCte < 0 ? -this.#lastCte : this.#lastCte;
    this.#evT = s.tS;
    this.#evX = first ? s.x : this.#lastX;
    this.#evY = first ? s.y : this.#lastY;
    this.#evValue = first ? NaN : lastCteAbs;
    this.#pushEvent(KIND_INTERVENTION);
    this.#pendingFlags |= FLAG_BREAK;
  }

  /** Collisions, debounced: contact within `collisionDebounceS` of the last one is the same collision. */
  #addCollision(s: DriveSample): void {
    if (!s.collided) return;
    const t = s.tS;
    if (!this.#everCollided || t - this.#lastContactS > this.#debounceS) {
      this.#collisions++;
      this.#lapCollisionCount++;
      this.#evT = t;
      this.#evX = s.x;
      this.#evY = s.y;
      this.#evValue = s.speedMps;
      this.#pushEvent(KIND_COLLISION);
    }
    this.#everCollided = true;
    this.#lastContactS = t;
  }

  /** Remembers the step as the latest and records it into the path when it is a sampled one. */
  #endStep(s: DriveSample): void {
    this.#lastS = s.tS;
    this.#lastX = s.x;
    this.#lastY = s.y;
    this.#lastCte = s.crossTrackM;
    this.#lastSpeed = s.speedMps;
    this.#lastSteer = s.steeringRad;
    this.#lastProgressM = s.progressM;
    this.#lastFlags = (s.onRoad ? 0 : FLAG_OFF_ROAD) | (s.collided ? FLAG_COLLIDED : 0);
    if (this.#n % this.#sampleEvery === 0) this.#storeLast(this.#n);
    this.#n++;
  }

  /**
   * A harness event that is not part of a sample (a lockstep command timeout, an injected fault),
   * placed at the car's last position. Not for every step: it may allocate.
   */
  noteEvent(kind: 'timeout' | 'fault', tS: number, detail?: string): void {
    this.#evT = tS;
    this.#evX = this.#lastX;
    this.#evY = this.#lastY;
    this.#evValue = NaN;
    const i = this.#pushEvent(DRIVE_EVENT_KINDS.indexOf(kind));
    if (i >= 0 && detail !== undefined) this.#eDetail.set(i, detail);
  }

  /** Append the latest step (index `step`) to the path, with the reset flag of any skipped steps. */
  #storeLast(step: number): void {
    const i = this.#path.next();
    const p = this.#path.columns;
    p.tS[i] = this.#lastS;
    p.x[i] = this.#lastX;
    p.y[i] = this.#lastY;
    p.crossTrackM[i] = this.#lastCte;
    p.speedMps[i] = this.#lastSpeed;
    p.steeringRad[i] = this.#lastSteer;
    p.flags[i] = this.#pendingFlags | this.#lastFlags;
    this.#pendingFlags = 0;
    this.#lastStored = step;
  }

  #growAbsCte(): void {
    const grown = new Float64Array(this.#absCte.length * 2);
    grown.set(this.#absCte);
    this.#absCte = grown;
  }

  /** Close the lap whose line was crossed at `#crossS`, its event placed at `#evX`, `#evY`. */
  #closeLap(): void {
    const timeS = this.#crossS - this.#lapStartS;
    const i = this.#laps.next();
    const c = this.#laps.columns;
    c.timeS[i] = timeS;
    c.meanAbsCrossTrackM[i] = this.#lapN > 0 ? this.#lapSumAbs / this.#lapN : NaN;
    c.maxAbsCrossTrackM[i] = this.#lapN > 0 ? this.#lapMaxAbsCte : NaN;
    c.offRoadEvents[i] = this.#lapOffRoadEvents;
    c.interventions[i] = this.#lapInterventionCount;
    c.collisions[i] = this.#lapCollisionCount;
    this.#lapsCompleted++;
    this.#evT = this.#crossS;
    this.#evValue = timeS;
    this.#pushEvent(KIND_LAP);
    this.#lapStartS = this.#crossS;
    this.#lapN = 0;
    this.#lapSumAbs = 0;
    this.#lapMaxAbsCte = 0;
    this.#lapOffRoadEvents = 0;
    this.#lapInterventionCount = 0;
    this.#lapCollisionCount = 0;
  }

  /** Record the event in `#evT`, `#evX`, `#evY`, `#evValue`; its row, or -1 when its kind is over the cap (laps never are). */
  #pushEvent(kind: number): number {
    if (kind !== KIND_LAP && this.#eCount[kind]! >= this.#maxEventsPerKind) {
      this.#eOmitted[kind]!++;
      return -1;
    }
    this.#eCount[kind]!++;
    const i = this.#events.next();
    const c = this.#events.columns;
    c.kind[i] = kind;
    c.tS[i] = this.#evT;
    c.x[i] = this.#evX;
    c.y[i] = this.#evY;
    c.value[i] = this.#evValue;
    return i;
  }

  // --- reporting ---------------------------------------------------------------------------

  /**
   * The drive's result. May be called again after more samples (a snapshot); it only appends the
   * latest step to the recorded path when sampling skipped it.
   */
  finish(info: DriveFinishInfo): DriveResult {
    const o = this.#o;
    const n = this.#n;
    if (n > 0 && this.#lastStored !== n - 1) this.#storeLast(n - 1);
    const simTimeS = this.simTimeS;
    const completed = this.#lapsCompleted >= this.lapsRequested;
    const result: DriveResult = {
      schema: DRIVE_RESULT_SCHEMA,
      track: { name: o.track.name, split: o.track.split, lengthM: o.track.lengthM, widthM: o.track.widthM },
      driver: { ...o.driver },
      seed: o.seed,
      mode: o.mode,
      domain: o.domain ?? 'nominal',
      lapsRequested: this.lapsRequested,
      lapsCompleted: this.#lapsCompleted,
      completed,
      endReason: info.endReason ?? (completed ? 'laps completed' : 'stopped before the requested laps'),
      lapTimesS: this.#laps.toArray('timeS'),
      laps: this.#lapList(completed),
      samples: n,
      simTimeS,
      wallTimeS: info.wallTimeS,
      realtimeFactor: info.wallTimeS > 0 ? simTimeS / info.wallTimeS : NaN,
      crossTrack: this.#crossTrackSummary(),
      offRoadEvents: this.#offRoadEvents,
      offRoadTimeS: this.#offRoadTimeS,
      interventions: this.#interventions,
      collisions: this.#collisions,
      steeringSmoothness: this.#steeringSummary(),
      speed: this.#speedSummary(),
      path: this.#decimatedPath(),
      events: this.#eventList(),
    };
    this.#addOptionalParts(result, info);
    return result;
  }

  /** The completed laps, and the lap under way when the drive stopped short. */
  #lapList(completed: boolean): LapResult[] {
    const laps: LapResult[] = [];
    const lc = this.#laps.columns;
    for (let i = 0; i < this.#laps.length; i++) {
      laps.push({
        lap: i + 1,
        complete: true,
        timeS: lc.timeS[i]!,
        meanAbsCrossTrackM: lc.meanAbsCrossTrackM[i]!,
        maxAbsCrossTrackM: lc.maxAbsCrossTrackM[i]!,
        offRoadEvents: lc.offRoadEvents[i]!,
        interventions: lc.interventions[i]!,
        collisions: lc.collisions[i]!,
      });
    }
    if (!completed && this.#lapN > 0) {
      laps.push({
        lap: this.#lapsCompleted + 1,
        complete: false,
        timeS: this.#lastS - this.#lapStartS,
        meanAbsCrossTrackM: this.#lapSumAbs / this.#lapN,
        maxAbsCrossTrackM: this.#lapMaxAbsCte,
        offRoadEvents: this.#lapOffRoadEvents,
        interventions: this.#lapInterventionCount,
        collisions: this.#lapCollisionCount,
      });
    }
    return laps;
  }

  #crossTrackSummary(): DriveResult['crossTrack'] {
    const n = this.#n;
    return {
      meanAbsM: n > 0 ? this.#sumAbs / n : NaN,
      meanM: n > 0 ? this.#sumCte / n : NaN,
      rmsM: n > 0 ? Math.sqrt(this.#sumSq / n) : NaN,
      maxAbsM: n > 0 ? this.#maxAbs : NaN,
      p95AbsM: percentileSorted(this.#absCte.slice(0, n).sort(), 95),
    };
  }

  #steeringSummary(): DriveResult['steeringSmoothness'] {
    return {
      meanAbsRateRadps: this.#nRate > 0 ? this.#sumAbsRate / this.#nRate : NaN,
      maxAbsRateRadps: this.#nRate > 0 ? this.#maxAbsRate : NaN,
      rmsAccelRadps2: this.#nAccel > 0 ? Math.sqrt(this.#sumSqAccel / this.#nAccel) : NaN,
    };
  }

  #speedSummary(): DriveResult['speed'] {
    const n = this.#n;
    return {
      meanMps: n > 0 ? this.#sumSpeed / n : NaN,
      maxMps: n > 0 ? this.#maxSpeed : NaN,
      minMps: n > 0 ? this.#minSpeed : NaN,
    };
  }

  /** The parts a result has only when there is something in them, in the result's key order. */
  #addOptionalParts(result: DriveResult, info: DriveFinishInfo): void {
    if (this.#safetyCounts.size > 0) result.stepsBySafetyReason = Object.fromEntries(this.#safetyCounts);
    if (info.runtime) result.runtime = structuredClone(info.runtime);
    if (info.lockstep) result.lockstep = { ...info.lockstep };
    if (info.faults) result.faults = { ...info.faults };
    let omitted: Partial<Record<DriveEventKind, number>> | undefined;
    for (let k = 0; k < DRIVE_EVENT_KINDS.length; k++) {
      if (this.#eOmitted[k]! > 0) (omitted ??= {})[DRIVE_EVENT_KINDS[k]!] = this.#eOmitted[k]!;
    }
    if (omitted) result.eventsOmitted = omitted;
    if (this.#outline) result.trackOutline = this.#outline;
  }

  #decimatedPath(): DriveResult['path'] {
    const p = this.#path.columns;
    const cte = p.crossTrackM;
    const flags = p.flags;
    const idx = decimateIndices(this.#path.length, this.#maxPathPoints, (i) => Math.abs(cte[i]!));
    const pick = (col: Float64Array): number[] => Array.from(idx, (i) => col[i]!);
    const breaks: number[] = [];
    for (let k = 1; k < idx.length; k++) {
      for (let j = idx[k - 1]! + 1; j <= idx[k]!; j++) {
        if (flags[j]! & FLAG_BREAK) {
          breaks.push(k);
          break;
        }
      }
    }
    return {
      tS: pick(p.tS),
      x: pick(p.x),
      y: pick(p.y),
      crossTrackM: pick(p.crossTrackM),
      speedMps: pick(p.speedMps),
      steeringRad: pick(p.steeringRad),
      breaks,
    };
  }

  #eventList(): DriveEvent[] {
    const events: DriveEvent[] = [];
    const c = this.#events.columns;
    let lap = 0;
    for (let i = 0; i < this.#events.length; i++) {
      const kind = DRIVE_EVENT_KINDS[c.kind[i]!]!;
      if (kind === 'lap') lap++;
      const value = c.value[i]!;
      const event: DriveEvent = { tS: c.tS[i]!, kind, x: c.x[i]!, y: c.y[i]! };
      const detail = this.#eDetail.get(i) ?? describe(kind, value, lap);
      if (detail !== undefined) event.detail = detail;
      events.push(event);
    }
    // Harness events may be noted with their own times: keep the list in time order (stable).
    return events.sort((a, b) => a.tS - b.tS);
  }
}

/** The generated detail text of a recorded event from its stored `value`. */
function describe(kind: DriveEventKind, value: number, lap: number): string | undefined {
  switch (kind) {
    case 'lap':
      return `lap ${lap}: ${value.toFixed(3)} s`;
    case 'off_road':
      return Number.isNaN(value) ? 'off road until the end' : `off road for ${value.toFixed(2)} s`;
    case 'intervention':
      return Number.isNaN(value) ? 'reset to the centreline' : `reset from |cross-track| ${value.toFixed(2)} m`;
    case 'collision':
      return `at ${value.toFixed(2)} m/s`;
    case 'timeout':
    case 'fault':
      return undefined;
  }
}
