/**
 * The node's ROS parameters mirror the YAML config key for key (`loop.rate_hz`, `model.path`…), so a
 * `ros__parameters` file and a pilot config say the same things. This module is the table: each
 * parameter's type, description, range and where it lives in the config, plus the conversions
 * between parameter values and a raw config object (validated by the config schema at configure).
 *
 * Exceptions to one-to-one: `inputs.state` (a list of objects) is five parallel arrays
 * `inputs.state.{field,topic,type,path,max_age_ms}`; optional numbers use 0 for "not set"
 * (`loop.deadline_ms`, `model.cuda.memory_limit_mb`); `transport.*` and `ros2.remap` are not
 * parameters (the node is the transport; ROS's `-r from:=to` remaps); `outputs.timeline` is not one
 * (its message type is not a ROS 2 interface). Per-action safety parameters are declared at configure,
 * when the model says which actions exist: `safety.limits.<action>` ([min, max]) and
 * `safety.max_rate.<action>` are the only ones that change while the node is configured.
 */
import { COMMAND_TYPES, PROVIDER_NAMES } from '../core/config/schema.js';

export type ParamKind = 'string' | 'string[]' | 'double' | 'double[]' | 'int' | 'bool';
export type ParamValue = string | string[] | number | number[] | boolean;

export interface ParamSpec {
  readonly name: string;
  readonly kind: ParamKind;
  readonly description: string;
  /** Inclusive range for numbers (and each element of number arrays). */
  readonly range?: readonly [number, number];
  /** Plain-text constraints for `ros2 param describe` (choices, meaning of 0). */
  readonly constraints?: string;
  /** Changeable while the node is configured (only per-action safety limits). */
  readonly dynamic?: boolean;
  /** Only settable at start (`--ros-args -p`, a params file), never with `ros2 param set`. */
  readonly readOnly?: boolean;
}

const s = (name: string, description: string, constraints?: string): ParamSpec => ({ name, kind: 'string', description, ...(constraints ? { constraints } : {}) });
const d = (name: string, description: string, range: readonly [number, number], constraints?: string): ParamSpec => ({
  name,
  kind: 'double',
  description,
  range,
  ...(constraints ? { constraints } : {}),
});
const i = (name: string, description: string, range: readonly [number, number], constraints?: string): ParamSpec => ({
  name,
  kind: 'int',
  description,
  range,
  ...(constraints ? { constraints } : {}),
});
const b = (name: string, description: string): ParamSpec => ({ name, kind: 'bool', description });
const oneOf = (values: readonly string[]): string => `one of: ${values.join(', ')}`;

