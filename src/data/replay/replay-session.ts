/**
 * Replay: a bag's recorded sensors through the real runtime (preprocessing, policy, safety layer),
 * over an in-process transport, with open-loop evaluation against the recorded commands.
 *
 * As fast as possible (default, deterministic): a ManualClock follows the bag's log time. For each
 * message at t: the timer ticks due before t run one at a time (each awaited), time moves to t, the
 * message is published and the replay waits until every runtime has it (`inputsArrived`), so the tick
 * due at t sees it — the simulator's lockstep order. Same bag + same model = the same predictions.
 * Real time: a ScaledWallClock at 1× or N×; messages are published when their time comes and the
 * runtime ticks on its own.
 *
 * Several models (`--compare`) run side by side on the same clock, each with its own transport and
 * runtime, fed the same messages.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_TIMELINE_TOPIC, TICK_TIMELINE_SCHEMA, TICK_TIMELINE_TYPE } from '../bags/black-box.js';
import type { BagReader } from '../bags/bag-reader.js';
import type { BagWriter } from '../bags/bag-writer.js';
import { BagError } from '../bags/errors.js';
import type { BagMessage } from '../bags/types.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { fullTypeName } from '../../core/messages/type-names.js';
import { timeFromNs } from '../../core/messages/time.js';
import type { CameraInfo, DiagnosticArray } from '../../core/messages/types.js';
import { cameraInfoTopicFor } from '../../core/calibration/camera.js';
import type { TrainingBaselines } from './baselines.js';
import type { Policy } from '../../runtime/policy/policy-session.js';
import { Pilot } from '../../runtime/pilot.js';
import { InProcessTransport } from '../../transport/in-process.js';
import { RELIABLE_QOS, SENSOR_QOS, type Publisher } from '../../transport/transport.js';
import { PilotError } from '../../core/util/errors.js';
import { COMMAND_MESSAGE_TYPES, commandFields, type CommandFields } from './command-fields.js';
import { compareSeries, evaluate, type Comparison, type EvaluateOptions, type Evaluation, type PredictionSeries } from './evaluate.js';
import { readModelBaselines } from './baselines.js';
import { bagTopicFor, type TopicRemap } from './remap.js';
import { ManualClock } from '../../runtime/loop/clock.js';
import { ScaledWallClock } from './replay-clock.js';

export const REPLAY_SCHEMA = 'pilot.replay/1';

const IMAGE = 'sensor_msgs/msg/Image';
const COMPRESSED = 'sensor_msgs/msg/CompressedImage';
const CAMERA_INFO = 'sensor_msgs/msg/CameraInfo';

/** Below this share of the window's camera frames accepted by the runtime, its error means nothing. */
export const MIN_ACCEPTED_FRAME_FRACTION = 0.9;
/** Distinct rejection reasons counted per run (the rest are counted as one). */
const MAX_REJECTION_REASONS = 8;

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

interface Lane {
  readonly spec: ReplayModelSpec;
  readonly config: PilotConfig;
  readonly transport: InProcessTransport;
  readonly pilot: Pilot;
  readonly fields: CommandFields;
  readonly publishers: Map<string, Publisher>;
  /** Topics whose messages count in `inputsArrived`. */
  readonly counted: Set<string>;
  readonly predictions: { tMs: number[]; values: number[][]; reasons: string[] };
  readonly scratch: Float64Array;
  readonly outTopics: { command: string; diagnostics: string; timeline: string | null };
  readonly baselines: TrainingBaselines | null;
  /** Camera frames delivered, and the rejected ones by reason. */
  cameraFrames: number;
  readonly rejections: Map<string, number>;
  expectedInputs: number;
  ticksSeen: number;
  overDeadline: number;
  collecting: boolean;
}

interface InputRoute {
  readonly topic: string;
  readonly type: string;
  readonly role: 'camera' | 'camera_info' | 'state' | 'estop';
  readonly lanes: Lane[];
  messages: number;
}

const MAX_NOTES = 20;

