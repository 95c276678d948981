/**
 * Parameters as a real ROS 2 launch hands them over: launch_ros writes a launch file's parameters under
 * the node's fully qualified name (`/pilot:`, `/robot1/pilot:`), users write `/**:` or `pilot:`, and
 * integer arrays (`[0, 2]`) are common. rclnodejs 2.2.0 applies only `/**` and the bare name, and its
 * node constructor throws for integer arrays, so pilot applies `-p` and `--params-file` itself. The
 * parameter classes here are rclnodejs's own (`rclnodejs/lib/parameter.js`, pure JavaScript).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCommand } from '../../src/cli/node-command.js';
import { installedRclnodejsDir } from '../../src/ros2/preflight.js';
import { ParamType } from '../../src/ros2/rclnodejs-api.js';
import { nodeKeyMatches, paramsFileSections, parseRosArgs, parseRosValue, readParameterSections, resolveParameters } from '../../src/ros2/ros-args.js';
import { nodeRig, type NodeRig } from './helpers.js';
import { createStandIn, FloatingPointRange, Parameter, ParameterDescriptor, StandInLifecycleNode } from './stand-in/rclnodejs-stand-in.js';

const rigs: NodeRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

function paramsFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'pilot-params-')), 'params.yaml');
  writeFileSync(file, text);
  return file;
}

describe('--ros-args: what pilot applies itself and what rcl still gets', () => {
  it('takes -p and --params-file out, keeps remaps, log levels and pilot’s own arguments', () => {
    const args = ['--config', 'x.yaml', '--ros-args', '-r', '__ns:=/robot1', '-r', '__node:=pilot', '--params-file', 'a.yaml', '-p', 'loop.rate_hz:=20.0'];
    const parsed = parseRosArgs([...args, '--log-level', 'debug', '--param', 'pilot:model.path:=m.onnx', '--', '--autostart', 'true']);
    expect(parsed.rclArgs).toEqual(['--config', 'x.yaml', '--ros-args', '-r', '__ns:=/robot1', '-r', '__node:=pilot', '--log-level', 'debug', '--', '--autostart', 'true']);
    expect(parsed.paramsFiles).toEqual(['a.yaml']);
    expect(parsed.params).toEqual([
      { text: '-p loop.rate_hz:=20.0', key: '/**', name: 'loop.rate_hz', valueText: '20.0' },
      { text: '-p pilot:model.path:=m.onnx', key: 'pilot', name: 'model.path', valueText: 'm.onnx' },
    ]);
    expect(parsed).toMatchObject({ nodeName: 'pilot', namespace: '/robot1' });
    expect(parseRosArgs(['-p', 'x:=1']).params).toEqual([]); // outside --ros-args: not ROS's
  });

  it('says what is wrong with a parameter argument', () => {
    expect(() => parseRosArgs(['--ros-args', '-p'])).toThrow(/E_ROS_ARGS: -p needs a value after it \(--ros-args -p name:=value\)/);
    expect(() => parseRosArgs(['--ros-args', '-p', 'loop.rate_hz=20'])).toThrow(/E_ROS_ARGS: -p loop.rate_hz=20: expected name:=value \(or node:name:=value\)/);
    expect(() => readParameterSections({ paramsFiles: ['launch/nope.params.yaml'], params: [] })).toThrow(/E_PARAMS_FILE: --params-file launch\/nope.params.yaml: cannot read it \(ENOENT\)/);
    expect(() => paramsFileSections({ ros__parameters: { a: 1 } }, 'f.yaml')).toThrow(/ros__parameters must be under a node name \(e.g. \/\*\*: or \/pilot:\)/);
  });

  it('types values as rcl does: integers int64 (bigint), 2.0 a double, [0, 2] an integer array', () => {
    expect(parseRosValue('[0, 2]', '-p')).toEqual([0n, 2n]);
    expect(parseRosValue('2.0', '-p')).toBe(2);
    expect(parseRosValue('50', '-p')).toBe(50n);
    expect(parseRosValue('true', '-p')).toBe(true);
    expect(parseRosValue('models/x.onnx', '-p')).toBe('models/x.onnx');
  });
});

describe('params-file sections, matched as rclcpp matches them', () => {
  const file = [
    '/**:',
    '  ros__parameters: { loop: { rate_hz: 20.0 } }',
    '/pilot:',
    '  ros__parameters: { model: { path: a.onnx } }',
    'pilot:',
    '  ros__parameters: { model: { warmup_runs: 3 } }',
    '/robot1/pilot:',
    '  ros__parameters: { safety: { limits: { speed: [0, 2] } } }',
    'robot2:',
    '  pilot:',
    '    ros__parameters: { outputs: { frame_id: base } }',
  ].join('\n');

  it('reads every section: its key as written (nested names joined), nested parameter names joined with dots', () => {
    const sections = paramsFileSections(parseRosValue(file, 'f'), 'f.yaml');
    expect(sections.map((s) => [s.key, Object.fromEntries(s.values)])).toEqual([
      ['/**', { 'loop.rate_hz': 20 }],
      ['/pilot', { 'model.path': 'a.onnx' }],
      ['pilot', { 'model.warmup_runs': 3n }],
      ['/robot1/pilot', { 'safety.limits.speed': [0n, 2n] }],
      ['robot2/pilot', { 'outputs.frame_id': 'base' }],
    ]);
  });

  it.each([
    ['/pilot', ['/**', '/pilot', 'pilot', '/**/pilot', '/*'], ['/robot1/pilot', '/other', '/*/pilot']],
    ['/robot1/pilot', ['/**', '/robot1/pilot', 'robot1/pilot', '/**/pilot', '/*/pilot', '/robot1/**', '/robot1/*'], ['/pilot', 'pilot', '/robot2/pilot', '/robot1']],
  ])('node %s: matched by %j, not by %j', (fqn, yes, no) => {
    for (const key of yes) expect(nodeKeyMatches(key, fqn), key).toBe(true);
    for (const key of no) expect(nodeKeyMatches(key, fqn), key).toBe(false);
  });

  it('applies the matching sections in file order, then -p, and names the sections that match nothing', () => {
    const sections = [...paramsFileSections(parseRosValue(file, 'f'), 'f.yaml'), ...readParameterSections(parseRosArgs(['--ros-args', '-p', 'loop.rate_hz:=30.0', '-p', 'other:x:=1']))];
    const { values, unmatched } = resolveParameters(sections, '/robot1/pilot');
    expect(Object.fromEntries([...values].map(([k, v]) => [k, v.value]))).toEqual({ 'loop.rate_hz': 30, 'safety.limits.speed': [0n, 2n] });
    expect(values.get('loop.rate_hz')!.source).toBe('-p loop.rate_hz:=30.0');
    expect(unmatched).toEqual([
      "f.yaml: section '/pilot' does not match this node (/robot1/pilot); its 1 parameter is ignored",
      "f.yaml: section 'pilot' does not match this node (/robot1/pilot); its 1 parameter is ignored",
      "f.yaml: section 'robot2/pilot' does not match this node (/robot1/pilot); its 1 parameter is ignored",
      "-p other:x:=1: section 'other' does not match this node (/robot1/pilot); its 1 parameter is ignored",
    ]);
  });
});

