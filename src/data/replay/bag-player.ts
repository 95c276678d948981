/**
 * Plays a bag onto a transport like `ros2 bag play`: each topic's messages, decoded with the bag's
 * own definitions into message objects (our transports carry objects), published with their recorded
 * timing scaled by `rate`, optionally with `/clock` (rosgraph_msgs/Clock) at a fixed rate, looped.
 * Time comes from an injected PlaybackTimer, so tests run the same schedule on virtual time.
 */
import { parse as parseYaml } from 'yaml';
import { SKIPPED, type BagReader } from '../bags/bag-reader.js';
import { BagError } from '../bags/errors.js';
import { SkipLog } from '../bags/skip-log.js';
import type { BagMessage } from '../bags/types.js';
import { timeFromNs } from '../../core/messages/time.js';
import type { ClockMsg } from '../../core/messages/types.js';
import { RELIABLE_QOS, SENSOR_QOS, type Publisher, type QosProfile, type Transport } from '../../transport/transport.js';
import { PilotError } from '../../core/util/errors.js';
import { WallClock } from '../../runtime/loop/clock.js';
import { remapTopic, type TopicRemap } from './remap.js';

/** Where playback gets time: wall time for real playback, virtual time in tests. */
export interface PlaybackTimer {
  /** Monotonic ms. */
  now(): number;
  /** Resolves once `now()` ≥ `ms` (at once when it is). */
  sleepUntil(ms: number): Promise<void>;
}

/** performance.now(); sleeps on the loop's WallClock timers (setTimeout, then setImmediate for the last 1.5 ms). */
export class WallTimer implements PlaybackTimer {
  readonly #clock = new WallClock();

  now(): number {
    return performance.now();
  }

  sleepUntil(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.schedule(ms, resolve));
  }
}