function latency(s: { p50: number; p90: number; p99: number; max: number; n: number }): LatencyStats {
  return { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max, n: s.n };
}

function safeType(type: string): string {
  try {
    return fullTypeName(type);
  } catch {
    return type;
  }
}

/**
 * Copies plain data with typed arrays detached from the bag's read buffer (messages read with
 * reused buffers are overwritten by the next read; state messages stay in the runtime's input slot).
 */
function detach<T>(value: T): T {
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): T }).slice();
  if (Array.isArray(value)) return value.map(detach) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = detach(v);
    return out as T;
  }
  return value;
}

/**
 * The camera the runtime will read, adapted to the bag when that is unambiguous: an Image topic
 * recorded as CompressedImage (or the reverse) switches the config's camera type, and a bag without
 * the configured topic but with exactly one camera topic uses that one. Anything else is an error.
 */
export function adaptCamera(config: PilotConfig, bagTypes: ReadonlyMap<string, string>, remap: TopicRemap, notes: string[]): PilotConfig {
  const camera = config.inputs.camera;
  const names = [...bagTypes.keys()];
  const wantType = camera.type === 'image' ? IMAGE : COMPRESSED;
  const isCamera = (t: string | undefined): boolean => t === IMAGE || t === COMPRESSED;
  const withCamera = (topic: string, type: string): PilotConfig => ({
    ...config,
    inputs: { ...config.inputs, camera: { ...camera, topic, type: type === IMAGE ? 'image' : 'compressed' } },
  });
  const bagTopic = bagTopicFor(remap, names, camera.topic);
  if (bagTopic !== undefined) {
    const type = bagTypes.get(bagTopic)!;
    if (type === wantType) return config;
    if (isCamera(type)) {
      notes.push(`the bag records ${bagTopic} as ${type}: the runtime reads it as ${type === IMAGE ? 'image' : 'compressed'} (config says ${camera.type})`);
      return withCamera(camera.topic, type);
    }
    throw new PilotError('E_REPLAY_TOPIC', `camera topic ${bagTopic} is ${type} in the bag, not ${IMAGE} or ${COMPRESSED}`);
  }
  const candidates = names.filter((n) => isCamera(bagTypes.get(n)) && !remap.has(n));
  const remapped = [...remap.entries()].filter(([from]) => isCamera(bagTypes.get(from))).map(([, to]) => to);
  const all = [...candidates, ...remapped];
  const preferred = all.find((n) => n === `${camera.topic}/compressed`);
  const pick = preferred ?? (all.length === 1 ? all[0] : undefined);
  if (pick !== undefined) {
    const from = bagTopicFor(remap, names, pick)!;
    const type = bagTypes.get(from)!;
    notes.push(`the bag has no ${camera.topic}: the runtime reads the camera from ${pick} (${type}); --remap <bag topic>:=${camera.topic} to choose another`);
    return withCamera(pick, type);
  }
  const listed = names.map((n) => `${n} (${bagTypes.get(n)})`).join(', ') || 'none';
  throw new PilotError(
    'E_REPLAY_TOPIC',
    `the bag has no camera topic ${camera.topic} for the runtime` +
      (all.length > 1 ? ` and several candidates (${all.join(', ')}): pick one with --remap <bag topic>:=${camera.topic}` : `; its topics: ${listed}`),
  );
}

