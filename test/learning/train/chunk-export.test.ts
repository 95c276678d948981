import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { parseConfig } from '../../../src/core/config/load.js';
import { chunkTargetNames } from '../../../src/learning/export/chunk-fields.js';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { SYMMETRIC_NORMALIZE } from '../../../src/learning/train/frames.js';
import { Network, type NetworkArchitecture } from '../../../src/learning/train/network.js';
import { exportPolicyOnnx, loadNetwork, readNetworkOnnx, type CameraPreprocessing } from '../../../src/learning/train/onnx-io.js';
import { chunkOf, CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';
import { tmp } from '../finetune/helpers.js';
import { nhwcToNchw, TINY } from './helpers.js';

const CHUNK = { steps: 3, step_ms: 50 };
const ARCH: NetworkArchitecture = { backbone: TINY.backbone, head: { ...TINY.head, outputs: chunkTargetNames(['steering_angle', 'speed'], CHUNK) } };
const camera: CameraPreprocessing = { color: 'rgb', normalize: SYMMETRIC_NORMALIZE, crop: { top: 0.4, bottom: 0.1, left: 0, right: 0 }, undistort: false };
const options = { id: 'tiny-chunked', camera, maxSteeringRad: 0.45, maxSpeedMps: 4, chunk: CHUNK };

let net: Network;
beforeAll(async () => {
  await initTrainingBackend();
  net = new Network(ARCH, { seed: 7 });
  const random = mulberry32(8);
  net.setWeights(new Map([...net.getWeights()].filter(([k]) => k.endsWith('.bias')).map(([k, v]) => [k, uniform(random, v.length, 0.3)])));
});
afterAll(() => net.dispose());

/** ORT's output for `batch` random images beside tfjs's forward pass (count × steps·2, step-major). */
async function run(bytes: Uint8Array, batch: number): Promise<{ got: Float32Array; dims: readonly number[]; want: Float32Array }> {
  const { height: h, width: w } = ARCH.backbone.input;
  const nhwc = uniform(mulberry32(31), batch * h * w * 3, 1.5);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({ image: new ort.Tensor('float32', nhwcToNchw(nhwc, batch, h, w), [batch, 3, h, w]) });
    const want = tf.tidy(() => net.forward(tf.tensor4d(nhwc, [batch, h, w, 3])).dataSync() as Float32Array);
    return { got: result['action']!.data as Float32Array, dims: result['action']!.dims, want };
  } finally {
    await session.release();
  }
}

describe('exporting a chunked driving policy', () => {
  it('outputs [1, steps, 2], step-major as the head, with the contract chunk the runtime loads', async () => {
    const { bytes, contract } = exportPolicyOnnx(net, options);
    const info = readOnnxInfo(bytes, 'chunked');
    expect(info.outputs).toEqual([{ name: 'action', dims: [1, 3, 2], elemType: 'float' }]);
    expect(info.opTypes.Reshape).toBe(1);
    const parsed = parseContract(info.metadata[CONTRACT_METADATA_KEY], 'chunked');
    expect(parsed).toEqual(contract);
    expect(chunkOf(parsed)).toEqual(CHUNK);
    expect(parsed.outputs[0]!.shape).toEqual([1, 3, 2]);
    expect(parsed.outputs[0]!.fields.map((f) => f.name)).toEqual(['steering_angle', 'speed']);
    const { got, dims, want } = await run(bytes, 1);
    expect(dims).toEqual([1, 3, 2]);
    expect(got.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);

    const path = join(tmp('pilot-chunk-export-'), 'chunked.onnx');
    writeFileSync(path, bytes);
    const policy = await PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 0, inference_thread: 'main' } }, 't', '/').model, log: () => {} });
    expect(chunkOf(policy.contract)).toEqual(CHUNK);
    await policy.dispose();
  });

  it('runs a batch with a symbolic batch dimension, and loads back for further training', async () => {
    const { bytes } = exportPolicyOnnx(net, { ...options, dynamicBatch: true });
    const { got, dims, want } = await run(bytes, 4);
    expect(dims).toEqual([4, 3, 2]);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    const back = loadNetwork(readNetworkOnnx(bytes, 'chunked'), 'chunked');
    expect(back.architecture.head.outputs).toEqual(ARCH.head.outputs);
    back.dispose();
  });

  it('refuses a head that does not output the chunk, naming both', () => {
    const single = new Network(TINY, { seed: 1 });
    expect(() => exportPolicyOnnx(single, options)).toThrow(/E_TRAIN_EXPORT: policy 'tiny-chunked': a vehicle policy outputs the chunk \[steering_angle, speed, …, speed\+100ms\] \(6 outputs\), this network outputs \[steering_angle, speed\]/);
    expect(() => exportPolicyOnnx(net, { ...options, chunk: undefined })).toThrow(/outputs \[steering_angle, speed\], this network outputs \[steering_angle, speed, steering_angle\+50ms/);
    expect(() => exportPolicyOnnx(net, { ...options, chunk: { steps: 0, step_ms: 50 } })).toThrow(/E_CHUNK_CONFIG: policy 'tiny-chunked': chunk steps must be an integer/);
    single.dispose();
  });
});