/** Virtual time: sleeping moves time forward at once. Playback on it runs as fast as possible, on schedule. */
export class VirtualTimer implements PlaybackTimer {
  #nowMs: number;

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  async sleepUntil(ms: number): Promise<void> {
    if (ms > this.#nowMs) this.#nowMs = ms;
  }
}

export interface PlayOptions {
  readonly reader: BagReader;
  readonly transport: Transport;
  /** Playback speed (default 1; 2 = twice as fast). */
  readonly rate?: number;
  /** Play again from the start when the end is reached: true = until aborted, a number = that many plays. */
  readonly loop?: boolean | number;
  /** Bag topics to play (default all that can be decoded). */
  readonly topics?: readonly string[];
  readonly remap?: TopicRemap;
  /** Publish rosgraph_msgs/Clock with the bag time on `/clock` (default false). */
  readonly clock?: boolean;
  /** /clock messages per second of playback (wall) time, as ros2 bag play (default 40). */
  readonly clockHz?: number;
  /** Window, s from the bag's first message (default all). */
  readonly startS?: number;
  readonly endS?: number;
  /** Wait this long before the first message (e.g. for subscribers to connect), s. */
  readonly delayS?: number;
  readonly timer?: PlaybackTimer;
  /** Skip unreadable chunks and undecodable messages (counted) instead of failing. */
  readonly recover?: boolean;
  readonly signal?: AbortSignal;
  /** Called after each message is published: its topic (after remapping), the object, its log time, and the playback time (ms since start). */
  readonly onMessage?: (topic: string, message: unknown, logTimeNs: bigint, playMs: number) => void;
  readonly log?: (line: string) => void;
}

export interface PlayStats {
  /** Messages published per topic (after remapping). */
  readonly published: Readonly<Record<string, number>>;
  readonly messages: number;
  readonly clockMessages: number;
  /** Completed plays through the window. */
  readonly loops: number;
  readonly skipped: number;
  readonly skippedNotes: readonly string[];
  /** Largest delay of a publish behind its schedule, ms of playback time. */
  readonly maxLateMs: number;
  readonly interrupted: boolean;
  readonly durationMs: number;
}

/** Our QoS hint for a topic's recorded offered_qos_profiles: reliable stays reliable, anything else is sensor data. */
export function qosFromOffered(text: string): QosProfile {
  try {
    const list = parseYaml(text) as unknown;
    const first = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
    const r = first?.['reliability'];
    if (r === 1 || r === 'reliable') {
      const depth = typeof first?.['depth'] === 'number' && first['depth'] > 0 ? (first['depth'] as number) : 10;
      return { kind: 'reliable', depth };
    }
  } catch {
    // Unparsable: treat as sensor data.
  }
  return SENSOR_QOS;
}

export async function playBag(options: PlayOptions): Promise<PlayStats> {
  const { reader, transport } = options;
  const rate = options.rate ?? 1;
  if (!(rate > 0 && Number.isFinite(rate))) throw new PilotError('E_PLAY', `--rate must be a positive number, got ${rate}`);
  const clockHz = options.clockHz ?? 40;
  if (options.clock && !(clockHz > 0 && Number.isFinite(clockHz))) throw new PilotError('E_PLAY', `--clock rate must be a positive number of Hz, got ${clockHz}`);
  const timer = options.timer ?? new WallTimer();
  const info = reader.info();
  if (info.startNs === undefined || info.endNs === undefined) throw new PilotError('E_PLAY', `${reader.path}: the bag holds no messages`);
  const { publishers, published } = advertiseTopics(options);
  const clockPub = options.clock ? transport.advertise<ClockMsg>('/clock', 'rosgraph_msgs/msg/Clock', RELIABLE_QOS) : undefined;
  const window = playWindow(info.startNs, info.endNs, options);
  const plays = options.loop === true ? Infinity : typeof options.loop === 'number' ? Math.max(1, Math.floor(options.loop)) : 1;
  const t0 = timer.now() + (options.delayS ?? 0) * 1000;
  const playback = new Playback(options, { timer, window, rate, t0, publishers, published, clockPub, clockPeriodMs: 1000 / clockHz });
  try {
    for (let k = 0; k < plays && !playback.interrupted; k++) await playback.play(k);
  } finally {
    for (const p of publishers.values()) p.publisher.close();
    clockPub?.close();
  }
  return playback.stats();
}

interface PlayWindow {
  readonly windowStart: bigint;
  readonly windowEnd: bigint;
  /** windowEnd − windowStart, ms. */
  readonly spanMs: number;
}

type TopicPublishers = Map<string, { topic: string; publisher: Publisher }>;

/** Topics: the requested ones (all by default), minus those that cannot be decoded; each advertised under its remapped name. */
function advertiseTopics(options: PlayOptions): { publishers: TopicPublishers; published: Record<string, number> } {
  const { reader, transport } = options;
  const remap = options.remap ?? new Map<string, string>();
  const log = options.log ?? ((line: string) => console.error(line));
  const known = new Map(reader.topics().map((t) => [t.name, t]));
  const requested = options.topics ?? [...known.keys()];
  const missing = requested.filter((t) => !known.has(t));
  if (missing.length > 0) throw new BagError('E_BAG_TOPIC', `${reader.path}: no topic ${missing.join(', ')} (topics: ${[...known.keys()].join(', ') || 'none'})`);
  const publishers: TopicPublishers = new Map();
  const published: Record<string, number> = {};
  for (const name of requested) {
    const t = known.get(name)!;
    if (t.definition === 'none') {
      log(`play: ${name} (${t.type}) has no message definition: not played`);
      continue;
    }
    const topic = remapTopic(remap, name);
    publishers.set(name, { topic, publisher: transport.advertise(topic, t.type, qosFromOffered(t.offeredQosProfiles)) });
    published[topic] = 0;
  }
  if (publishers.size === 0) throw new PilotError('E_PLAY', `${reader.path}: nothing to play`);
  return { publishers, published };
}

function playWindow(startNs: bigint, endNs: bigint, options: PlayOptions): PlayWindow {
  const startS = options.startS ?? 0;
  const windowStart = startNs + BigInt(Math.round(startS * 1e9));
  const windowEnd = options.endS === undefined ? endNs : startNs + BigInt(Math.round(options.endS * 1e9));
  if (windowEnd < windowStart) throw new PilotError('E_PLAY', `--end (${options.endS} s) is before --start (${startS} s)`);
  return { windowStart, windowEnd, spanMs: Number(windowEnd - windowStart) / 1e6 };
}

interface PlaybackSetup {
  readonly timer: PlaybackTimer;
  readonly window: PlayWindow;
  readonly rate: number;
  /** Playback time (timer ms) of the window's start in the first play. */
  readonly t0: number;
  readonly publishers: TopicPublishers;
  readonly published: Record<string, number>;
  readonly clockPub: Publisher<ClockMsg> | undefined;
  readonly clockPeriodMs: number;
}

/** The plays through the window, on schedule, with /clock between messages. */
class Playback {
  interrupted = false;
  readonly #options: PlayOptions;
  readonly #s: PlaybackSetup;
  readonly #skips = new SkipLog(20);
  readonly #onError: ((err: BagError) => void) | undefined;
  readonly #clockMsg: ClockMsg = { clock: { sec: 0, nanosec: 0 } };
  #nextClock: number;
  #clockMessages = 0;
  #messages = 0;
  #maxLateMs = 0;
  #loops = 0;

