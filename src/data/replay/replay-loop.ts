/**
 * Replay, step 2 — run: the bag's messages in the window, in log-time order, through the lanes.
 *
 * As fast as possible (ManualClock): before each input at t the timer ticks due before t run one at
 * a time (each awaited), time moves to t, the message is delivered and the replay waits until every
 * runtime has it, so the tick due at t sees it. Real time (ScaledWallClock): each input waits for its
 * time and the runtimes tick on their own. Recorded commands are collected as the reference series.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SKIPPED, type BagReader } from '../bags/bag-reader.js';
import type { BagError } from '../bags/errors.js';
import type { SkipLog } from '../bags/skip-log.js';
import type { BagMessage } from '../bags/types.js';
import { PilotError } from '../../core/util/errors.js';
import type { ManualClock } from '../../runtime/loop/clock.js';
import { deliver, type Lane, type Lanes } from './replay-lanes.js';
import type { RecordedCommands, ReplayWindow } from './replay-inputs.js';
import type { ReplayOutput } from './replay-output.js';
import type { ScaledWallClock } from './replay-clock.js';
import type { ReplayOptions } from './replay-types.js';

/** Exactly one of the two clocks: `replay` as fast as possible, `wall` in real time. */
export interface ReplayClocks {
  readonly replay: ManualClock | null;
  readonly wall: ScaledWallClock | null;
}

export interface ReplayLoopInputs {
  readonly reader: BagReader;
  readonly options: ReplayOptions;
  readonly window: ReplayWindow;
  readonly lanes: Lanes;
  readonly reference: RecordedCommands | null;
  readonly clocks: ReplayClocks;
  readonly output: ReplayOutput;
  readonly skipped: SkipLog;
  /** The first model's control period, ms: real-time inputs later than this count as late. */
  readonly periodMs: number;
  /** The configured camera topics, named when the window holds no input. */
  readonly cameraTopics: readonly string[];
}

export class ReplayLoop {
  /** The recorded commands in the first model's command fields. */
  readonly referenceSeries: { tMs: number[]; values: number[][] };
  started = false;
  /** Replay time of the last message, ms from the window start. */
  lastMs = 0;
  lateMessages = 0;
  interrupted = false;
  readonly wallStart = performance.now();
  #lastInputMs = 0;
  #delivered = 0;
  #lastProgress = this.wallStart;
  readonly #in: ReplayLoopInputs;
  readonly #lanes: readonly Lane[];
  readonly #refScratch: Float64Array;
  readonly #onError: ((err: BagError) => void) | undefined;

  constructor(inputs: ReplayLoopInputs) {
    this.#in = inputs;
    this.#lanes = inputs.lanes.lanes;
    const names = this.#lanes[0]!.fields.names;
    this.referenceSeries = { tMs: [], values: names.map(() => []) };
    this.#refScratch = new Float64Array(names.length);
    this.#onError = inputs.options.recover ? (err: BagError): void => inputs.skipped.add(err.message) : undefined;
  }

