/**
 * Lifecycle transitions through `ros2 lifecycle set` and parameters from a ROS parameter file (`/<node>:` and
 * `/**:` sections, an integer array) and `ros2 param set`, against a real ROS 2 (domain 41).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSkipReason } from './environment.js';
import { TEST_MODEL_PARAMS, domainEnv, ros2, startPilot, until, type Child } from './harness.js';

const skip = liveSkipReason();
// (node.live.test.ts prints the one line saying why the suite skips.)

const env = domainEnv(1);
const NODE = `pilot_params_${process.pid}`;
const FQN = `/${NODE}`;

function state(): string {
  return ros2(env, 'lifecycle', 'get', FQN).out;
}

describe.skipIf(skip !== undefined)('lifecycle and parameters through ros2 CLI', () => {
  let pilot: Child;
  let paramsFile = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-live-'));
    const file = join(dir, 'params.yaml');
    paramsFile = file;
    // The node's own section and the wildcard, as launch_ros writes them; an integer array and an integer for a double.
    writeFileSync(
      file,
      [
        `${FQN}:`,
        '  ros__parameters:',
        '    loop:',
        '      rate_hz: 25',
        '    safety:',
        '      limits:',
        '        speed: [0, 2]',
        '/**:',
        '  ros__parameters:',
        '    outputs:',
        '      diagnostics:',
        '        rate_hz: 2.0',
        '    loop:',
        '      rate_hz: 40.0',
        '',
      ].join('\n'),
    );
    const params = [...TEST_MODEL_PARAMS].flatMap((p) => ['-p', p]);
    pilot = startPilot(env, ['--autostart', 'false', '--ros-args', '-r', `__node:=${NODE}`, '--params-file', file, ...params]);
    await until(() => `${FQN} unconfigured (log:\n${pilot.log()})`, () => /unconfigured \[1\]/.test(state()), 90_000);
  }, 120_000);

  afterAll(async () => {
    await pilot?.stop();
  });

  it('takes the parameter file as rclpy does (sections in file order, later wins), with an integer array and an integer for doubles', () => {
    // A real rclpy node given the same file: Humble's rclpy merges the matching sections in file order.
    const script = [
      'import rclpy, sys',
      'rclpy.init(args=sys.argv)',
      `n = rclpy.create_node('${NODE}')`,
      "n.declare_parameter('loop.rate_hz', 1.0)",
      "print('RCLPY', n.get_parameter('loop.rate_hz').value)",
    ].join('\n');
    const py = spawnSync('python3', ['-c', script, '--ros-args', '--params-file', paramsFile], { env: domainEnv(11), encoding: 'utf8', timeout: 60_000 });
    expect(py.stdout, py.stderr).toMatch(/RCLPY 40\.0/);
    expect(ros2(env, 'param', 'get', FQN, 'loop.rate_hz').out).toMatch(/Double value is: 40\.0/);
    expect(ros2(env, 'param', 'get', FQN, 'outputs.diagnostics.rate_hz').out).toMatch(/Double value is: 2\.0/);
    expect(pilot.log()).not.toMatch(/is not a parameter of pilot's node/);
  });

  it('refuses a value outside a parameter range (`ros2 param set`) and keeps the old one', () => {
    const r = ros2(env, 'param', 'set', FQN, 'loop.rate_hz', '500.0');
    expect(r.out).toMatch(/Setting parameter failed/);
    expect(ros2(env, 'param', 'get', FQN, 'loop.rate_hz').out).toMatch(/Double value is: 40\.0/);
    const ok = ros2(env, 'param', 'set', FQN, 'loop.rate_hz', '30.0');
    expect(ok.out).toMatch(/Set parameter successful/);
  });

  it('configures and activates through `ros2 lifecycle set`', async () => {
    expect(ros2(env, 'lifecycle', 'set', FQN, 'configure').out).toMatch(/Transitioning successful/);
    expect(state()).toMatch(/inactive \[2\]/);
    // (spawnSync holds the event loop: the node's log is read while polling.)
    await until(() => `the configure log line (log:\n${pilot.log()})`, () => /configured: .* 30 Hz/.test(pilot.log()));
    // Declared at configure per model action, from the parameter file's integer array.
    expect(ros2(env, 'param', 'get', FQN, 'safety.limits.speed').out).toMatch(/0\.0, 2\.0/);
    expect(ros2(env, 'lifecycle', 'set', FQN, 'activate').out).toMatch(/Transitioning successful/);
    expect(state()).toMatch(/active \[3\]/);
  }, 60_000);

  it('while configured: the safety limits change within the configured range, other parameters are refused', () => {
    expect(ros2(env, 'param', 'set', FQN, 'safety.limits.speed', '[0.0, 1.0]').out).toMatch(/Set parameter successful/);
    expect(ros2(env, 'param', 'get', FQN, 'safety.limits.speed').out).toMatch(/0\.0, 1\.0/);
    const wide = ros2(env, 'param', 'set', FQN, 'safety.limits.speed', '[0.0, 9.0]').out;
    expect(wide).toMatch(/Setting parameter failed/);
    expect(wide).toMatch(/outside/);
    expect(ros2(env, 'param', 'get', FQN, 'safety.limits.speed').out).toMatch(/0\.0, 1\.0/);
    const rate = ros2(env, 'param', 'set', FQN, 'loop.rate_hz', '20.0').out;
    expect(rate).toMatch(/Setting parameter failed/);
    expect(rate).toMatch(/applies at configure/);
  });

  it('deactivates, cleans up (then a rate change is accepted) and shuts down through `ros2 lifecycle set`', async () => {
    expect(ros2(env, 'lifecycle', 'set', FQN, 'deactivate').out).toMatch(/Transitioning successful/);
    expect(state()).toMatch(/inactive \[2\]/);
    expect(ros2(env, 'lifecycle', 'set', FQN, 'cleanup').out).toMatch(/Transitioning successful/);
    expect(state()).toMatch(/unconfigured \[1\]/);
    expect(ros2(env, 'param', 'set', FQN, 'loop.rate_hz', '20.0').out).toMatch(/Set parameter successful/);
    expect(ros2(env, 'lifecycle', 'set', FQN, 'configure').out).toMatch(/Transitioning successful/);
    await until(() => `the configure log line (log:\n${pilot.log()})`, () => /configured: .* 20 Hz/.test(pilot.log()));
    expect(ros2(env, 'lifecycle', 'set', FQN, 'shutdown').out).toMatch(/Transitioning successful/);
    await until(() => `finalized or exit (log:\n${pilot.log()})`, () => pilot.proc.exitCode !== null || /finalized \[4\]/.test(state()), 30_000);
  }, 90_000);
});
