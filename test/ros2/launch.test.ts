/**
 * launch/: the Python launch files run against a stand-in of the launch API (real names and keyword
 * arguments, python3's own parser), the XML one is well-formed and uses launch XML's tags and
 * attributes, and the parameter files load and map onto pilot's config.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isScalar, isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { STATIC_PARAMS } from '../../src/ros2/parameters.js';
import { nodeRig, type NodeRig } from './helpers.js';

const ROOT = process.cwd();
const PROBE = 'test/ros2/fixtures/launch_probe.py';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Described {
  file: string;
  entities: { [k: string]: Json }[];
}

function probe(file: string, ...args: string[]): Described {
  // stderr piped: a failing launch file's traceback is in the thrown error, not the test output.
  return JSON.parse(execFileSync('python3', [PROBE, file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Described;
}

/** The evaluated value of a probe-encoded substitution. */
function value(j: Json | undefined): Json | undefined {
  if (j !== null && typeof j === 'object' && !Array.isArray(j) && ('$var' in j || '$join' in j)) return j.value;
  return j;
}

const declared = (d: Described) => d.entities.filter((e) => e.$action === 'DeclareLaunchArgument').map((e) => e.name);
const actions = (d: Described, kind: string) => d.entities.filter((e) => e.$action === kind);

describe('launch/*.launch.py', () => {
  it.each(['launch/pilot.launch.py', 'launch/replay_bag.launch.py', 'launch/sim_bridge.launch.py'])('%s parses with python3’s ast and defines generate_launch_description()', (file) => {
    const out = execFileSync(
      'python3',
      ['-c', 'import ast,sys; t=ast.parse(open(sys.argv[1]).read()); print([n.name for n in t.body if isinstance(n, ast.FunctionDef)])', file],
      { encoding: 'utf8' },
    );
    expect(out).toContain("'generate_launch_description'");
  });

  it('pilot.launch.py: arguments model, config, calibration, namespace, use_sim_time; a lifecycle node started by path', () => {
    const d = probe('launch/pilot.launch.py');
    expect(declared(d)).toEqual(expect.arrayContaining(['model', 'config', 'calibration', 'namespace', 'use_sim_time', 'autostart', 'params_file']));
    const [node] = actions(d, 'LifecycleNode');
    expect(node).toBeDefined();
    expect(node!.package).toBeUndefined(); // no ament package: started by path, not `ros2 run`
    expect(value(node!.executable)).toBe(resolve(ROOT, 'bin/pilot.js'));
    expect(existsSync(String(value(node!.executable)))).toBe(true);
    expect(value(node!.cwd)).toBe(ROOT);
    expect(node!.name).toBe('pilot');
    expect((node!.arguments as Json[]).map(value)).toEqual(['node', '--autostart', 'true']);
    const [file, overrides] = node!.parameters as Json[];
    expect(value(file)).toBe(resolve(ROOT, 'launch/pilot.params.yaml'));
    const params = Object.fromEntries(Object.entries(overrides as Record<string, Json>).map(([k, v]) => [k, value(v)]));
    expect(params).toMatchObject({
      config_file: 'launch/pilot.yaml',
      'model.path': 'models/pilotnet-test.onnx',
      'calibration.camera': 'calibration/camera.yaml',
      'calibration.vehicle': 'calibration/vehicle.yaml',
      'ros2.camera_mount': 'calibration/camera_mount.yaml',
    });
    expect((overrides as Record<string, { $action: string; value_type: string }>).use_sim_time).toMatchObject({ $action: 'ParameterValue' });
    // Every parameter it sets is one of the node's.
    const known = new Set([...STATIC_PARAMS.map((p) => p.name), 'use_sim_time']);
    for (const k of Object.keys(params)) expect(known.has(k), k).toBe(true);
    for (const p of ['config_file', 'model.path', 'calibration.camera', 'calibration.vehicle', 'ros2.camera_mount']) {
      if (p !== 'config_file' && p !== 'model.path') expect(existsSync(resolve(ROOT, String(params[p]))), p).toBe(true);
    }
  });

  it('pilot.launch.py passes namespace and use_sim_time through', () => {
    const d = probe('launch/pilot.launch.py', 'namespace:=robot1', 'use_sim_time:=true', 'autostart:=false');
    const [node] = actions(d, 'LifecycleNode');
    expect(value(node!.namespace)).toBe('robot1');
    expect((node!.arguments as Json[]).map(value)).toEqual(['node', '--autostart', 'false']);
    const overrides = (node!.parameters as Json[])[1] as Record<string, { value: Json }>;
    expect(value(overrides.use_sim_time!.value as Json)).toBe('true');
  });

  it('replay_bag.launch.py: ros2 bag play --clock of the sensor topics only, into the node with use_sim_time', () => {
    const d = probe('launch/replay_bag.launch.py', 'bag:=runs/oval');
    const [include] = actions(d, 'IncludeLaunchDescription');
    const args = include!.launch_arguments as Record<string, Json>;
    expect(value(args.use_sim_time)).toBe('true');
    const included = include!.included as unknown as Described;
    expect(included.file).toBe(resolve(ROOT, 'launch/pilot.launch.py'));
    const [node] = actions(included, 'LifecycleNode');
    expect(value(((node!.parameters as Json[])[1] as Record<string, { value: Json }>).use_sim_time!.value as Json)).toBe('true');
    const [opaque] = actions(d, 'OpaqueFunction');
    const [timer] = opaque!.returns as { $action: string; period: number; actions: { $action: string; cmd: string[] }[] }[];
    expect(timer).toMatchObject({ $action: 'TimerAction', period: 5 });
    expect(timer!.actions[0]!.cmd).toEqual(['ros2', 'bag', 'play', 'runs/oval', '--clock', '100', '--rate', '1.0', '--topics', '/camera/image_raw', '/odom', '/imu']);
    expect(() => probe('launch/replay_bag.launch.py')).toThrow(/launch argument bag has no value/);
  });

  it('sim_bridge.launch.py: pilot sim, pilot bridge and the node on the simulator’s clock', () => {
    const d = probe('launch/sim_bridge.launch.py');
    const cmds = actions(d, 'ExecuteProcess').map((e) => (e.cmd as Json[]).map(value));
    expect(cmds).toEqual([
      [resolve(ROOT, 'bin/pilot.js'), 'sim', '--track', 'oval'],
      [resolve(ROOT, 'bin/pilot.js'), 'bridge', '--config', 'launch/bridge.yaml'],
    ]);
    const included = actions(d, 'IncludeLaunchDescription')[0]!.included as unknown as Described;
    const [node] = actions(included, 'LifecycleNode');
    expect(value((node!.parameters as Json[])[0])).toBe(resolve(ROOT, 'launch/drive.params.yaml'));
  });
});

