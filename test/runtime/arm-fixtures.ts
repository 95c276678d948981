/**
 * Arm-profile test fixtures: a small seeded ONNX policy with the arm contract (camera `image` +
 * `joint_state` state input → `action` joint position targets, tanh mapped to each joint's limits),
 * and a rig running the real Pilot on the in-process transport and a manual clock with a perfectly
 * tracking arm (each step publishes the last command as the measured joint state).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config/load.js';
import type { PilotConfigInput } from '../../src/core/config/schema.js';
import { OnnxModelBuilder } from '../../src/learning/export/onnx-graph.js';
import { loadArmDescription, type ArmDescription } from '../../src/core/kinematics/arm-description.js';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { Float64MultiArray, Image, JointState, JointTrajectory } from '../../src/core/messages/types.js';
import { CONTRACT_METADATA_KEY, CONTRACT_VERSION, ModelContract } from '../../src/runtime/policy/contract.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { glorotUniform, heUniform, mulberry32 } from '../../src/core/util/prng.js';

export const ARM: ArmDescription = loadArmDescription('calibration/arm.yaml');
export const JOINTS = ARM.jointNames;
export const PERIOD_MS = 10;
export const IMAGE = { channels: 3, height: 24, width: 32 } as const;

export interface ArmModelOptions {
  readonly seed?: number;
  readonly id?: string;
  /** Output fields (default: the arm's joints, unit rad, tanh → [lower, upper]). */
  readonly outputs?: readonly { name: string; unit: string; scale: number; offset: number }[];
  /** Fields of the `joint_state` input (default the joints); an empty list leaves the input out. */
  readonly stateFields?: readonly string[];
  readonly profile?: 'arm' | 'vehicle';
}

export function defaultOutputs(arm: ArmDescription = ARM) {
  return arm.limits.map((l) => ({ name: l.name, unit: 'rad', scale: (l.upper - l.lower) / 2, offset: (l.upper + l.lower) / 2 }));
}

/** image → flatten → dense 8 (relu) → concat joint_state → dense n → tanh. Seeded: same options, same bytes. */
export function buildArmTestModel(options: ArmModelOptions = {}): { bytes: Uint8Array; contract: ModelContract } {
  const outputs = options.outputs ?? defaultOutputs();
  const stateFields = options.stateFields ?? JOINTS;
  const { channels, height, width } = IMAGE;
  const contract = ModelContract.parse({
    version: CONTRACT_VERSION,
    id: options.id ?? 'arm-test',
    profile: options.profile ?? 'arm',
    inputs: [
      {
        name: 'image',
        role: 'camera',
        shape: [1, channels, height, width],
        dtype: 'float32',
        layout: 'NCHW',
        color: 'rgb',
        normalize: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
      },
      ...(stateFields.length > 0 ? [{ name: 'joint_state', role: 'state', shape: [1, stateFields.length], dtype: 'float32', fields: [...stateFields] }] : []),
    ],
    outputs: [{ name: 'action', shape: [1, outputs.length], dtype: 'float32', fields: outputs }],
  });
  const random = mulberry32(options.seed ?? 7);
  const g = new OnnxModelBuilder({ graphName: 'arm_test', docString: 'arm-profile test policy, seeded random weights' });
  const pixels = channels * height * width;
  let x = g.flatten(g.input('image', [1, channels, height, width]), 1);
  x = g.relu(g.gemm(x, g.initializer('fc1.weight', heUniform(random, 8 * pixels, pixels), [8, pixels]), g.initializer('fc1.bias', new Float32Array(8), [8]), { transB: true }));
  let features = 8;
  if (stateFields.length > 0) {
    x = g.concat([x, g.input('joint_state', [1, stateFields.length])], 1);
    features += stateFields.length;
  }
  const n = outputs.length;
  x = g.gemm(x, g.initializer('head.weight', glorotUniform(random, n * features, features, n), [n, features]), g.initializer('head.bias', new Float32Array(n), [n]), { transB: true });
  g.tanh(x, 'action');
  g.output('action', [1, n]);
  g.setMetadata(CONTRACT_METADATA_KEY, JSON.stringify(contract));
  return { bytes: g.encodeModel(), contract };
}

const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-'));
let written = 0;

/** Writes the model to a temporary file and returns its path. */
export function writeArmTestModel(options: ArmModelOptions = {}): string {
  const path = join(dir, `arm-${written++}.onnx`);
  writeFileSync(path, buildArmTestModel(options).bytes);
  return path;
}