export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { reader } = options;
  if (options.models.length === 0) throw new PilotError('E_REPLAY', 'replay needs at least one model');
  const mode = options.mode ?? 'fast';
  const rate = options.rate ?? 1;
  if (!(rate > 0 && Number.isFinite(rate))) throw new PilotError('E_REPLAY', `--rate must be a positive number, got ${rate}`);
  if (mode === 'realtime' && options.models.length > 1) {
    throw new PilotError('E_REPLAY', 'comparing models runs as fast as possible (deterministic): drop --realtime');
  }
  const remap = options.remap ?? new Map<string, string>();
  const log = options.log ?? ((line: string) => console.error(line));
  const stopwatch = options.stopwatch ?? (() => performance.now());
  const notes: string[] = [];
  const skippedNotes: string[] = [];
  let skipped = 0;

  // The window.
  const info = reader.info();
  if (info.startNs === undefined || info.endNs === undefined || info.messageCount === 0) {
    throw new PilotError('E_REPLAY_EMPTY', `${reader.path}: the bag holds no messages`);
  }
  const bagStart = info.startNs;
  const bagEnd = info.endNs;
  const startS = options.startS ?? 0;
  const durationS = Number(bagEnd - bagStart) / 1e9;
  if (!(startS >= 0)) throw new PilotError('E_REPLAY_WINDOW', `--start must be ≥ 0 s, got ${startS}`);
  if (options.endS !== undefined && !(options.endS > startS)) {
    throw new PilotError('E_REPLAY_WINDOW', `--end (${options.endS} s) must be after --start (${startS} s)`);
  }
  if (startS > durationS) throw new PilotError('E_REPLAY_WINDOW', `--start ${startS} s is past the end of the bag (${durationS.toFixed(3)} s)`);
  const windowStart = bagStart + BigInt(Math.round(startS * 1e9));
  const windowEnd = options.endS === undefined ? bagEnd : minBig(bagEnd, bagStart + BigInt(Math.round(options.endS * 1e9)));
  const relMs = (ns: bigint): number => Number(ns - windowStart) / 1e6;
  const logNsAt = (ms: number): bigint => windowStart + BigInt(Math.round(ms * 1e6));

  // Topics.
  const bagTypes = new Map(reader.topics().map((t) => [t.name, safeType(t.type)]));
  const bagNames = [...bagTypes.keys()];
  for (const [from] of remap) if (!bagTypes.has(from)) notes.push(`--remap ${from}: the bag has no such topic`);
  const configs = options.models.map((m) => adaptCamera(m.config, bagTypes, remap, notes));
  const uniqueNotes = [...new Set(notes)];
  notes.length = 0;
  notes.push(...uniqueNotes);

  // The recorded commands.
  const first = configs[0]!;
  const commandKind = first.outputs.command.type;
  for (const c of configs) {
    if (c.outputs.command.type !== commandKind) throw new PilotError('E_REPLAY', 'all compared models must publish the same command type');
  }
  const referenceTopic = options.referenceTopic === undefined ? first.outputs.command.topic : options.referenceTopic;
  let reference: { topic: string; bagTopic: string; type: string; messages: number } | null = null;
  if (referenceTopic !== null) {
    const bagTopic = bagTopicFor(remap, bagNames, referenceTopic);
    if (bagTopic === undefined) {
      notes.push(`the bag has no recorded commands on ${referenceTopic}: predictions only, no error against recorded commands`);
    } else {
      const type = bagTypes.get(bagTopic)!;
      const want = COMMAND_MESSAGE_TYPES[commandKind];
      if (type !== want) {
        throw new PilotError(
          'E_REPLAY_REFERENCE',
          `recorded commands on ${bagTopic} are ${type} but the runtime publishes ${want} (outputs.command.type ${commandKind}): ` +
            'they cannot be compared field by field (--reference none replays without evaluation)',
        );
      }
      reference = { topic: referenceTopic, bagTopic, type, messages: 0 };
    }
  }

  // Runtimes, one per model, on one clock.
  const windowStartMs = Number(windowStart / 1_000_000n) + Number(windowStart % 1_000_000n) / 1e6;
  const fast = mode === 'fast';
  const replayClock = fast ? new ManualClock({ epochMs: windowStartMs }) : null;
  const wallClock = fast ? null : new ScaledWallClock({ epochMs: windowStartMs, rate });
  const clock = (replayClock ?? wallClock)!;
  const output = options.output;
  const several = options.models.length > 1;
  const pending: Promise<boolean>[] = [];
  let outputMessages = 0;
  const outputTopics = new Set<string>();
  const addOutputTopic = (topic: string, type: string, extra: { schemaText?: string; reliable?: boolean } = {}): boolean => {
    if (!output) return false;
    try {
      output.addTopic(topic, type, { qos: extra.reliable ? RELIABLE_QOS : SENSOR_QOS, ...(extra.schemaText ? { schemaText: extra.schemaText } : {}) });
      outputTopics.add(topic);
      return true;
    } catch (err) {
      notes.push(`output bag: ${topic} left out: ${(err as Error).message}`);
      return false;
    }
  };
  const write = (topic: string, message: unknown, logNs: bigint): void => {
    if (!output || !outputTopics.has(topic)) return;
    try {
      pending.push(output.writeMessage(topic, message, logNs));
      outputMessages++;
    } catch (err) {
      outputTopics.delete(topic);
      notes.push(`output bag: ${topic} stopped: ${(err as Error).message}`);
    }
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const results = await Promise.all(pending.splice(0));
    if (results.includes(false)) {
      const err = output?.status().error;
      throw err ?? new PilotError('E_REPLAY_OUTPUT', 'the output bag stopped accepting messages');
    }
  };

  const lanes: Lane[] = [];
  const ownPolicies = new Set<Lane>();
  const routes = new Map<string, InputRoute>();
  try {
    for (let k = 0; k < options.models.length; k++) {
      const spec = options.models[k]!;
      const config = configs[k]!;
      const transport = new InProcessTransport({ onError: (err, topic) => log(`replay: ${spec.label}: ${topic}: ${(err as Error).message}`) });
      let pilot: Pilot;
      try {
        pilot = await Pilot.create(config, {
          transport,
          clock,
          stopwatch,
          log: (line) => log(several ? `[${spec.label}] ${line}` : line),
          ...(spec.policy ? { policy: spec.policy } : {}),
        });
      } catch (err) {
        await transport.close();
        throw err;
      }
      const fields = commandFields(config.outputs.command.type, pilot.decoder.names, pilot.decoder.units);
      const prefix = several ? `/pilot/${spec.label.replace(/[^A-Za-z0-9_]/g, '_')}` : '/pilot';
      const topics = options.outputTopics ?? {};
      const lane: Lane = {
        spec,
        config,
        transport,
        pilot,
        fields,
        publishers: new Map(),
        counted: new Set(),
        predictions: { tMs: [], values: fields.names.map(() => []), reasons: [] },
        scratch: new Float64Array(fields.names.length),
        outTopics: {
          command: several ? `${prefix}/cmd` : (topics.command ?? '/pilot/cmd'),
          diagnostics: several ? `${prefix}/diagnostics` : (topics.diagnostics ?? '/diagnostics'),
          timeline: topics.timeline === null ? null : several ? `${prefix}/timeline` : (topics.timeline ?? DEFAULT_TIMELINE_TOPIC),
        },
        baselines: spec.baselines !== undefined ? spec.baselines : (readModelBaselines(config.model.path) ?? null),
        cameraFrames: 0,
        rejections: new Map(),
        expectedInputs: 0,
        ticksSeen: 0,
        overDeadline: 0,
        collecting: true,
      };
      lanes.push(lane);
      if (!spec.policy) ownPolicies.add(lane);

      // Inputs this runtime reads: camera, state topics, e-stop (when recorded).
      const wanted: { topic: string; type: string; role: InputRoute['role'] }[] = [
        { topic: config.inputs.camera.topic, type: config.inputs.camera.type === 'image' ? IMAGE : COMPRESSED, role: 'camera' },
        ...config.inputs.state.map((s) => ({ topic: s.topic, type: safeType(s.type), role: 'state' as const })),
        { topic: config.safety.estop_topic, type: 'std_msgs/msg/Bool', role: 'estop' },
        // The camera's geometry, when recorded: frames of another size than the calibration's use it.
        { topic: cameraInfoTopicFor(config.inputs.camera.topic), type: CAMERA_INFO, role: 'camera_info' },
      ];
      for (const w of wanted) {
        const bagTopic = bagTopicFor(remap, bagNames, w.topic);
        if (bagTopic === undefined || (w.role === 'camera_info' && bagTypes.get(bagTopic) !== CAMERA_INFO)) {
          if (w.role === 'state') {
            throw new PilotError('E_REPLAY_TOPIC', `the runtime reads state from ${w.topic} (${w.type}) but the bag has no such topic (--remap <bag topic>:=${w.topic})`);
          }
          continue;
        }
        const type = bagTypes.get(bagTopic)!;
        if (type !== w.type) {
          throw new PilotError('E_REPLAY_TOPIC', `the runtime reads ${w.topic} as ${w.type} but the bag records ${bagTopic} as ${type}`);
        }
        if (bagTopic === reference?.bagTopic) throw new PilotError('E_REPLAY_TOPIC', `${bagTopic} cannot be both an input and the recorded commands`);
        let route = routes.get(bagTopic);
        if (!route) routes.set(bagTopic, (route = { topic: w.topic, type, role: w.role, lanes: [], messages: 0 }));
        route.lanes.push(lane);
        // camera_info goes to the runtime's hook, not over the transport (the runtime does not subscribe to it).
        if (w.role === 'camera_info') continue;
        if (!lane.publishers.has(w.topic)) lane.publishers.set(w.topic, transport.advertise(w.topic, type, w.role === 'estop' ? RELIABLE_QOS : SENSOR_QOS));
        if (w.role !== 'estop') lane.counted.add(w.topic);
      }

      // Collect the predicted commands and diagnostics.
      const commandTopic = config.outputs.command.topic;
      transport.subscribe(commandTopic, fields.type, (msg: unknown) => onCommand(lane, msg), RELIABLE_QOS);
      transport.subscribe<DiagnosticArray>(config.outputs.diagnostics.topic, 'diagnostic_msgs/msg/DiagnosticArray', (msg) => {
        if (lane.collecting) write(lane.outTopics.diagnostics, msg, logNsAt(clock.now()));
      }, RELIABLE_QOS);
    }
  } catch (err) {
    await disposeLanes(lanes, ownPolicies);
    throw err;
  }

  function onCommand(lane: Lane, msg: unknown): void {
    if (!lane.collecting) return;
    const t = clock.now();
    const p = lane.predictions;
    if (!lane.fields.read(msg, lane.scratch)) lane.scratch.fill(NaN);
    p.tMs.push(t);
    lane.fields.names.forEach((_, f) => p.values[f]!.push(lane.scratch[f]!));
    p.reasons.push(lane.pilot.safety.lastReason);
    write(lane.outTopics.command, msg, logNsAt(t));
    // The tick commits its timeline right after publishing, synchronously: look at it after that.
    queueMicrotask(() => afterTick(lane, t));
  }

  function afterTick(lane: Lane, tMs: number): void {
    const timeline = lane.pilot.timeline;
    const total = timeline.windows.tickLatencyMs.total;
    if (total === lane.ticksSeen) return;
    lane.ticksSeen = total;
    const r = timeline.last;
    if (r.tickLatencyMs > lane.pilot.loop.options.deadlineMs) lane.overDeadline++;
    if (lane.outTopics.timeline) {
      write(
        lane.outTopics.timeline,
        {
          stamp: timeFromNs(logNsAt(tMs)),
          scheduled_ms: r.scheduledMs,
          input_age_ms: r.inputAgeMs,
          preprocess_ms: r.preprocessMs,
          inference_ms: r.inferenceMs,
          postprocess_ms: r.postprocessMs,
          publish_ms: r.publishMs,
          tick_latency_ms: r.tickLatencyMs,
          reason: r.reason,
        },
        logNsAt(tMs),
      );
    }
  }

  // Output topics: inputs under the names the runtime saw, the recorded commands, then per model.
  for (const [, route] of routes) addOutputTopic(route.topic, route.type, { reliable: route.role === 'estop' });
  if (reference) addOutputTopic(reference.bagTopic, reference.type, { reliable: true });
  for (const lane of lanes) {
    addOutputTopic(lane.outTopics.command, lane.fields.type, { reliable: true });
    addOutputTopic(lane.outTopics.diagnostics, 'diagnostic_msgs/msg/DiagnosticArray', { reliable: true });
    if (lane.outTopics.timeline) addOutputTopic(lane.outTopics.timeline, TICK_TIMELINE_TYPE, { schemaText: TICK_TIMELINE_SCHEMA, reliable: true });
  }

  const referenceSeries = { tMs: [] as number[], values: lanes[0]!.fields.names.map(() => [] as number[]) };
  const refScratch = new Float64Array(lanes[0]!.fields.names.length);
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 10_000;
  const periodMs = 1000 / first.loop.rate_hz;
  const allIdle = (): Promise<unknown> => Promise.all(lanes.map((l) => l.pilot.loop.whenIdle()));

  /** Fast mode: run the timers due before `tMs` (or at it, when `inclusive`), one at a time. */
  const runTimersUntil = async (tMs: number, inclusive: boolean): Promise<void> => {
    const c = replayClock!;
    for (;;) {
      const due = c.nextDueMs();
      if (due === undefined || due > tMs || (!inclusive && due === tMs)) break;
      c.fireNext();
      await allIdle();
      // Let the timeline microtasks of the tick run before the next timer.
      await Promise.resolve();
      await flush();
    }
    if (tMs > c.now()) c.setNow(tMs);
  };

  const waitForDelivery = async (): Promise<void> => {
    for (const lane of lanes) {
      if (lane.pilot.inputsArrived >= lane.expectedInputs) continue;
      const giveUpAt = performance.now() + deliveryTimeoutMs;
      while (lane.pilot.inputsArrived < lane.expectedInputs) {
        if (performance.now() > giveUpAt) {
          throw new PilotError('E_REPLAY_DELIVERY', `${lane.spec.label}: the runtime received ${lane.pilot.inputsArrived} of ${lane.expectedInputs} inputs within ${deliveryTimeoutMs} ms`);
        }
        await nextTurn();
      }
    }
  };

  const onError = options.recover
    ? (err: BagError): void => {
        skipped++;
        if (skippedNotes.length < MAX_NOTES) skippedNotes.push(err.message);
      }
    : undefined;

  const topics = [...routes.keys(), ...(reference ? [reference.bagTopic] : [])];
  const wallStart = performance.now();
  let lastProgress = wallStart;
  let started = false;
  let lastMs = 0;
  let lastInputMs = 0;
  let delivered = 0;
  let lateMessages = 0;
  let interrupted = false;
  const totalS = Number(windowEnd - windowStart) / 1e9;
  const start = (): void => {
    started = true;
    wallClock?.anchor(lastMs);
    for (const lane of lanes) lane.pilot.start();
  };

  try {
    const messages = reader.messages({
      topics,
      startNs: windowStart,
      endNs: windowEnd,
      reuseBuffers: true,
      ...(onError ? { onError } : {}),
    });
    for await (const m of messages) {
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const t = Math.max(relMs(m.logTimeNs), lastMs);
      const route = routes.get(m.topic);
      // Nothing runs before the first input: the runtimes start with it.
      if (route && !started) {
        if (replayClock) replayClock.setNow(t);
        lastMs = t;
        start();
      }
      // Inputs drive time; recorded commands are only collected (ticks after the last input would see stale inputs).
      if (started && route) {
        if (replayClock) await runTimersUntil(t, false);
        else await wallClock!.waitUntil(t);
      }
      lastMs = t;
      let message: unknown;
      try {
        message = reader.decode(m);
      } catch (err) {
        if (!onError || !(err instanceof BagError)) throw err;
        onError(err);
        continue;
      }
      if (route) {
        deliver(route, m, message);
        delivered++;
        lastInputMs = t;
        if (wallClock && wallClock.now() - t > periodMs) lateMessages++;
        if (replayClock) {
          await waitForDelivery();
          await allIdle();
        }
      } else if (reference) {
        if (lanes[0]!.fields.read(message, refScratch)) {
          referenceSeries.tMs.push(t);
          refScratch.forEach((v, f) => referenceSeries.values[f]!.push(v));
          reference.messages++;
          write(reference.bagTopic, message, m.logTimeNs);
        } else {
          skipped++;
          if (skippedNotes.length < MAX_NOTES) skippedNotes.push(`${m.file}: ${m.topic}: recorded command without the fields ${lanes[0]!.fields.names.join(', ')}; skipped`);
        }
      }
      await flush();
      const now = performance.now();
      if (options.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        options.onProgress({ bagS: t / 1000, totalS, messages: delivered, wallS: (now - wallStart) / 1000 });
      }
    }
    if (!started) {
      const wanted = [...new Set(configs.map((c) => c.inputs.camera.topic))].join(', ');
      throw new PilotError('E_REPLAY_EMPTY', `${reader.path}: no input messages to replay in the window (${startS}–${(Number(windowEnd - bagStart) / 1e9).toFixed(3)} s) on ${[...routes.keys()].join(', ') || wanted}`);
    }
    // The ticks up to the last input: after it the runtime would only see its inputs go stale.
    const endMs = lastInputMs;
    if (replayClock) await runTimersUntil(endMs, true);
    else {
      await wallClock!.waitUntil(endMs);
      await allIdle();
    }
    await Promise.resolve();
    await flush();
  } catch (err) {
    for (const lane of lanes) lane.collecting = false;
    await disposeLanes(lanes, ownPolicies);
    throw err;
  }
  const wallS = (performance.now() - wallStart) / 1000;
  for (const lane of lanes) lane.collecting = false;
  await disposeLanes(lanes, ownPolicies);
  await flush();

  function deliver(route: InputRoute, m: BagMessage, message: unknown): void {
    route.messages++;
    if (route.role === 'camera_info') {
      for (const lane of route.lanes) lane.pilot.useCameraInfo(message as CameraInfo, `camera_info on ${m.topic}`);
    } else if (route.role === 'camera') {
      // Camera frames are preprocessed on arrival (synchronously: the in-process transport): note why one was rejected.
      for (const lane of route.lanes) {
        lane.expectedInputs++;
        lane.cameraFrames++;
        const rejectedBefore = lane.pilot.camera.rejected;
        lane.publishers.get(route.topic)!.publish(message);
        if (lane.pilot.camera.rejected > rejectedBefore) countRejection(lane.rejections, lane.pilot.camera.lastRejection);
      }
    } else {
      // Anything else stays in an input slot: detach it from the read buffer.
      const value = detach(message);
      for (const lane of route.lanes) {
        if (lane.counted.has(route.topic)) lane.expectedInputs++;
        lane.publishers.get(route.topic)!.publish(value);
      }
    }
    write(route.topic, message, m.logTimeNs);
  }

  if (reference && reference.messages === 0) {
    notes.push(`no recorded commands on ${reference.bagTopic} in the replayed window: predictions only, no error against recorded commands`);
    reference = null;
  }
  const runs: ReplayRun[] = lanes.map((lane) => {
    const p = lane.pilot;
    const predictions: PredictionSeries = { names: lane.fields.names, units: lane.fields.units, ...lane.predictions };
    const t = p.timeline;
    return {
      label: lane.spec.label,
      modelPath: lane.config.model.path,
      modelId: p.policy.contract.id,
      provider: p.policy.activeProvider,
      commandTopic: lane.config.outputs.command.topic,
      commandType: lane.fields.type,
      predictions,
      evaluation: reference ? evaluate(predictions, referenceSeries, options.evaluate, lane.baselines?.constant_mean) : null,
      baselines: lane.baselines,
      input: inputCoverage(lane),
      runtime: {
        ticks: p.loop.stats.ticks,
        commands: p.counters.commandsPublished,
        deadlineMs: p.loop.options.deadlineMs,
        latencyMs: latency(t.summary('tickLatencyMs')),
        inferenceMs: latency(t.summary('inferenceMs')),
        preprocessMs: latency(t.summary('preprocessMs')),
        overDeadline: lane.overDeadline,
        skippedCycles: p.loop.stats.skippedCycles,
        safetyReasons: Object.fromEntries(Object.entries(p.safety.counters.byReason).filter(([, n]) => n > 0)),
        clamped: p.safety.counters.clamped,
        slewLimited: p.safety.counters.slewLimited,
        framesReceived: p.camera.received,
        framesRejected: p.camera.rejected,
        lastRejection: p.camera.lastRejection,
        framesScaledIntrinsics: p.cameraGeometry.stats.scaledFrames,
        framesCameraInfoGeometry: p.cameraGeometry.stats.cameraInfoFrames,
        policyErrors: p.counters.policyErrors,
      },
    };
  });
  for (const [k, run] of runs.entries()) {
    for (const { reason, count } of run.input.rejections) {
      const hint = /calibration says/.test(reason) ? ' (replay with a config whose calibration.camera matches the recorded images)' : '';
      notes.push(`${run.label}: ${count} camera frame(s) rejected by the runtime: ${reason}${hint}`);
    }
    for (const notice of lanes[k]!.pilot.cameraGeometry.notices) notes.push(`${run.label}: ${notice.replace(/^pilot: /, '')}`);
    if (run.runtime.framesReceived === 0 && run.runtime.framesRejected === 0) notes.push(`${run.label}: no camera frame reached the runtime`);
  }
  if (skipped > 0) notes.push(`${skipped} unreadable part(s) or message(s) skipped (--recover)`);
  const bagS = Math.max(0, lastMs) / 1000;
  const replayedTopics: ReplayTopic[] = [...routes.entries()].map(([bagTopic, r]) => ({ topic: r.topic, bagTopic, type: r.type, role: r.role, messages: r.messages }));
  return {
    schema: REPLAY_SCHEMA,
    bag: { path: reader.path, storage: info.storage, startNs: bagStart, endNs: bagEnd, durationS },
    window: { startNs: windowStart, endNs: windowEnd, startS, endS: Number(windowEnd - bagStart) / 1e9 },
    mode,
    rate: fast ? 1 : rate,
    topics: replayedTopics,
    reference: reference ? { ...reference, role: 'reference' } : null,
    runs,
    comparison: runs.length >= 2 ? compareSeries(runs[0]!.predictions, runs[1]!.predictions, options.evaluate) : null,
    skipped: { count: skipped, notes: skippedNotes },
    notes,
    interrupted,
    lateMessages,
    wallS,
    bagS,
    realTimeFactor: wallS > 0 ? bagS / wallS : Infinity,
    output: output ? { messages: outputMessages, topics: [...outputTopics] } : null,
  };
}

function countRejection(counts: Map<string, number>, reason: string): void {
  const key = counts.has(reason) || counts.size < MAX_REJECTION_REASONS ? reason : 'other reasons';
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function inputCoverage(lane: Lane): ReplayInputCoverage {
  const cameraFrames = lane.cameraFrames;
  const framesAccepted = lane.pilot.camera.received;
  const fraction = cameraFrames > 0 ? framesAccepted / cameraFrames : 0;
  const rejections = [...lane.rejections.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
  return { cameraFrames, framesAccepted, fraction, rejections, sufficient: cameraFrames > 0 && fraction >= MIN_ACCEPTED_FRAME_FRACTION };
}

async function disposeLanes(lanes: readonly Lane[], own: ReadonlySet<Lane>): Promise<void> {
  for (const lane of lanes) {
    try {
      if (own.has(lane)) await lane.pilot.dispose();
      else await lane.pilot.stop();
    } finally {
      for (const p of lane.publishers.values()) p.close();
      await lane.transport.close();
    }
  }
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