  /** Replays the window; then the ticks up to the last input run. */
  async run(): Promise<void> {
    const { reader, window, options, output } = this.#in;
    const onError = this.#onError;
    const messages = reader.messages({
      topics: [...this.#in.lanes.routes.keys(), ...(this.#in.reference ? [this.#in.reference.bagTopic] : [])],
      startNs: window.windowStart,
      endNs: window.windowEnd,
      reuseBuffers: true,
      ...(onError ? { onError } : {}),
    });
    for await (const m of messages) {
      if (options.signal?.aborted) {
        this.interrupted = true;
        break;
      }
      if (!(await this.#step(m))) continue;
      await output.flush();
      this.#progress();
    }
    if (!this.started) throw this.#noInputs();
    await this.#finish();
  }

  /** One message; false when it could not be decoded (skipped). */
  async #step(m: BagMessage): Promise<boolean> {
    const { clocks, reader } = this.#in;
    const t = Math.max(Number(m.logTimeNs - this.#in.window.windowStart) / 1e6, this.lastMs);
    const route = this.#in.lanes.routes.get(m.topic);
    // Nothing runs before the first input: the runtimes start with it.
    if (route && !this.started) {
      if (clocks.replay) clocks.replay.setNow(t);
      this.lastMs = t;
      this.#start();
    }
    // Inputs drive time; recorded commands are only collected (ticks after the last input would see stale inputs).
    if (this.started && route) {
      if (clocks.replay) await this.#runTimersUntil(t, false);
      else await clocks.wall!.waitUntil(t);
    }
    this.lastMs = t;
    const message = reader.decodeOrSkip(m, this.#onError);
    if (message === SKIPPED) return false;
    if (route) {
      deliver(route, m, message, this.#in.output);
      this.#delivered++;
      this.#lastInputMs = t;
      if (clocks.wall && clocks.wall.now() - t > this.#in.periodMs) this.lateMessages++;
      if (clocks.replay) {
        await this.#waitForDelivery();
        await this.#allIdle();
      }
    } else if (this.#in.reference) {
      this.#collectReference(this.#in.reference, m, message, t);
    }
    return true;
  }

  #start(): void {
    this.started = true;
    this.#in.clocks.wall?.anchor(this.lastMs);
    for (const lane of this.#lanes) lane.pilot.start();
  }

  #collectReference(reference: RecordedCommands, m: BagMessage, message: unknown, t: number): void {
    const fields = this.#lanes[0]!.fields;
    if (fields.read(message, this.#refScratch)) {
      this.referenceSeries.tMs.push(t);
      this.#refScratch.forEach((v, f) => this.referenceSeries.values[f]!.push(v));
      reference.messages++;
      this.#in.output.write(reference.bagTopic, message, m.logTimeNs);
    } else {
      this.#in.skipped.add(`${m.file}: ${m.topic}: recorded command without the fields ${fields.names.join(', ')}; skipped`);
    }
  }

  /** The ticks up to the last input: after it the runtime would only see its inputs go stale. */
  async #finish(): Promise<void> {
    const endMs = this.#lastInputMs;
    if (this.#in.clocks.replay) await this.#runTimersUntil(endMs, true);
    else {
      await this.#in.clocks.wall!.waitUntil(endMs);
      await this.#allIdle();
    }
    await Promise.resolve();
    await this.#in.output.flush();
  }

  #allIdle(): Promise<unknown> {
    return Promise.all(this.#lanes.map((l) => l.pilot.loop.whenIdle()));
  }

  /** Fast mode: run the timers due before `tMs` (or at it, when `inclusive`), one at a time. */
  async #runTimersUntil(tMs: number, inclusive: boolean): Promise<void> {
    const c = this.#in.clocks.replay!;
    for (;;) {
      const due = c.nextDueMs();
      if (due === undefined || due > tMs || (!inclusive && due === tMs)) break;
      c.fireNext();
      await this.#allIdle();
      // Let the timeline microtasks of the tick run before the next timer.
      await Promise.resolve();
      await this.#in.output.flush();
    }
    if (tMs > c.now()) c.setNow(tMs);
  }

  async #waitForDelivery(): Promise<void> {
    const deliveryTimeoutMs = this.#in.options.deliveryTimeoutMs ?? 10_000;
    for (const lane of this.#lanes) {
      if (lane.pilot.inputsArrived >= lane.expectedInputs) continue;
      const giveUpAt = performance.now() + deliveryTimeoutMs;
      while (lane.pilot.inputsArrived < lane.expectedInputs) {
        if (performance.now() > giveUpAt) {
          throw new PilotError('E_REPLAY_DELIVERY', `${lane.spec.label}: the runtime received ${lane.pilot.inputsArrived} of ${lane.expectedInputs} inputs within ${deliveryTimeoutMs} ms`);
        }
        await nextTurn();
      }
    }
  }

  #progress(): void {
    const now = performance.now();
    const { onProgress } = this.#in.options;
    if (onProgress && now - this.#lastProgress >= 1000) {
      this.#lastProgress = now;
      const { windowStart, windowEnd } = this.#in.window;
      const totalS = Number(windowEnd - windowStart) / 1e9;
      onProgress({ bagS: this.lastMs / 1000, totalS, messages: this.#delivered, wallS: (now - this.wallStart) / 1000 });
    }
  }

  #noInputs(): PilotError {
    const { window, reader, lanes, cameraTopics } = this.#in;
    const wanted = [...new Set(cameraTopics)].join(', ');
    const endS = (Number(window.windowEnd - window.bagStart) / 1e9).toFixed(3);
    return new PilotError('E_REPLAY_EMPTY', `${reader.path}: no input messages to replay in the window (${window.startS}–${endS} s) on ${[...lanes.routes.keys()].join(', ') || wanted}`);
  }
}