// ---- launch XML

interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

function parseXml(file: string): XmlElement {
  const script = `
import json, sys, xml.etree.ElementTree as ET
def conv(e): return {'tag': e.tag, 'attrs': dict(e.attrib), 'children': [conv(c) for c in e]}
print(json.dumps(conv(ET.parse(sys.argv[1]).getroot())))`;
  return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as XmlElement;
}

/** launch XML (launch + launch_ros frontends, Humble): tags and the attributes each one takes. */
const CONDITION = ['if', 'unless'];
const PROCESS = ['cwd', 'name', 'launch-prefix', 'output', 'respawn', 'respawn_delay', 'shell', 'emulate_tty', 'sigterm_timeout', 'sigkill_timeout'];
const SCHEMA: Record<string, { required: string[]; optional: string[]; children: string[] }> = {
  launch: { required: [], optional: ['version'], children: ['arg', 'let', 'node', 'executable', 'include', 'group', 'set_env', 'push_ros_namespace', 'set_parameter', 'timer', 'log'] },
  arg: { required: ['name'], optional: ['default', 'description', ...CONDITION], children: ['choice'] },
  let: { required: ['name', 'value'], optional: CONDITION, children: [] },
  node: { required: ['exec'], optional: ['pkg', 'namespace', 'args', 'ros_args', 'exec_name', ...PROCESS, ...CONDITION], children: ['param', 'remap', 'env'] },
  param: { required: [], optional: ['name', 'value', 'from', 'value-sep'], children: ['param'] },
  remap: { required: ['from', 'to'], optional: [], children: [] },
  env: { required: ['name', 'value'], optional: [], children: [] },
};
const SUBSTITUTIONS = ['var', 'env', 'dirname', 'filename', 'find-pkg-share', 'find-pkg-prefix', 'eval', 'anon', 'command', 'not', 'and', 'or', 'equals'];

function checkXml(e: XmlElement, path: string, problems: string[]): void {
  const rule = SCHEMA[e.tag];
  if (!rule) {
    problems.push(`${path}: <${e.tag}> is not a launch XML tag pilot uses`);
    return;
  }
  for (const r of rule.required) if (!(r in e.attrs)) problems.push(`${path}: <${e.tag}> needs ${r}`);
  for (const a of Object.keys(e.attrs)) if (!rule.required.includes(a) && !rule.optional.includes(a)) problems.push(`${path}: <${e.tag}> has no attribute ${a}`);
  if (e.tag === 'param' && ('from' in e.attrs) === ('name' in e.attrs)) problems.push(`${path}: <param> takes name (+ value) or from, not both`);
  for (const c of e.children) {
    if (!rule.children.includes(c.tag)) problems.push(`${path}: <${c.tag}> cannot be inside <${e.tag}>`);
    checkXml(c, `${path}/${c.tag}`, problems);
  }
}

