/** rclnodejs is optional: a failed import is one clear message, and nothing else in pilot needs it. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createTransport } from '../../src/transport/index.js';
import { importRclnodejs, loadRclnodejs, ROS2_INSTALL_HINT } from '../../src/ros2/rclnodejs-api.js';
import { nodeCommand, splitRosArgs } from '../../src/ros2/node-command.js';
import { bridgeCommand } from '../../src/ros2/bridge-command.js';
import { createStandIn } from './stand-in/rclnodejs-stand-in.js';

const notFound = () =>
  Promise.reject(Object.assign(new Error("Cannot find package 'rclnodejs' imported from /work/main/src/ros2/rclnodejs-api.ts\nRequire stack: …"), { code: 'ERR_MODULE_NOT_FOUND' }));

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('loading rclnodejs', () => {
  it('a failed import becomes E_ROS2_UNAVAILABLE: what failed, whether ROS is sourced, what to do', async () => {
    vi.stubEnv('ROS_DISTRO', '');
    const err = await loadRclnodejs(notFound).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_ROS2_UNAVAILABLE' });
    const text = (err as Error).message;
    expect(text).toMatch(/^E_ROS2_UNAVAILABLE: cannot load rclnodejs \(Cannot find package 'rclnodejs' imported from .*\); no ROS 2 is sourced in this shell \(ROS_DISTRO is unset\)\./);
    expect(text).not.toMatch(/Require stack/);
    expect(text).toContain('source /opt/ros/<distro>/setup.bash');
    expect(text).toContain('npm install --no-save rclnodejs');
    expect(text).toContain('npm >= 11: approve its install script');
    expect(text).toContain('Humble, Jazzy, Kilted');
    expect(text.endsWith(ROS2_INSTALL_HINT)).toBe(true);
  });

  it('says which distro is sourced when one is (the build against it failed)', async () => {
    vi.stubEnv('ROS_DISTRO', 'jazzy');
    const err = await loadRclnodejs(() => Promise.reject(new Error('Could not locate the bindings file rclnodejs.node'))).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/cannot load rclnodejs \(Could not locate the bindings file rclnodejs.node\); ROS_DISTRO=jazzy is sourced\./);
  });

  it('the real import fails here (no rclnodejs installed, it is not a dependency) with the same message', async () => {
    await expect(loadRclnodejs(importRclnodejs)).rejects.toThrow(/E_ROS2_UNAVAILABLE: cannot load rclnodejs/);
  });

  it('takes the module whether Node exposes the CommonJS exports as the namespace or as default', async () => {
    const { api } = createStandIn();
    await expect(loadRclnodejs(async () => ({ default: api }))).resolves.toBe(api);
    await expect(loadRclnodejs(async () => api)).resolves.toBe(api);
  });

  it('`pilot node` and `pilot bridge` print the message and exit 1 when rclnodejs is missing', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(await main(['node', '--config', 'launch/pilot.yaml', '--ros-args', '-p', 'loop.rate_hz:=20.0'])).toBe(1);
    expect(await main(['bridge', '--duration', '1'])).toBe(1);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/^pilot: E_ROS2_UNAVAILABLE: cannot load rclnodejs[\s\S]*source \/opt\/ros\/<distro>\/setup.bash/);
  });

  it('commands take an injected loader (how the stand-in would be used)', async () => {
    await expect(nodeCommand([], notFound)).rejects.toThrow(/E_ROS2_UNAVAILABLE/);
    await expect(bridgeCommand([], notFound)).rejects.toThrow(/E_ROS2_UNAVAILABLE/);
    await expect(nodeCommand(['--autostart', 'maybe'], notFound)).rejects.toThrow(/--autostart must be true or false/);
  });

  it('transport.kind ros2 outside `pilot node` says where it runs', () => {
    expect(() => createTransport('ros2')).toThrow(/E_TRANSPORT_KIND: transport.kind 'ros2' runs as a ROS 2 node: use `pilot node --config <yaml>`/);
  });

  it('separates pilot’s arguments from --ros-args', () => {
    expect(splitRosArgs(['--config', 'a.yaml', '--ros-args', '-r', '__ns:=/r1', '-p', 'x:=1', '--', '--autostart', 'true'])).toEqual({
      own: ['--config', 'a.yaml', '--autostart', 'true'],
      ros: ['--ros-args', '-r', '__ns:=/r1', '-p', 'x:=1', '--'],
    });
  });

  it('lists node and bridge in the usage', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    expect(await main(['help'])).toBe(0);
    expect(out.join('\n')).toMatch(/pilot node \[--config <yaml>\] \[--autostart true\|false\]/);
    expect(out.join('\n')).toMatch(/pilot bridge \[--config <bridge.yaml>\]/);
  });
});