/** Runs `pilot node` on the stand-in until its node exists; returns the node, the graph and how to stop it. */
async function startNode(args: string[]) {
  const { api, graph } = createStandIn();
  const run = nodeCommand(args, async () => api);
  for (let i = 0; i < 200 && graph.nodes.length === 0; i++) await sleep(5);
  const node = graph.nodes[0] as StandInLifecycleNode;
  if (!node) throw new Error(`no node: ${String(await run.catch((e: unknown) => e))}`);
  return { graph, node, stop: async () => (node.shutdown(), await run) };
}

const LAUNCH_STYLE = (key: string): string =>
  [
    '/**:',
    '  ros__parameters:',
    '    loop: { rate_hz: 20.0 }',
    `${key}:   # how launch_ros writes a launch file's parameters`,
    '  ros__parameters:',
    '    model: { path: models/pilotnet-test.onnx, providers: [cpu], warmup_runs: 1, require_eval: false }',
    '    safety: { limits: { speed: [0, 1] } }   # an integer array',
    '    use_sim_time: true',
    '    loop: { rate: 5.0 }   # a typo',
    '/other_node:',
    '  ros__parameters: { x: 1 }',
  ].join('\n');

describe('`pilot node --ros-args --params-file` on the stand-in', () => {
  it('applies /pilot (launch_ros’s key) and /**, -p over both, integer arrays included; rcl never sees them', async () => {
    const file = paramsFile(LAUNCH_STYLE('/pilot'));
    const { graph, node, stop } = await startNode(['--config', 'launch/pilot.yaml', '--ros-args', '--params-file', file, '-p', 'loop.rate_hz:=25.0']);
    expect(graph.initArgv).toEqual(['pilot', '--ros-args']);
    expect(node.getParameter('model.path').value).toBe('models/pilotnet-test.onnx');
    expect(node.getParameter('loop.rate_hz').value).toBe(25);
    expect(node.getParameter('use_sim_time').value).toBe(true);
    const warnings = graph.logs.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual([
      `pilot: ${file}: section '/other_node' does not match this node (/pilot); its 1 parameter is ignored`,
      `pilot: ${file}: loop.rate is not a parameter of pilot's node; ignored`,
    ]);
    node.configure();
    expect(node.currentState.label, graph.logs.map((l) => l.message).join('\n')).toBe('inactive');
    expect(node.getParameter('safety.limits.speed').value).toEqual([0, 1]);
    expect(await stop()).toBe(0);
  });

  it('in a namespace: /robot1/pilot applies, /pilot does not (and says so)', async () => {
    const file = paramsFile(LAUNCH_STYLE('/robot1/pilot'));
    const { graph, node, stop } = await startNode(['--ros-args', '-r', '__ns:=/robot1', '--params-file', file, '-p', '/pilot:model.path:=nope.onnx']);
    expect(node.namespace()).toBe('/robot1');
    expect(node.getParameter('model.path').value).toBe('models/pilotnet-test.onnx');
    expect(node.getParameter('loop.rate_hz').value).toBe(20);
    expect(graph.logs.map((l) => l.message)).toContain("pilot: -p /pilot:model.path:=nope.onnx: section '/pilot' does not match this node (/robot1/pilot); its 1 parameter is ignored");
    expect(await stop()).toBe(0);
  });

  it('-p safety.limits.speed:=[0,2] (an integer array) reaches the config', async () => {
    const r = nodeRig({ rosArgs: ['--ros-args', '-p', 'safety.limits.speed:=[0,1]'] });
    rigs.push(r);
    r.node.configure();
    expect(r.pilotNode.config!.safety.limits.speed).toEqual([0, 1]);
  });
});

