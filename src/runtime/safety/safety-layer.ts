/**
 * The last stage before publishing, and the only one allowed to decide what the robot receives.
 * Clamps to limits, limits slew rate, replaces non-finite values, stops on stale input and e-stop,
 * starts in the safe state, and counts every intervention. `update` allocates nothing.
 *
 * One layer serves both profiles. A vehicle's stop command is a value per field (speed 0). An arm's
 * fields are joint position targets (`holdMeasured`): its stop command holds the last measured joint
 * positions (`setMeasured`), nothing is published before the first measurement, fields with an
 * acceleration limit move toward their target within velocity and acceleration limits (braking in
 * time, so a target is reached without overshoot), and a `commandCheck` (the workspace) holds the last
 * command when the target lies outside, or when the next command would be further outside than the
 * last one (so an arm that finds itself outside can still move back in, never further out).
 */
import { PilotError } from '../../core/util/errors.js';

/** Why this tick's command is what it is. */
export type SafetyReason =
  | 'ok'
  | 'startup'
  | 'estop'
  | 'stale_input'
  | 'deadline_miss'
  | 'bad_input'
  | 'nonfinite'
  | 'policy_error'
  | 'shutdown'
  /** Arm: the target, or the next command, leaves the workspace (commandCheck): the last command is held. */
  | 'workspace';

export const SAFETY_REASONS: readonly SafetyReason[] = [
  'ok',
  'startup',
  'estop',
  'stale_input',
  'deadline_miss',
  'bad_input',
  'nonfinite',
  'policy_error',
  'shutdown',
  'workspace',
];

export interface SafetyFieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Largest change per second; Infinity for none. For a joint position: the velocity limit. */
  readonly maxRatePerS: number;
  /**
   * Largest change of the rate per second (a joint's acceleration limit); undefined or Infinity for
   * none. When set (finite), the field is limited in rate and acceleration relative to the last
   * commands over the period, braking in time to stop at the target.
   */
  readonly maxAccelPerS2?: number;
  /** Value of the stop command; undefined holds the last value (e.g. steering while stopping). */
  readonly stop: number | undefined;
  /** Value before any command was ever published (must be within limits). */
  readonly initial: number;
}

type MutableFieldSpec = { -readonly [K in keyof SafetyFieldSpec]: SafetyFieldSpec[K] };

/** A pure, allocation-free check of a full command vector (the arm's workspace box). */
export interface CommandCheck {
  /** What is checked, for messages (e.g. `workspace`). */
  readonly name: string;
  /** 0 when the command is allowed, else how far outside it is (any unit; larger = further out). */
  violation(command: Float64Array): number;
}

export interface SafetyOptions {
  readonly fields: readonly SafetyFieldSpec[];
  /** Nominal control period, for slew limiting. */
  readonly periodMs: number;
  readonly onDeadlineMiss: 'hold' | 'stop';
  readonly maxConsecutiveMisses: number;
  /**
   * Position-controlled joints (arm): the stop command is the last measured position (`setMeasured`)
   * for fields without a stop value, and there is no command at all (`commandValid` false) until a
   * measurement arrives. Default false (vehicle: stop values).
   */
  readonly holdMeasured?: boolean;
  /**
   * Checked on every 'ok' update: a clamped target outside, or a next command further outside than
   * the last command, holds the last command (reason 'workspace').
   */
  readonly commandCheck?: CommandCheck;
}

export interface SafetyCounters {
  /** Ticks per reason. */
  readonly byReason: Record<SafetyReason, number>;
  /** Values clamped to limits. */
  clamped: number;
  /** Values slowed by the slew-rate (joint velocity) limit. */
  slewLimited: number;
  /** Values whose step was changed by the acceleration limit (fields with maxAccelPerS2). */
  accelerationLimited: number;
}

export class SafetyLayer {
  /** The command to publish after `update`. */
  readonly command: Float64Array;
  readonly counters: SafetyCounters;
  /** The reasons this layer can apply ('workspace' only with a commandCheck), for reports. */
  readonly reasons: readonly SafetyReason[];
  /** Copies of the specs: `setLimits` changes their limits at run time. */
  readonly #fields: MutableFieldSpec[];
  readonly #maxStep: Float64Array;
  /** Second-order fields: rate of the last command (per s), and the largest rate change per period. */
  readonly #rate: Float64Array;
  readonly #maxRateStep: Float64Array;
  readonly #secondOrder: boolean;
  /** Scratch for the clamped target and the next command (checked before they replace `command`). */
  readonly #target: Float64Array;
  readonly #next: Float64Array;
  readonly #measured: Float64Array;
  #hasMeasured = false;
  /** holdMeasured: whether `command` was ever set from a measurement (before that nothing is sent). */
  #hasCommand = false;
  #estop = false;
  #hadValidCommand = false;
  #consecutiveMisses = 0;
  lastReason: SafetyReason = 'startup';

