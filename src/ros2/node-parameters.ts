/**
 * The node's parameters on an rclnodejs node: declaring them (with descriptors, ranges and the
 * config file's values), knowing which ones the user set, and turning them into a validated
 * PilotConfig at configure. Precedence: parameters given explicitly (`-p`, a params file, or
 * `ros2 param set` while unconfigured) > `config_file` > the config schema's defaults.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type * as rclnodejs from 'rclnodejs';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../config/load.js';
import { PilotConfig } from '../config/schema.js';
import { PilotError } from '../util/errors.js';
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
import { ParamType, type NodeApi, type RclnodejsApi } from './rclnodejs-api.js';

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
}

export class NodeParameters {
  /** Parameters the user gave explicitly: they override the config file. */
  readonly explicit = new Set<string>();
  /** Problems found while declaring (bad override types, values out of range, unreadable config file); configure reports them. */
  readonly problems: string[] = [];
  readonly baseDir: string;
  readonly configFile: string;
  readonly #api: RclnodejsApi;
  readonly #node: NodeApi;
  readonly #specs = new Map<string, ParamSpec>();
  readonly #overrides = new Map<string, unknown>();
  readonly #actionParams = new Set<string>();
  #fileRaw: Record<string, unknown> = {};

  constructor(api: RclnodejsApi, node: NodeApi, options: NodeParametersOptions = {}) {
    this.#api = api;
    this.#node = node;
    this.baseDir = options.baseDir ?? process.cwd();
    for (const p of node.getParameterOverrides()) {
      const value: unknown = p.value;
      this.#overrides.set(p.name, value);
    }
    const fromOverride = this.#overrides.get('config_file');
    this.configFile = typeof fromOverride === 'string' ? fromOverride : (options.configFile ?? '');
    if (this.configFile) this.#fileRaw = this.#readConfigFile(this.configFile);
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
    if (!node.hasParameter('use_sim_time')) {
      // rclnodejs declares it when it attaches its time source; a node without one gets it here.
      const override = coerce({ kind: 'bool' }, this.#overrides.get('use_sim_time'));
      node.declareParameter(new api.Parameter('use_sim_time', ParamType.BOOL, override ?? false), undefined, true);
    }
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
      if (why) this.problems.push(`parameter ${spec.name}: ${why}, got ${describeValue(raw)}`);
      else {
        value = coerced!;
        this.explicit.add(spec.name);
      }
    }
    const descriptor = new this.#api.ParameterDescriptor(spec.name, TYPES[spec.kind], spec.description, spec.readOnly ?? false, this.#range(spec));
    if (spec.constraints) descriptor.additionalConstraints = spec.constraints;
    // Overrides were applied above (with int → double coercion), so rclnodejs's own are skipped.
    this.#node.declareParameter(this.toParameter(spec, value), descriptor, true);
    this.#specs.set(spec.name, spec);
  }

  /** Per-action parameters (declared at configure), remembered so cleanup can undeclare them. */
  declareAction(spec: ParamSpec, value: ParamValue): void {
    if (this.#node.hasParameter(spec.name)) this.#node.undeclareParameter(spec.name);
    const descriptor = new this.#api.ParameterDescriptor(spec.name, TYPES[spec.kind], spec.description, false, this.#range(spec));
    if (spec.constraints) descriptor.additionalConstraints = spec.constraints;
    this.#node.declareParameter(this.toParameter(spec, value), descriptor, true);
    this.#specs.set(spec.name, spec);
    this.#actionParams.add(spec.name);
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
    for (const [name, value] of this.#overrides) {
      const prefix = ACTION_PARAM_PREFIXES.find((p) => name.startsWith(p));
      if (!prefix) continue;
      const action = name.slice(prefix.length);
      const kind = prefix === 'safety.limits.' ? 'double[]' : 'double';
      const v = coerce({ kind }, value);
      if (v === undefined) throw new PilotError('E_CONFIG', `parameter ${name}: expected ${kind}, got ${describeValue(value)}`);
      if (prefix === 'safety.max_rate.' && v === 0) continue; // 0 = no slew limit of our own
      const section = prefix.slice(0, -1); // safety.limits | safety.max_rate | safety.stop
      const current = getPath(raw, section);
      const map: Record<string, unknown> = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...current } : {};
      map[action] = v;
      setPath(raw, section, map);
    }
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

  #readConfigFile(path: string): Record<string, unknown> {
    const abs = isAbsolute(path) ? path : resolve(this.baseDir, path);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(abs, 'utf8'));
    } catch (err) {
      this.problems.push(`config_file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
      return {};
    }
    if (raw === null || raw === undefined) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      this.problems.push(`config_file ${path}: expected a YAML mapping`);
      return {};
    }
    return raw as Record<string, unknown>;
  }

  #range(spec: ParamSpec): rclnodejs.Range | undefined {
    if (!spec.range) return undefined;
    const [lo, hi] = spec.range;
    if (spec.kind === 'int') return new this.#api.IntegerRange(BigInt(lo), BigInt(hi), 1n);
    if (spec.kind === 'double' || spec.kind === 'double[]') return new this.#api.FloatingPointRange(lo, hi, 0);
    return undefined;
  }
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
