/**
 * Replay, the runtimes: one lane per model — its own in-process transport and runtime on the shared
 * clock, the bag topics routed to it, and its predicted commands, diagnostics and timeline collected.
 */
import { DEFAULT_TIMELINE_TOPIC, TICK_TIMELINE_SCHEMA, TICK_TIMELINE_TYPE } from '../bags/black-box.js';
import type { BagMessage } from '../bags/types.js';
import { cameraInfoTopicFor } from '../../core/calibration/camera.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { timeFromNs } from '../../core/messages/time.js';
import type { CameraInfo, DiagnosticArray } from '../../core/messages/types.js';
import { PilotError } from '../../core/util/errors.js';
import type { Clock } from '../../runtime/loop/clock.js';
import { Pilot } from '../../runtime/pilot.js';
import { InProcessTransport } from '../../transport/in-process.js';
import { RELIABLE_QOS, SENSOR_QOS, type Publisher } from '../../transport/transport.js';
import { readModelBaselines, type TrainingBaselines } from './baselines.js';
import { commandFields, type CommandFields } from './command-fields.js';
import { bagTopicFor, type TopicRemap } from './remap.js';
import { CAMERA_INFO, COMPRESSED, IMAGE, safeType, type RecordedCommands } from './replay-inputs.js';
import type { ReplayOutput } from './replay-output.js';
import type { ReplayModelSpec, ReplayOutputTopics } from './replay-types.js';

/** Distinct rejection reasons counted per run (the rest are counted as one). */
const MAX_REJECTION_REASONS = 8;

