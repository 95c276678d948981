/**
 * pilot's node against a real ROS 2 and peers nobody here wrote (`ros2` CLI). Runs only where
 * `liveSkipReason()` finds nothing missing; elsewhere (CI) it prints one line saying why and skips.
 *
 *   source /opt/ros/humble/setup.bash && npm run build && npm run test:ros2
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSkipReason } from './environment.js';
import { domainEnv } from './harness.js';

const skip = liveSkipReason();
if (skip) console.log(`ROS 2 live suite skipped: ${skip}`);

/** This file's own DDS domain (40), so the suite's files running in parallel do not meet. */
const env = domainEnv(0);
const NODE = `pilot_live_${process.pid}`;

function ros2(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('ros2', args, { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(skip !== undefined)('pilot node on a real ROS 2', () => {
  let pilot: ChildProcess;
  let log = '';

  beforeAll(async () => {
    const params = ['model.path:=models/pilotnet-test.onnx', 'model.providers:=[cpu]', 'model.require_eval:=false', 'model.warmup_runs:=1'];
    const args = ['bin/pilot.js', 'node', '--config', 'launch/pilot.yaml', '--autostart', 'true', '--ros-args', '-r', `__node:=${NODE}`, ...params.flatMap((p) => ['-p', p])];
    pilot = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    pilot.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    pilot.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until(`/${NODE} active (log:\n${log})`, () => /active \[3\]/.test(ros2('lifecycle', 'get', `/${NODE}`).out));
  }, 120_000);

  afterAll(async () => {
    if (pilot.exitCode === null) {
      pilot.kill('SIGINT');
      await until('pilot to exit', () => pilot.exitCode !== null, 15_000).catch(() => pilot.kill('SIGKILL'));
    }
  });

  it('is a lifecycle node that `ros2 lifecycle` sees active', () => {
    expect(ros2('lifecycle', 'get', `/${NODE}`).out).toMatch(/active \[3\]/);
  });

  it('`ros2 param describe` shows a parameter’s description and range', () => {
    const { out } = ros2('param', 'describe', `/${NODE}`, 'loop.rate_hz');
    expect(out).toMatch(/control rate/);
    expect(out).toMatch(/Min value: 0(\.0)?\b/);
    expect(out).toMatch(/Max value: 200(\.0)?\b/);
  });

  it('stops cleanly on SIGINT, publishing its stop command first', async () => {
    pilot.kill('SIGINT');
    await until('pilot to exit', () => pilot.exitCode !== null, 15_000);
    expect(pilot.exitCode, log).toBe(0);
    expect(log).toMatch(/pilot node: SIGINT: stopping/);
  });
});
