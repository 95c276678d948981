/** The whole node end to end on the rclnodejs stand-in: lifecycle, camera in → command out, e-stop, parameters, sim time. */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { CameraInfo, ClockMsg, DiagnosticArray } from '../../src/core/messages/types.js';
import { ParamType } from '../../src/ros2/rclnodejs-api.js';
import type { TFMessage } from '../../src/ros2/calibration-messages.js';
import { cameraFrame, nodeRig, PERIOD_MS, type NodeRig } from './helpers.js';
import { checkAgainstMsg, StandInQoS } from './stand-in/rclnodejs-stand-in.js';

const rigs: NodeRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

function make(options: Parameters<typeof nodeRig>[0] = {}): NodeRig {
  const r = nodeRig(options);
  rigs.push(r);
  return r;
}

async function active(options: Parameters<typeof nodeRig>[0] = {}): Promise<NodeRig> {
  const r = make(options);
  r.node.configure();
  r.node.activate();
  await r.pilotNode.settled();
  expect(r.pilotNode.state).toBe('active');
  expect(r.pilotNode.pilot).toBeDefined();
  return r;
}

describe('pilot as a lifecycle node on the rclnodejs stand-in', () => {
  it('runs end to end: configure → activate → camera in → commands out → deactivate (stop) → cleanup → shutdown', async () => {
    const r = make();
    expect(r.node.currentState.label).toBe('unconfigured');
    expect(r.graph.publishers).toHaveLength(0);

    r.node.configure();
    expect(r.node.currentState.label).toBe('inactive');
    expect(r.pilotNode.state).toBe('inactive');
    // Configured, but nothing drives before activate.
    await r.pilotNode.settled();
    expect(r.commands()).toHaveLength(0);
    expect(r.node.transitions.at(-1)).toMatchObject({ transition: 'configure', code: 97 });

    r.node.activate();
    await r.pilotNode.settled();
    expect(r.node.currentState.label).toBe('active');
    // The first command is the stop command (startup), as on every transport.
    expect(r.commands()[0]!.drive.speed).toBe(0);
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('startup');

    for (let i = 0; i < 20; i++) await r.step();
    const driven = r.commands().slice(1);
    expect(driven.length).toBeGreaterThanOrEqual(20);
    expect(r.pilotNode.pilot!.safety.counters.byReason.ok).toBeGreaterThanOrEqual(20);
    for (const c of driven) {
      // Field by field against ackermann_msgs/AckermannDriveStamped, and within the configured limits.
      expect(checkAgainstMsg('ackermann_msgs/msg/AckermannDriveStamped', c)).toBe('');
      expect(c.header.frame_id).toBe('base_link');
      expect(Number.isFinite(c.drive.steering_angle)).toBe(true);
      expect(Math.abs(c.drive.steering_angle)).toBeLessThanOrEqual(0.45);
      expect(c.drive.speed).toBeGreaterThanOrEqual(0);
    }
    // Commands are stamped with the clock (epoch + manual time).
    expect(driven.at(-1)!.header.stamp.sec).toBe(1_700_000_000);
    expect(r.graph.published.filter((p) => p.topic === '/cmd/ackermann').every((p) => !p.raw)).toBe(true);

    // Deactivate: the loop stops and a stop command goes out.
    const before = r.commands().length;
    r.node.deactivate();
    await r.pilotNode.settled();
    expect(r.node.currentState.label).toBe('inactive');
    expect(r.pilotNode.pilot).toBeUndefined();
    expect(r.commands()).toHaveLength(before + 1);
    expect(r.commands().at(-1)!.drive.speed).toBe(0);
    // No more commands while inactive, whatever arrives.
    await r.step();
    await r.step();
    expect(r.commands()).toHaveLength(before + 1);

    // Activate again: a fresh loop with the same model.
    r.node.activate();
    await r.pilotNode.settled();
    await r.step();
    expect(r.commands().length).toBeGreaterThan(before + 1);

    r.node.deactivate();
    r.node.cleanup();
    await r.pilotNode.settled();
    expect(r.node.currentState.label).toBe('unconfigured');
    expect(r.graph.subscriptions).toHaveLength(0);
    expect(r.node.hasParameter('safety.limits.speed')).toBe(false);

    r.node.shutdown();
    await r.pilotNode.settled();
    expect(r.node.currentState.label).toBe('finalized');
    await r.pilotNode.whenFinalized();
  });

  it('shutdown while active publishes the stop command and finalizes', async () => {
    const r = await active();
    await r.step();
    await r.step();
    r.node.shutdown();
    await r.pilotNode.settled();
    expect(r.pilotNode.state).toBe('finalized');
    expect(r.commands().at(-1)!.drive.speed).toBe(0);
  });

  it('drives a geometry_msgs/Twist output as well', async () => {
    const r = await active({ overrides: { 'outputs.command.type': 'twist', 'outputs.command.topic': '/cmd_vel' } });
    for (let i = 0; i < 3; i++) await r.step();
    const twists = r.graph.messages<{ linear: { x: number }; angular: { z: number } }>('/cmd_vel');
    expect(twists.length).toBeGreaterThanOrEqual(4);
    for (const t of twists) expect(checkAgainstMsg('geometry_msgs/msg/Twist', t)).toBe('');
    expect(r.graph.publishers.find((p) => p.topic === '/cmd_vel')!.type).toBe('geometry_msgs/msg/Twist');
  });

  it('publishes /diagnostics while active, and the camera mount on /tf_static (latched) at configure', async () => {
    const r = await active();
    for (let i = 0; i < 101; i++) await r.step();
    const diags = r.graph.messages<DiagnosticArray>('/diagnostics');
    expect(diags).toHaveLength(1);
    expect(diags[0]!.status.map((s) => s.name)).toEqual(['pilot: control loop', 'pilot: policy', 'pilot: inputs', 'pilot: safety']);
    expect(checkAgainstMsg('diagnostic_msgs/msg/DiagnosticArray', diags[0])).toBe('');

    const tf = r.graph.messages<TFMessage>('/tf_static');
    expect(tf).toHaveLength(1);
    expect(checkAgainstMsg('tf2_msgs/msg/TFMessage', tf[0])).toBe('');
    const [mount, optical] = tf[0]!.transforms;
    expect(mount).toMatchObject({ header: { frame_id: 'base_link' }, child_frame_id: 'camera_link', transform: { translation: { x: 0.2, y: 0, z: 0.16 } } });
    // Pitch 0.35 rad about y.
    expect(mount!.transform.rotation.y).toBeCloseTo(Math.sin(0.35 / 2), 12);
    expect(mount!.transform.rotation.w).toBeCloseTo(Math.cos(0.35 / 2), 12);
    expect(optical).toMatchObject({ header: { frame_id: 'camera_link' }, child_frame_id: 'camera_optical_frame' });
    const q = optical!.transform.rotation;
    [q.x, q.y, q.z, q.w].forEach((v, i) => expect(v).toBeCloseTo([-0.5, 0.5, -0.5, 0.5][i]!, 12));
    const tfPub = r.graph.publishers.find((p) => p.topic === '/tf_static')!;
    expect([tfPub.qos!.reliability(), tfPub.qos!.durability, tfPub.qos!.depth]).toEqual([1, 1, 1]);
  });

  it('publishes camera_info from the calibration when asked', async () => {
    const r = make({ overrides: { 'ros2.camera_info_topic': '/camera/camera_info' } });
    r.node.configure();
    const [info] = r.graph.messages<CameraInfo>('/camera/camera_info');
    expect(checkAgainstMsg('sensor_msgs/msg/CameraInfo', info)).toBe('');
    expect(info).toMatchObject({ width: 320, height: 240, distortion_model: 'plumb_bob', header: { frame_id: 'camera_optical_frame' } });
    expect(Array.from(info!.k)).toEqual([160, 0, 160, 0, 160, 120, 0, 0, 1]);
  });

  it('e-stop from the topic and from the SetBool service: latched, survives deactivate/activate, released by either', async () => {
    const r = await active();
    await r.step();
    expect(r.graph.serviceNames).toEqual(['/pilot/set_estop']);

    r.graph.inject('/pilot/estop', 'std_msgs/msg/Bool', { data: true });
    await r.step();
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('estop');
    expect(r.commands().at(-1)!.drive.speed).toBe(0);

    // Released by the service.
    expect(r.graph.callService('/pilot/set_estop', { data: false })).toEqual({ success: true, message: 'e-stop released' });
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');

    // Engaged by the service; stays engaged across deactivate/activate.
    expect(r.graph.callService('/pilot/set_estop', { data: true })).toMatchObject({ success: true });
    r.node.deactivate();
    r.node.activate();
    await r.pilotNode.settled();
    await r.step();
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('estop');
    expect(r.commands().at(-1)!.drive.speed).toBe(0);
    expect(r.logs.some((l) => /e-stop ENGAGED via service/.test(l))).toBe(true);

    // Released by the topic.
    r.graph.inject('/pilot/estop', 'std_msgs/msg/Bool', { data: false });
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');
  });

  it('e-stop engaged while inactive holds from the first tick after activation', async () => {
    const r = make();
    r.node.configure();
    r.graph.inject('/pilot/estop', 'std_msgs/msg/Bool', { data: true });
    r.node.activate();
    await r.pilotNode.settled();
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('estop');
  });

  it('takes sensor_msgs/CompressedImage (JPEG and PNG) as the camera input', async () => {
    const r = await active({ overrides: { 'inputs.camera.type': 'compressed', 'inputs.camera.topic': '/camera/image_raw/compressed' } });
    const rgba = Buffer.alloc(320 * 240 * 4, 120);
    const jpg = jpeg.encode({ data: rgba, width: 320, height: 240 }, 90).data;
    const png = new PNG({ width: 320, height: 240 });
    rgba.copy(png.data);
    const frames = [
      { format: 'rgb8; jpeg compressed bgr8', data: new Uint8Array(jpg) },
      { format: 'png', data: new Uint8Array(PNG.sync.write(png)) },
    ];
    for (const f of frames) {
      r.graph.inject('/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage', { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' }, ...f }, new StandInQoS(1, 1, 2, 2));
      await r.step(null);
      expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');
    }
    expect(r.pilotNode.pilot!.camera.received).toBe(2);
    // Bytes that are neither JPEG nor PNG are rejected (counted), the loop keeps running.
    r.graph.inject('/camera/image_raw/compressed', 'sensor_msgs/msg/CompressedImage', { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'cam' }, format: 'tiff', data: Uint8Array.from([1, 2, 3]) });
    await r.step(null);
    expect(r.pilotNode.pilot!.camera.rejected).toBe(1);
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('bad_input');
  });

  it('rejects an image in an unsupported encoding without crashing the loop', async () => {
    const r = await active();
    await r.step();
    const frame = cameraFrame();
    frame.encoding = '16UC1';
    await r.step(frame);
    expect(r.pilotNode.pilot!.camera.rejected).toBe(1);
    expect(r.pilotNode.pilot!.camera.lastRejection).toMatch(/16UC1/);
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');
  });

  it('follows /clock with use_sim_time: waits for the first message, ticks in sim time, stamps sim time', async () => {
    const r = make({ overrides: { use_sim_time: true } });
    r.node.configure();
    r.node.activate();
    await r.pilotNode.settled();
    expect(r.pilotNode.pilot).toBeUndefined();
    expect(r.logs.some((l) => /starts at the first \/clock/.test(l))).toBe(true);
    const clock = (ms: number) => r.graph.inject('/clock', 'rosgraph_msgs/msg/Clock', { clock: { sec: Math.floor(ms / 1000), nanosec: (ms % 1000) * 1e6 } } satisfies ClockMsg);
    clock(500_000);
    await r.pilotNode.settled();
    expect(r.pilotNode.pilot).toBeDefined();
    expect(r.commands()).toHaveLength(1);
    expect(r.commands()[0]!.header.stamp).toEqual({ sec: 500, nanosec: 0 });
    for (let t = 1; t <= 10; t++) {
      r.graph.inject('/camera/image_raw', 'sensor_msgs/msg/Image', cameraFrame());
      clock(500_000 + t * PERIOD_MS);
      await r.pilotNode.pilot!.loop.whenIdle();
    }
    expect(r.pilotNode.pilot!.loop.stats.ticks).toBe(10);
    expect(r.commands().at(-1)!.header.stamp).toEqual({ sec: 500, nanosec: 100_000_000 });
    // The wall clock did not move at all.
    expect(r.clock.now()).toBe(0);
    // Time going back (a looping bag) is ignored, and said once.
    clock(1000);
    clock(1000);
    expect(r.logs.filter((l) => /\/clock went back/.test(l))).toHaveLength(1);
  });
});

describe('node parameters', () => {
  it('mirror the config: declared with descriptors, ranges and the config file’s values', () => {
    const r = make({ configFile: 'launch/pilot.yaml' });
    const d = (name: string) => r.node.descriptors.get(name)!;
    expect(r.node.getParameter('config_file').value).toBe('launch/pilot.yaml');
    expect(d('config_file').readOnly).toBe(true);
    // From the override (an integer in YAML, taken as a double).
    expect(r.node.getParameter('loop.rate_hz').value).toBe(100);
    expect(r.node.getParameter('loop.rate_hz').type).toBe(ParamType.DOUBLE);
    // From launch/pilot.yaml.
    expect(r.node.getParameter('outputs.diagnostics.rate_hz').value).toBe(1);
    expect(r.node.getParameter('model.intra_op_threads').value).toBe(1n);
    expect(d('model.intra_op_threads').toMessage().integer_range).toEqual([{ from_value: 1n, to_value: 64n, step: 1n }]);
    expect(d('loop.rate_hz').toMessage().floating_point_range).toEqual([{ from_value: 0, to_value: 200, step: 0 }]);
    expect(d('loop.trigger').additionalConstraints).toBe('one of: timer, camera');
    expect(r.node.getParameter('use_sim_time').value).toBe(false);
    // Every descriptor message of pilot's parameters is a complete rcl_interfaces/ParameterDescriptor.
    for (const [name, desc] of r.node.descriptors) if (name !== 'use_sim_time') expect(checkAgainstMsg('rcl_interfaces/msg/ParameterDescriptor', desc.toMessage()), name).toBe('');
  });

  it('the config the node builds from launch/pilot.yaml + overrides is the config pilot run would use, plus the overrides', () => {
    const r = make({ configFile: 'launch/pilot.yaml' });
    r.node.configure();
    const c = r.pilotNode.config!;
    expect(c.loop.rate_hz).toBe(100);
    expect(c.model.providers).toEqual(['cpu']);
    expect(c.safety.limits).toEqual({ speed: [0, 2] });
    expect(c.outputs.command).toEqual({ topic: '/cmd/ackermann', type: 'ackermann' });
  });

  it('declares per-action safety parameters at configure, with the configured limits and constraints', () => {
    const r = make({ configFile: 'launch/pilot.yaml' });
    expect(r.node.hasParameter('safety.limits.speed')).toBe(false);
    r.node.configure();
    expect(r.node.getParameter('safety.limits.speed').value).toEqual([0, 2]);
    expect(r.node.getParameter('safety.limits.steering_angle').value).toEqual([-0.45, 0.45]);
    expect(r.node.getParameter('safety.max_rate.steering_angle').value).toBe(3);
    expect(r.node.descriptors.get('safety.limits.speed')!.additionalConstraints).toMatch(/within \[0, 2\]/);
  });

  it('dynamic: a tighter speed limit is accepted and applies at the next tick', async () => {
    const r = await active({ configFile: 'launch/pilot.yaml' });
    await r.step();
    expect(r.set('safety.limits.speed', ParamType.DOUBLE_ARRAY, [0, 0.5])).toEqual({ successful: true, reason: '' });
    expect(r.pilotNode.pilot!.safety.limitsOf('speed')).toMatchObject({ min: 0, max: 0.5 });
    expect(r.node.getParameter('safety.limits.speed').value).toEqual([0, 0.5]);
    for (let i = 0; i < 3; i++) await r.step();
    expect(r.commands().at(-1)!.drive.speed).toBeLessThanOrEqual(0.5);
    expect(r.set('safety.max_rate.steering_angle', ParamType.DOUBLE, 1.5)).toMatchObject({ successful: true });
    expect(r.pilotNode.pilot!.safety.limitsOf('steering_angle').maxRatePerS).toBe(1.5);
    // Relaxing back up to what was configured at start is allowed.
    expect(r.set('safety.limits.speed', ParamType.DOUBLE_ARRAY, [0, 2])).toMatchObject({ successful: true });
  });

  it('dynamic limits set while inactive apply to the loop started at activation', async () => {
    const r = make({ configFile: 'launch/pilot.yaml' });
    r.node.configure();
    expect(r.set('safety.limits.speed', ParamType.DOUBLE_ARRAY, [0, 0.25])).toMatchObject({ successful: true });
    r.node.activate();
    await r.pilotNode.settled();
    expect(r.pilotNode.pilot!.safety.limitsOf('speed').max).toBe(0.25);
  });

  it('rejects out-of-range and malformed limits with the reason, and the loop keeps running', async () => {
    const r = await active({ configFile: 'launch/pilot.yaml' });
    await r.step();
    const bad: [string, number, unknown, RegExp][] = [
      ['safety.limits.speed', ParamType.DOUBLE_ARRAY, [0, 3], /\[0, 3\] is outside \[0, 2\], the limits configured at start/],
      ['safety.limits.speed', ParamType.DOUBLE_ARRAY, [-1, 1], /outside \[0, 2\]/],
      ['safety.limits.speed', ParamType.DOUBLE_ARRAY, [1, 0.5], /min 1 > max 0.5/],
      ['safety.limits.speed', ParamType.DOUBLE_ARRAY, [0.5, 1], /would exclude the stop value 0/],
      ['safety.limits.speed', ParamType.DOUBLE_ARRAY, [0, 1, 2], /must be \[min, max\]/],
      ['safety.limits.steering_angle', ParamType.DOUBLE_ARRAY, [0, Number.NaN], /two finite numbers/],
      ['safety.max_rate.steering_angle', ParamType.DOUBLE, 10, /above 3, the rate configured at start/],
      ['safety.max_rate.steering_angle', ParamType.DOUBLE, 0, /0 \(no limit\) is above 3/],
      ['safety.max_rate.steering_angle', ParamType.DOUBLE, -1, /must be a number >= 0/],
    ];
    for (const [name, type, value, reason] of bad) {
      const result = r.set(name, type as never, value);
      expect(result.successful, `${name}=${String(value)}`).toBe(false);
      expect(result.reason).toMatch(reason);
    }
    expect(r.pilotNode.pilot!.safety.limitsOf('speed')).toMatchObject({ min: 0, max: 2 });
    expect(r.node.getParameter('safety.limits.speed').value).toEqual([0, 2]);
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');
  });

  it('rejects changes of non-dynamic parameters while configured, and accepts them (applied at configure) while unconfigured', async () => {
    const r = await active();
    const result = r.set('loop.rate_hz', ParamType.DOUBLE, 20);
    expect(result.successful).toBe(false);
    expect(result.reason).toMatch(/loop.rate_hz applies at configure: deactivate and clean up the node/);
    expect(r.set('use_sim_time', ParamType.BOOL, true)).toMatchObject({ successful: false, reason: expect.stringMatching(/read at configure/) });
    // Read-only from the start (rclnodejs's own check).
    expect(r.set('config_file', ParamType.STRING, 'x.yaml')).toMatchObject({ successful: false, reason: 'Parameter config_file is readonly' });
    // A wrong type is rclnodejs's descriptor check.
    expect(r.set('loop.rate_hz', ParamType.STRING, 'fast').successful).toBe(false);

    r.node.deactivate();
    r.node.cleanup();
    await r.pilotNode.settled();
    expect(r.set('loop.rate_hz', ParamType.DOUBLE, 20)).toMatchObject({ successful: true });
    r.node.configure();
    expect(r.pilotNode.config!.loop.rate_hz).toBe(20);
  });

  it('reads per-action overrides (safety.limits.<action>) at configure', () => {
    const r = make({ overrides: { 'safety.limits.speed': [0.0, 1.5], 'safety.max_rate.speed': 2.0 } });
    r.node.configure();
    expect(r.pilotNode.config!.safety.limits.speed).toEqual([0, 1.5]);
    expect(r.node.getParameter('safety.limits.speed').value).toEqual([0, 1.5]);
    expect(r.node.getParameter('safety.max_rate.speed').value).toBe(2);
  });

  it('maps inputs.state.* parallel lists onto inputs.state', () => {
    const r = make({
      overrides: {
        'inputs.state.field': ['speed_mps'],
        'inputs.state.topic': ['/odom'],
        'inputs.state.type': ['nav_msgs/msg/Odometry'],
        'inputs.state.path': ['twist.twist.linear.x'],
        'inputs.state.max_age_ms': [150.0],
      },
    });
    expect(r.pilotNode.parameters.buildConfig().inputs.state).toEqual([
      { field: 'speed_mps', topic: '/odom', type: 'nav_msgs/msg/Odometry', path: 'twist.twist.linear.x', max_age_ms: 150 },
    ]);
    // The test model takes no state input, and configure says so.
    expect(r.node.configure().label).toBe('unconfigured');
    expect(r.logs.at(-1)).toMatch(/config inputs.state field 'speed_mps' is not an input of the model/);
  });

  it('refuses parallel inputs.state lists of different lengths', () => {
    const r = make({ overrides: { 'inputs.state.field': ['a', 'b'], 'inputs.state.topic': ['/odom'] } });
    expect(r.node.configure().label).toBe('unconfigured');
    expect(r.logs.at(-1)).toMatch(/E_CONFIG: the inputs.state.\* lists must have one entry per state input: inputs.state.field has 2, inputs.state.topic has 1, inputs.state.type has 0/);
  });
});

describe('configure and activate fail with the reason, never a crash', () => {
  const cases: [string, Parameters<typeof nodeRig>[0], RegExp][] = [
    ['a missing model', { overrides: { 'model.path': 'models/nope.onnx' } }, /E_MODEL_FILE: cannot read model .*nope.onnx: ENOENT/],
    ['a bad config value', { overrides: { 'loop.trigger': 'sometimes' } }, /E_CONFIG: ROS parameters: loop.trigger: .*\(got "sometimes"\)/],
    ['an override of the wrong type', { overrides: { 'model.warmup_runs': 'many' } }, /parameter model.warmup_runs \(from the test\): expected int, got "many"/],
    ['an override out of range', { overrides: { 'loop.rate_hz': 500.0 } }, /parameter loop.rate_hz \(from the test\): outside \[0, 200\], got 500/],
    ['a state type pilot has no definition for', {
      overrides: { 'inputs.state.field': ['x'], 'inputs.state.topic': ['/gps'], 'inputs.state.type': ['sensor_msgs/msg/NavSatFix'], 'inputs.state.path': ['latitude'], 'inputs.state.max_age_ms': [100.0] },
    }, /E_UNKNOWN_TYPE: inputs.state 'x': sensor_msgs\/msg\/NavSatFix has no vendored definition/],
    ['limits that do not overlap the calibration', { overrides: { 'safety.limits.speed': [5.0, 6.0] } }, /E_SAFETY_CONFIG: safety.limits.speed \[5, 6\] does not overlap/],
    ['a missing camera mount file', { overrides: { 'ros2.camera_mount': 'calibration/nope.yaml' } }, /E_CALIBRATION: cannot read camera mount .*nope.yaml: ENOENT/],
    ['an unreadable config file', { configFile: 'launch/nope.yaml' }, /config_file launch\/nope.yaml: ENOENT/],
    [
      'a message package the sourced ROS 2 lacks (std_srvs for the e-stop service)',
      { missingPackages: ['std_srvs'] },
      /configure failed: E_ROS2_PACKAGES: message package std_srvs not found in the sourced ROS 2 .*`sudo apt install ros-(<distro>|\w+)-std-srvs`/,
    ],
    ['a command package rclnodejs has no type support for', { typeSupportMissing: ['ackermann_msgs'] }, /E_ROS2_ENTITY|does not exist/],
  ];

  it.each(cases)('%s', async (_what, options, reason) => {
    const r = make(options);
    const state = r.node.configure();
    if (options?.typeSupportMissing) {
      // Entities are created at activation; the start fails there and the node deactivates itself.
      r.node.activate();
      await r.pilotNode.settled();
      await new Promise((resolve) => setImmediate(resolve));
      expect(r.node.currentState.label).toBe('inactive');
    } else {
      expect(state.label).toBe('unconfigured');
      expect(r.node.transitions.at(-1)).toMatchObject({ transition: 'configure', code: 98 });
    }
    expect(r.logs.join('\n')).toMatch(reason);
    expect(r.commands()).toHaveLength(0);
  });

  it('a model that fails to load: activate before the load fails deactivates itself; after, activate is refused', async () => {
    let fail: (err: Error) => void = () => {};
    const r = make({ createPolicy: () => new Promise((_resolve, reject) => (fail = reject)) });
    r.node.configure();
    r.node.activate();
    expect(r.pilotNode.state).toBe('active');
    fail(new Error('E_NO_PROVIDER: no execution provider could load the model'));
    await r.pilotNode.settled();
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.node.currentState.label).toBe('inactive');
    expect(r.logs.join('\n')).toMatch(/the model failed to load: E_NO_PROVIDER.*\n.*deactivating \(no model\)/);
    const again = r.node.activate();
    expect(again.label).toBe('inactive');
    expect(r.logs.at(-1)).toMatch(/activate failed: E_MODEL: cannot activate: the model failed to load/);
  });

  it('a second configure after cleanup works (parameters re-declared, entities recreated)', async () => {
    const r = make();
    r.node.configure();
    r.node.cleanup();
    await r.pilotNode.settled();
    r.node.configure();
    r.node.activate();
    await r.pilotNode.settled();
    await r.step();
    expect(r.pilotNode.pilot!.safety.lastReason).toBe('ok');
  });
});

describe('namespaces', () => {
  it('resolves pilot’s topics and the e-stop service in the node namespace; /clock, /tf_static, /diagnostics stay global', async () => {
    const r = await active({ namespace: '/robot1' });
    await r.step();
    const topics = new Set([...r.graph.publishers, ...r.graph.subscriptions].map((e) => e.topic));
    expect([...topics].sort()).toEqual(['/diagnostics', '/robot1/camera/camera_info', '/robot1/camera/image_raw', '/robot1/cmd/ackermann', '/robot1/pilot/estop', '/tf_static']);
    expect(r.graph.serviceNames).toEqual(['/robot1/pilot/set_estop']);
    expect(r.commands().length).toBeGreaterThan(1);
  });
});
