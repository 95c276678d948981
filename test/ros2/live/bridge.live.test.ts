/**
 * `pilot bridge` against a real ROS 2 (domain 45): geometry_msgs/Twist published on ZeroMQ (this test) reaches
 * an rclpy subscriber, and the rclpy peer's Twist reaches a ZeroMQ subscriber (this test).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Twist } from '../../../src/core/messages/types.js';
import { ZeroMqTransport } from '../../../src/transport/zeromq.js';
import { liveSkipReason } from './environment.js';
import { domainEnv, startPython, until, type Peer } from './harness.js';

// (node.live.test.ts prints the one line saying why the suite skips.)
const skip = liveSkipReason();

const env = domainEnv(5);

const PEER = String.raw`
import json
import rclpy
from rclpy.qos import qos_profile_sensor_data
from geometry_msgs.msg import Twist
rclpy.init()
node = rclpy.create_node('bridge_peer')
state = {'received': 0, 'last_x': None}
pub = node.create_publisher(Twist, '/live/from_ros', 10)
def on_twist(m):
    state['received'] += 1
    state['last_x'] = m.linear.x
node.create_subscription(Twist, '/live/to_ros', on_twist, qos_profile_sensor_data)
def send():
    m = Twist()
    m.linear.x = 7.0
    m.angular.z = -0.25
    pub.publish(m)
node.create_timer(0.1, send)
node.create_timer(0.25, lambda: print(json.dumps(state), flush=True))
try:
    rclpy.spin(node)
except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
    pass
`;

describe.skipIf(skip !== undefined)('pilot bridge between ZeroMQ and rclpy', () => {
  let bridge: ReturnType<typeof spawn>;
  let log = '';
  let peer: Peer<{ received: number; last_x: number | null }>;
  let zmq: ZeroMqTransport;
  const fromRos: Twist[] = [];
  let timer: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    const ipcDir = mkdtempSync(join(tmpdir(), 'pilot-live-bridge-'));
    zmq = new ZeroMqTransport({ ipcDir });
    const pub = zmq.advertise<Twist>('/live/to_ros', 'geometry_msgs/msg/Twist');
    zmq.subscribe<Twist>('/live/from_ros', 'geometry_msgs/msg/Twist', (m) => fromRos.push(m));
    const twist: Twist = { linear: { x: 3.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0.5 } };
    timer = setInterval(() => pub.publish(twist), 100);
    bridge = spawn(
      process.execPath,
      ['bin/pilot.js', 'bridge', '--ipc-dir', ipcDir, '--to-ros', '/live/to_ros=geometry_msgs/msg/Twist', '--from-ros', '/live/from_ros=geometry_msgs/msg/Twist'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    bridge.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    bridge.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    peer = startPython(env, PEER);
    await until(() => `the bridge's routes (log:\n${log})`, () => /ROS 2 → ZeroMQ/.test(log), 60_000);
  }, 90_000);

  afterAll(async () => {
    clearInterval(timer);
    await peer?.stop();
    if (bridge && bridge.exitCode === null) {
      bridge.kill('SIGINT');
      await until('the bridge to exit', () => bridge.exitCode !== null, 15_000).catch(() => bridge.kill('SIGKILL'));
    }
    await zmq?.close();
  });

  it('relays ZeroMQ → ROS 2 (rclpy receives the Twist)', async () => {
    await until(() => `rclpy to receive (peer: ${JSON.stringify(peer.latest())}; log:\n${log})`, () => (peer.latest()?.received ?? 0) >= 5, 60_000);
    expect(peer.latest()!.last_x).toBe(3.5);
  }, 90_000);

  it('relays ROS 2 → ZeroMQ (the rclpy Twist arrives on ZeroMQ)', async () => {
    await until(() => `ZeroMQ to receive (log:\n${log})`, () => fromRos.length >= 5, 60_000);
    expect(fromRos.at(-1)!.linear.x).toBe(7);
    expect(fromRos.at(-1)!.angular.z).toBe(-0.25);
  }, 90_000);

  it('stops on SIGINT with exit 0, counting what it relayed', async () => {
    bridge.kill('SIGINT');
    await until(() => `the bridge to exit (log:\n${log})`, () => bridge.exitCode !== null, 15_000);
    expect(bridge.exitCode, log).toBe(0);
    expect(log).toMatch(/SIGINT: relayed \/live\/to_ros [1-9]\d*, \/live\/from_ros [1-9]\d*/);
  }, 30_000);
});
