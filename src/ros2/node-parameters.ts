/**
 * The node's parameters on an rclnodejs node: declaring them (with descriptors, ranges and the
 * config file's values), knowing which ones the user set, and turning them into a validated
 * PilotConfig at configure. Precedence: parameters given explicitly (`-p`, a params file, or
 * `ros2 param set` while unconfigured) > `config_file` > the config schema's defaults.
 *
 * The command line's `-p` and `--params-file` arrive as sections (ros-args.ts) and are matched to the
 * node's fully qualified name here; sections for other nodes and names that are not pilot parameters
 * are collected in `warnings`. Descriptors advertise their ranges and read-only intent in the message
 * `ros2 param describe` shows (rclnodejs 2.2.0's own `toMessage` drops ranges).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type * as rclnodejs from 'rclnodejs';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../core/config/load.js';
import { PilotConfig } from '../core/config/schema.js';
import { PilotError } from '../core/util/errors.js';
import {
  ACTION_PARAM_PREFIXES,
  STATE_LIST_PARAMS,
  STATIC_PARAMS,
  applyParam,
  coerce,
  describeValue,
  getPath,
  paramValueFromConfig,
  setPath,
  type ParamKind,
  type ParamSpec,
  type ParamValue,
} from './parameters.js';
import { ParamType, type NodeApi, type ParameterDescriptorMessage, type RclnodejsApi } from './rclnodejs-api.js';
import { fullyQualifiedName, resolveParameters, type ParameterSection } from './ros-args.js';

const TYPES: Record<ParamKind, rclnodejs.ParameterType> = {
  string: ParamType.STRING,
  'string[]': ParamType.STRING_ARRAY,
  double: ParamType.DOUBLE,
  'double[]': ParamType.DOUBLE_ARRAY,
  int: ParamType.INTEGER,
  bool: ParamType.BOOL,
};

const EMPTY: Record<ParamKind, ParamValue> = { string: '', 'string[]': [], double: 0, 'double[]': [], int: 0, bool: false };

export interface NodeParametersOptions {
  /** `config_file` when no parameter override gives one (the CLI's --config). */
  readonly configFile?: string;
  /** Relative paths (config file, model, calibration) resolve against this; default the current directory. */
  readonly baseDir?: string;
  /** The command line's parameter sections (`--params-file`, `-p`), applied where their key matches the node. */
  readonly sections?: readonly ParameterSection[];
}

export class NodeParameters {
  /** Parameters the user gave explicitly: they override the config file. */
  readonly explicit = new Set<string>();
  /** Problems found while declaring (bad override types, values out of range, unreadable config file); configure reports them. */
  readonly problems: string[] = [];
  /** Parameter sections for other nodes, and names that are not pilot parameters: the node logs them at start. */
  readonly warnings: string[] = [];
  readonly baseDir: string;
  readonly configFile: string;
  readonly #api: RclnodejsApi;
  readonly #node: NodeApi;
  readonly #specs = new Map<string, ParamSpec>();
  readonly #overrides = new Map<string, unknown>();
  /** Where an override came from (a params file, `-p …`), for messages. */
  readonly #sources = new Map<string, string>();
  readonly #actionParams = new Set<string>();
  readonly #Descriptor: ReturnType<typeof describingDescriptor>;
  #fileRaw: Record<string, unknown> = {};

