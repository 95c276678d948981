/**
 * The last stage before publishing, and the only one allowed to decide what the robot receives.
 * Clamps to limits, limits slew rate, replaces non-finite values, stops on stale input and e-stop,
 * starts in the safe state, and counts every intervention. `update` allocates nothing.
 */
import { PilotError } from '../util/errors.js';

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
  | 'shutdown';

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
];

export interface SafetyFieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Largest change per second; Infinity for none. */
  readonly maxRatePerS: number;
  /** Value of the stop command; undefined holds the last value (e.g. steering while stopping). */
  readonly stop: number | undefined;
  /** Value before any command was ever published (must be within limits). */
  readonly initial: number;
}

type MutableFieldSpec = { -readonly [K in keyof SafetyFieldSpec]: SafetyFieldSpec[K] };

export interface SafetyOptions {
  readonly fields: readonly SafetyFieldSpec[];
  /** Nominal control period, for slew limiting. */
  readonly periodMs: number;
  readonly onDeadlineMiss: 'hold' | 'stop';
  readonly maxConsecutiveMisses: number;
}

export interface SafetyCounters {
  /** Ticks per reason. */
  readonly byReason: Record<SafetyReason, number>;
  /** Values clamped to limits. */
  clamped: number;
  /** Values slowed by the slew-rate limit. */
  slewLimited: number;
}

export class SafetyLayer {
  /** The command to publish after `update`. */
  readonly command: Float64Array;
  readonly counters: SafetyCounters;
  /** Copies of the specs: `setLimits` changes their limits at run time. */
  readonly #fields: MutableFieldSpec[];
  readonly #maxStep: Float64Array;
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
    const byReason = {} as Record<SafetyReason, number>;
    for (const r of SAFETY_REASONS) byReason[r] = 0;
    this.counters = { byReason, clamped: 0, slewLimited: 0 };
  }

  get estopped(): boolean {
    return this.#estop;
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

    if (applied === 'ok') {
      this.#consecutiveMisses = 0;
      this.#applyLimited(proposed!);
      this.#hadValidCommand = true;
    } else if (applied === 'deadline_miss' || applied === 'bad_input' || applied === 'nonfinite' || applied === 'policy_error') {
      // A single bad tick holds the last safe command (named fallback); a run of them stops.
      this.#consecutiveMisses++;
      const hold = this.options.onDeadlineMiss === 'hold' && this.#hadValidCommand && this.#consecutiveMisses <= this.options.maxConsecutiveMisses;
      if (!hold) this.#applyStop();
    } else {
      // startup, stale_input, estop, shutdown: stop now, without slew limits.
      this.#applyStop();
    }
    this.#guard();
    this.counters.byReason[applied]++;
    this.lastReason = applied;
    return applied;
  }

  #applyLimited(proposed: Float64Array): void {
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      let v = proposed[i]!;
      if (v < f.min || v > f.max) {
        v = v < f.min ? f.min : f.max;
        this.counters.clamped++;
      }
      const last = this.command[i]!;
      const step = this.#maxStep[i]!;
      if (v - last > step) {
        v = last + step;
        this.counters.slewLimited++;
      } else if (last - v > step) {
        v = last - step;
        this.counters.slewLimited++;
      }
      this.command[i] = v;
    }
  }

  #applyStop(): void {
    for (let i = 0; i < this.#fields.length; i++) {
      const stop = this.#fields[i]!.stop;
      if (stop !== undefined) this.command[i] = stop;
    }
  }

  /** Belt and braces: nothing non-finite or out of range ever leaves, whatever happened above. */
  #guard(): void {
    for (let i = 0; i < this.#fields.length; i++) {
      const f = this.#fields[i]!;
      const v = this.command[i]!;
      if (!Number.isFinite(v)) this.command[i] = f.stop ?? f.initial;
      else if (v < f.min) this.command[i] = f.min;
      else if (v > f.max) this.command[i] = f.max;
    }
  }
}

function allFinite(values: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}