describe('launch/pilot.launch.xml', () => {
  const root = parseXml('launch/pilot.launch.xml');

  it('is well-formed and uses launch XML’s tags and attributes', () => {
    const problems: string[] = [];
    checkXml(root, 'launch', problems);
    expect(problems).toEqual([]);
  });

  it('declares the same arguments as pilot.launch.py, and every $(var) names one; only known substitutions', () => {
    const args = root.children.filter((c) => c.tag === 'arg').map((c) => c.attrs.name);
    expect(args).toEqual(declared(probe('launch/pilot.launch.py')));
    const all = JSON.stringify(root);
    const subs = [...all.matchAll(/\$\((\S+?)(?:\s([^)]*))?\)/g)];
    expect(subs.length).toBeGreaterThan(5);
    for (const [whole, name, arg] of subs) {
      expect(SUBSTITUTIONS, whole).toContain(name);
      if (name === 'var') expect(args, whole).toContain(arg);
    }
  });

  it('starts bin/pilot.js node by path with the same parameters as the Python launch', () => {
    const node = root.children.find((c) => c.tag === 'node')!;
    expect(node.attrs).toMatchObject({ exec: '$(var executable)', name: 'pilot', namespace: '$(var namespace)', args: 'node --autostart $(var autostart)', cwd: '$(var pilot_dir)' });
    expect(root.children.find((c) => c.attrs.name === 'executable')!.attrs.default).toBe('$(var pilot_dir)/bin/pilot.js');
    expect(root.children.find((c) => c.attrs.name === 'pilot_dir')!.attrs.default).toBe('$(dirname)/..');
    const params = node.children.filter((c) => c.tag === 'param');
    expect(params[0]!.attrs).toEqual({ from: '$(var params_file)' });
    const names = params.slice(1).map((p) => p.attrs.name);
    const pyNode = actions(probe('launch/pilot.launch.py'), 'LifecycleNode')[0]!;
    expect(names).toEqual(Object.keys((pyNode.parameters as Json[])[1] as object));
  });
});

// ---- parameter files

function flatten(node: YamlNode | null | undefined, prefix: string, out: Map<string, { value: unknown; source: string[] }>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = String((pair.key as { value: unknown }).value);
      flatten(pair.value as YamlNode, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (isSeq(node)) {
    out.set(prefix, { value: node.toJSON(), source: node.items.map((i) => (isScalar(i) ? String(i.source ?? i.value) : '')) });
  } else if (isScalar(node)) {
    out.set(prefix, { value: node.value, source: [String(node.source ?? node.value)] });
  }
}

function loadParams(file: string): Map<string, { value: unknown; source: string[] }> {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  expect(doc.errors).toEqual([]);
  const root = doc.get('/**', true) as YamlNode;
  expect(isMap(root), `${file}: /**`).toBe(true);
  const params = (root as { get(k: string, keep: boolean): unknown }).get('ros__parameters', true) as YamlNode;
  const out = new Map<string, { value: unknown; source: string[] }>();
  flatten(params, '', out);
  return out;
}

const rigs: NodeRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

describe.each([
  ['launch/pilot.params.yaml', 'launch/pilot.yaml'],
  ['launch/drive.params.yaml', 'launch/drive.yaml'],
])('%s', (paramsFile, configFile) => {
  const params = loadParams(paramsFile);
  const specs = new Map(STATIC_PARAMS.map((p) => [p.name, p]));

  it('is a ROS 2 parameter file of the node’s parameters, doubles written as doubles', () => {
    for (const [name, { value, source }] of params) {
      if (name === 'use_sim_time') {
        expect(typeof value).toBe('boolean');
        continue;
      }
      if (/^safety\.(limits|max_rate|stop)\./.test(name)) {
        expect(source.every((s) => /[.eE]/.test(s)), `${name}: ${source.join(', ')}`).toBe(true);
        continue;
      }
      const spec = specs.get(name);
      expect(spec, `${name} is not a pilot node parameter`).toBeDefined();
      if (spec!.kind === 'double' || spec!.kind === 'double[]') expect(source.every((s) => /[.eE]/.test(s)), `${name}: ${source.join(', ')}`).toBe(true);
      if (spec!.kind === 'int') expect(Number.isInteger(value), name).toBe(true);
    }
  });

  it(`maps onto the same config as ${configFile}, read by the node as \`--ros-args --params-file ${paramsFile}\``, () => {
    const r = nodeRig({ rosArgs: ['--ros-args', '--params-file', paramsFile], baseOverrides: false, createPolicy: () => Promise.reject(new Error('no model load in this test')) });
    rigs.push(r);
    r.node.configure();
    expect(r.pilotNode.state, r.logs.join('\n')).toBe('inactive');
    const fromParams = r.pilotNode.config!;
    const fromYaml = loadConfig(configFile);
    for (const key of ['model', 'calibration', 'loop', 'inputs', 'safety'] as const) expect(fromParams[key], key).toEqual(fromYaml[key]);
    expect(fromParams.outputs.command).toEqual(fromYaml.outputs.command);
    expect(fromParams.outputs.diagnostics).toEqual(fromYaml.outputs.diagnostics);
  });
});
