/** Bridge mode: the simulator's sensors over ZeroMQ drive a ROS 2 graph (here: pilot's node on the stand-in) and get commands back. */
import { afterEach, describe, expect, it } from 'vitest';
import { loadSimConfig } from '../../sim/config/sim-config.js';
import { CommandListener } from '../../sim/bridge/command-listener.js';
import { SensorPublisher } from '../../sim/bridge/sensor-publisher.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { ZeroMqTransport } from '../../src/transport/zeromq.js';
import { RELIABLE_QOS, type Transport } from '../../src/transport/transport.js';
import { TopicBridge } from '../../src/ros2/bridge.js';
import { bridgeSpec, loadBridgeConfig, parseTopicList, simulatorBridgeSpec } from '../../src/cli/bridge-config.js';
import { PilotNode } from '../../src/ros2/pilot-node.js';
import { Ros2Transport } from '../../src/ros2/ros2-transport.js';
import { samples } from '../core/messages/samples.js';
import { tempIpcDir, until } from '../transport/helpers.js';
import { BASE_OVERRIDES, cameraFrame } from './helpers.js';
import { createStandIn } from './stand-in/rclnodejs-stand-in.js';

const quiet = (): void => {};
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sim = simulatorBridgeSpec(loadSimConfig(undefined));

