/**
 * The parameter arguments of `--ros-args` (`-p [node:]name:=value`, `--params-file F`), which pilot
 * applies itself instead of leaving them to rcl and rclnodejs:
 *
 * - rclnodejs 2.2.0 applies a params file's sections only under the keys `/**` and the bare node name
 *   (`pilot:`), while launch_ros writes the parameters of a launch file under the node's fully qualified
 *   name (`/pilot:`, `/robot1/pilot:`), so every launch parameter was silently ignored;
 * - its node constructor turns every override of the command line into a Parameter, and rcl hands it
 *   integer arrays (`speed: [0, 2]`) as plain numbers, which rclnodejs's Parameter refuses: the node
 *   could not even be created.
 *
 * So the parameter arguments are taken out of what rcl gets (`rclArgs`, which keeps remappings, log
 * levels and the rest), the files are read here with YAML typed as rcl types it (integers are int64,
 * so bigint), and the sections whose key matches the node's fully qualified name are applied as rclcpp
 * does: `/**` and `*` wildcards, a key without a leading slash taken as absolute (`pilot:` is `/pilot`),
 * files in order, then `-p` arguments in order, later values winning. Sections that match nothing are
 * reported, never silently dropped.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { PilotError } from '../core/util/errors.js';

export interface ParamArg {
  /** The argument as given, for messages: `-p loop.rate_hz:=20.0`. */
  readonly text: string;
  /** The node prefix (`-p pilot:x:=1`), or `/**` when there is none. */
  readonly key: string;
  readonly name: string;
  readonly valueText: string;
}

export interface RosArgs {
  /** What rcl still gets: every ROS argument except the parameter ones (remaps, log levels, enclave…). */
  readonly rclArgs: string[];
  readonly paramsFiles: readonly string[];
  readonly params: readonly ParamArg[];
  /** `-r __node:=name` (or `__name`), if given. */
  readonly nodeName: string | undefined;
  /** `-r __ns:=/ns`, if given. */
  readonly namespace: string | undefined;
}

/** ROS argument flags followed by a value that rcl reads (kept for rcl). */
const WITH_VALUE = new Set(['-r', '--remap', '-e', '--enclave', '--log-level', '--log-config-file']);

/** Splits the parameter arguments out of the `--ros-args … [--]` segments of `args`. */
export function parseRosArgs(args: readonly string[]): RosArgs {
  const rclArgs: string[] = [];
  const paramsFiles: string[] = [];
  const params: ParamArg[] = [];
  let nodeName: string | undefined;
  let namespace: string | undefined;
  let inRos = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!inRos) {
      if (a === '--ros-args') inRos = true;
      rclArgs.push(a);
      continue;
    }
    if (a === '--') {
      inRos = false;
      rclArgs.push(a);
      continue;
    }
    const next = args[i + 1];
    if (a === '-p' || a === '--param' || a === '--params-file') {
      if (next === undefined) throw new PilotError('E_ROS_ARGS', `${a} needs a value after it (--ros-args ${a} ${a === '--params-file' ? '<file>' : 'name:=value'})`);
      if (a === '--params-file') paramsFiles.push(next);
      else params.push(parseParamArg(next));
      i++;
      continue;
    }
    rclArgs.push(a);
    if (WITH_VALUE.has(a) && next !== undefined) {
      rclArgs.push(next);
      i++;
      if (a === '-r' || a === '--remap') {
        const m = /^(__node|__name|__ns):=(.*)$/.exec(next);
        if (m?.[1] === '__ns') namespace = m[2];
        else if (m) nodeName = m[2];
      }
    }
  }
  return { rclArgs, paramsFiles, params, nodeName, namespace };
}

function parseParamArg(arg: string): ParamArg {
  const at = arg.indexOf(':=');
  if (at <= 0) throw new PilotError('E_ROS_ARGS', `-p ${arg}: expected name:=value (or node:name:=value)`);
  const lhs = arg.slice(0, at);
  const colon = lhs.lastIndexOf(':');
  return { text: `-p ${arg}`, key: colon > 0 ? lhs.slice(0, colon) : '/**', name: lhs.slice(colon + 1), valueText: arg.slice(at + 2) };
}

/** A YAML value as rcl types it: integers are int64 (bigint), `2.0` a double. */
export function parseRosValue(text: string, source: string): unknown {
  try {
    return parseYaml(text, { intAsBigInt: true }) as unknown;
  } catch (err) {
    throw new PilotError('E_ROS_ARGS', `${source}: not a YAML value (${(err as Error).message.split('\n')[0]})`);
  }
}