  constructor(options: PlayOptions, setup: PlaybackSetup) {
    this.#options = options;
    this.#s = setup;
    this.#nextClock = setup.t0;
    this.#onError = options.recover ? (err: BagError): void => this.#skips.add(err.message) : undefined;
  }

  /** Play `k` (from 0) through the window. */
  async play(k: number): Promise<void> {
    const { reader, signal } = this.#options;
    const { window, timer } = this.#s;
    const onError = this.#onError;
    const iterator = reader.messages({ topics: [...this.#s.publishers.keys()], startNs: window.windowStart, endNs: window.windowEnd, ...(onError ? { onError } : {}) });
    for await (const m of iterator) {
      if (signal?.aborted) {
        this.interrupted = true;
        break;
      }
      const due = this.#dueAt(m.logTimeNs, k);
      await this.#clockUntil(due, k);
      await timer.sleepUntil(due);
      const message = reader.decodeOrSkip(m, onError);
      if (message === SKIPPED) continue;
      this.#publish(m, message, due);
    }
    if (!this.interrupted) {
      this.#loops++;
      // The window's own tail (after its last message) still passes before the next play.
      await this.#clockUntil(this.#dueAt(window.windowEnd, k), k);
      await timer.sleepUntil(this.#dueAt(window.windowEnd, k));
    }
    if (signal?.aborted) this.interrupted = true;
  }

  stats(): PlayStats {
    const { published, timer, t0 } = this.#s;
    const skipped = this.#skips;
    return { published, messages: this.#messages, clockMessages: this.#clockMessages, loops: this.#loops, skipped: skipped.count, skippedNotes: skipped.notes, maxLateMs: this.#maxLateMs, interrupted: this.interrupted, durationMs: timer.now() - t0 };
  }

  #publish(m: BagMessage, message: unknown, due: number): void {
    const target = this.#s.publishers.get(m.topic)!;
    target.publisher.publish(message);
    const now = this.#s.timer.now();
    if (now - due > this.#maxLateMs) this.#maxLateMs = now - due;
    this.#s.published[target.topic]!++;
    this.#messages++;
    this.#options.onMessage?.(target.topic, message, m.logTimeNs, now - this.#s.t0);
  }

  /** Playback time (timer ms) at which bag time `ns` of play `k` is due. */
  #dueAt(ns: bigint, k: number): number {
    const { t0, window, rate } = this.#s;
    return t0 + (k * window.spanMs + Number(ns - window.windowStart) / 1e6) / rate;
  }

  /** Publishes the /clock ticks due up to playback time `until` (bag time follows playback time × rate). */
  async #clockUntil(until: number, k: number): Promise<void> {
    const { clockPub, timer, t0, rate, window } = this.#s;
    if (!clockPub) return;
    while (this.#nextClock <= until) {
      await timer.sleepUntil(this.#nextClock);
      const bagMs = (this.#nextClock - t0) * rate - k * window.spanMs;
      this.#clockMsg.clock = timeFromNs(window.windowStart + BigInt(Math.round(Math.max(0, Math.min(window.spanMs, bagMs)) * 1e6)));
      clockPub.publish(this.#clockMsg);
      this.#clockMessages++;
      this.#nextClock += this.#s.clockPeriodMs;
    }
  }
}
