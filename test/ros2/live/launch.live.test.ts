/**
 * `ros2 launch launch/pilot.launch.py` on a real ROS 2 (domain 43): launch_ros starts the node, and the launch
 * arguments and a parameter file reach it as parameters.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSkipReason } from './environment.js';
import { domainEnv, ros2, until } from './harness.js';

const skip = liveSkipReason();
// (node.live.test.ts prints the one line saying why the suite skips.)

const env = domainEnv(3);
const FQN = '/robot2/pilot';

describe.skipIf(skip !== undefined)('ros2 launch launch/pilot.launch.py', () => {
  let launch: ReturnType<typeof spawn>;
  let log = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-live-launch-'));
    const params = join(dir, 'params.yaml');
    writeFileSync(
      params,
      ['/**:', '  ros__parameters:', '    model:', '      providers: [cpu]', '      require_eval: false', '      warmup_runs: 1', '    loop:', '      rate_hz: 33.0', ''].join('\n'),
    );
    launch = spawn('ros2', ['launch', 'launch/pilot.launch.py', 'namespace:=robot2', 'model:=models/pilotnet-test.onnx', `params_file:=${params}`], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    launch.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    launch.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until(() => `${FQN} active (log:\n${log})`, () => /active \[3\]/.test(ros2(env, 'lifecycle', 'get', FQN).out), 90_000);
  }, 120_000);

  afterAll(async () => {
    if (launch && launch.exitCode === null) {
      launch.kill('SIGINT');
      await until('ros2 launch to exit', () => launch.exitCode !== null || launch.signalCode !== null, 30_000).catch(() => process.kill(-launch.pid!, 'SIGKILL'));
    }
  }, 40_000);

  it('applies the launch arguments and the parameter file', () => {
    expect(ros2(env, 'param', 'get', FQN, 'model.path').out).toMatch(/String value is: models\/pilotnet-test\.onnx/);
    expect(ros2(env, 'param', 'get', FQN, 'loop.rate_hz').out).toMatch(/Double value is: 33\.0/);
    // calibration:=calibration (default) joined by the launch file; relative paths resolve in cwd = pilot_dir.
    expect(ros2(env, 'param', 'get', FQN, 'calibration.camera').out).toMatch(/String value is: calibration\/camera\.yaml/);
    expect(ros2(env, 'param', 'get', FQN, 'model.require_eval').out).toMatch(/Boolean value is: False/);
  });

  it('stops the node with the launch (SIGINT)', async () => {
    launch.kill('SIGINT');
    await until(() => `ros2 launch to exit (log:\n${log})`, () => launch.exitCode !== null || launch.signalCode !== null, 30_000);
    expect(log).toMatch(/SIGINT: stopping|stop command published/);
    expect(log).not.toMatch(/process has died/);
  }, 40_000);
});