export function armConfig(modelPath: string, overrides: Partial<PilotConfigInput> = {}) {
  return parseConfig(
    {
      model: { path: modelPath, warmup_runs: 1 },
      transport: { kind: 'inprocess' },
      loop: { rate_hz: 1000 / PERIOD_MS, deadline_ms: 8 },
      inputs: { camera: { topic: '/arm_camera/image_raw' } },
      arm: { description: 'calibration/arm.yaml' },
      outputs: { command: { topic: '/arm_controller/joint_trajectory', type: 'joint_trajectory' } },
      ...overrides,
    },
    'test',
    process.cwd(),
  );
}

export function cameraFrame(value = 90, width = 320, height = 240): Image {
  return makeImage({ header: makeHeader({ frame_id: 'arm_camera' }), height, width, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(value) });
}

export function jointState(names: readonly string[], positions: ArrayLike<number>): JointState {
  return { header: makeHeader(), name: [...names], position: Float64Array.from(positions), velocity: new Float64Array(0), effort: new Float64Array(0) };
}

export interface ArmCommand {
  readonly names: readonly string[];
  readonly positions: Float64Array;
  readonly reason: string;
}

export interface StepOptions {
  /** Camera frame; null sends none. */
  readonly frame?: Image | null;
  /** Joint state to send; null sends none; default the tracked measurement in arm order. */
  readonly joints?: JointState | null;
}

export interface ArmRig {
  readonly pilot: Pilot;
  readonly clock: ManualClock;
  readonly transport: InProcessTransport;
  readonly commands: ArmCommand[];
  /** The simulated arm's joint positions (arm order): follows every command when `follow` is on. */
  readonly measured: Float64Array;
  /** Positions (arm order) of the last joint state sent by default: what the runtime last measured. */
  readonly sent: Float64Array;
  follow: boolean;
  /** Raw network output to force after each inference (tanh space), or null for the model's own. */
  forceRaw: Float32Array | null;
  step(options?: StepOptions): Promise<void>;
  steps(n: number, options?: StepOptions): Promise<void>;
}

const rigs: ArmRig[] = [];

export async function disposeRigs(): Promise<void> {
  for (const r of rigs.splice(0)) {
    await r.pilot.dispose();
    await r.transport.close();
  }
}

export async function armRig(modelPath: string, overrides: Partial<PilotConfigInput> = {}): Promise<ArmRig> {
  const config = armConfig(modelPath, overrides);
  const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
  const transport = new InProcessTransport();
  const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
  const commands: ArmCommand[] = [];
  const measured = Float64Array.from(ARM.home);
  const sent = new Float64Array(JOINTS.length).fill(Number.NaN);
  const topic = config.outputs.command.topic;
  if (config.outputs.command.type === 'joint_trajectory') {
    transport.subscribe<JointTrajectory>(topic, 'trajectory_msgs/msg/JointTrajectory', (m) => {
      commands.push({ names: [...m.joint_names], positions: Float64Array.from(m.points[0]!.positions), reason: pilot.safety.lastReason });
    });
  } else {
    transport.subscribe<Float64MultiArray>(topic, 'std_msgs/msg/Float64MultiArray', (m) => {
      commands.push({ names: [...JOINTS], positions: Float64Array.from(m.data), reason: pilot.safety.lastReason });
    });
  }
  const camera = transport.advertise<Image>(config.inputs.camera.topic, 'sensor_msgs/msg/Image');
  const joints = transport.advertise<JointState>(config.arm!.joint_states.topic, 'sensor_msgs/msg/JointState');
  let target = -PERIOD_MS;
  const r: ArmRig = {
    pilot,
    clock,
    transport,
    commands,
    measured,
    sent,
    follow: true,
    forceRaw: null,
    async step(options: StepOptions = {}) {
      const frame = options.frame === undefined ? cameraFrame() : options.frame;
      const js = options.joints === undefined ? jointState(JOINTS, measured) : options.joints;
      if (options.joints === undefined) sent.set(measured);
      if (js) joints.publish(js);
      if (frame) camera.publish(frame);
      const before = commands.length;
      target = Math.max(target + PERIOD_MS, Math.ceil(clock.now() / PERIOD_MS) * PERIOD_MS);
      clock.advanceTo(target);
      await pilot.loop.whenIdle();
      if (r.follow && commands.length > before) measured.set(commands.at(-1)!.positions);
    },
    async steps(n: number, options?: StepOptions) {
      for (let i = 0; i < n; i++) await r.step(options);
    },
  };
  const run = pilot.policy.run.bind(pilot.policy);
  pilot.policy.run = async () => {
    await run();
    if (r.forceRaw) pilot.policy.output.set(r.forceRaw);
  };
  rigs.push(r);
  return r;
}

/** Raw tanh-space output that decodes to the given joint positions (default output mapping). */
export function rawFor(positions: ArrayLike<number>): Float32Array {
  const out = defaultOutputs();
  return Float32Array.from(out, (f, i) => (positions[i]! - f.offset) / f.scale);
}