export interface ParameterSection {
  /** `launch/pilot.params.yaml` or `-p loop.rate_hz:=20.0`. */
  readonly source: string;
  /** The node key as written: `/pilot`, `/robot1/pilot`, `pilot`, `/**`. */
  readonly key: string;
  /** Parameter name (nested keys joined with dots) → value. */
  readonly values: ReadonlyMap<string, unknown>;
}

/** The sections of every params file (in order), then one per `-p` argument. Unreadable files throw E_PARAMS_FILE. */
export function readParameterSections(rosArgs: Pick<RosArgs, 'paramsFiles' | 'params'>, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): ParameterSection[] {
  const sections: ParameterSection[] = [];
  for (const file of rosArgs.paramsFiles) {
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      throw new PilotError('E_PARAMS_FILE', `--params-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    sections.push(...paramsFileSections(parseRosValue(text, `--params-file ${file}`), file));
  }
  for (const p of rosArgs.params) sections.push({ source: p.text, key: p.key, values: new Map([[p.name, parseRosValue(p.valueText, p.text)]]) });
  return sections;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The node sections of a parsed params file: the keys above each `ros__parameters`, joined with `/`. */
export function paramsFileSections(doc: unknown, file: string): ParameterSection[] {
  if (doc === null || doc === undefined) return [];
  if (!isMap(doc)) throw new PilotError('E_PARAMS_FILE', `--params-file ${file}: expected a mapping of node names to ros__parameters`);
  const sections: ParameterSection[] = [];
  const walk = (node: Record<string, unknown>, path: string[]): void => {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'ros__parameters') {
        if (path.length === 0) throw new PilotError('E_PARAMS_FILE', `--params-file ${file}: ros__parameters must be under a node name (e.g. /**: or /pilot:)`);
        if (!isMap(v)) throw new PilotError('E_PARAMS_FILE', `--params-file ${file}: ros__parameters of '${path.join('/')}' must be a mapping`);
        const values = new Map<string, unknown>();
        flatten(v, '', values);
        sections.push({ source: file, key: path.join('/').replace(/\/{2,}/g, '/'), values });
      } else if (isMap(v)) {
        walk(v, [...path, k]);
      } else {
        throw new PilotError('E_PARAMS_FILE', `--params-file ${file}: '${[...path, k].join('/')}' has no ros__parameters`);
      }
    }
  };
  walk(doc, []);
  return sections;
}

function flatten(map: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [k, v] of Object.entries(map)) {
    if (isMap(v)) flatten(v, `${prefix}${k}.`, out);
    else out.set(`${prefix}${k}`, v);
  }
}

/** A node's fully qualified name: `/pilot`, `/robot1/pilot`. */
export function fullyQualifiedName(namespace: string, name: string): string {
  const ns = namespace.replace(/^\/+|\/+$/g, '');
  return ns ? `/${ns}/${name}` : `/${name}`;
}

/** Whether a params-file node key applies to the node `fqn`, as rclcpp decides it (`*` one name, `**` any number). */
export function nodeKeyMatches(key: string, fqn: string): boolean {
  const pattern = (key.startsWith('/') ? key : `/${key}`).split('/').filter((s) => s !== '');
  const target = fqn.split('/').filter((s) => s !== '');
  const match = (p: number, t: number): boolean => {
    if (p === pattern.length) return t === target.length;
    if (pattern[p] === '**') {
      for (let skip = t; skip <= target.length; skip++) if (match(p + 1, skip)) return true;
      return false;
    }
    return t < target.length && (pattern[p] === '*' || pattern[p] === target[t]) && match(p + 1, t + 1);
  };
  return match(0, 0);
}

export interface ResolvedParameters {
  /** Name → value and where it came from (the last matching section wins; `-p` after files). */
  readonly values: Map<string, { readonly value: unknown; readonly source: string }>;
  /** One line per section that matches no node of this process. */
  readonly unmatched: string[];
}

/** Applies the sections whose key matches `fqn`. */
export function resolveParameters(sections: readonly ParameterSection[], fqn: string): ResolvedParameters {
  const values = new Map<string, { value: unknown; source: string }>();
  const unmatched: string[] = [];
  for (const section of sections) {
    if (!nodeKeyMatches(section.key, fqn)) {
      const n = section.values.size;
      unmatched.push(`${section.source}: section '${section.key}' does not match this node (${fqn}); its ${n} parameter${n === 1 ? ' is' : 's are'} ignored`);
      continue;
    }
    for (const [name, value] of section.values) values.set(name, { value, source: section.source });
  }
  return { values, unmatched };
}
