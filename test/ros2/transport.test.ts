/** The ROS 2 transport over the rclnodejs stand-in: raw CDR in, checked objects or CDR out, QoS, names, counters. */
import type * as rclnodejs from 'rclnodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseVehicleCalibration } from '../../src/core/calibration/vehicle.js';
import { createCommandBuilder } from '../../src/runtime/commands/command-builder.js';
import { COMMAND_TYPES } from '../../src/core/config/schema.js';
import { CdrCodec } from '../../src/core/messages/cdr.js';
import { KNOWN_TYPE_NAMES, MessageRegistry, type Image } from '../../src/core/messages/index.js';
import { qosPolicies } from '../../src/ros2/qos.js';
import { Ros2Transport, RAW_PUBLISH_TYPES } from '../../src/ros2/ros2-transport.js';
import { RELIABLE_QOS, SENSOR_QOS, type ReceiveInfo } from '../../src/transport/transport.js';
import { samples } from '../core/messages/samples.js';
import { checkAgainstMsg, createStandIn, StandInQoS, type StandIn } from './stand-in/rclnodejs-stand-in.js';

const quiet = (): void => {};
const transports: Ros2Transport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
});

function rig(options: Parameters<typeof createStandIn>[0] = {}, namespace = '', transportOptions: ConstructorParameters<typeof Ros2Transport>[2] = {}) {
  const standIn: StandIn = createStandIn(options);
  const node = new standIn.api.Node('pilot_test', namespace);
  const errors: { error: unknown; topic: string }[] = [];
  const transport = new Ros2Transport(standIn.api, node, { onError: (error, topic) => errors.push({ error, topic }), ...transportOptions });
  transports.push(transport);
  return { ...standIn, node, transport, errors };
}

const sensorQos = (): rclnodejs.QoS => new StandInQoS(1, 1, 2, 2);

