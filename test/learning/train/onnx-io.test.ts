import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxModelBuilder } from '../../../src/learning/export/onnx-graph.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { checkContractAgainstGraph } from '../../../src/runtime/policy/policy-session.js';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { SYMMETRIC_NORMALIZE } from '../../../src/learning/train/frames.js';
import { DRIVING_NETWORK, geometryHead, Network, type NetworkArchitecture } from '../../../src/learning/train/network.js';
import {
  BACKBONE_METADATA_KEY,
  exportBackboneOnnx,
  exportPolicyOnnx,
  exportPretrainOnnx,
  loadNetwork,
  readNetworkOnnx,
  type CameraPreprocessing,
} from '../../../src/learning/train/onnx-io.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { nhwcToNchw, TINY } from './helpers.js';

const camera: CameraPreprocessing = { color: 'rgb', normalize: SYMMETRIC_NORMALIZE, crop: { top: 0.4, bottom: 0.1, left: 0, right: 0 }, undistort: false };
const policyOptions = { id: 'tiny-policy', camera, maxSteeringRad: 0.45, maxSpeedMps: 4 };

let net: Network;
beforeAll(async () => {
  await initTrainingBackend();
  net = new Network(TINY, { seed: 7 });
  // Non-zero biases, so a bias lost in export would show.
  const w = net.getWeights();
  const random = mulberry32(8);
  net.setWeights(new Map([...w].filter(([k]) => k.endsWith('.bias')).map(([k, v]) => [k, uniform(random, v.length, 0.2)])));
});
afterAll(() => net.dispose());

/** ORT output for NCHW inputs vs tfjs forward on the same images in NHWC. */
async function compare(bytes: Uint8Array, output: string, tfjs: (x: tf.Tensor4D) => tf.Tensor2D, arch: NetworkArchitecture, batch = 1): Promise<number> {
  const { height: h, width: w } = arch.backbone.input;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  let worst = 0;
  try {
    const random = mulberry32(31);
    for (let trial = 0; trial < 3; trial++) {
      const nhwc = uniform(random, batch * h * w * 3, 1.5);
      const nchw = nhwcToNchw(nhwc, batch, h, w);
      const result = await session.run({ image: new ort.Tensor('float32', nchw, [batch, 3, h, w]) });
      const got = result[output]!.data as Float32Array;
      const want = tf.tidy(() => tfjs(tf.tensor4d(nhwc, [batch, h, w, 3])).dataSync());
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    }
  } finally {
    await session.release();
  }
  return worst;
}

function sameWeights(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, v] of a) expect(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength)), k).toBe(true);
}

describe('ONNX export', () => {
  it('policy: ORT matches tfjs within 1e-5 and the contract passes the runtime checks', async () => {
    const { bytes, contract } = exportPolicyOnnx(net, policyOptions);
    expect(await compare(bytes, 'action', (x) => net.forward(x), TINY)).toBeLessThan(1e-5);
    const info = readOnnxInfo(bytes, 'policy');
    expect(info.inputs).toEqual([{ name: 'image', dims: [1, 3, 12, 20], elemType: 'float' }]);
    expect(info.outputs).toEqual([{ name: 'action', dims: [1, 2], elemType: 'float' }]);
    expect(info.opTypes).toEqual({ Conv: 2, Elu: 4, Transpose: 1, Flatten: 1, Gemm: 3, Tanh: 1 });
    expect(info.parameterCount).toBe(net.parameterCount);
    const parsed = parseContract(info.metadata[CONTRACT_METADATA_KEY], 'policy');
    expect(parsed).toEqual(contract);
    checkContractAgainstGraph(parsed, info, 'policy');
    const [steer, speed] = parsed.outputs[0]!.fields;
    expect([steer!.name, steer!.unit, steer!.scale, steer!.offset]).toEqual(['steering_angle', 'rad', 0.45, 0]);
    expect([speed!.name, speed!.unit, speed!.scale, speed!.offset]).toEqual(['speed', 'm/s', 2, 2]);
    const cam = parsed.inputs[0]!;
    expect(cam.role === 'camera' && [cam.layout, cam.color, cam.crop.top, cam.normalize.std]).toEqual(['NCHW', 'rgb', 0.4, [0.5, 0.5, 0.5]]);
  });

  it('the default driving network (48×128, 268k parameters) matches ORT within 1e-5', async () => {
    const driving = new Network(DRIVING_NETWORK, { seed: 2 });
    const { bytes } = exportPolicyOnnx(driving, { ...policyOptions, id: 'driving' });
    expect(readOnnxInfo(bytes, 'driving').inputs[0]!.dims).toEqual([1, 3, 48, 128]);
    expect(await compare(bytes, 'action', (x) => driving.forward(x), DRIVING_NETWORK)).toBeLessThan(1e-5);
    driving.dispose();
  });

  it('policy with a symbolic batch runs several images at once', async () => {
    const { bytes } = exportPolicyOnnx(net, { ...policyOptions, dynamicBatch: true });
    expect(await compare(bytes, 'action', (x) => net.forward(x), TINY, 4)).toBeLessThan(1e-5);
  });

  it('backbone and pretraining networks match tfjs within 1e-5', async () => {
    const backbone = exportBackboneOnnx(net, { camera, provenance: { data: 'synthetic' } });
    expect(await compare(backbone, 'features', (x) => net.features(x), TINY)).toBeLessThan(1e-5);
    const info = readOnnxInfo(backbone, 'backbone');
    expect(info.outputs).toEqual([{ name: 'features', dims: [1, 8], elemType: 'float' }]);
    const meta = JSON.parse(info.metadata[BACKBONE_METADATA_KEY]!);
    expect(meta).toMatchObject({ version: 1, kind: 'backbone', backbone: TINY.backbone, input: { shape: [1, 3, 12, 20], crop: camera.crop }, provenance: { data: 'synthetic' } });
    expect(meta.head).toBeUndefined();

    const arch = { backbone: TINY.backbone, head: geometryHead(['offset', 'heading', 'curvature']) };
    const pre = new Network(arch, { seed: 3 });
    const bytes = exportPretrainOnnx(pre, { camera });
    expect(await compare(bytes, 'geometry', (x) => pre.forward(x), arch)).toBeLessThan(1e-5);
    expect(readOnnxInfo(bytes, 'pretrain').opTypes.Tanh).toBeUndefined();
    pre.dispose();
  });

  it('refuses a network that is not a vehicle policy', () => {
    const geo = new Network({ backbone: TINY.backbone, head: geometryHead(['a', 'b']) });
    expect(() => exportPolicyOnnx(geo, policyOptions)).toThrow(/E_TRAIN_EXPORT: policy 'tiny-policy': a vehicle policy outputs \[steering_angle, speed\], this network outputs \[a, b\]/);
    expect(() => exportPolicyOnnx(net, { ...policyOptions, maxSpeedMps: 0 })).toThrow(/E_TRAIN_EXPORT/);
    expect(() => exportPolicyOnnx(net, { ...policyOptions, camera: { ...camera, crop: { ...camera.crop, top: 0.95 } } })).toThrow(/E_MODEL_CONTRACT: .*crop leaves no pixels/);
    geo.dispose();
  });
});