describe('the stand-in does what rclnodejs 2.2.0 does with the same command line', () => {
  it('throws ParameterTypeError creating a node when rcl has an integer array (rclnodejs’s own Parameter class)', async () => {
    const { api } = createStandIn();
    await api.init(undefined, ['pilot', '--ros-args', '-p', 'safety.limits.speed:=[0,2]']);
    expect(() => new api.Node('pilot')).toThrow(/Type mismatch for parameter 'safety.limits.speed'/);
  });

  it('applies only /** and the bare node name, so launch_ros’s /pilot section is lost without pilot’s own reading', async () => {
    const { api } = createStandIn();
    await api.init(undefined, ['pilot', '--ros-args', '--params-file', paramsFile('/pilot:\n  ros__parameters: { a: 1.5 }\npilot:\n  ros__parameters: { b: 2.5 }\n')]);
    expect(new api.Node('pilot').getParameterOverrides().map((p) => [p.name, p.value])).toEqual([['b', 2.5]]);
  });
});

describe('rclnodejs’s parameter classes, and what pilot does about their gaps', () => {
  it('rclnodejs’s Parameter refuses plain numbers for an integer array (what its native layer hands over)', () => {
    expect(() => new Parameter('x', ParamType.INTEGER_ARRAY, [0, 2])).toThrow(/Type mismatch for parameter 'x'/);
    expect(new Parameter('x', ParamType.INTEGER_ARRAY, [0n, 2n]).value).toEqual([0n, 2n]);
  });

  it('rclnodejs 2.2.0’s descriptor message has no ranges; pilot’s descriptors put them in, and describe_parameters answers with that message', () => {
    const plain = new ParameterDescriptor('loop.rate_hz', ParamType.DOUBLE, 'control rate', false, new FloatingPointRange(0, 200, 0));
    expect(plain.toMessage()).not.toHaveProperty('floating_point_range');
    const r = nodeRig();
    rigs.push(r);
    const message = r.node.descriptors.get('loop.rate_hz')!.toMessage();
    expect(message).toMatchObject({ floating_point_range: [{ from_value: 0, to_value: 200, step: 0 }], integer_range: [], read_only: false });
    expect(r.node.descriptors.get('model.warmup_runs')!.toMessage().integer_range).toEqual([{ from_value: 0n, to_value: 10_000n, step: 1n }]);
    // The service `ros2 param describe` calls: rclnodejs's parameter service maps each descriptor through toMessage().
    const service = readFileSync(join(installedRclnodejsDir()!, 'lib', 'parameter_service.js'), 'utf8');
    expect(service).toContain('descriptors.map((descriptor) => descriptor.toMessage())');
  });

  it('ranges are enforced by rclnodejs’s own range check before pilot sees a value', () => {
    const r = nodeRig();
    rigs.push(r);
    expect(r.set('loop.rate_hz', ParamType.DOUBLE, 500).successful).toBe(false);
    expect(r.set('loop.rate_hz', ParamType.DOUBLE, 50)).toEqual({ successful: true, reason: '' });
  });

  it('a read-only intent is kept: safety.stop.<action> is advertised read-only and refused, yet cleanup can undeclare it', async () => {
    const r = nodeRig({ overrides: { 'safety.stop.speed': 0.0 } });
    rigs.push(r);
    r.node.configure();
    expect(r.pilotNode.state, r.logs.join('\n')).toBe('inactive');
    expect(r.node.descriptors.get('safety.stop.speed')!.toMessage().read_only).toBe(true);
    expect(r.set('safety.stop.speed', ParamType.DOUBLE, 0.5)).toEqual({
      successful: false,
      reason: 'safety.stop.speed is read-only: it is set at start (--ros-args -p safety.stop.speed:=…, a params file, or the config) and applies at configure',
    });
    r.node.cleanup();
    await r.pilotNode.settled();
    expect(r.node.hasParameter('safety.stop.speed')).toBe(false);
  });
});