  constructor(readonly options: SafetyOptions) {
    this.#fields = options.fields.map((f) => ({ ...f }));
    for (const f of options.fields) {
      const inRange = (v: number) => Number.isFinite(v) && v >= f.min && v <= f.max;
      if (!(f.min <= f.max)) throw new PilotError('E_SAFETY_CONFIG', `limits for '${f.name}': min ${f.min} > max ${f.max}`);
      if (f.stop !== undefined && !inRange(f.stop)) {
        throw new PilotError('E_SAFETY_CONFIG', `stop value for '${f.name}' is ${f.stop}, outside its limits [${f.min}, ${f.max}]`);
      }
      if (!inRange(f.initial)) throw new PilotError('E_SAFETY_CONFIG', `initial value for '${f.name}' is ${f.initial}, outside [${f.min}, ${f.max}]`);
    }
    this.command = Float64Array.from(options.fields.map((f) => f.initial));
    this.#maxStep = Float64Array.from(options.fields.map((f) => (f.maxRatePerS * options.periodMs) / 1000));
    for (const f of options.fields) {
      if (f.maxAccelPerS2 !== undefined && !(f.maxAccelPerS2 > 0)) {
        throw new PilotError('E_SAFETY_CONFIG', `acceleration limit for '${f.name}' must be positive or Infinity (got ${f.maxAccelPerS2})`);
      }
      if (isSecondOrder(f) && !Number.isFinite(f.maxRatePerS)) {
        throw new PilotError('E_SAFETY_CONFIG', `'${f.name}' has an acceleration limit but no rate (velocity) limit`);
      }
    }
    this.#rate = new Float64Array(options.fields.length);
    this.#maxRateStep = Float64Array.from(options.fields.map((f) => (isSecondOrder(f) ? (f.maxAccelPerS2! * options.periodMs) / 1000 : Infinity)));
    this.#secondOrder = options.fields.some(isSecondOrder);
    this.#target = new Float64Array(options.fields.length);
    this.#next = new Float64Array(options.fields.length);
    this.#measured = new Float64Array(options.fields.length);
    const byReason = {} as Record<SafetyReason, number>;
    for (const r of SAFETY_REASONS) byReason[r] = 0;
    this.counters = { byReason, clamped: 0, slewLimited: 0, accelerationLimited: 0 };
    this.reasons = options.commandCheck ? SAFETY_REASONS : SAFETY_REASONS.filter((r) => r !== 'workspace');
  }

  get estopped(): boolean {
    return this.#estop;
  }

  /**
   * Whether `command` is a command to publish. Always true for a vehicle; for an arm (holdMeasured)
   * false until the first measured position: with none, any position would move the arm.
   */
  get commandValid(): boolean {
    return !this.options.holdMeasured || this.#hasCommand;
  }

  /** Whether a measured position was given (holdMeasured). */
  get hasMeasured(): boolean {
    return this.#hasMeasured;
  }

  /**
   * The newest measured positions (field order), held on stop by an arm. Non-finite values are
   * ignored (the previous measurement stays). Allocates nothing.
   */
  setMeasured(values: ArrayLike<number>): void {
    for (let i = 0; i < this.#measured.length; i++) if (!Number.isFinite(values[i]!)) return;
    for (let i = 0; i < this.#measured.length; i++) this.#measured[i] = values[i]!;
    this.#hasMeasured = true;
  }

  /** The limits in effect for one action field. */
  limitsOf(name: string): { readonly min: number; readonly max: number; readonly maxRatePerS: number } {
    const f = this.#field(name);
    return { min: f.min, max: f.max, maxRatePerS: f.maxRatePerS };
  }

  /**
   * Changes one field's limits while running (a ROS parameter update), between two `update`s: the next
   * one clamps to them, at once (a tighter limit does not wait for the slew limit). Invalid limits
   * (min > max, a non-finite bound, a rate that is not positive, a stop value outside) throw
   * E_SAFETY_CONFIG and change nothing; allowed ranges are the caller's policy.
   */
  setLimits(name: string, limits: { readonly min: number; readonly max: number; readonly maxRatePerS: number }): void {
    const f = this.#field(name);
    const { min, max, maxRatePerS } = limits;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min <= max)) {
      throw new PilotError('E_SAFETY_CONFIG', `limits for '${name}' must be finite with min <= max (got [${min}, ${max}])`);
    }
    if (!(maxRatePerS > 0)) throw new PilotError('E_SAFETY_CONFIG', `max rate for '${name}' must be positive or Infinity (got ${maxRatePerS})`);
    if (f.stop !== undefined && (f.stop < min || f.stop > max)) {
      throw new PilotError('E_SAFETY_CONFIG', `limits [${min}, ${max}] for '${name}' would exclude its stop value ${f.stop}`);
    }
    f.min = min;
    f.max = max;
    f.maxRatePerS = maxRatePerS;
    this.#maxStep[this.#fields.indexOf(f)] = (maxRatePerS * this.options.periodMs) / 1000;
  }

