/** Networks with a state input (arm policies): forward, training with cached features, ONNX export/import. */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { checkContractAgainstGraph } from '../../../src/runtime/policy/policy-session.js';
import { initTrainingBackend } from '../../../src/learning/train/backend.js';
import { SYMMETRIC_NORMALIZE, type LabelledFrames } from '../../../src/learning/train/frames.js';
import { describeLayers, Network, type NetworkArchitecture } from '../../../src/learning/train/network.js';
import { armActionFields, armStateArchitecture, exportArmPolicyOnnx, exportPolicyOnnx, loadNetwork, NETWORK_METADATA_KEY, readNetworkOnnx, type ArmJoint, type CameraPreprocessing } from '../../../src/learning/train/onnx-io.js';
import { trainNetwork } from '../../../src/learning/train/trainer.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { barFrames, nhwcToNchw, TINY } from './helpers.js';

const JOINTS: ArmJoint[] = [
  { name: 'j_pan', lower: -2.6, upper: 2.6 },
  { name: 'j_lift', lower: -1.7, upper: 1.7 },
  { name: 'j_elbow', lower: -0.2, upper: 2.6 },
];
const NAMES = JOINTS.map((j) => j.name);
const ARM: NetworkArchitecture = {
  backbone: TINY.backbone,
  head: { hidden: [6], outputs: NAMES, outputActivation: 'tanh', state: armStateArchitecture(JOINTS) },
};
const camera: CameraPreprocessing = { color: 'rgb', normalize: SYMMETRIC_NORMALIZE, crop: { top: 0, bottom: 0, left: 0, right: 0 }, undistort: false };

let net: Network;
beforeAll(async () => {
  await initTrainingBackend();
  net = new Network(ARM, { seed: 7 });
  const random = mulberry32(8);
  net.setWeights(new Map([...net.getWeights()].filter(([k]) => k.endsWith('.bias')).map(([k, v]) => [k, uniform(random, v.length, 0.2)])));
});
afterAll(() => net.dispose());

/** Joint positions inside the limits, `count × n`. */
function jointStates(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count * JOINTS.length);
  for (let i = 0; i < count; i++) JOINTS.forEach((j, q) => (out[i * JOINTS.length + q] = j.lower + random() * (j.upper - j.lower)));
  return out;
}

