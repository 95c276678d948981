/**
 * Asynchronous inference for a chunked policy, inside the loop: each tick `step` publishes the action
 * for now from the action queue, and starts the next inference (without waiting for it) when the
 * newest chunk's remaining horizon falls below the threshold and a newer observation is there. The
 * chunk that comes back is time-indexed from the observation it was computed from, so the inference
 * time is compensated. An empty queue is a counted fallback (the safety layer holds, then stops);
 * chunks with a non-finite value are refused whole. `step` allocates nothing of its own (one promise
 * per inference comes from the policy).
 */
import type { ActionDecoder } from '../actions/action-decoder.js';
import type { Clock } from '../loop/clock.js';
import type { ChunkSpec } from '../policy/contract.js';
import type { Policy } from '../policy/policy-session.js';
import type { SafetyReason } from '../safety/safety-layer.js';
import { SampleWindow } from '../../core/util/sample-window.js';
import { ActionQueue, type BlendMode } from './action-queue.js';

export interface ChunkingSettings {
  readonly blend: BlendMode;
  readonly ensemble_k: number;
  /** Default: half the chunk's horizon. */
  readonly refill_below_ms?: number | undefined;
  /** A chunk is used no earlier than this after its inference started (loop clock); default none. */
  readonly min_inference_ms?: number | undefined;
  readonly queue_capacity: number;
}

export interface ChunkedInferenceOptions {
  readonly policy: Policy;
  readonly decoder: ActionDecoder;
  readonly chunk: ChunkSpec;
  readonly settings: ChunkingSettings;
  /** The loop's clock: observation times, chunk arrival, "now". */
  readonly clock: Clock;
  /** Monotonic ms for the inference time (wall time under lockstep simulation). */
  readonly stopwatch: () => number;
  readonly log: (line: string) => void;
  /** Samples kept per window. Default 4096. */
  readonly windowCapacity?: number;
}

export interface ChunkCounters {
  /** Inferences started. */
  inferences: number;
  /** Chunks that came back and went into the queue. */
  chunksQueued: number;
  /** Inferences that failed (policy error, server timeout). */
  inferenceErrors: number;
  /** Chunks refused because a value was NaN or infinite. */
  nonFiniteChunks: number;
  /** Chunks that came back after the queue was cleared (e-stop, stale input): dropped. */
  discarded: number;
  /** Ticks with inputs fine but no chunk covering now, after the first chunk: hold, then stop. */
  emptyQueueFallbacks: number;
  /** Actions blended from two or more chunks. */
  blendedActions: number;
  /** Actions from a single chunk. */
  freshActions: number;
}

export interface ChunkWindows {
  /** Inference start → chunk back, ms (stopwatch). */
  readonly inferenceMs: SampleWindow;
  /** Age of the newest chunk when its action was used (now − observation time), ms. */
  readonly chunkAgeMs: SampleWindow;
  /** Steps left in the newest chunk after now, per tick from the first chunk on (0 when empty). */
  readonly queueDepthSteps: SampleWindow;
}

export class ChunkedInference {
  readonly queue: ActionQueue;
  readonly refillBelowMs: number;
  readonly counters: ChunkCounters = {
    inferences: 0,
    chunksQueued: 0,
    inferenceErrors: 0,
    nonFiniteChunks: 0,
    discarded: 0,
    emptyQueueFallbacks: 0,
    blendedActions: 0,
    freshActions: 0,
  };
  readonly windows: ChunkWindows;
  readonly #o: ChunkedInferenceOptions;
  readonly #raw: Float32Array;
  #inflight = false;
  #pending: Promise<void> = Promise.resolve();
  #hadChunk = false;
  /** Bumped by `clear`: a chunk requested before it is dropped. */
  #generation = 0;
  #requestGeneration = 0;
  #requestObservationMs = -Infinity;
  #lastObservationMs = -Infinity;
  #startedAtMs = 0;
  #lastError = '';
  /** min_inference_ms: the finished chunk waiting for its due time (loop clock). */
  readonly #held: Float32Array;
  #heldDueMs = Infinity;
  #runDone = false;

  constructor(options: ChunkedInferenceOptions) {
    this.#o = options;
    const { chunk, settings, decoder } = options;
    this.queue = new ActionQueue({
      steps: chunk.steps,
      stepMs: chunk.step_ms,
      fields: decoder.size,
      blend: settings.blend,
      ensembleK: settings.ensemble_k,
      capacity: settings.queue_capacity,
    });
    this.refillBelowMs = settings.refill_below_ms ?? this.queue.horizonMs / 2;
    this.#raw = new Float32Array(decoder.size);
    this.#held = new Float32Array(options.policy.output.length);
    const n = options.windowCapacity ?? 4096;
    this.windows = { inferenceMs: new SampleWindow(n), chunkAgeMs: new SampleWindow(n), queueDepthSteps: new SampleWindow(n) };
  }

  /**
   * min_inference_ms: true when the inference in flight is due at `nowMs` but has not finished (in wall
   * time): the tick waits for `whenIdle()` first, so the chunk arrives at its due time on the loop's clock.
   */
  mustWait(nowMs: number): boolean {
    return this.#inflight && !this.#runDone && this.#o.settings.min_inference_ms !== undefined && nowMs >= this.#heldDueMs;
  }

  /** Whether an inference is running. */
  get inflight(): boolean {
    return this.#inflight;
  }

  /** The last inference error message ('' if none). */
  get lastError(): string {
    return this.#lastError;
  }

  /** Resolves when no inference is in flight (stop, tests). */
  whenIdle(): Promise<void> {
    return this.#pending;
  }

