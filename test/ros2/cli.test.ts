/** `pilot node` and `pilot bridge` on the rclnodejs stand-in (the loader is the only seam). */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bridgeCommand } from '../../src/cli/bridge-command.js';
import { nodeCommand } from '../../src/cli/node-command.js';
import { openRos2Transport } from '../../src/ros2/open.js';
import { tempIpcDir } from '../transport/helpers.js';
import { createStandIn, StandInLifecycleNode } from './stand-in/rclnodejs-stand-in.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ROS 2 commands on the stand-in', () => {
  it('pilot node --autostart true: initialises rclnodejs, removes its SIGINT handler, configures, activates, and exits 0 at a shutdown transition', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    const { api, graph } = createStandIn();
    const run = nodeCommand(['--config', 'launch/drive.yaml', '--autostart', 'true', '--ros-args', '-r', '__ns:=/robot1'], async () => api);
    for (let i = 0; i < 100 && graph.nodes.length === 0; i++) await sleep(5);
    const node = graph.nodes[0] as StandInLifecycleNode;
    expect(graph.initialized).toBe(true);
    expect(graph.signalHandlersRemoved).toBe(true);
    expect(node.spinning).toBe(true);
    expect(node.currentState.label).toBe('active');
    expect(node.getParameter('config_file').value).toBe('launch/drive.yaml');
    node.shutdown();
    expect(await run).toBe(0);
    expect(node.destroyed).toBe(true);
    expect(graph.shutdownCalled).toBe(true);
    expect(errors.join('\n')).toMatch(/pilot node: shutdown transition: stopping/);
  });

  it('pilot node --autostart true with a config that does not fit stays unconfigured and says so', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    const { api, graph } = createStandIn({ parameterOverrides: { 'model.path': 'models/nope.onnx' } });
    const run = nodeCommand(['--autostart', 'true'], async () => api);
    for (let i = 0; i < 100 && graph.nodes.length === 0; i++) await sleep(5);
    const node = graph.nodes[0] as StandInLifecycleNode;
    expect(node.currentState.label).toBe('unconfigured');
    expect(errors.join('\n')).toMatch(/autostart did not reach active/);
    expect(graph.logs.map((l) => l.message).join('\n')).toMatch(/configure failed: E_MODEL_FILE/);
    node.shutdown();
    expect(await run).toBe(0);
  });

  it('pilot bridge --duration: bridges the simulator’s topics on a node of its own, then closes everything', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    const ipc = tempIpcDir();
    try {
      const { api, graph } = createStandIn();
      expect(await bridgeCommand(['--duration', '0.2', '--ipc-dir', ipc.dir], async () => api)).toBe(0);
      expect(graph.nodes.map((n) => n.name())).toEqual(['pilot_bridge']);
      expect(graph.nodes[0]!.destroyed).toBe(true);
      expect(graph.shutdownCalled).toBe(true);
      expect(errors.filter((l) => /ZeroMQ → ROS 2|ROS 2 → ZeroMQ/.test(l))).toEqual([
        expect.stringMatching(/ZeroMQ → ROS 2 {2}\/camera\/image_raw {2}sensor_msgs\/msg\/Image \(sensor; ROS name camera\/image_raw\)/),
        expect.stringMatching(/\/imu/),
        expect.stringMatching(/\/odom/),
        expect.stringMatching(/ZeroMQ → ROS 2 {2}\/clock {2}rosgraph_msgs\/msg\/Clock \(reliable; ROS name \/clock\)/),
        expect.stringMatching(/ROS 2 → ZeroMQ {2}\/cmd\/ackermann {2}ackermann_msgs\/msg\/AckermannDriveStamped/),
      ]);
      expect(errors.at(-1)).toMatch(/pilot bridge: duration: relayed \/camera\/image_raw 0/);
    } finally {
      ipc.remove();
    }
  });

  it('pilot bridge refuses a usage it cannot do before loading rclnodejs', async () => {
    const load = vi.fn();
    await expect(bridgeCommand(['--topics', '/a=std_msgs/msg/Bool', '--to-ros', '/b=std_msgs/msg/Bool'], load)).rejects.toThrow(/--topics is another name for --to-ros/);
    await expect(bridgeCommand(['--from-ros', '/joy'], load)).rejects.toThrow(/no type for \/joy/);
    expect(load).not.toHaveBeenCalled();
  });

  it('openRos2Transport: a spinning node of its own, destroyed (and rclnodejs shut down) on close', async () => {
    const { api, graph } = createStandIn();
    const transport = await openRos2Transport({ nodeName: 'tool', load: async () => api, argv: ['node', 'x'] });
    expect(graph.nodes[0]).toMatchObject({ nodeName: 'tool', spinning: true });
    transport.advertise('/a', 'std_msgs/msg/Bool');
    await transport.close();
    expect(graph.nodes[0]!.destroyed).toBe(true);
    expect(graph.shutdownCalled).toBe(true);
  });
});