describe('pilot bridge (ZeroMQ ⇄ ROS 2)', () => {
  it('bridges the simulator’s topics by default: camera, imu, odom, /clock to ROS 2; the command back', () => {
    expect(sim).toEqual({
      toRos: [
        { topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', qos: 'sensor' },
        { topic: '/imu', type: 'sensor_msgs/msg/Imu', qos: 'sensor' },
        { topic: '/odom', type: 'nav_msgs/msg/Odometry', qos: 'sensor' },
        { topic: '/clock', type: 'rosgraph_msgs/msg/Clock', qos: 'reliable' },
      ],
      fromRos: [{ topic: '/cmd/ackermann', type: 'ackermann_msgs/msg/AckermannDriveStamped', qos: 'reliable' }],
    });
    // launch/bridge.yaml says the same.
    expect(bridgeSpec(loadBridgeConfig('launch/bridge.yaml'))).toEqual(sim);
  });

  it('relays the simulator’s own sensor publisher over real ZeroMQ into ROS 2, and a ROS command back to its command listener', async () => {
    const ipc = tempIpcDir();
    const simSide = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet });
    const bridgeSide = new ZeroMqTransport({ ipcDir: ipc.dir, onError: quiet });
    const { api, graph } = createStandIn();
    const ros = new Ros2Transport(api, new api.Node('pilot_bridge'), { onError: quiet });
    const other = new Ros2Transport(api, new api.Node('robot_stack'), { onError: quiet });
    cleanups.push(async () => {
      await Promise.all([simSide.close(), bridgeSide.close(), ros.close(), other.close()]);
      ipc.remove();
    });
    const bridge = new TopicBridge(bridgeSide, ros, sim);
    cleanups.push(() => bridge.close());

    const sensors = new SensorPublisher(simSide, { camera: '/camera/image_raw', imu: '/imu', odom: '/odom', clock: '/clock' });
    const commands = new CommandListener(simSide, '/cmd/ackermann', 'ackermann', 0.26);
    const heard = new Map<string, unknown[]>();
    for (const t of sim.toRos) other.subscribe(t.topic, t.type, (m) => heard.set(t.topic, [...(heard.get(t.topic) ?? []), m]));
    // Reliable, like any controller's command publisher (a best-effort one would not match the bridge's reliable subscription).
    const cmd = other.advertise('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);

    // ZeroMQ subscriptions join asynchronously: publish until everything came through once.
    await until(
      () => sim.toRos.every((t) => heard.has(t.topic)) && commands.received > 0,
      () => {
        sensors.camera(cameraFrame(), 0);
        sensors.imu(samples['sensor_msgs/msg/Imu'], 0);
        sensors.odom(samples['nav_msgs/msg/Odometry'], 0);
        sensors.publishClock(1234.5);
        cmd.publish({ header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'base_link' }, drive: { steering_angle: 0.25, steering_angle_velocity: 0, speed: 1.5, acceleration: 0, jerk: 0 } });
      },
      'all topics across the bridge',
    );
    expect(heard.get('/clock')![0]).toEqual({ clock: { sec: 1, nanosec: 234_500_000 } });
    expect((heard.get('/camera/image_raw')![0] as { width: number }).width).toBe(320);
    // The image went into ROS 2 as CDR bytes, the rest as checked message objects.
    const fromBridge = graph.published.filter((p) => p.node === 'pilot_bridge');
    expect(fromBridge.find((p) => p.topic === '/camera/image_raw')!.raw).toBe(true);
    expect(fromBridge.find((p) => p.topic === '/imu')!.raw).toBe(false);
    expect(commands.latest).toEqual({ steeringRad: 0.25, speedMps: 1.5 });
    expect(bridge.routes.every((r) => r.relayed > 0)).toBe(true);
  });

  it('closes the loop: simulator frames and /clock → bridge → pilot node (use_sim_time) → command → bridge → simulator', async () => {
    const simSide = new InProcessTransport({ onError: quiet });
    const { api } = createStandIn({ parameterOverrides: { ...BASE_OVERRIDES, use_sim_time: true } });
    const ros = new Ros2Transport(api, new api.Node('pilot_bridge'), { onError: quiet });
    const bridge = new TopicBridge(simSide, ros, sim);
    const pilotNode = new PilotNode({ api, log: quiet });
    cleanups.push(async () => {
      await pilotNode.destroy();
      bridge.close();
      await ros.close();
      await simSide.close();
    });
    const sensors = new SensorPublisher(simSide, { camera: '/camera/image_raw', imu: '/imu', odom: '/odom', clock: '/clock' });
    const commands = new CommandListener(simSide, '/cmd/ackermann', 'ackermann', 0.26);
    pilotNode.node.configure();
    pilotNode.node.activate();
    await pilotNode.settled();
    // Lockstep-like: the simulator publishes /clock and a frame every 10 ms of sim time.
    for (let t = 0; t <= 200; t += 10) {
      sensors.publishClock(10_000 + t);
      sensors.camera(cameraFrame(), 10_000 + t);
      await pilotNode.settled();
      await pilotNode.pilot?.loop.whenIdle();
    }
    expect(pilotNode.pilot!.loop.stats.ticks).toBeGreaterThanOrEqual(15);
    expect(pilotNode.pilot!.safety.lastReason).toBe('ok');
    expect(commands.received).toBeGreaterThanOrEqual(15);
    expect(commands.rejected).toBe(0);
    // Commands carry the simulator's time.
    expect(commands.latestStampMs).toBeGreaterThanOrEqual(10_150);
    expect(commands.latestStampMs).toBeLessThanOrEqual(10_200);
  });

  it('refuses a topic in both directions (it would loop) and unknown ROS types', () => {
    const a: Transport = new InProcessTransport({ onError: quiet });
    const { api } = createStandIn();
    const ros = new Ros2Transport(api, new api.Node('b'), { onError: quiet });
    cleanups.push(() => a.close(), () => ros.close());
    const t = { topic: '/x', type: 'std_msgs/msg/Bool', qos: 'reliable' as const };
    expect(() => new TopicBridge(a, ros, { toRos: [t], fromRos: [t] })).toThrow(/E_BRIDGE: topic \/x is bridged in both directions/);
    expect(() => new TopicBridge(a, ros, { toRos: [{ ...t, type: 'pilot_msgs/msg/TickTimeline' }], fromRos: [] })).toThrow(/E_UNKNOWN_TYPE/);
    // Nothing was left half set up.
    expect(ros.stats().size).toBe(0);
  });

  it('topic lists: `topic` takes the simulator’s type, `topic=type` any', () => {
    const known = [...sim.toRos, ...sim.fromRos];
    expect(parseTopicList('/camera/image_raw, /clock', '--to-ros', known)).toEqual([sim.toRos[0], sim.toRos[3]]);
    expect(parseTopicList('/joy=sensor_msgs/msg/JointState', '--from-ros', known)).toEqual([{ topic: '/joy', type: 'sensor_msgs/msg/JointState', qos: 'reliable' }]);
    expect(() => parseTopicList('/joy', '--from-ros', known)).toThrow(/no type for \/joy; write it as \/joy=<pkg>\/msg\/<Type>/);
    expect(() => parseTopicList('joy=a/b', '--to-ros', known)).toThrow(/not an absolute topic name/);
  });
});