describe('Network with a state input', () => {
  it('widens the first head layer by the state size and normalises the state before concatenating it', () => {
    const layers = describeLayers(ARM);
    expect(layers.find((l) => l.name === 'head.fc1')!.weightShape).toEqual([8 + 3, 6]);
    expect(net.stateNames).toEqual(NAMES);
    const x = tf.tensor4d(uniform(mulberry32(2), 2 * 12 * 20 * 3, 1), [2, 12, 20, 3]);
    const s = tf.tensor2d(jointStates(2, 3), [2, 3]);
    const out = net.forward(x, { state: s });
    // Same as the head on [features ‖ (s − offset) / scale], computed by hand here.
    const { offset, scale } = ARM.head.state!;
    const manual = tf.tidy(() => {
      const f = net.features(x);
      const sn = tf.div(tf.sub(s, tf.tensor1d(offset as number[])), tf.tensor1d(scale as number[]));
      const h = tf.elu(tf.add(tf.matMul(tf.concat([f, sn], 1), tf.tensor(net.getWeights().get('head.fc1.weight')!, [11, 6])), tf.tensor1d(net.getWeights().get('head.fc1.bias')!)));
      return tf.tanh(tf.add(tf.matMul(h, tf.tensor(net.getWeights().get('head.out.weight')!, [6, 3])), tf.tensor1d(net.getWeights().get('head.out.bias')!)));
    });
    const a = out.dataSync();
    manual.dataSync().forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 5));
    tf.dispose([x, s, out, manual]);
  });

  it('the state changes the outputs; the fused path and head(features) agree', () => {
    const x = tf.tensor4d(uniform(mulberry32(4), 12 * 20 * 3, 1), [1, 12, 20, 3]);
    const s1 = tf.tensor2d([[0, 0, 1]]);
    const s2 = tf.tensor2d([[1.5, -1, 0.2]]);
    const [a, b, fused, viaHead] = [
      net.forward(x, { state: s1 }),
      net.forward(x, { state: s2 }),
      net.forward(x, { state: s2, fused: true }),
      tf.tidy(() => net.head(net.features(x), { state: s2 })),
    ].map((t) => {
      const d = t.dataSync().slice();
      t.dispose();
      return d;
    });
    expect(Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)))).toBeGreaterThan(1e-3);
    fused!.forEach((v, i) => expect(v).toBeCloseTo(b![i]!, 5));
    viaHead!.forEach((v, i) => expect(v).toBeCloseTo(b![i]!, 6));
    tf.dispose([x, s1, s2]);
  });

  it('names a missing, unexpected or misshapen state', () => {
    const x = tf.zeros([2, 12, 20, 3]) as tf.Tensor4D;
    expect(() => net.forward(x)).toThrow(/E_TRAIN_DATA: this network takes a state input \[j_pan, j_lift, j_elbow\]; none was given/);
    const bad = tf.zeros([2, 2]) as tf.Tensor2D;
    expect(() => net.forward(x, { state: bad })).toThrow(/E_TRAIN_DATA: state has shape \[2,2\], expected \[2,3\]/);
    const plain = new Network(TINY);
    expect(() => plain.forward(x, { state: bad })).toThrow(/E_TRAIN_DATA: a state of shape \[2,2\] was given, but this network has no state input/);
    expect(() => new Network({ ...ARM, head: { ...ARM.head, state: { names: ['a', 'a'], offset: [0, 0], scale: [1, 1] } } })).toThrow(/E_TRAIN_ARCH: head.state: names \[a, a\] repeat a name/);
    expect(() => describeLayers({ ...ARM, head: { ...ARM.head, state: { names: ['a'], offset: [0], scale: [0] } } })).toThrow(/E_TRAIN_ARCH: head.state: a: offset 0 \/ scale 0/);
    const before = tf.memory().numTensors;
    const s = tf.zeros([2, 3]) as tf.Tensor2D;
    tf.dispose([net.forward(x, { state: s }), net.forward(x, { state: s, fused: true })]);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, bad]);
    plain.dispose();
  });
});

/**
 * Frames whose first target depends on the image only (bar column) and whose second on the state only
 * (j_elbow, normalised); the third is constant.
 */
function imageAndStateFrames(count: number, seed: number): LabelledFrames {
  const bars = barFrames(count, seed);
  const states = jointStates(count, seed + 100);
  const targets = new Float32Array(count * 3);
  const [, , elbow] = armActionFields(JOINTS);
  for (let i = 0; i < count; i++) {
    targets[i * 3] = bars.targets[i * 2]!;
    targets[i * 3 + 1] = 0.8 * ((states[i * 3 + 2]! - elbow!.offset) / elbow!.scale);
    targets[i * 3 + 2] = 0.25;
  }
  return { images: bars.images, height: bars.height, width: bars.width, targets, targetNames: NAMES, count, states, stateNames: NAMES };
}

