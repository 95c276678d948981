/**
 * pilot's node in a namespace (`--ros-args -r __ns:=/robot1`) among rclpy peers (domain 42): a camera publishing
 * sensor_msgs/Image 320x240 rgb8 at 25 Hz best effort, a controller subscribing to the AckermannDriveStamped
 * commands, an e-stop publisher (std_msgs/Bool) and a /diagnostics subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSkipReason } from './environment.js';
import { TEST_MODEL_PARAMS, domainEnv, ros2, startPilot, startPython, until, type Child, type Peer } from './harness.js';

const skip = liveSkipReason();
// (node.live.test.ts prints the one line saying why the suite skips.)

const env = domainEnv(2);
const NODE = `pilot_peers_${process.pid}`;
const NS = '/robot1';

/** The rclpy peer: prints its state as one JSON line every 0.25 s; stdin `estop 1` / `estop 0` publishes on the e-stop topic. */
const PEER = String.raw`
import json, sys, threading, time
import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy, qos_profile_sensor_data
from sensor_msgs.msg import Image
from ackermann_msgs.msg import AckermannDriveStamped
from std_msgs.msg import Bool
from diagnostic_msgs.msg import DiagnosticArray

ns = sys.argv[1]
rclpy.init()
node = rclpy.create_node('live_peer')
cam = node.create_publisher(Image, ns + '/camera/image_raw', qos_profile_sensor_data)
estop = node.create_publisher(Bool, ns + '/pilot/estop', 10)
state = {'images': 0, 'cmds': 0, 'cmds_since_mark': 0, 'nonzero_since_mark': 0, 'last_speed': None, 'last_steer': None, 'diag': {}, 'diag_msgs': 0, 'marks': 0}
frame = bytes([(x * 7) % 256 for x in range(320 * 240 * 3)])
def publish_image():
    m = Image()
    m.header.stamp = node.get_clock().now().to_msg()
    m.header.frame_id = 'camera_optical_frame'
    m.height, m.width, m.encoding, m.is_bigendian, m.step = 240, 320, 'rgb8', 0, 320 * 3
    m.data = frame
    cam.publish(m)
    state['images'] += 1
def on_cmd(m):
    state['cmds'] += 1
    state['cmds_since_mark'] += 1
    if m.drive.speed != 0.0:
        state['nonzero_since_mark'] += 1
    state['last_speed'], state['last_steer'] = m.drive.speed, m.drive.steering_angle
def on_diag(m):
    state['diag_msgs'] += 1
    for s in m.status:
        state['diag'][s.name] = {'level': int.from_bytes(s.level, 'little') if isinstance(s.level, bytes) else int(s.level), 'message': s.message, **{kv.key: kv.value for kv in s.values}}
node.create_subscription(AckermannDriveStamped, ns + '/cmd/ackermann', on_cmd, 10)
node.create_subscription(DiagnosticArray, '/diagnostics', on_diag, 10)
node.create_timer(1.0 / 25.0, publish_image)
node.create_timer(0.25, lambda: print(json.dumps(state), flush=True))
pending = []
def read_stdin():
    for line in sys.stdin:
        pending.append(line.split())
threading.Thread(target=read_stdin, daemon=True).start()
def handle():
    while pending:
        cmd = pending.pop(0)
        if cmd[0] == 'estop':
            estop.publish(Bool(data=cmd[1] == '1'))
        elif cmd[0] == 'mark':
            state['cmds_since_mark'] = 0
            state['nonzero_since_mark'] = 0
            state['marks'] += 1
node.create_timer(0.05, handle)
try:
    rclpy.spin(node)
except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
    pass
`;

interface PeerState {
  images: number;
  cmds: number;
  cmds_since_mark: number;
  nonzero_since_mark: number;
  last_speed: number | null;
  diag: Record<string, Record<string, string | number>>;
  diag_msgs: number;
  marks: number;
}

