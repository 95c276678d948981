/**
 * The action queue of a chunked policy: the newest few chunks, each time-indexed from its
 * observation's time, and the action for "now" blended from every chunk that covers now.
 *
 * A chunk of `steps` actions observed at t0 covers [t0, t0 + steps · step_ms): action i is meant for
 * t0 + i · step_ms, values between two actions are interpolated linearly, and the last action holds
 * until the end of the horizon. At or after the end, a chunk is expired and never used again; a chunk
 * that arrives already expired (inference slower than the horizon) is refused. Preallocated ring of
 * chunk slots; `insert` and `sample` allocate nothing.
 */
import { PilotError } from '../../core/util/errors.js';

/**
 * How overlapping chunks combine into one action:
 * - `ensemble`: ACT's temporal ensembling, weight exp(−k · r) for the r-th oldest chunk covering now
 *   (r = 0 the oldest; k > 0 favours older predictions as ACT does, k < 0 newer ones);
 * - `latest`: the newest chunk only (LeRobot's latest_only);
 * - `average`: equal weights.
 */
export type BlendMode = 'ensemble' | 'latest' | 'average';
export const BLEND_MODES: readonly BlendMode[] = ['ensemble', 'latest', 'average'];

export interface ActionQueueOptions {
  readonly steps: number;
  readonly stepMs: number;
  /** Action fields per step. */
  readonly fields: number;
  readonly blend: BlendMode;
  /** `ensemble` weight decay per chunk (ACT's m), default 0.01. */
  readonly ensembleK?: number;
  /** Chunk slots; the oldest is overwritten when all are live. Default 8. */
  readonly capacity?: number;
}

/** What `sample` found, besides the action it wrote (reused object). */
export interface QueueSample {
  /** Chunks that contributed (0: the queue is empty for now). */
  chunks: number;
  /** Age of the newest contributing chunk: now − its observation time, ms. */
  ageMs: number;
  /** Time left in the newest chunk's horizon after now, ms (0 when empty). */
  remainingMs: number;
}

export interface ActionQueueCounters {
  /** Chunks accepted into the queue. */
  inserted: number;
  /** Chunks refused on arrival because their horizon had already passed. */
  expiredOnArrival: number;
  /** Chunks that expired without ever contributing an action (superseded before use). */
  expiredUnused: number;
  /** Live chunks overwritten because every slot was in use. */
  overwritten: number;
}

export class ActionQueue {
  readonly horizonMs: number;
  readonly counters: ActionQueueCounters = { inserted: 0, expiredOnArrival: 0, expiredUnused: 0, overwritten: 0 };
  readonly sampled: QueueSample = { chunks: 0, ageMs: NaN, remainingMs: 0 };
  readonly #steps: number;
  readonly #stepMs: number;
  readonly #fields: number;
  readonly #blend: BlendMode;
  readonly #k: number;
  readonly #data: Float32Array[];
  readonly #t0: Float64Array;
  readonly #live: Uint8Array;
  readonly #used: Uint8Array;
  /** Next slot to write: always the oldest (ring order = insertion order). */
  #head = 0;

  constructor(options: ActionQueueOptions) {
    const { steps, stepMs, fields } = options;
    const capacity = options.capacity ?? 8;
    if (!Number.isInteger(steps) || steps < 1) throw new PilotError('E_CHUNK_CONFIG', `chunk steps must be a positive integer, got ${steps}`);
    if (!(stepMs > 0 && Number.isFinite(stepMs))) throw new PilotError('E_CHUNK_CONFIG', `chunk step_ms must be positive, got ${stepMs}`);
    if (!Number.isInteger(fields) || fields < 1) throw new PilotError('E_CHUNK_CONFIG', `chunk fields must be a positive integer, got ${fields}`);
    if (!Number.isInteger(capacity) || capacity < 1) throw new PilotError('E_CHUNK_CONFIG', `queue capacity must be a positive integer, got ${capacity}`);
    if (!BLEND_MODES.includes(options.blend)) throw new PilotError('E_CHUNK_CONFIG', `blend must be one of ${BLEND_MODES.join(', ')}, got '${options.blend}'`);
    const k = options.ensembleK ?? 0.01;
    if (!Number.isFinite(k)) throw new PilotError('E_CHUNK_CONFIG', `ensemble k must be finite, got ${k}`);
    this.#steps = steps;
    this.#stepMs = stepMs;
    this.#fields = fields;
    this.#blend = options.blend;
    this.#k = k;
    this.horizonMs = steps * stepMs;
    this.#data = Array.from({ length: capacity }, () => new Float32Array(steps * fields));
    this.#t0 = new Float64Array(capacity);
    this.#live = new Uint8Array(capacity);
    this.#used = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.#data.length;
  }