export interface Lane {
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

export interface InputRoute {
  readonly topic: string;
  readonly type: string;
  readonly role: 'camera' | 'camera_info' | 'state' | 'estop';
  readonly lanes: Lane[];
  messages: number;
}

/** What every lane shares. */
export interface LaneContext {
  readonly bagTypes: ReadonlyMap<string, string>;
  readonly bagNames: readonly string[];
  readonly remap: TopicRemap;
  readonly reference: RecordedCommands | null;
  readonly clock: Clock;
  readonly stopwatch: () => number;
  readonly log: (line: string) => void;
  readonly output: ReplayOutput;
  readonly outputTopics: ReplayOutputTopics | undefined;
  /** More than one model: labels in log lines and output topics. */
  readonly several: boolean;
  /** Log time of a replay time (ms from the window start). */
  readonly logNsAt: (ms: number) => bigint;
}

export interface Lanes {
  readonly lanes: Lane[];
  /** Lanes whose policy the replay made (and disposes). */
  readonly own: Set<Lane>;
  /** Bag topic → the lanes that read it. */
  readonly routes: Map<string, InputRoute>;
}

/** A runtime per model, its inputs routed; on failure the lanes made so far are disposed. */
export async function openLanes(models: readonly ReplayModelSpec[], configs: readonly PilotConfig[], ctx: LaneContext): Promise<Lanes> {
  const result: Lanes = { lanes: [], own: new Set(), routes: new Map() };
  try {
    for (let k = 0; k < models.length; k++) {
      const spec = models[k]!;
      const lane = await createLane(spec, configs[k]!, ctx);
      result.lanes.push(lane);
      if (!spec.policy) result.own.add(lane);
      routeInputs(lane, ctx, result.routes);
      collectOutputs(lane, ctx);
    }
  } catch (err) {
    await disposeLanes(result);
    throw err;
  }
  return result;
}

async function createLane(spec: ReplayModelSpec, config: PilotConfig, ctx: LaneContext): Promise<Lane> {
  const { log, several } = ctx;
  const transport = new InProcessTransport({ onError: (err, topic) => log(`replay: ${spec.label}: ${topic}: ${(err as Error).message}`) });
  let pilot: Pilot;
  try {
    pilot = await Pilot.create(config, {
      transport,
      clock: ctx.clock,
      stopwatch: ctx.stopwatch,
      log: (line) => log(several ? `[${spec.label}] ${line}` : line),
      ...(spec.policy ? { policy: spec.policy } : {}),
    });
  } catch (err) {
    await transport.close();
    throw err;
  }
  const fields = commandFields(config.outputs.command.type, pilot.decoder.names, pilot.decoder.units);
  const prefix = several ? `/pilot/${spec.label.replace(/[^A-Za-z0-9_]/g, '_')}` : '/pilot';
  const topics = ctx.outputTopics ?? {};
  return {
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
}

/** Inputs this runtime reads: camera, state topics, e-stop and camera_info (when recorded). */
function routeInputs(lane: Lane, ctx: LaneContext, routes: Map<string, InputRoute>): void {
  const { config, transport } = lane;
  const wanted: { topic: string; type: string; role: InputRoute['role'] }[] = [
    { topic: config.inputs.camera.topic, type: config.inputs.camera.type === 'image' ? IMAGE : COMPRESSED, role: 'camera' },
    ...config.inputs.state.map((s) => ({ topic: s.topic, type: safeType(s.type), role: 'state' as const })),
    { topic: config.safety.estop_topic, type: 'std_msgs/msg/Bool', role: 'estop' },
    // The camera's geometry, when recorded: frames of another size than the calibration's use it.
    { topic: cameraInfoTopicFor(config.inputs.camera.topic), type: CAMERA_INFO, role: 'camera_info' },
  ];
  for (const w of wanted) {
    const bagTopic = bagTopicFor(ctx.remap, ctx.bagNames, w.topic);
    if (bagTopic === undefined || (w.role === 'camera_info' && ctx.bagTypes.get(bagTopic) !== CAMERA_INFO)) {
      if (w.role === 'state') {
        throw new PilotError('E_REPLAY_TOPIC', `the runtime reads state from ${w.topic} (${w.type}) but the bag has no such topic (--remap <bag topic>:=${w.topic})`);
      }
      continue;
    }
    const type = ctx.bagTypes.get(bagTopic)!;
    if (type !== w.type) {
      throw new PilotError('E_REPLAY_TOPIC', `the runtime reads ${w.topic} as ${w.type} but the bag records ${bagTopic} as ${type}`);
    }
    if (bagTopic === ctx.reference?.bagTopic) throw new PilotError('E_REPLAY_TOPIC', `${bagTopic} cannot be both an input and the recorded commands`);
    let route = routes.get(bagTopic);
    if (!route) routes.set(bagTopic, (route = { topic: w.topic, type, role: w.role, lanes: [], messages: 0 }));
    route.lanes.push(lane);
    // camera_info goes to the runtime's hook, not over the transport (the runtime does not subscribe to it).
    if (w.role === 'camera_info') continue;
    if (!lane.publishers.has(w.topic)) lane.publishers.set(w.topic, transport.advertise(w.topic, type, w.role === 'estop' ? RELIABLE_QOS : SENSOR_QOS));
    if (w.role !== 'estop') lane.counted.add(w.topic);
  }
}

/** Collect the predicted commands and diagnostics. */
function collectOutputs(lane: Lane, ctx: LaneContext): void {
  const { config, transport } = lane;
  transport.subscribe(config.outputs.command.topic, lane.fields.type, (msg: unknown) => onCommand(lane, msg, ctx), RELIABLE_QOS);
  transport.subscribe<DiagnosticArray>(config.outputs.diagnostics.topic, 'diagnostic_msgs/msg/DiagnosticArray', (msg) => {
    if (lane.collecting) ctx.output.write(lane.outTopics.diagnostics, msg, ctx.logNsAt(ctx.clock.now()));
  }, RELIABLE_QOS);
}

function onCommand(lane: Lane, msg: unknown, ctx: LaneContext): void {
  if (!lane.collecting) return;
  const t = ctx.clock.now();
  const p = lane.predictions;
  if (!lane.fields.read(msg, lane.scratch)) lane.scratch.fill(NaN);
  p.tMs.push(t);
  lane.fields.names.forEach((_, f) => p.values[f]!.push(lane.scratch[f]!));
  p.reasons.push(lane.pilot.safety.lastReason);
  ctx.output.write(lane.outTopics.command, msg, ctx.logNsAt(t));
  // The tick commits its timeline right after publishing, synchronously: look at it after that.
  queueMicrotask(() => afterTick(lane, t, ctx));
}

function afterTick(lane: Lane, tMs: number, ctx: LaneContext): void {
  const timeline = lane.pilot.timeline;
  const total = timeline.windows.tickLatencyMs.total;
  if (total === lane.ticksSeen) return;
  lane.ticksSeen = total;
  const r = timeline.last;
  if (r.tickLatencyMs > lane.pilot.loop.options.deadlineMs) lane.overDeadline++;
  if (lane.outTopics.timeline) {
    ctx.output.write(
      lane.outTopics.timeline,
      {
        stamp: timeFromNs(ctx.logNsAt(tMs)),
        scheduled_ms: r.scheduledMs,
        input_age_ms: r.inputAgeMs,
        preprocess_ms: r.preprocessMs,
        inference_ms: r.inferenceMs,
        postprocess_ms: r.postprocessMs,
        publish_ms: r.publishMs,
        tick_latency_ms: r.tickLatencyMs,
        reason: r.reason,
      },
      ctx.logNsAt(tMs),
    );
  }
}

/** Output topics: inputs under the names the runtime saw, the recorded commands, then per model. */
export function addOutputTopics(output: ReplayOutput, { lanes, routes }: Lanes, reference: RecordedCommands | null): void {
  for (const [, route] of routes) output.addTopic(route.topic, route.type, { reliable: route.role === 'estop' });
  if (reference) output.addTopic(reference.bagTopic, reference.type, { reliable: true });
  for (const lane of lanes) {
    output.addTopic(lane.outTopics.command, lane.fields.type, { reliable: true });
    output.addTopic(lane.outTopics.diagnostics, 'diagnostic_msgs/msg/DiagnosticArray', { reliable: true });
    if (lane.outTopics.timeline) output.addTopic(lane.outTopics.timeline, TICK_TIMELINE_TYPE, { schemaText: TICK_TIMELINE_SCHEMA, reliable: true });
  }
}

/** Hands one input message to the lanes that read its topic, and writes it to the output bag. */
export function deliver(route: InputRoute, m: BagMessage, message: unknown, output: ReplayOutput): void {
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
  output.write(route.topic, message, m.logTimeNs);
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

function countRejection(counts: Map<string, number>, reason: string): void {
  const key = counts.has(reason) || counts.size < MAX_REJECTION_REASONS ? reason : 'other reasons';
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Stops (or disposes, when the replay made the policy) each runtime and closes its transport. */
export async function disposeLanes({ lanes, own }: Pick<Lanes, 'lanes' | 'own'>): Promise<void> {
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
