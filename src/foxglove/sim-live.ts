/**
 * The live view of a simulated drive (`pilot drive`, `pilot sim`): wraps a drive's options so the
 * live view sees every topic on the drive's transport (camera, IMU, odometry, /clock, commands, the
 * runtime's diagnostics and timeline), the track and the car as a scene, and the car's pose as /tf;
 * its time is sim time (each step, and /clock), so a lockstep drive shows its own timing.
 */
import { loadCameraMount } from '../core/calibration/mount.js';
import { loadVehicleCalibration } from '../core/calibration/vehicle.js';
import { blackBoxTopics, DEFAULT_TIMELINE_TOPIC, TICK_TIMELINE_SCHEMA, TICK_TIMELINE_TYPE } from '../data/bags/black-box.js';
import { loadConfig } from '../core/config/load.js';
import type { PilotConfig } from '../core/config/schema.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../transport/transport.js';
import type { DriveSessionOptions } from '../../sim/index.js';
import type { SimConfig } from '../../sim/index.js';
import { FRAME_TRANSFORMS_SCHEMA, SCENE_UPDATE_SCHEMA } from './json-schemas.js';
import type { LiveView } from './live-view.js';
import { cameraTransforms, poseTransforms, trackScene, vehicleScene, type SceneTrack } from './sim-scene.js';
import type { TapTopic } from './transport-tap.js';

export const SCENE_TOPIC = '/pilot/scene';
export const TF_TOPIC = '/tf';
/** How often the track is sent again for viewers that joined later, wall ms. */
const SCENE_REPEAT_MS = 2000;

/** The drive's topics: the simulator's, and the runtime's outputs (an external runtime's at their defaults). */
export function simTopics(sim: SimConfig, runtime: PilotConfig | undefined): TapTopic[] {
  const commandType = sim.command.type === 'ackermann' ? 'ackermann_msgs/msg/AckermannDriveStamped' : 'geometry_msgs/msg/Twist';
  const topics: TapTopic[] = [
    { topic: sim.camera.topic, type: 'sensor_msgs/msg/Image', qos: SENSOR_QOS },
    { topic: sim.sensors.imu_topic, type: 'sensor_msgs/msg/Imu', qos: SENSOR_QOS },
    { topic: sim.sensors.odom_topic, type: 'nav_msgs/msg/Odometry', qos: SENSOR_QOS },
    { topic: sim.clock_topic, type: 'rosgraph_msgs/msg/Clock', qos: RELIABLE_QOS },
    { topic: sim.command.topic, type: commandType, qos: RELIABLE_QOS },
  ];
  const outputs = runtime
    ? blackBoxTopics(runtime)
    : [
        { topic: '/diagnostics', type: 'diagnostic_msgs/msg/DiagnosticArray', qos: RELIABLE_QOS },
        { topic: DEFAULT_TIMELINE_TOPIC, type: TICK_TIMELINE_TYPE, qos: RELIABLE_QOS, schemaText: TICK_TIMELINE_SCHEMA },
      ];
  for (const t of outputs) if (!topics.some((x) => x.topic === t.topic)) topics.push(t);
  return topics;
}

/** A runtime config that publishes its per-tick timeline (the live view plots it). */
export function withTimeline(config: PilotConfig): PilotConfig {
  return { ...config, outputs: { ...config.outputs, timeline: { ...config.outputs.timeline, enabled: true } } };
}

/** `options` with the live view attached; hooks already there still run (onTransport after the tap, the others first). */
export function withLiveView(options: DriveSessionOptions, live: LiveView): DriveSessionOptions {
  const driver = options.driver.kind === 'model' ? { ...options.driver, config: withTimeline(runtimeConfig(options.driver.config)) } : options.driver;
  const runtime = driver.kind === 'model' ? (driver.config as PilotConfig) : undefined;
  const sim = options.sim;
  const mount = loadCameraMount(sim.camera.mount);
  const vehicle = loadVehicleCalibration(sim.vehicle.calibration);
  const shape = { wheelbaseM: vehicle.wheelbase_m, trackWidthM: vehicle.track_width_m };
  const fixed = cameraTransforms(mount, sim.camera.frame_id, 0n);
  const scene = live.json(SCENE_TOPIC, SCENE_UPDATE_SCHEMA);
  const tf = live.json(TF_TOPIC, FRAME_TRANSFORMS_SCHEMA);
  let track: SceneTrack | undefined;
  /** The newest step's sample (the drive reuses one object) and the transforms at it, built only for a viewer. */
  let pose = { x: 0, y: 0, yawRad: 0 };
  const buildTransforms = (): unknown => poseTransforms(pose.x, pose.y, pose.yawRad, live.clock.nowNs(), fixed);
  let sceneSentAtMs = -Infinity;
  const sendScene = (): void => {
    if (!track) return;
    const now = live.clock.nowNs();
    const shown = track;
    if (live.publishBuilt(scene, () => trackScene(shown, now), now)) live.publish(scene, vehicleScene(shape, now), now);
    sceneSentAtMs = performance.now();
  };
  live.server.onSubscription((id, subscribed) => subscribed && id === scene.id && sendScene());
  return {
    ...options,
    driver,
    renderForExpert: true,
    // The tap first, so a hook already there sees the channels advertised.
    onTransport: async (transport) => {
      live.tapTransport(transport, simTopics(sim, runtime));
      await options.onTransport?.(transport);
    },
    onWorld: (t, look) => {
      options.onWorld?.(t, look);
      // Sim time from the start: everything the runtime publishes before the first step is at 0.
      live.clock.setMs(0);
      track = t;
      sendScene();
    },
    onStep: (sample, metrics) => {
      options.onStep?.(sample, metrics);
      pose = sample;
      live.clock.setMs(sample.tS * 1000);
      live.publishBuilt(tf, buildTransforms);
      if (performance.now() - sceneSentAtMs > SCENE_REPEAT_MS) sendScene();
    },
  };
}

function runtimeConfig(config: PilotConfig | string): PilotConfig {
  return typeof config === 'string' ? loadConfig(config) : config;
}