describe('trainNetwork with a state input', () => {
  for (const mode of ['head', 'full'] as const) {
    it(`${mode} mode learns a target that depends only on the state${mode === 'head' ? ' (features cached, state concatenated per row)' : ''}`, async () => {
      const model = new Network(ARM, { seed: 5 });
      const train = imageAndStateFrames(256, 1);
      const validation = imageAndStateFrames(64, 2);
      const result = await trainNetwork(model, { train: { frames: train }, validation: { frames: validation } }, { mode, epochs: mode === 'head' ? 60 : 25, patience: 60, learningRate: 1e-2, seed: 3, batchSize: 32 });
      expect(result.trainRows).toBe(256);
      // Error on the state-driven target: a network that ignored the state could do no better than its spread.
      const pred = tf.tidy(() => {
        const x = new Float32Array(validation.images.length);
        for (let i = 0; i < x.length; i++) x[i] = validation.images[i]! / 127.5 - 1;
        return model.forward(tf.tensor4d(x, [64, 12, 20, 3]), { state: tf.tensor2d(validation.states!, [64, 3]) }).dataSync();
      });
      let err = 0;
      let spread = 0;
      let mean = 0;
      for (let i = 0; i < 64; i++) mean += validation.targets[i * 3 + 1]! / 64;
      for (let i = 0; i < 64; i++) {
        err += Math.abs(pred[i * 3 + 1]! - validation.targets[i * 3 + 1]!) / 64;
        spread += Math.abs(validation.targets[i * 3 + 1]! - mean) / 64;
      }
      expect(spread).toBeGreaterThan(0.3);
      expect(err).toBeLessThan(spread / 4);
      model.dispose();
    }, 20_000);
  }

  it('refuses frames without the states the network takes, or with other state names', async () => {
    const model = new Network(ARM, { seed: 5 });
    const frames = imageAndStateFrames(8, 1);
    const { states: _s, stateNames: _n, ...noStates } = frames;
    await expect(trainNetwork(model, { train: { frames: noStates } }, { epochs: 1 })).rejects.toThrow(/E_TRAIN_DATA: training set: the network has a state input \[j_pan, j_lift, j_elbow\], the frames carry no states/);
    await expect(trainNetwork(model, { train: { frames: { ...frames, stateNames: ['a', 'b', 'c'] } } }, { epochs: 1 })).rejects.toThrow(/states \[a, b, c\] do not match/);
    const nan = frames.states!.slice();
    nan[4] = NaN;
    await expect(trainNetwork(model, { train: { frames: { ...frames, states: nan } } }, { epochs: 1 })).rejects.toThrow(/state j_lift of frame 1 is NaN/);
    model.dispose();
  });
});

/** ORT on NCHW images + states vs tfjs. */
async function compare(bytes: Uint8Array, network: Network, batch = 1): Promise<number> {
  const { height: h, width: w } = network.architecture.backbone.input;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  let worst = 0;
  try {
    const random = mulberry32(31);
    for (let trial = 0; trial < 3; trial++) {
      const nhwc = uniform(random, batch * h * w * 3, 1.5);
      const nchw = nhwcToNchw(nhwc, batch, h, w);
      const state = jointStates(batch, 40 + trial);
      const result = await session.run({ image: new ort.Tensor('float32', nchw, [batch, 3, h, w]), joint_state: new ort.Tensor('float32', state, [batch, JOINTS.length]) });
      const got = result['action']!.data as Float32Array;
      const want = tf.tidy(() => network.forward(tf.tensor4d(nhwc, [batch, h, w, 3]), { state: tf.tensor2d(state, [batch, JOINTS.length]) }).dataSync());
      expect(got.length).toBe(want.length);
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    }
  } finally {
    await session.release();
  }
  return worst;
}

