/**
 * A tiny, deterministic chunked driving policy for tests and benchmarks: camera in, a chunk of `steps`
 * future (steering, speed) actions out, with the contract's `chunk: { steps, step_ms }`.
 *
 * The network is analytic, not learned, so a test can compute what it must output:
 *   m = per-channel mean of the normalised image (pixels / 255, in [0, 1])
 *   steering_raw[i] = tanh(gain · (m_r − m_b) + slope · (i − (steps − 1) / 2))
 *   speed_raw[i]    = tanh(speedBias)
 * and the contract maps raw → physical as the PilotNet contract does (steering ±maxSteeringRad,
 * speed 0…maxSpeedMps). The ramp over i makes every action of a chunk different, so time indexing shows.
 * Graph: GlobalAveragePool → Flatten → Gemm → Tanh → Reshape to [1, steps, 2] (or [steps, 2]).
 */
import { CONTRACT_METADATA_KEY, CONTRACT_VERSION, ModelContract } from '../../runtime/policy/contract.js';
import { OnnxModelBuilder } from './onnx-graph.js';

export interface ChunkedPolicyOptions {
  /** Actions per chunk. Default 20. */
  readonly steps?: number;
  /** Time between actions, ms. Default 10 (100 Hz). */
  readonly stepMs?: number;
  /** Camera input size. Default 240×320 (the bundled calibration's frame, no resize). */
  readonly height?: number;
  readonly width?: number;
  /** `[1, steps, 2]` (default) or `[steps, 2]`. */
  readonly batchDim?: boolean;
  readonly id?: string;
  /** Steering response to red minus blue (normalised means). Default 2. */
  readonly gain?: number;
  /** Steering change per step (before tanh). Default 0.05. */
  readonly slope?: number;
  /** Speed before tanh. Default 0.5. */
  readonly speedBias?: number;
  readonly maxSteeringRad?: number;
  readonly maxSpeedMps?: number;
}

export interface ChunkedPolicyModel {
  readonly bytes: Uint8Array;
  readonly contract: ModelContract;
  /** The raw output for per-channel means `m` (for tests): [steps · 2], step-major. */
  expectedRaw(m: readonly [number, number, number]): Float32Array;
}

export const CHUNKED_INPUT = 'image';
export const CHUNKED_OUTPUT = 'actions';

export function buildChunkedPolicy(options: ChunkedPolicyOptions = {}): ChunkedPolicyModel {
  const steps = options.steps ?? 20;
  const stepMs = options.stepMs ?? 10;
  const height = options.height ?? 240;
  const width = options.width ?? 320;
  const gain = options.gain ?? 2;
  const slope = options.slope ?? 0.05;
  const speedBias = options.speedBias ?? 0.5;
  const batchDim = options.batchDim ?? true;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`buildChunkedPolicy: steps must be a positive integer, got ${steps}`);
  const outShape = batchDim ? [1, steps, 2] : [steps, 2];
  const contract = chunkedContract({
    id: options.id ?? `chunked-test-${steps}x${stepMs}ms`,
    steps,
    stepMs,
    height,
    width,
    outShape,
    maxSteeringRad: options.maxSteeringRad ?? 0.5,
    maxSpeedMps: options.maxSpeedMps ?? 5,
  });

  // Gemm weights [out, in] with transB: out row 2i is steering of step i, 2i+1 its speed.
  const weights = new Float32Array(steps * 2 * 3);
  const bias = new Float32Array(steps * 2);
  const centre = (steps - 1) / 2;
  for (let i = 0; i < steps; i++) {
    weights.set([gain, 0, -gain], 2 * i * 3);
    bias[2 * i] = slope * (i - centre);
    bias[2 * i + 1] = speedBias;
  }
  const g = new OnnxModelBuilder({ graphName: 'chunked_policy', docString: `Analytic chunked driving policy: ${steps} actions × ${stepMs} ms (tests and benchmarks).` });
  const x = g.input(CHUNKED_INPUT, [1, 3, height, width]);
  const [pooled] = g.node('GlobalAveragePool', [x]);
  const flat = g.flatten(pooled!, 1);
  const w = g.initializer('head.weight', weights, [steps * 2, 3]);
  const b = g.initializer('head.bias', bias, [steps * 2]);
  const raw = g.tanh(g.gemm(flat, w, b, { transB: true }));
  const shape = g.initializerInt64('chunk_shape', outShape);
  g.reshape(raw, shape, CHUNKED_OUTPUT);
  g.output(CHUNKED_OUTPUT, outShape);
  g.setMetadata(CONTRACT_METADATA_KEY, JSON.stringify(contract));

  const expectedRaw = (m: readonly [number, number, number]): Float32Array => {
    const out = new Float32Array(steps * 2);
    for (let i = 0; i < steps; i++) {
      out[2 * i] = Math.tanh(gain * (m[0] - m[2]) + bias[2 * i]!);
      out[2 * i + 1] = Math.tanh(speedBias);
    }
    return out;
  };
  return { bytes: g.encodeModel(), contract, expectedRaw };
}

interface ChunkedContractOptions {
  readonly id: string;
  readonly steps: number;
  readonly stepMs: number;
  readonly height: number;
  readonly width: number;
  readonly outShape: readonly number[];
  readonly maxSteeringRad: number;
  readonly maxSpeedMps: number;
}

function chunkedContract(o: ChunkedContractOptions): ModelContract {
  return ModelContract.parse({
    version: CONTRACT_VERSION,
    id: o.id,
    profile: 'vehicle',
    inputs: [
      {
        name: CHUNKED_INPUT,
        role: 'camera',
        shape: [1, 3, o.height, o.width],
        dtype: 'float32',
        layout: 'NCHW',
        color: 'rgb',
        normalize: { scale: 1 / 255, mean: [0], std: [1] },
        crop: { top: 0, bottom: 0, left: 0, right: 0 },
        undistort: false,
      },
    ],
    outputs: [
      {
        name: CHUNKED_OUTPUT,
        shape: [...o.outShape],
        dtype: 'float32',
        fields: [
          { name: 'steering_angle', unit: 'rad', scale: o.maxSteeringRad, offset: 0 },
          { name: 'speed', unit: 'm/s', scale: o.maxSpeedMps / 2, offset: o.maxSpeedMps / 2 },
        ],
        chunk: { steps: o.steps, step_ms: o.stepMs },
      },
    ],
  });
}