  #field(name: string): MutableFieldSpec {
    const f = this.#fields.find((x) => x.name === name);
    if (!f) throw new PilotError('E_SAFETY_CONFIG', `no action field '${name}' (fields: ${this.#fields.map((x) => x.name).join(', ')})`);
    return f;
  }

  /** E-stop latches: only an explicit release clears it. */
  setEstop(engaged: boolean): void {
    this.#estop = engaged;
  }

  /**
   * Decide this tick's command. `proposed` is the decoded policy action when `reason` is 'ok';
   * any other reason publishes the fallback. Returns the reason actually applied.
   */
  update(reason: SafetyReason, proposed: Float64Array | null): SafetyReason {
    let applied = reason;
    if (this.#estop) applied = 'estop';
    else if (applied === 'ok' && proposed && !allFinite(proposed, this.#fields.length)) applied = 'nonfinite';
    else if (applied === 'ok' && !proposed) applied = 'policy_error';

    if (applied === 'ok' && this.options.holdMeasured && !this.#hasCommand) {
      // First command of an arm: start from where it is; with no measurement there is nothing to send.
      if (this.#hasMeasured) this.#holdMeasured();
      else applied = 'stale_input';
    }

    if (applied === 'ok' && this.#secondOrder) {
      this.#consecutiveMisses = 0;
      if (this.#applySecondOrder(proposed!)) this.#hadValidCommand = true;
      else applied = 'workspace';
    } else if (applied === 'ok') {
      this.#consecutiveMisses = 0;
      if (this.options.commandCheck) {
        this.#applyLimited(proposed!, this.#next);
        if (this.#refused()) applied = 'workspace';
        else {
          this.command.set(this.#next);
          this.#hadValidCommand = true;
        }
      } else {
        this.#applyLimited(proposed!, this.command);
        this.#hadValidCommand = true;
      }
    } else if (applied === 'deadline_miss' || applied === 'bad_input' || applied === 'nonfinite' || applied === 'policy_error') {
      // A single bad tick holds the last safe command (named fallback); a run of them stops.
      this.#consecutiveMisses++;
      const hold = this.options.onDeadlineMiss === 'hold' && this.#hadValidCommand && this.#consecutiveMisses <= this.options.maxConsecutiveMisses;
      if (!hold) this.#applyStop();
      else this.#rate.fill(0);
    } else {
      // startup, stale_input, estop, shutdown: stop now, without slew limits.
      this.#applyStop();
    }
    this.#guard();
    this.counters.byReason[applied]++;
    this.lastReason = applied;
    return applied;
  }

  /** Clamp and slew-limit from `command` into `out` (which may be `command` itself). */
  #applyLimited(proposed: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      let v = proposed[i]!;
      if (v < f.min || v > f.max) {
        v = v < f.min ? f.min : f.max;
        this.counters.clamped++;
      }
      this.#target[i] = v;
      const last = this.command[i]!;
      const step = this.#maxStep[i]!;
      if (v - last > step) {
        v = last + step;
        this.counters.slewLimited++;
      } else if (last - v > step) {
        v = last - step;
        this.counters.slewLimited++;
      }
      out[i] = v;
    }
  }

  #applyStop(): void {
    if (this.options.holdMeasured) {
      this.#holdMeasured();
      return;
    }
    for (let i = 0; i < this.#fields.length; i++) {
      const stop = this.#fields[i]!.stop;
      if (stop !== undefined) this.command[i] = stop;
    }
  }

  /** Arm stop: fields with a stop value take it, the others the last measured position (clamped); at rest. */
  #holdMeasured(): void {
    this.#rate.fill(0);
    if (!this.#hasMeasured) return; // nothing measured yet: no command (commandValid stays false)
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      const m = this.#measured[i]!;
      this.command[i] = f.stop ?? (m < f.min ? f.min : m > f.max ? f.max : m);
    }
    this.#hasCommand = true;
  }

  /**
   * Moves each field from the last command toward its clamped target: fields with an acceleration
   * limit at most at their rate (velocity) limit, changing the rate by at most the acceleration limit
   * per period, and slow enough to stop at the target; the others as #applyLimited. The commandCheck
   * sees the target and the result; a failure leaves `command` and the rates as they were (false).
   */
  #applySecondOrder(proposed: Float64Array): boolean {
    const dtS = this.options.periodMs / 1000;
    const target = this.#target;
    const next = this.#next;
    let clamped = 0;
    let slewed = 0;
    let accelerated = 0;
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      let v = proposed[i]!;
      if (v < f.min || v > f.max) {
        v = v < f.min ? f.min : f.max;
        clamped++;
      }
      target[i] = v;
      const last = this.command[i]!;
      const rateStep = this.#maxRateStep[i]!;
      if (rateStep === Infinity) {
        const step = this.#maxStep[i]!;
        if (v - last > step) {
          v = last + step;
          slewed++;
        } else if (last - v > step) {
          v = last - step;
          slewed++;
        }
        next[i] = v;
        continue;
      }
      const d = v - last;
      const dist = d < 0 ? -d : d;
      const maxRate = f.maxRatePerS;
      let speed = dist / dtS;
      if (speed > maxRate) {
        speed = maxRate;
        slewed++;
      }
      const braking = brakingRate(dist / (rateStep * dtS), rateStep);
      if (speed > braking) speed = braking;
      let rate = d < 0 ? -speed : speed;
      const prev = this.#rate[i]!;
      if (rate > prev + rateStep) {
        rate = prev + rateStep;
        accelerated++;
      } else if (rate < prev - rateStep) {
        rate = prev - rateStep;
        accelerated++;
      }
      if (rate > maxRate) rate = maxRate;
      else if (rate < -maxRate) rate = -maxRate;
      let q = last + rate * dtS;
      if (q < f.min) q = f.min;
      else if (q > f.max) q = f.max;
      next[i] = q;
    }
    this.counters.clamped += clamped;
    this.counters.slewLimited += slewed;
    this.counters.accelerationLimited += accelerated;
    if (this.#refused()) {
      this.#rate.fill(0);
      return false;
    }
    for (let i = 0; i < this.#fields.length; i++) {
      this.#rate[i] = (next[i]! - this.command[i]!) / dtS;
      this.command[i] = next[i]!;
    }
    return true;
  }

  /** The commandCheck on the clamped target (#target) and the next command (#next) against the last. */
  #refused(): boolean {
    const check = this.options.commandCheck;
    if (!check) return false;
    if (check.violation(this.#target) > 0) return true;
    const out = check.violation(this.#next);
    return out > 0 && out > check.violation(this.command);
  }

  /** Belt and braces: nothing non-finite or out of range ever leaves, whatever happened above. */
  #guard(): void {
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      const v = this.command[i]!;
      if (!Number.isFinite(v)) this.command[i] = f.stop ?? (this.options.holdMeasured && this.#hasMeasured ? this.#measured[i]! : f.initial);
      else if (v < f.min) this.command[i] = f.min;
      else if (v > f.max) this.command[i] = f.max;
    }
  }
}

/**
 * The fastest rate from which decelerating by `rateStep` per period stops within a distance of
 * `s` periods-at-rateStep (distance / (rateStep·period)): rates (n+f)·A, (n−1+f)·A, …, f·A cover
 * A·((n+1)f + n(n+1)/2) periods, so n is the largest with n(n+1)/2 ≤ s and f the rest. Exact in
 * discrete time: a target is reached without overshoot.
 */
function brakingRate(s: number, rateStep: number): number {
  const n = Math.floor((Math.sqrt(1 + 8 * s) - 1) / 2);
  const f = Math.min(1, (s - (n * (n + 1)) / 2) / (n + 1));
  return (n + f) * rateStep;
}

function isSecondOrder(f: SafetyFieldSpec): boolean {
  return f.maxAccelPerS2 !== undefined && Number.isFinite(f.maxAccelPerS2);
}

function allFinite(values: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}