  /** Live chunks (some may expire at the next `sample`). */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.#live.length; i++) n += this.#live[i]!;
    return n;
  }

  /**
   * Adds a chunk observed at `t0Ms` (raw network output, step-major: [steps · fields]). Returns false,
   * counted, when its horizon has already passed at `nowMs`: it is never executed.
   */
  insert(raw: Float32Array, t0Ms: number, nowMs: number): boolean {
    if (t0Ms + this.horizonMs <= nowMs) {
      this.counters.expiredOnArrival++;
      return false;
    }
    const s = this.#head;
    if (this.#live[s]) {
      if (this.#t0[s]! + this.horizonMs > nowMs) this.counters.overwritten++;
      else if (!this.#used[s]) this.counters.expiredUnused++;
    }
    this.#data[s]!.set(raw.subarray(0, this.#steps * this.#fields));
    this.#t0[s] = t0Ms;
    this.#live[s] = 1;
    this.#used[s] = 0;
    this.#head = (s + 1) % this.#data.length;
    this.counters.inserted++;
    return true;
  }

  /** Forget every chunk (e-stop, stale input: the plan they hold no longer applies). */
  clear(): void {
    this.#live.fill(0);
  }

  /** Time left after `nowMs` in the newest live chunk's horizon; 0 when there is none. */
  remainingMs(nowMs: number): number {
    let end = -Infinity;
    for (let s = 0; s < this.#live.length; s++) {
      if (this.#live[s] && this.#t0[s]! + this.horizonMs > end) end = this.#t0[s]! + this.horizonMs;
    }
    return end > nowMs ? end - nowMs : 0;
  }

  /**
   * Writes the raw action for `nowMs` into `out` ([fields]) blended over the chunks covering now, and
   * fills `sampled`. Expires chunks whose horizon has passed. With no chunk, `out` is untouched and
   * `sampled.chunks` is 0.
   */
  sample(nowMs: number, out: Float32Array): QueueSample {
    const r = this.sampled;
    r.chunks = 0;
    r.ageMs = NaN;
    r.remainingMs = 0;
    const capacity = this.#data.length;
    let weightSum = 0;
    // Oldest first: the slot after the newest (the head) is the oldest.
    for (let j = 0; j < capacity; j++) {
      const s = (this.#head + j) % capacity;
      if (!this.#live[s]) continue;
      const t0 = this.#t0[s]!;
      if (nowMs >= t0 + this.horizonMs) {
        this.#live[s] = 0;
        if (!this.#used[s]) this.counters.expiredUnused++;
        continue;
      }
      const w = this.#blend === 'ensemble' ? Math.exp(-this.#k * r.chunks) : 1;
      if (this.#blend === 'latest' || r.chunks === 0) {
        weightSum = w;
        this.#write(s, nowMs - t0, out, w, false);
      } else {
        weightSum += w;
        this.#write(s, nowMs - t0, out, w, true);
      }
      this.#used[s] = 1;
      r.chunks++;
      r.ageMs = nowMs - t0;
      r.remainingMs = t0 + this.horizonMs - nowMs;
    }
    if (r.chunks > 0 && weightSum !== 1) for (let f = 0; f < this.#fields; f++) out[f] = out[f]! / weightSum;
    return r;
  }

  /** out (+)= w · chunk s at `sinceMs` after its observation (linear between actions, last one held). */
  #write(s: number, sinceMs: number, out: Float32Array, w: number, accumulate: boolean): void {
    const data = this.#data[s]!;
    const fields = this.#fields;
    const u = sinceMs > 0 ? sinceMs / this.#stepMs : 0;
    let i = Math.floor(u);
    if (i > this.#steps - 1) i = this.#steps - 1;
    const f = i + 1 < this.#steps ? u - i : 0;
    const a = i * fields;
    const b = (i + 1) * fields;
    for (let k = 0; k < fields; k++) {
      const v = f === 0 ? data[a + k]! : data[a + k]! + f * (data[b + k]! - data[a + k]!);
      out[k] = accumulate ? out[k]! + w * v : w * v;
    }
  }
}
