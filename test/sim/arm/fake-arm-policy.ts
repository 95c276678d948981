/**
 * A stand-in arm policy for runtime-driven episodes without an ONNX file: the arm contract (camera
 * `image`, state `joint_state` = the joint names, output `action` = the joint names scaled to their
 * limits), whose "network" answers with `decide(state)` in raw (tanh) space. It also records the
 * state inputs the runtime fed it, so tests can check what reached the model.
 */
import type { ArmDescription } from '../../../src/core/kinematics/index.js';
import type { ModelContract } from '../../../src/runtime/policy/contract.js';
import type { Policy } from '../../../src/runtime/policy/policy-session.js';
import type { ProviderStartup } from '../../../src/runtime/policy/providers.js';
import { loadConfig } from '../../../src/core/config/load.js';
import type { PilotConfig } from '../../../src/core/config/schema.js';

export const FAKE_INPUT = { height: 60, width: 80 };

export function armContract(arm: ArmDescription, fields: readonly string[] = arm.jointNames): ModelContract {
  return {
    version: 1,
    id: 'fake-arm',
    profile: 'arm',
    inputs: [
      {
        name: 'image', role: 'camera', shape: [1, 3, FAKE_INPUT.height, FAKE_INPUT.width], dtype: 'float32', layout: 'NCHW', color: 'rgb',
        normalize: { scale: 1 / 255, mean: [0], std: [1] }, crop: { top: 0, bottom: 0, left: 0, right: 0 }, undistort: false,
      },
      { name: 'joint_state', role: 'state', shape: [1, arm.jointNames.length], dtype: 'float32', fields: [...arm.jointNames] },
    ],
    outputs: [
      {
        name: 'action', shape: [1, fields.length], dtype: 'float32',
        fields: fields.map((name) => {
          const l = arm.limits.find((x) => x.name === name) ?? { lower: -1, upper: 1 };
          return { name, unit: 'rad', scale: (l.upper - l.lower) / 2, offset: (l.upper + l.lower) / 2 };
        }),
      },
    ],
  };
}

export class FakeArmPolicy implements Policy {
  readonly contract: ModelContract;
  readonly modelPath = 'fake-arm.onnx';
  readonly activeProvider = 'cpu' as const;
  readonly attempts = [];
  readonly providerSummary = 'cpu (fake arm policy)';
  readonly startup = { modelPath: 'fake-arm.onnx', active: 'cpu', attempts: [], cpuAppended: false, thread: 'main', outputs: 'host', notes: [] } as unknown as ProviderStartup;
  readonly inputs: ReadonlyMap<string, Float32Array>;
  readonly output: Float32Array;
  readonly concurrent = false;
  /** Every state vector the runtime fed (copies). */
  readonly statesSeen: Float32Array[] = [];
  runs = 0;
  disposed = false;

  constructor(arm: ArmDescription, readonly decide: (state: Float32Array, out: Float32Array) => void, fields?: readonly string[]) {
    this.contract = armContract(arm, fields);
    const n = arm.jointNames.length;
    this.inputs = new Map([
      ['image', new Float32Array(3 * FAKE_INPUT.height * FAKE_INPUT.width)],
      ['joint_state', new Float32Array(n)],
    ]);
    this.output = new Float32Array(fields?.length ?? n);
  }

  async run(): Promise<void> {
    this.runs++;
    const state = this.inputs.get('joint_state')!;
    this.statesSeen.push(state.slice());
    this.decide(state, this.output);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** launch/arm.yaml (the runtime's arm profile), on the in-process transport, optionally at another rate. */
export function armRuntimeConfig(overrides: { rateHz?: number; jointStatesTopic?: string } = {}): PilotConfig {
  const base = loadConfig('launch/arm.yaml');
  return {
    ...base,
    transport: { ...base.transport, kind: 'inprocess' },
    loop: { ...base.loop, rate_hz: overrides.rateHz ?? base.loop.rate_hz },
    arm: { ...base.arm!, joint_states: { ...base.arm!.joint_states, ...(overrides.jointStatesTopic ? { topic: overrides.jointStatesTopic } : {}) } },
  };
}