  constructor(api: RclnodejsApi, node: NodeApi, options: NodeParametersOptions = {}) {
    this.#api = api;
    this.#node = node;
    this.#Descriptor = describingDescriptor(api);
    this.baseDir = options.baseDir ?? process.cwd();
    for (const p of node.getParameterOverrides()) {
      const value: unknown = p.value;
      this.#overrides.set(p.name, value);
    }
    const resolved = resolveParameters(options.sections ?? [], fullyQualifiedName(node.namespace(), node.name()));
    this.warnings.push(...resolved.unmatched);
    for (const [name, { value, source }] of resolved.values) {
      this.#overrides.set(name, value);
      this.#sources.set(name, source);
      if (!isPilotParameter(name)) this.warnings.push(`${source}: ${name} is not a parameter of pilot's node; ignored`);
    }
    const fromOverride = this.#overrides.get('config_file');
    this.configFile = typeof fromOverride === 'string' ? fromOverride : (options.configFile ?? '');
    if (this.configFile) this.#fileRaw = readConfigFile(this.configFile, this.baseDir, this.problems);
    const defaults = PilotConfig.parse({ model: { path: 'model.onnx' }, ros2: {} });
    for (const spec of STATIC_PARAMS) {
      const fallback =
        spec.name === 'config_file'
          ? this.configFile
          : spec.name === 'model.path'
            ? (paramValueFromConfig(spec, this.#fileRaw) ?? '')
            : (paramValueFromConfig(spec, this.#fileRaw) ?? paramValueFromConfig(spec, defaults) ?? EMPTY[spec.kind]);
      this.declare(spec, fallback);
    }
    this.#useSimTime(resolved.values.has('use_sim_time'));
  }

  /** use_sim_time: rclnodejs declares it (with its own overrides); one from pilot's sections is set here. */
  #useSimTime(fromSections: boolean): void {
    const raw = this.#overrides.get('use_sim_time');
    const value = coerce({ kind: 'bool' }, raw);
    if (raw !== undefined && value === undefined) {
      this.problems.push(`parameter use_sim_time${this.#from('use_sim_time')}: expected bool, got ${describeValue(raw)}`);
    }
    const parameter = new this.#api.Parameter('use_sim_time', ParamType.BOOL, value ?? false);
    if (!this.#node.hasParameter('use_sim_time')) {
      // rclnodejs declares it when it attaches its time source; a node without one gets it here.
      this.#node.declareParameter(parameter, undefined, true);
    } else if (fromSections && value !== undefined) {
      const result = this.#node.setParameter(parameter);
      if (!result.successful) this.problems.push(`parameter use_sim_time${this.#from('use_sim_time')}: ${result.reason}`);
    }
  }

  /** ` (from <source>)` for an override given on the command line. */
  #from(name: string): string {
    const source = this.#sources.get(name);
    return source ? ` (from ${source})` : '';
  }

  /** Our parameter spec of a name (static or per-action), if it is one of ours. */
  spec(name: string): ParamSpec | undefined {
    return this.#specs.get(name);
  }

  /** Declares a parameter: the override (coerced to the kind; a bad one is a problem) or `fallback`. */
  declare(spec: ParamSpec, fallback: ParamValue): void {
    let value = fallback;
    if (this.#overrides.has(spec.name)) {
      const raw = this.#overrides.get(spec.name);
      const coerced = coerce(spec, raw);
      const why = coerced === undefined ? `expected ${spec.kind}` : outOfRange(spec, coerced);
      if (why) this.problems.push(`parameter ${spec.name}${this.#from(spec.name)}: ${why}, got ${describeValue(raw)}`);
      else {
        value = coerced!;
        this.explicit.add(spec.name);
      }
    }
    // Overrides were applied above (with int → double coercion), so rclnodejs's own are skipped.
    this.#node.declareParameter(this.toParameter(spec, value), this.#descriptor(spec, spec.readOnly ?? false), true);
    this.#specs.set(spec.name, spec);
  }

  /**
   * Per-action parameters (declared at configure), remembered so cleanup can undeclare them. rclnodejs
   * cannot undeclare a read-only parameter, so a `readOnly` spec is declared writable, advertised as
   * read-only, and refused by the node's set-parameters callback (PilotNode).
   */
  declareAction(spec: ParamSpec, value: ParamValue): void {
    if (this.#node.hasParameter(spec.name)) this.#node.undeclareParameter(spec.name);
    this.#node.declareParameter(this.toParameter(spec, value), this.#descriptor(spec, false), true);
    this.#specs.set(spec.name, spec);
    this.#actionParams.add(spec.name);
  }

  #descriptor(spec: ParamSpec, readOnly: boolean): rclnodejs.ParameterDescriptor {
    const descriptor = new this.#Descriptor(spec.name, TYPES[spec.kind], spec.description, readOnly, this.#range(spec));
    descriptor.advertised = { ...rangeMessage(spec), read_only: spec.readOnly ?? false, dynamic_typing: false };
    if (spec.constraints) descriptor.additionalConstraints = spec.constraints;
    return descriptor;
  }

  undeclareActions(): void {
    for (const name of this.#actionParams) {
      if (this.#node.hasParameter(name)) this.#node.undeclareParameter(name);
      this.#specs.delete(name);
    }
    this.#actionParams.clear();
  }

  /** The current value of one of our parameters, of its kind. */
  value(spec: ParamSpec): ParamValue {
    const raw: unknown = this.#node.getParameter(spec.name).value;
    const v = coerce(spec, raw);
    if (v === undefined) throw new PilotError('E_CONFIG', `parameter ${spec.name}: expected ${spec.kind}, got ${describeValue(raw)}`);
    return v;
  }

  toParameter(spec: Pick<ParamSpec, 'name' | 'kind'>, value: ParamValue): rclnodejs.Parameter {
    const v = spec.kind === 'int' && typeof value === 'number' ? BigInt(value) : value;
    return new this.#api.Parameter(spec.name, TYPES[spec.kind], v);
  }

  /**
   * The config: the config file with every explicitly given parameter (and per-action override)
   * written over it, validated by the schema. Declaration problems fail here, all of them named.
   */
  buildConfig(): PilotConfig {
    if (this.problems.length > 0) throw new PilotError('E_CONFIG', this.problems.join('; '));
    const raw = structuredClone(this.#fileRaw);
    if (STATE_LIST_PARAMS.some((n) => this.explicit.has(n))) this.#checkStateLists();
    for (const name of this.explicit) {
      const spec = this.#specs.get(name);
      if (spec && !this.#actionParams.has(name)) applyParam(raw, spec, this.value(spec));
    }
    applyActionOverrides(raw, this.#overrides, (name) => this.#from(name));
    const source = this.configFile ? `${this.configFile} + ROS parameters` : 'ROS parameters';
    return parseConfig(raw, source, this.baseDir);
  }

  /** The inputs.state.* lists describe one input per index: same lengths (max_age_ms may be empty: 100 ms each). */
  #checkStateLists(): void {
    const lengths = STATE_LIST_PARAMS.map((name) => {
      const v = this.value(this.#specs.get(name)!);
      return [name, Array.isArray(v) ? v.length : 0] as const;
    });
    const n = lengths[0]![1];
    const bad = lengths.filter(([name, len]) => len !== n && !(name === 'inputs.state.max_age_ms' && len === 0));
    if (bad.length > 0) {
      throw new PilotError('E_CONFIG', `the inputs.state.* lists must have one entry per state input: ${lengths.map(([name, len]) => `${name} has ${len}`).join(', ')}`);
    }
  }

  #range(spec: ParamSpec): rclnodejs.Range | undefined {
    if (!spec.range) return undefined;
    const [lo, hi] = spec.range;
    if (spec.kind === 'int') return new this.#api.IntegerRange(BigInt(lo), BigInt(hi), 1n);
    if (spec.kind === 'double' || spec.kind === 'double[]') return new this.#api.FloatingPointRange(lo, hi, 0);
    return undefined;
  }
}

/** Whether a parameter name is one pilot's node declares (now or, per action, at configure). */
export function isPilotParameter(name: string): boolean {
  return name === 'use_sim_time' || STATIC_PARAMS.some((p) => p.name === name) || ACTION_PARAM_PREFIXES.some((p) => name.startsWith(p) && name.length > p.length);
}

/** Writes per-action overrides (`safety.limits.<action>`, `safety.max_rate.<action>`, `safety.stop.<action>`) into a raw config. */
export function applyActionOverrides(raw: Record<string, unknown>, overrides: ReadonlyMap<string, unknown>, from: (name: string) => string = () => ''): void {
  for (const [name, value] of overrides) {
    const prefix = ACTION_PARAM_PREFIXES.find((p) => name.startsWith(p));
    if (!prefix) continue;
    const action = name.slice(prefix.length);
    const kind = prefix === 'safety.limits.' ? 'double[]' : 'double';
    const v = coerce({ kind }, value);
    if (v === undefined) throw new PilotError('E_CONFIG', `parameter ${name}${from(name)}: expected ${kind}, got ${describeValue(value)}`);
    if (prefix === 'safety.max_rate.' && v === 0) continue; // 0 = no slew limit of our own
    const section = prefix.slice(0, -1); // safety.limits | safety.max_rate | safety.stop
    const current = getPath(raw, section);
    const map: Record<string, unknown> = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current } : {};
    map[action] = v;
    setPath(raw, section, map);
  }
}

/** A pilot YAML config as a raw object; what is wrong with it goes to `problems`. */
export function readConfigFile(path: string, baseDir: string, problems: string[]): Record<string, unknown> {
  const abs = isAbsolute(path) ? path : resolve(baseDir, path);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(abs, 'utf8'));
  } catch (err) {
    problems.push(`config_file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
    return {};
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`config_file ${path}: expected a YAML mapping`);
    return {};
  }
  return raw as Record<string, unknown>;
}

/**
 * The config a node would build at configure from the command line alone (config file and
 * parameter overrides), before any node exists: what `pilot node` checks the message packages of at
 * start. Undefined when it does not validate (configure then says why).
 */
export function previewConfig(overrides: ReadonlyMap<string, unknown>, options: Omit<NodeParametersOptions, 'sections'> = {}): PilotConfig | undefined {
  const baseDir = options.baseDir ?? process.cwd();
  const fromOverride = overrides.get('config_file');
  const configFile = typeof fromOverride === 'string' ? fromOverride : (options.configFile ?? '');
  const raw = configFile ? readConfigFile(configFile, baseDir, []) : {};
  for (const spec of STATIC_PARAMS) {
    const v = overrides.has(spec.name) ? coerce(spec, overrides.get(spec.name)) : undefined;
    if (v !== undefined && !outOfRange(spec, v)) applyParam(raw, spec, v);
  }
  try {
    applyActionOverrides(raw, overrides);
    return parseConfig(raw, 'the command line', baseDir);
  } catch {
    return undefined;
  }
}

/** The range fields of a ParameterDescriptor message for a spec (what `ros2 param describe` shows). */
export function rangeMessage(spec: ParamSpec): Pick<ParameterDescriptorMessage, 'floating_point_range' | 'integer_range'> {
  const none = { floating_point_range: [], integer_range: [] };
  if (!spec.range) return none;
  const [lo, hi] = spec.range;
  if (spec.kind === 'int') return { ...none, integer_range: [{ from_value: BigInt(lo), to_value: BigInt(hi), step: 1n }] };
  if (spec.kind === 'double' || spec.kind === 'double[]') return { ...none, floating_point_range: [{ from_value: lo, to_value: hi, step: 0 }] };
  return none;
}

/**
 * rclnodejs's ParameterDescriptor with a `toMessage` that includes the ranges (2.2.0's reads a field
 * it never sets, so its messages have none) and pilot's read-only intent. rclnodejs's describe_parameters
 * service answers with `toMessage()` of the descriptor a parameter was declared with.
 */
export function describingDescriptor(api: RclnodejsApi) {
  return class DescribingDescriptor extends api.ParameterDescriptor {
    advertised: Pick<ParameterDescriptorMessage, 'floating_point_range' | 'integer_range' | 'read_only' | 'dynamic_typing'> | undefined;

    override toMessage(): ParameterDescriptorMessage {
      const message = super.toMessage() as ParameterDescriptorMessage;
      if (!this.advertised) return message;
      return { ...message, ...this.advertised, read_only: message.read_only || this.advertised.read_only };
    }
  };
}

/** Why a value is outside its spec's range (undefined when inside or unbounded). */
export function outOfRange(spec: ParamSpec, value: ParamValue): string | undefined {
  if (!spec.range) return undefined;
  const [lo, hi] = spec.range;
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (typeof v === 'number' && !(v >= lo && v <= hi)) return `outside [${lo}, ${hi}]`;
  }
  return undefined;
}