/** Parameters declared when the node starts, in the order of the YAML config. */
export const STATIC_PARAMS: readonly ParamSpec[] = [
  { name: 'config_file', kind: 'string', description: 'pilot YAML config read at start; ROS parameters given explicitly override its keys', readOnly: true },
  s('model.path', 'ONNX model with a pilot.contract in its metadata'),
  { name: 'model.providers', kind: 'string[]', description: 'execution providers tried in order', constraints: `each ${oneOf(PROVIDER_NAMES)}` },
  i('model.intra_op_threads', 'ONNX Runtime intra-op threads', [1, 64]),
  s('model.inference_thread', 'main: on the loop thread; worker: a worker thread (fallback at the deadline)', oneOf(['main', 'worker'])),
  i('model.warmup_runs', 'inference runs before the loop starts', [0, 10_000]),
  b('model.require_eval', 'refuse a model without a passing pilot eval record for its exact bytes'),
  b('model.device_outputs', "keep outputs in device memory where the provider allows (WebGPU 'gpu-buffer'); off: host buffer"),
  s('model.ort_log_level', 'ONNX Runtime log level', oneOf(['verbose', 'info', 'warning', 'error', 'fatal'])),
  i('model.cuda.device_id', 'CUDA device', [0, 64]),
  i('model.cuda.memory_limit_mb', 'CUDA arena limit', [0, 1 << 20], '0 = no limit'),
  s('model.tensorrt.engine_cache_dir', 'TensorRT engine cache folder'),
  b('model.tensorrt.fp16', 'TensorRT FP16'),
  s('calibration.camera', 'camera intrinsics (ROS camera_calibration YAML)'),
  s('calibration.vehicle', 'vehicle parameters YAML'),
  d('loop.rate_hz', 'control rate', [0, 200], '> 0'),
  d('loop.deadline_ms', 'tick start to command published', [0, 1000], '0 = 80 % of the period; at most the period'),
  s('loop.trigger', 'timer: fixed rate; camera: one tick per frame', oneOf(['timer', 'camera'])),
  s('inputs.camera.topic', 'camera topic'),
  s('inputs.camera.type', 'image: sensor_msgs/Image; compressed: sensor_msgs/CompressedImage (JPEG/PNG)', oneOf(['image', 'compressed'])),
  d('inputs.camera.max_age_ms', 'older camera frames stop the robot', [0, 60_000], '> 0'),
  { name: 'inputs.state.field', kind: 'string[]', description: 'state inputs: contract field names (parallel to the other inputs.state.* lists)' },
  { name: 'inputs.state.topic', kind: 'string[]', description: 'state inputs: topics' },
  { name: 'inputs.state.type', kind: 'string[]', description: 'state inputs: ROS 2 types, e.g. nav_msgs/msg/Odometry' },
  { name: 'inputs.state.path', kind: 'string[]', description: 'state inputs: field paths, e.g. twist.twist.linear.x' },
  { name: 'inputs.state.max_age_ms', kind: 'double[]', description: 'state inputs: maximum ages', range: [0, 60_000] },
  s('outputs.command.topic', 'command topic'),
  s('outputs.command.type', 'command message', oneOf(COMMAND_TYPES)),
  s('outputs.diagnostics.topic', 'diagnostic_msgs/DiagnosticArray topic'),
  d('outputs.diagnostics.rate_hz', 'diagnostics rate', [0, 10], '> 0'),
  s('outputs.frame_id', 'frame_id stamped on commands'),
  s('safety.estop_topic', 'std_msgs/Bool e-stop topic: true engages, false releases'),
  s('safety.on_deadline_miss', 'what a missed deadline publishes', oneOf(['hold', 'stop'])),
  i('safety.max_consecutive_misses', 'misses in a row before stopping regardless', [0, 1000]),
  b('ros2.namespaced_topics', "resolve configured topics in the node's namespace (except /clock, /tf, /tf_static, /diagnostics)"),
  s('ros2.camera_mount', "camera mounting (extrinsics) YAML published on /tf_static; '' = none"),
  b('ros2.publish_tf', 'publish the camera mount on /tf_static'),
  s('ros2.camera_info_topic', "publish sensor_msgs/CameraInfo from calibration.camera here (latched); '' = off"),
  s('ros2.estop_service', "std_srvs/srv/SetBool e-stop service; '' = none"),
];

export const STATE_LIST_PARAMS = ['inputs.state.field', 'inputs.state.topic', 'inputs.state.type', 'inputs.state.path', 'inputs.state.max_age_ms'] as const;

/** `[min, max]` of one action, changeable while configured within what was configured at start. */
export function limitsParam(action: string, envelope: readonly [number, number]): ParamSpec {
  return {
    name: `safety.limits.${action}`,
    kind: 'double[]',
    description: `[min, max] of action '${action}'`,
    constraints: `min <= max, both within [${envelope[0]}, ${envelope[1]}] (config and vehicle calibration at configure); changes apply at the next tick`,
    dynamic: true,
  };
}

/** Largest change per second of one action; 0 = none beyond what was configured. */
export function maxRateParam(action: string, envelope: number): ParamSpec {
  return {
    name: `safety.max_rate.${action}`,
    kind: 'double',
    description: `largest change per second of action '${action}'`,
    constraints: Number.isFinite(envelope)
      ? `> 0 and <= ${envelope} (configured at start); changes apply at the next tick`
      : '> 0, or 0 for no slew limit; changes apply at the next tick',
    dynamic: true,
  };
}