describe('arm policy ONNX export', () => {
  it('ORT matches tfjs within 1e-5 including the joint state; the arm contract passes the runtime checks', async () => {
    const { bytes, contract } = exportArmPolicyOnnx(net, { id: 'tiny-arm', camera, joints: JOINTS });
    expect(await compare(bytes, net)).toBeLessThan(1e-5);
    const info = readOnnxInfo(bytes, 'arm');
    expect(info.inputs).toEqual([
      { name: 'image', dims: [1, 3, 12, 20], elemType: 'float' },
      { name: 'joint_state', dims: [1, 3], elemType: 'float' },
    ]);
    expect(info.outputs).toEqual([{ name: 'action', dims: [1, 3], elemType: 'float' }]);
    expect(info.opTypes).toMatchObject({ Concat: 1, Sub: 1, Div: 1, Tanh: 1 });
    const parsed = parseContract(info.metadata[CONTRACT_METADATA_KEY], 'arm');
    expect(parsed).toEqual(contract);
    checkContractAgainstGraph(parsed, info, 'arm');
    expect(parsed.profile).toBe('arm');
    expect(parsed.inputs[1]).toEqual({ name: 'joint_state', role: 'state', shape: [1, 3], dtype: 'float32', fields: NAMES });
    expect(parsed.outputs[0]!.fields).toEqual([
      { name: 'j_pan', unit: 'rad', scale: 2.6, offset: 0 },
      { name: 'j_lift', unit: 'rad', scale: 1.7, offset: 0 },
      { name: 'j_elbow', unit: 'rad', scale: expect.closeTo(1.4, 12), offset: expect.closeTo(1.2, 12) },
    ]);
    // The outputs are the network's raw tanh values; the contract maps ±1 to each joint's limits.
    const e = parsed.outputs[0]!.fields[2]!;
    expect([e.offset - e.scale, e.offset + e.scale].map((v) => Number(v.toFixed(9)))).toEqual([-0.2, 2.6]);
  });

  it('with a symbolic batch runs several images and states at once', async () => {
    const { bytes } = exportArmPolicyOnnx(net, { id: 'tiny-arm', camera, joints: JOINTS, dynamicBatch: true });
    expect(await compare(bytes, net, 4)).toBeLessThan(1e-5);
  });

  it('round-trips exactly, state normalisation included, and trains on from the file', () => {
    const saved = readNetworkOnnx(exportArmPolicyOnnx(net, { id: 'tiny-arm', camera, joints: JOINTS }).bytes, 'arm.onnx');
    expect(saved.metadata.kind).toBe('policy');
    expect(saved.metadata.head).toEqual(ARM.head);
    expect(saved.metadata.state).toEqual({ name: 'joint_state', size: 3 });
    const again = loadNetwork(saved, 'arm.onnx');
    const want = net.getWeights();
    for (const [k, v] of again.getWeights()) expect(Buffer.from(v.buffer).equals(Buffer.from(want.get(k)!.buffer)), k).toBe(true);
    const x = tf.tensor4d(uniform(mulberry32(9), 12 * 20 * 3, 1), [1, 12, 20, 3]);
    const s = tf.tensor2d([[0.3, -0.4, 1.1]]);
    expect(Array.from(again.forward(x, { state: s }).dataSync())).toEqual(Array.from(net.forward(x, { state: s }).dataSync()));
    tf.dispose([x, s]);
    again.dispose();
    // A backbone file gets a fresh arm head with the state input.
    const meta = JSON.parse(readOnnxInfo(exportArmPolicyOnnx(net, { id: 'a', camera, joints: JOINTS }).bytes, 'a').metadata[NETWORK_METADATA_KEY]!);
    expect(meta.head.state.names).toEqual(NAMES);
  });

  it('refuses a network whose outputs or state input are not the joints, and a state network as a vehicle policy', () => {
    expect(() => exportArmPolicyOnnx(net, { id: 'x', camera, joints: [...JOINTS].reverse() })).toThrow(/E_TRAIN_EXPORT: arm policy 'x': the action fields must be the arm's joints \[j_elbow, j_lift, j_pan\]; this network outputs \[j_pan, j_lift, j_elbow\]/);
    const noState = new Network({ ...ARM, head: { hidden: [6], outputs: NAMES, outputActivation: 'tanh' } });
    expect(() => exportArmPolicyOnnx(noState, { id: 'x', camera, joints: JOINTS })).toThrow(/E_TRAIN_EXPORT: arm policy 'x': an arm policy takes the joint state .* this network has no state input/);
    const otherState = new Network({ ...ARM, head: { ...ARM.head, state: { names: ['a', 'b', 'c'], offset: [0, 0, 0], scale: [1, 1, 1] } } });
    expect(() => exportArmPolicyOnnx(otherState, { id: 'x', camera, joints: JOINTS })).toThrow(/the state input must be the arm's joints \[j_pan, j_lift, j_elbow\]; this network's state input is \[a, b, c\]/);
    expect(() => exportArmPolicyOnnx(net, { id: 'x', camera, joints: [JOINTS[0]!, { ...JOINTS[1]!, lower: 2, upper: 1 }, JOINTS[2]!] })).toThrow(/joint j_lift: limits 2\.\.1/);
    const vehicleWithState = new Network({ ...TINY, head: { ...TINY.head, state: { names: ['speed_mps'], offset: [0], scale: [1] } } });
    expect(() => exportPolicyOnnx(vehicleWithState, { id: 'v', camera, maxSteeringRad: 0.4, maxSpeedMps: 2 })).toThrow(/E_TRAIN_EXPORT: policy 'v': a vehicle policy takes the camera only; this network has a state input \[speed_mps\]/);
    [noState, otherState, vehicleWithState].forEach((n) => n.dispose());
  });
});