  /** Forget the queued chunks and any chunk in flight (e-stop, stale input). */
  clear(): void {
    this.queue.clear();
    this.#generation++;
    this.#hadChunk = false;
  }

  /**
   * One tick with good inputs: maybe start an inference on the observation made at `observationMs`,
   * then decode the action for `nowMs` into `actions`. Returns 'ok', or the fallback reason:
   * 'startup' before the first chunk (stop), 'deadline_miss' when the queue ran empty (counted).
   */
  step(nowMs: number, observationMs: number, actions: Float64Array): SafetyReason {
    this.prepare(nowMs, observationMs);
    const s = this.queue.sample(nowMs, this.#raw);
    const w = this.windows;
    // Depth from the first chunk on (before it, the queue is empty by construction, not run dry).
    if (this.#hadChunk) w.queueDepthSteps.push(s.remainingMs / this.#o.chunk.step_ms);
    if (s.chunks === 0) {
      if (!this.#hadChunk) return 'startup';
      this.counters.emptyQueueFallbacks++;
      return 'deadline_miss';
    }
    if (s.chunks > 1) this.counters.blendedActions++;
    else this.counters.freshActions++;
    w.chunkAgeMs.push(s.ageMs);
    this.#o.decoder.decode(this.#raw, actions);
    return 'ok';
  }

  /**
   * The first half of `step` (idempotent): queue a held chunk that is due, and maybe start the next
   * inference. A tick may call it, then wait while `mustWait`, then `step`: with min_inference_ms 0 a
   * chunk is then used in the tick that asked for it.
   */
  prepare(nowMs: number, observationMs: number): void {
    if (this.#runDone && nowMs >= this.#heldDueMs) this.#release(nowMs);
    this.#maybeStart(nowMs, observationMs);
  }

  #maybeStart(nowMs: number, observationMs: number): void {
    if (this.#inflight || !(observationMs > this.#lastObservationMs)) return;
    if (this.queue.remainingMs(nowMs) >= this.refillBelowMs) return;
    this.#inflight = true;
    this.#requestGeneration = this.#generation;
    this.#requestObservationMs = observationMs;
    this.#lastObservationMs = observationMs;
    this.#startedAtMs = this.#o.stopwatch();
    const min = this.#o.settings.min_inference_ms;
    this.#heldDueMs = min === undefined ? Infinity : this.#o.clock.now() + min;
    this.#runDone = false;
    this.counters.inferences++;
    let run: Promise<void>;
    try {
      // The policy copies its inputs before run() returns: frames arriving meanwhile do not mix in.
      run = this.#o.policy.run();
    } catch (err) {
      this.#onError(err);
      return;
    }
    this.#pending = run.then(this.#onDone, this.#onError);
  }

  readonly #onDone = (): void => {
    this.windows.inferenceMs.push(this.#o.stopwatch() - this.#startedAtMs);
    if (this.#heldDueMs === Infinity) {
      this.#inflight = false;
      this.#accept(this.#o.policy.output, this.#o.clock.now());
      return;
    }
    // min_inference_ms: kept until its due time on the loop's clock (the next tick at or after it).
    this.#held.set(this.#o.policy.output);
    this.#runDone = true;
  };

  #release(nowMs: number): void {
    this.#inflight = false;
    this.#runDone = false;
    this.#heldDueMs = Infinity;
    this.#accept(this.#held, nowMs);
  }

  #accept(out: Float32Array, nowMs: number): void {
    if (this.#requestGeneration !== this.#generation) {
      this.counters.discarded++;
      return;
    }
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) {
        if (this.counters.nonFiniteChunks++ === 0) this.#o.log(`pilot: chunk refused: output[${i}] is ${out[i]} (counted; the queue keeps the chunks it has)`);
        return;
      }
    }
    if (this.queue.insert(out, this.#requestObservationMs, nowMs)) {
      this.counters.chunksQueued++;
      this.#hadChunk = true;
    }
  }

  readonly #onError = (err: unknown): void => {
    this.#inflight = false;
    this.#runDone = false;
    this.#heldDueMs = Infinity;
    this.#lastError = (err as Error)?.message ?? String(err);
    if (this.counters.inferenceErrors++ === 0) this.#o.log(`pilot: chunk inference failed: ${this.#lastError} (counted; the queue keeps the chunks it has)`);
  };

  /** Key/value strings for /diagnostics. */
  diagnostics(): Record<string, string> {
    const c = this.counters;
    const q = this.queue.counters;
    const w = this.windows;
    const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
    return {
      chunk_steps: String(this.#o.chunk.steps),
      chunk_step_ms: String(this.#o.chunk.step_ms),
      blend: this.#o.settings.blend,
      refill_below_ms: ms(this.refillBelowMs),
      inferences: String(c.inferences),
      chunks_queued: String(c.chunksQueued),
      chunks_expired_on_arrival: String(q.expiredOnArrival),
      chunks_expired_unused: String(q.expiredUnused),
      chunks_overwritten: String(q.overwritten),
      chunks_nonfinite: String(c.nonFiniteChunks),
      chunks_discarded: String(c.discarded),
      inference_errors: String(c.inferenceErrors),
      empty_queue_fallbacks: String(c.emptyQueueFallbacks),
      blended_actions: String(c.blendedActions),
      fresh_actions: String(c.freshActions),
      queue_depth_steps_p50: ms(w.queueDepthSteps.percentile(50)),
      chunk_age_p50_ms: ms(w.chunkAgeMs.percentile(50)),
      chunk_age_max_ms: ms(w.chunkAgeMs.maxEver),
      inference_p50_ms: ms(w.inferenceMs.percentile(50)),
      inference_p99_ms: ms(w.inferenceMs.percentile(99)),
    };
  }
}
