/**
 * `use_sim_time` against a real ROS 2 (domain 44): an rclpy peer publishes /clock (starting at 1000 s) and
 * camera frames stamped with it; pilot's commands and /diagnostics carry /clock time, not the wall clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSkipReason } from './environment.js';
import { TEST_MODEL_PARAMS, domainEnv, ros2, startPilot, startPython, until, type Child, type Peer } from './harness.js';

// (node.live.test.ts prints the one line saying why the suite skips.)
const skip = liveSkipReason();

const env = domainEnv(4);
const NODE = `pilot_simtime_${process.pid}`;

const PEER = String.raw`
import json, time
import rclpy
from rclpy.qos import qos_profile_sensor_data
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image
from ackermann_msgs.msg import AckermannDriveStamped
from diagnostic_msgs.msg import DiagnosticArray
rclpy.init()
node = rclpy.create_node('sim_clock')
clock_pub = node.create_publisher(Clock, '/clock', 10)
cam = node.create_publisher(Image, '/camera/image_raw', qos_profile_sensor_data)
t0 = time.time()
state = {'sim': 0.0, 'cmd_stamp': None, 'diag_stamp': None, 'cmds': 0}
frame = bytes(320 * 240 * 3)
def sim_now():
    return 1000.0 + (time.time() - t0)
def to_msg(t, m):
    m.sec = int(t)
    m.nanosec = int((t - int(t)) * 1e9)
def tick():
    c = Clock()
    state['sim'] = sim_now()
    to_msg(state['sim'], c.clock)
    clock_pub.publish(c)
def image():
    m = Image()
    to_msg(sim_now(), m.header.stamp)
    m.height, m.width, m.encoding, m.step = 240, 320, 'rgb8', 960
    m.data = frame
    cam.publish(m)
def on_cmd(m):
    state['cmds'] += 1
    state['cmd_stamp'] = m.header.stamp.sec + m.header.stamp.nanosec * 1e-9
def on_diag(m):
    state['diag_stamp'] = m.header.stamp.sec + m.header.stamp.nanosec * 1e-9
node.create_subscription(AckermannDriveStamped, '/cmd/ackermann', on_cmd, 10)
node.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 10)
node.create_timer(0.01, tick)
node.create_timer(0.04, image)
node.create_timer(0.25, lambda: print(json.dumps(state), flush=True))
try:
    rclpy.spin(node)
except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
    pass
`;

interface SimState {
  sim: number;
  cmd_stamp: number | null;
  diag_stamp: number | null;
  cmds: number;
}

describe.skipIf(skip !== undefined)('use_sim_time with an rclpy /clock', () => {
  let pilot: Child;
  let peer: Peer<SimState>;

  beforeAll(async () => {
    peer = startPython<SimState>(env, PEER);
    const params = [...TEST_MODEL_PARAMS, 'use_sim_time:=true', 'loop.rate_hz:=20.0'].flatMap((p) => ['-p', p]);
    pilot = startPilot(env, ['--autostart', 'true', '--ros-args', '-r', `__node:=${NODE}`, ...params]);
    await until(() => `/${NODE} active (log:\n${pilot.log()})`, () => /active \[3\]/.test(ros2(env, 'lifecycle', 'get', `/${NODE}`).out), 90_000);
  }, 120_000);

  afterAll(async () => {
    await pilot?.stop();
    await peer?.stop();
  });

  it('stamps commands and /diagnostics with /clock time', async () => {
    await until(
      () => `commands and diagnostics stamped (peer: ${JSON.stringify(peer.latest())}\npilot log:\n${pilot.log()})`,
      () => (peer.latest()?.cmds ?? 0) > 10 && peer.latest()?.diag_stamp != null,
      60_000,
    );
    const s = peer.latest()!;
    // Sim time started at 1000 s: far from the wall clock (about 1.8e9 s).
    expect(s.cmd_stamp!).toBeGreaterThan(1000);
    expect(s.cmd_stamp!).toBeLessThan(s.sim + 1);
    expect(s.diag_stamp!).toBeGreaterThan(1000);
    expect(s.diag_stamp!).toBeLessThan(s.sim + 1);
    expect(ros2(env, 'param', 'get', `/${NODE}`, 'use_sim_time').out).toMatch(/Boolean value is: True/);
  }, 90_000);
});