describe('ONNX import', () => {
  it('round-trips every weight exactly (policy, backbone, pretraining network)', () => {
    const policy = readNetworkOnnx(exportPolicyOnnx(net, policyOptions).bytes, 'policy.onnx');
    expect(policy.metadata.kind).toBe('policy');
    expect(policy.metadata.head).toEqual(TINY.head);
    sameWeights(policy.weights, net.getWeights());
    const again = loadNetwork(policy, 'policy.onnx');
    sameWeights(again.getWeights(), net.getWeights());
    again.dispose();

    const backbone = readNetworkOnnx(exportBackboneOnnx(net, { camera, provenance: { steps: 3 } }), 'bb.onnx');
    expect(backbone.metadata.provenance).toEqual({ steps: 3 });
    expect(backbone.metadata.input).toMatchObject(camera);
    const own = new Map([...net.getWeights()].filter(([k]) => k.startsWith('backbone.')));
    sameWeights(backbone.weights, own);
    // A fresh head on the loaded backbone: backbone weights from the file, head from the seed.
    const policyOnBackbone = loadNetwork(backbone, 'bb.onnx', { head: TINY.head, seed: 9 });
    const w = policyOnBackbone.getWeights();
    for (const [k, v] of own) expect(w.get(k)).toEqual(v);
    const fresh = new Network(TINY, { seed: 9 });
    expect(w.get('head.out.weight')).toEqual(fresh.getWeights().get('head.out.weight'));
    // The saved input description passes straight on as the camera of the next export.
    const next = readNetworkOnnx(exportPolicyOnnx(policyOnBackbone, { ...policyOptions, camera: backbone.metadata.input }).bytes, 'next.onnx');
    expect(next.metadata.input).toEqual(backbone.metadata.input);
    [policyOnBackbone, fresh].forEach((n) => n.dispose());
  });

  it('names what is wrong with a base model (E_BASE_MODEL)', () => {
    const backboneBytes = exportBackboneOnnx(net, { camera });
    expect(() => loadNetwork(readNetworkOnnx(backboneBytes, 'bb.onnx'), 'bb.onnx')).toThrow(/E_BASE_MODEL: bb.onnx is a backbone \(no head\)/);

    const g = new OnnxModelBuilder({ graphName: 'x' });
    g.output(g.relu(g.input('image', [1, 3, 12, 20])), [1, 3, 12, 20]);
    expect(() => readNetworkOnnx(g.encodeModel(), 'other.onnx')).toThrow(/E_BASE_MODEL: other.onnx: no 'pilot.backbone' or 'pilot.network' metadata/);

    // Metadata that claims a different architecture than the weights.
    const model = onnx.ModelProto.decode(backboneBytes);
    const entry = model.metadataProps.find((p) => p.key === BACKBONE_METADATA_KEY)!;
    const meta = JSON.parse(entry.value!);
    meta.backbone.convs[1].filters = 7;
    entry.value = JSON.stringify(meta);
    const tampered = onnx.ModelProto.encode(model).finish();
    expect(() => readNetworkOnnx(tampered, 'bb.onnx')).toThrow(/E_BASE_MODEL: bb.onnx: initializer 'backbone.conv2.weight' has dims \[6,4,3,3\], the architecture in the metadata needs \[7,4,3,3\]/);

    meta.backbone.activation = 'gelu';
    entry.value = JSON.stringify(meta);
    expect(() => readNetworkOnnx(onnx.ModelProto.encode(model).finish(), 'bb.onnx')).toThrow(/E_BASE_MODEL: bb.onnx: network metadata.backbone.activation/);
    entry.value = '{not json';
    expect(() => readNetworkOnnx(onnx.ModelProto.encode(model).finish(), 'bb.onnx')).toThrow(/E_BASE_MODEL: bb.onnx: network metadata is not JSON/);
    expect(() => readNetworkOnnx(new Uint8Array([1, 2, 3]), 'junk.onnx')).toThrow(/E_MODEL_FORMAT/);
  });
});