describe.skipIf(skip !== undefined)('pilot node among rclpy peers, in a namespace', () => {
  let pilot: Child;
  let peer: Peer<PeerState>;
  const diag = (name: string, key: string) => peer.latest()?.diag[`pilot: ${name}`]?.[key];

  beforeAll(async () => {
    // 25 Hz camera-triggered loop: one command per frame.
    const params = [...TEST_MODEL_PARAMS, 'loop.rate_hz:=25.0', 'loop.trigger:=camera', 'inputs.camera.max_age_ms:=500.0'].flatMap((p) => ['-p', p]);
    pilot = startPilot(env, ['--autostart', 'true', '--ros-args', '-r', `__node:=${NODE}`, '-r', `__ns:=${NS}`, ...params]);
    peer = startPython<PeerState>(env, PEER, [NS]);
    await until(() => `${NS}/${NODE} active (log:\n${pilot.log()})`, () => /active \[3\]/.test(ros2(env, 'lifecycle', 'get', `${NS}/${NODE}`).out), 90_000);
  }, 120_000);

  afterAll(async () => {
    await pilot?.stop();
    await peer?.stop();
  });

  it('resolves its topics in the namespace (except /diagnostics)', () => {
    expect(ros2(env, 'node', 'list').out).toContain(`${NS}/${NODE}`);
    const topics = ros2(env, 'topic', 'list').out;
    for (const t of ['/robot1/camera/image_raw', '/robot1/cmd/ackermann', '/robot1/pilot/estop', '/diagnostics']) expect(topics).toContain(t);
    expect(topics).not.toMatch(/^\/cmd\/ackermann$/m);
  });

  it('receives the rclpy camera and publishes AckermannDriveStamped commands the rclpy controller receives', async () => {
    await until(() => `commands at the peer (peer: ${JSON.stringify(peer.latest())}\npeer log: ${peer.log().slice(-2000)}\npilot log:\n${pilot.log()})`, () => (peer.latest()?.cmds ?? 0) >= 50, 60_000);
    await until(() => `camera rate in /diagnostics (${JSON.stringify(peer.latest()?.diag)})`, () => Number(diag('inputs', 'camera_rate_hz') ?? 0) > 15, 30_000);
    expect(Number(diag('inputs', 'frames_received'))).toBeGreaterThan(20);
    expect(diag('inputs', 'frames_rejected')).toBe('0');
    expect(diag('policy', 'execution_provider')).toBe('cpu');
    console.log(`live peers: camera ${diag('inputs', 'camera_rate_hz')} Hz in pilot's /diagnostics (rclpy publishes 25 Hz), loop ${diag('control loop', 'rate_hz')} Hz, tick p99 ${diag('control loop', 'tick_latency_p99_ms')} ms, ${peer.latest()!.cmds} commands at the rclpy controller`);
  }, 90_000);

  it('publishes /diagnostics that an rclpy subscriber decodes (loop, policy, inputs, safety)', () => {
    const d = peer.latest()!.diag;
    for (const name of ['control loop', 'policy', 'inputs', 'safety']) expect(Object.keys(d)).toContain(`pilot: ${name}`);
    expect(Number(diag('control loop', 'ticks'))).toBeGreaterThan(0);
    expect(diag('safety', 'estop')).toBe('false');
  });

  it('e-stop topic: true → only stop commands (speed 0) and E-STOP in diagnostics; false → released', async () => {
    peer.send('estop 1');
    await until(() => `estop in diagnostics (${JSON.stringify(peer.latest()?.diag['pilot: safety'])})`, () => diag('safety', 'estop') === 'true', 30_000);
    peer.send('mark');
    await until('the mark', () => peer.latest()?.marks === 1, 10_000);
    await until('commands under e-stop', () => (peer.latest()?.cmds_since_mark ?? 0) >= 25, 30_000);
    expect(peer.latest()!.nonzero_since_mark).toBe(0);
    expect(peer.latest()!.last_speed).toBe(0);
    expect(diag('safety', 'message')).toBe('E-STOP');
    peer.send('estop 0');
    await until(() => `estop released (${JSON.stringify(peer.latest()?.diag['pilot: safety'])})`, () => diag('safety', 'estop') === 'false', 30_000);
  }, 90_000);
});