export function stopParam(action: string): ParamSpec {
  return { name: `safety.stop.${action}`, kind: 'double', description: `value of action '${action}' in the stop command` };
}

/** Per-action parameter prefixes: overrides with these names are read at configure. */
export const ACTION_PARAM_PREFIXES = ['safety.limits.', 'safety.max_rate.', 'safety.stop.'] as const;

type Raw = Record<string, unknown>;

/** A value at a dotted path of a raw config object (undefined when absent). */
export function getPath(raw: unknown, path: string): unknown {
  let v: unknown = raw;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Raw)[part];
  }
  return v;
}

/** Sets a value at a dotted path, creating objects on the way (replacing non-objects). */
export function setPath(raw: Raw, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = raw;
  for (const part of parts.slice(0, -1)) {
    const next = o[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) o[part] = {};
    o = o[part] as Raw;
  }
  o[parts.at(-1)!] = value;
}

/**
 * The parameter value a config key holds, for declaring parameters with the config's values
 * (`config` is a validated config, or a raw one from a config file: wrong types give undefined).
 */
export function paramValueFromConfig(spec: ParamSpec, config: unknown): ParamValue | undefined {
  if (spec.name === 'config_file') return undefined;
  if ((STATE_LIST_PARAMS as readonly string[]).includes(spec.name)) {
    const list = getPath(config, 'inputs.state');
    if (!Array.isArray(list)) return undefined;
    const key = spec.name.slice('inputs.state.'.length);
    const values = list.map((e) => (e !== null && typeof e === 'object' ? (e as Raw)[key] : undefined));
    return coerce(spec, key === 'max_age_ms' ? values.map((v) => (v === undefined ? 100 : v)) : values);
  }
  const v = getPath(config, spec.name);
  if ((spec.name === 'loop.deadline_ms' || spec.name === 'model.cuda.memory_limit_mb') && v === undefined) return 0;
  return coerce(spec, v);
}

/** Writes a parameter value into a raw config object, undoing the encodings described above. */
export function applyParam(raw: Raw, spec: ParamSpec, value: ParamValue): void {
  if (spec.name === 'config_file') return;
  if ((spec.name === 'loop.deadline_ms' || spec.name === 'model.cuda.memory_limit_mb') && value === 0) {
    const parent = getPath(raw, spec.name.split('.').slice(0, -1).join('.'));
    if (parent !== null && typeof parent === 'object') delete (parent as Raw)[spec.name.split('.').at(-1)!];
    return;
  }
  if ((STATE_LIST_PARAMS as readonly string[]).includes(spec.name)) {
    const key = spec.name.slice('inputs.state.'.length);
    const values = Array.isArray(value) ? value : [];
    const current = getPath(raw, 'inputs.state');
    const list: Raw[] = Array.isArray(current) ? current.map((e) => (e !== null && typeof e === 'object' ? { ...(e as Raw) } : {})) : [];
    while (list.length < values.length) list.push({});
    values.forEach((v, k) => (list[k]![key] = v));
    setPath(raw, 'inputs.state', list);
    return;
  }
  setPath(raw, spec.name, value);
}

/**
 * A value of the parameter's kind, or undefined. Integers from YAML are accepted for doubles (a
 * params file saying `rate_hz: 50` means 50.0), integer-valued doubles for integers.
 */
export function coerce(spec: Pick<ParamSpec, 'kind'>, v: unknown): ParamValue | undefined {
  const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : undefined);
  switch (spec.kind) {
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'bool':
      return typeof v === 'boolean' ? v : undefined;
    case 'double':
      return num(v);
    case 'int': {
      const n = num(v);
      return n !== undefined && Number.isInteger(n) ? n : undefined;
    }
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...v] : undefined;
    case 'double[]': {
      if (!Array.isArray(v) && !(v instanceof Float64Array)) return undefined;
      const out = Array.from(v as ArrayLike<unknown>, num);
      return out.every((x): x is number => x !== undefined) ? out : undefined;
    }
  }
}

export function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(describeValue).join(', ')}]`;
  return String(v);
}
