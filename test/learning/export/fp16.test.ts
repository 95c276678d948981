import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { convertToFp16, float16Bits, float16Value, PRECISION_METADATA_KEY } from '../../../src/learning/export/fp16.js';
import { OnnxModelBuilder } from '../../../src/learning/export/onnx-graph.js';
import { onnx, type OnnxTypes } from '../../../src/core/onnx/onnx-proto.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { CONTRACT_METADATA_KEY } from '../../../src/runtime/policy/contract.js';
import { mulberry32 } from '../../../src/core/util/prng.js';

const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
/** FP16 keeps ~3 significant digits; a handful of layers accumulate a few of its rounding steps. */
const FP16_TOLERANCE = 1e-2;

const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  for (const s of sessions.splice(0)) await s.release();
});

/** Runs a model on CPU with ORT and returns its first output. */
async function run(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  sessions.push(session);
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
  const result = await session.run(tensors);
  return result[session.outputNames[0]!]!.data as Float32Array;
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const decode = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);
const random = (n: number, seed: number) => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

describe('float16 bits', () => {
  it('encodes exact values, the extremes, and rounds to nearest even', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(0.1)).toBe(0x2e66);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(2 ** -26)).toBe(0); // below half of it: zero
    expect(float16Bits(Infinity)).toBe(0x7c00);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(float16Value(float16Bits(NaN)))).toBe(true);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float16Bits(65520)).toBe(0x7c00); // rounds past the largest finite value
  });

  it('round-trips within half a unit in the last place', () => {
    for (const x of random(2000, 3)) {
      const y = x * 100;
      expect(Math.abs(float16Value(float16Bits(y)) - y)).toBeLessThanOrEqual(Math.abs(y) * 2 ** -11 + 2 ** -25);
    }
  });
});

describe('FP16 variant of PilotNet', () => {
  const tiny = buildPilotNet({ variant: 'tiny', seed: 7 });
  const { bytes, report } = convertToFp16(tiny.bytes, 'tiny.onnx');
  const converted = decode(bytes);
  const graph = converted.graph as OnnxTypes.GraphProto;

  it('stores every weight as float16 and keeps the graph inputs and outputs float32 behind Cast nodes', () => {
    expect(graph.initializer.every((t) => t.dataType === FLOAT16)).toBe(true);
    expect(report.convertedParameters).toBe(tiny.parameterCount);
    expect(report.float32Nodes).toBe(0);
    expect(report.castNodes).toBe(2);
    expect(graph.node[0]!.opType).toBe('Cast');
    expect(graph.node.at(-1)!.opType).toBe('Cast');
    const info = readOnnxInfo(bytes, 'fp16');
    expect(info.inputs).toEqual(readOnnxInfo(tiny.bytes, 'fp32').inputs);
    expect(info.outputs).toEqual(readOnnxInfo(tiny.bytes, 'fp32').outputs);
    expect(report.bytesAfter).toBeLessThan(report.bytesBefore);
  });

  it('keeps the pilot.contract byte for byte and records the precision with the source hash', () => {
    const before = readOnnxInfo(tiny.bytes, 'fp32').metadata;
    const after = readOnnxInfo(bytes, 'fp16').metadata;
    expect(after[CONTRACT_METADATA_KEY]).toBe(before[CONTRACT_METADATA_KEY]);
    expect(JSON.parse(after[PRECISION_METADATA_KEY]!)).toMatchObject({ weights: 'float16', io: 'float32', keep_float32: [] });
    expect(() => convertToFp16(bytes, 'again.onnx')).toThrow(/E_FP16: again.onnx: already converted/);
  });

  it('weights are the float32 weights rounded to float16', () => {
    const original = decode(tiny.bytes).graph as OnnxTypes.GraphProto;
    const w32 = original.initializer.find((t) => t.name === 'conv1.weight')!.rawData!;
    const w16 = graph.initializer.find((t) => t.name === 'conv1.weight')!.rawData!;
    const a = new DataView(w32.buffer, w32.byteOffset, w32.byteLength);
    const b = new DataView(w16.buffer, w16.byteOffset, w16.byteLength);
    expect(w16.length).toBe(w32.length / 2);
    for (let i = 0; i < w16.length / 2; i++) expect(b.getUint16(i * 2, true)).toBe(float16Bits(a.getFloat32(i * 4, true)));
  });

  it('runs on CPU with onnxruntime-node and matches float32 within the FP16 tolerance', async () => {
    const image = { data: random(3 * 8 * 16, 11), dims: [1, 3, 8, 16] };
    const [full, half] = await Promise.all([run(tiny.bytes, { image }), run(bytes, { image })]);
    expect(half).toHaveLength(2);
    expect(maxDiff(full, half)).toBeLessThan(FP16_TOLERANCE);
  });

  it('the bundled model too (Conv, Elu, Flatten, Gemm, Tanh in float16 on the CPU provider)', async () => {
    const committed = readFileSync('models/pilotnet-test.onnx');
    const fp16 = convertToFp16(committed, 'models/pilotnet-test.onnx');
    expect(fp16.report.clamped + fp16.report.flushedToZero).toBe(0);
    const image = { data: random(3 * 66 * 200, 5), dims: [1, 3, 66, 200] };
    const [full, half] = await Promise.all([run(committed, { image }), run(fp16.bytes, { image })]);
    expect(maxDiff(full, half)).toBeLessThan(FP16_TOLERANCE);
  });

  it('keeps the listed op types in float32, with their weights', async () => {
    const kept = convertToFp16(tiny.bytes, 'tiny.onnx', { keepFloat32: ['Conv'] });
    const g = decode(kept.bytes).graph as OnnxTypes.GraphProto;
    const byName = new Map(g.initializer.map((t) => [t.name, t.dataType]));
    expect(byName.get('conv1.weight')).toBe(FLOAT);
    expect(byName.get('fc1.weight')).toBe(FLOAT16);
    expect(kept.report.float32Nodes).toBe(2);
    const image = { data: random(3 * 8 * 16, 12), dims: [1, 3, 8, 16] };
    expect(maxDiff(await run(tiny.bytes, { image }), await run(kept.bytes, { image }))).toBeLessThan(FP16_TOLERANCE);
  });
});