describe('Ros2Transport over the rclnodejs stand-in', () => {
  it('subscribes raw and decodes a 640×480 Image from CDR bytes made by pilot’s codec, byte for byte', () => {
    const { graph, transport } = rig();
    const got: { msg: Image; info: ReceiveInfo }[] = [];
    transport.subscribe<Image>('/camera/image_raw', 'sensor_msgs/msg/Image', (msg, info) => void got.push({ msg, info }), SENSOR_QOS);
    const sub = graph.subscriptions[0]!;
    expect(sub).toMatchObject({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image' });

    const image = samples['sensor_msgs/msg/Image'];
    const bytes = new CdrCodec(MessageRegistry.builtin()).encode('sensor_msgs/msg/Image', image);
    // What rclnodejs hands a raw subscription: the serialized message as a Buffer.
    expect(graph.deliver({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', qos: sensorQos() }, bytes)).toBe(1);
    expect(got).toHaveLength(1);
    const { msg, info } = got[0]!;
    expect(msg.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(msg.data), Buffer.from(image.data))).toBe(0);
    const { data: _a, ...rest } = msg;
    const { data: _b, ...sent } = image;
    expect(rest).toEqual(sent);
    expect(info.seq).toBe(0);
    expect(transport.stats().get('/camera/image_raw')).toMatchObject({ received: 1, decodeErrors: 0 });
  });

  it('asks rclnodejs for raw subscriptions with the QoS each hint maps to', () => {
    const { graph, transport } = rig();
    transport.subscribe('/camera/image_raw', 'sensor_msgs/msg/Image', quiet, SENSOR_QOS);
    transport.subscribe('/pilot/estop', 'std_msgs/msg/Bool', quiet, RELIABLE_QOS);
    transport.advertise('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS);
    const [camera, estop] = graph.subscriptions;
    const cmd = graph.publishers[0]!;
    // sensor: best effort, keep last 1, volatile
    expect([camera!.qos!.history, camera!.qos!.depth, camera!.qos!.reliability(), camera!.qos!.durability]).toEqual([1, 1, 2, 2]);
    // reliable: reliable, keep last 10, volatile
    expect([estop!.qos!.history, estop!.qos!.depth, estop!.qos!.reliability(), estop!.qos!.durability]).toEqual([1, 10, 1, 2]);
    expect([cmd.qos!.history, cmd.qos!.depth, cmd.qos!.reliability(), cmd.qos!.durability]).toEqual([1, 10, 1, 2]);
    expect(qosPolicies(SENSOR_QOS)).toEqual({ history: 'keep_last', depth: 1, reliability: 'best_effort', durability: 'volatile' });
    expect(qosPolicies('latched')).toEqual({ history: 'keep_last', depth: 1, reliability: 'reliable', durability: 'transient_local' });
  });

  it('a best-effort (sensor) subscriber hears reliable and best-effort publishers; a reliable one only reliable', () => {
    const { graph, transport } = rig();
    let sensor = 0;
    let reliable = 0;
    transport.subscribe('/imu', 'sensor_msgs/msg/Imu', () => sensor++, SENSOR_QOS);
    transport.subscribe('/odom', 'nav_msgs/msg/Odometry', () => reliable++, RELIABLE_QOS);
    graph.inject('/imu', 'sensor_msgs/msg/Imu', samples['sensor_msgs/msg/Imu'], new StandInQoS(1, 10, 1, 2));
    graph.inject('/imu', 'sensor_msgs/msg/Imu', samples['sensor_msgs/msg/Imu'], sensorQos());
    graph.inject('/odom', 'nav_msgs/msg/Odometry', samples['nav_msgs/msg/Odometry'], sensorQos());
    expect(sensor).toBe(2);
    expect(reliable).toBe(0);
  });

  it.each(KNOWN_TYPE_NAMES)('%s: published as rclnodejs expects it, checked field by field against the .msg, and read back equal', (type) => {
    const { graph, transport } = rig();
    const got: unknown[] = [];
    const topic = `/t/${type.replace(/\//g, '_')}`;
    transport.subscribe(topic, type, (m) => void got.push(m), RELIABLE_QOS);
    const pub = transport.advertise(topic, type, RELIABLE_QOS);
    pub.publish(samples[type]);
    const record = graph.published.at(-1)!;
    expect(record.raw).toBe(RAW_PUBLISH_TYPES.has(type));
    // The stand-in rejects objects that do not match (TypeError); here the check is explicit as well.
    expect(checkAgainstMsg(type, record.message)).toBe('');
    expect(got).toEqual([samples[type]]);
    expect(transport.stats().get(topic)).toMatchObject({ sent: 1, received: 1, sendDrops: 0, decodeErrors: 0 });
  });

  it.each(COMMAND_TYPES)('the %s command builder’s message goes to rclnodejs as a valid object', (kind) => {
    const { graph, transport } = rig();
    const arm = kind === 'joint_trajectory' || kind === 'float64_multi_array';
    const builder = createCommandBuilder({
      kind,
      actionNames: arm ? ['shoulder', 'elbow'] : ['steering_angle', 'speed'],
      frameId: 'base_link',
      periodMs: 20,
      vehicle: parseVehicleCalibration({ wheelbase_m: 0.26, max_steering_angle_rad: 0.45, max_steering_rate_radps: 3, max_speed_mps: 4, max_acceleration_mps2: 3, max_deceleration_mps2: 6 }, 'test'),
    });
    const pub = transport.advertise('/cmd', builder.type, RELIABLE_QOS);
    pub.publish(builder.fill(Float64Array.from([0.2, 1.5]), 1_700_000_000_123.5));
    const [record] = graph.published;
    expect(record).toMatchObject({ topic: '/cmd', type: builder.type, raw: false });
    expect(checkAgainstMsg(builder.type, record!.message)).toBe('');
    expect(transport.stats().get('/cmd')).toMatchObject({ sent: 1, sendDrops: 0 });
  });

  it('refuses types without a vendored definition with E_UNKNOWN_TYPE naming the known ones', () => {
    const { transport } = rig();
    expect(() => transport.subscribe('/gps', 'sensor_msgs/msg/NavSatFix', quiet)).toThrow(/E_UNKNOWN_TYPE: topic '\/gps': 'sensor_msgs\/msg\/NavSatFix'.*known: ackermann_msgs/);
    expect(() => transport.advertise('/x', 'pilot_msgs/msg/TickTimeline')).toThrow(/E_UNKNOWN_TYPE/);
    expect(() => transport.advertise('/x', 'not a type')).toThrow(/E_UNKNOWN_TYPE/);
    // The short form is accepted.
    expect(() => transport.advertise('/ok', 'std_msgs/Bool')).not.toThrow();
  });

  it('a message package whose type support rclnodejs did not generate fails with the install hint', () => {
    const { transport } = rig({ missingPackages: ['ackermann_msgs'] });
    expect(() => transport.advertise('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', RELIABLE_QOS)).toThrow(
      /E_ROS2_ENTITY: cannot create a publisher for '\/cmd\/ackermann'.*does not exist.*sudo apt install ros-(<distro>|\w+)-ackermann-msgs.*generate-ros-messages/,
    );
  });

  it('a message that does not match its type is dropped and counted, never handed to rclnodejs', () => {
    const { graph, transport, errors } = rig();
    const pub = transport.advertise<unknown>('/cmd', 'geometry_msgs/msg/Twist', RELIABLE_QOS);
    pub.publish({ linear: { x: 1, y: 0, z: 0 } });
    pub.publish({ linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: '1' } });
    pub.publish({ linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 }, extra: 1 });
    expect(graph.published).toHaveLength(0);
    expect(transport.stats().get('/cmd')).toMatchObject({ sent: 0, sendDrops: 3 });
    expect(errors.map((e) => String((e.error as Error).message))).toEqual([
      expect.stringMatching(/E_MESSAGE_SHAPE: .*angular: missing/),
      expect.stringMatching(/angular\.z: expected float64, got string/),
      expect.stringMatching(/has no field extra/),
    ]);
  });

  it('counts undecodable bytes and a throwing handler, and keeps delivering', () => {
    const { graph, transport, errors } = rig();
    const seen: boolean[] = [];
    transport.subscribe<{ data: boolean }>(
      '/estop',
      'std_msgs/msg/Bool',
      (m) => {
        seen.push(m.data);
        if (seen.length === 1) throw new Error('handler bug');
      },
      RELIABLE_QOS,
    );
    const endpoint = { topic: '/estop', type: 'std_msgs/msg/Bool', qos: new StandInQoS(1, 10, 1, 2) };
    graph.deliver(endpoint, Uint8Array.from([0, 1, 0])); // truncated
    graph.inject('/estop', 'std_msgs/msg/Bool', { data: true });
    graph.inject('/estop', 'std_msgs/msg/Bool', { data: false });
    expect(seen).toEqual([true, false]);
    expect(transport.stats().get('/estop')).toMatchObject({ received: 2, decodeErrors: 1, handlerErrors: 1, receiveGaps: 0 });
    expect(errors).toHaveLength(2);
  });

  it('resolves configured topics in the node’s namespace, except /clock, /tf_static, /diagnostics; remaps first', () => {
    const { graph, transport } = rig({}, '/robot1', { remap: { '/camera/image_raw': '/front/image_raw' } });
    transport.subscribe('/camera/image_raw', 'sensor_msgs/msg/Image', quiet);
    transport.subscribe('/clock', 'rosgraph_msgs/msg/Clock', quiet);
    transport.advertise('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
    transport.advertise('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray');
    expect(graph.subscriptions.map((s) => s.topic)).toEqual(['/robot1/front/image_raw', '/clock']);
    expect(graph.publishers.map((p) => p.topic)).toEqual(['/robot1/cmd/ackermann', '/diagnostics']);
    // Counters stay keyed by the configured names, as in the other transports.
    expect([...transport.stats().keys()]).toEqual(['/camera/image_raw', '/clock', '/cmd/ackermann', '/diagnostics']);
  });

  it('namespaced: false keeps absolute names', () => {
    const { graph, transport } = rig({}, '/robot1', { namespaced: false });
    transport.subscribe('/camera/image_raw', 'sensor_msgs/msg/Image', quiet);
    expect(graph.subscriptions[0]!.topic).toBe('/camera/image_raw');
  });

  it('refuses a second publisher of a topic, destroys entities on close, and is closed after', async () => {
    const { graph, transport } = rig();
    transport.advertise('/a', 'std_msgs/msg/Bool');
    expect(() => transport.advertise('/a', 'std_msgs/msg/Bool')).toThrow(expect.objectContaining({ code: 'E_TOPIC_TAKEN' }));
    const sub = transport.subscribe('/b', 'std_msgs/msg/Bool', quiet);
    sub.close();
    expect(graph.subscriptions).toHaveLength(0);
    await transport.close();
    expect(graph.publishers).toHaveLength(0);
    expect(() => transport.advertise('/c', 'std_msgs/msg/Bool')).toThrow(expect.objectContaining({ code: 'E_CLOSED' }));
  });

  it('two nodes on one graph talk like two processes (camera image out raw, in raw)', () => {
    const standIn = createStandIn();
    const a = new Ros2Transport(standIn.api, new standIn.api.Node('a'), { onError: quiet });
    const b = new Ros2Transport(standIn.api, new standIn.api.Node('b'), { onError: quiet });
    transports.push(a, b);
    const got: Image[] = [];
    b.subscribe<Image>('/camera/image_raw', 'sensor_msgs/msg/Image', (m) => void got.push(m), SENSOR_QOS);
    a.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image', SENSOR_QOS).publish(samples['sensor_msgs/msg/Image']);
    expect(standIn.graph.published[0]!.raw).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]!.width).toBe(640);
  });
});