describe('FP16 conversion rules', () => {
  /** x [1,4] → Add(x, w) (float16) and Mul(x, w) (kept float32) → Concat → y [1,8]. */
  function shared(): Uint8Array {
    const g = new OnnxModelBuilder({ graphName: 'shared' });
    const x = g.input('x', [1, 4]);
    const w = g.initializer('w', Float32Array.from([0.5, -1.25, 2, 1e5]), [1, 4]);
    g.output(g.concat([g.add(x, w), g.mul(x, w)], 1, 'y'), [1, 8]);
    return g.encodeModel();
  }

  it('a weight read by float16 and float32 nodes is stored both ways; out-of-range weights are clamped and counted', async () => {
    const { bytes, report } = convertToFp16(shared(), 'shared.onnx', { keepFloat32: ['Mul', 'Concat'] });
    const g = decode(bytes).graph as OnnxTypes.GraphProto;
    expect(g.initializer.map((t) => [t.name, t.dataType])).toEqual([
      ['w', FLOAT],
      ['w_fp16', FLOAT16],
    ]);
    expect(report.clamped).toBe(1);
    const x = { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 4] };
    const y = await run(bytes, { x });
    // Mul and Concat in float32 (exact); Add reads the float16 weight (1e5 clamped to 65504). The CPU
    // provider has no float16 Add, so ORT computes it in float32 (65508); a GPU in float16 gives 65504.
    expect(Array.from(y.slice(4))).toEqual([0.5, -2.5, 6, 4e5]);
    expect(Array.from(y.slice(0, 3))).toEqual([1.5, 0.75, 5]);
    expect([65504, 65508]).toContain(y[3]);
  });

  it('activations beyond ±65504 overflow in float16 layers: keep such layers in float32', async () => {
    const { bytes } = convertToFp16(shared(), 'shared.onnx', { keepFloat32: ['Mul'] });
    const y = await run(bytes, { x: { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 4] } });
    expect(y[7]).toBe(Infinity); // Mul's 4e5 (float32) cast down for a float16 Concat
  });

  it('refuses ops it has no float16 rule for, by name', () => {
    const g = new OnnxModelBuilder({ graphName: 'erf' });
    const x = g.input('x', [1, 4]);
    g.output(g.node('Erf', [x], ['y'])[0]!, [1, 4]);
    expect(() => convertToFp16(g.encodeModel(), 'erf.onnx')).toThrow(/E_FP16_OP: erf.onnx: no float16 rule for op Erf \(node 'Erf_node_0'\)/);
  });
});
