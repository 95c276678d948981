import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { hwioToOihw, transpose2d } from '../../../src/learning/export/layout.js';
import { OnnxModelBuilder } from '../../../src/learning/export/onnx-graph.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { conv2d, dense, elu, map, maxAbsDiff, type Tensor } from './reference.js';

async function run(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const t: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) t[k] = new ort.Tensor('float32', v.data, v.dims);
    return await session.run(t);
  } finally {
    await session.release();
  }
}

describe('OnnxModelBuilder against a JS reference', () => {
  it('conv (stride, asymmetric pads) + elu + conv + flatten + gemm matches within 1e-5', async () => {
    const random = mulberry32(42);
    const x: Tensor = { data: uniform(random, 3 * 9 * 13, 1), dims: [1, 3, 9, 13] };
    const w1: Tensor = { data: uniform(random, 5 * 3 * 3 * 3, 0.5), dims: [5, 3, 3, 3] };
    const b1 = uniform(random, 5, 0.5);
    const w2: Tensor = { data: uniform(random, 4 * 5 * 2 * 3, 0.5), dims: [4, 5, 2, 3] };
    const b2 = uniform(random, 4, 0.5);

    // Reference forward pass.
    let r = map(conv2d(x, w1, b1, [2, 2], [1, 0, 2, 1]), elu);
    r = map(conv2d(r, w2, b2, [1, 2], [0, 1, 0, 1]), elu);
    const flat = r.data.length;
    const w3 = uniform(random, 7 * flat, 0.3);
    const b3 = uniform(random, 7, 0.3);
    const expected = dense(r, w3, b3, 7);

    const g = new OnnxModelBuilder({ graphName: 'ref' });
    let v = g.input('x', ['batch', 3, 9, 13]);
    v = g.elu(g.conv(v, g.initializer('w1', w1.data, w1.dims), g.initializer('b1', b1, [5]), { kernel: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1] }));
    v = g.elu(g.conv(v, g.initializer('w2', w2.data, w2.dims), g.initializer('b2', b2, [4]), { kernel: [2, 3], strides: [1, 2], pads: [0, 1, 0, 1] }));
    v = g.flatten(v);
    g.gemm(v, g.initializer('w3', w3, [7, flat]), g.initializer('b3', b3, [7]), { transB: true }, 'y');
    g.output('y', ['batch', 7]);
    expect(g.parameterCount).toBe(w1.data.length + 5 + w2.data.length + 4 + w3.length + 7);

    const out = await run(g.encodeModel(), { x });
    expect(out.y!.dims).toEqual([1, 7]);
    expect(maxAbsDiff(out.y!.data as Float32Array, expected.data)).toBeLessThan(1e-5);
    // Sanity: the reference is not trivially zero, so agreement means something.
    expect(Math.max(...expected.data.map(Math.abs))).toBeGreaterThan(0.1);
  });

  it('elementwise, MatMul, Transpose, Reshape, Concat, Relu, Tanh match', async () => {
    const random = mulberry32(7);
    const a: Tensor = { data: uniform(random, 6, 2), dims: [2, 3] };
    const c = uniform(random, 6, 2);
    const m = uniform(random, 3 * 4, 1);
    const g = new OnnxModelBuilder({ graphName: 'ops' });
    g.input('a', [2, 3]);
    const cc = g.initializer('c', c, [2, 3]);
    // ((a + c) * c - a) / (|c| + 1) via Relu: relu(c) + relu(-c) = |c|.
    const one = g.initializer('one', new Float32Array([1]), [1]);
    const zero = g.initializer('zero', new Float32Array([0]), [1]);
    const absC = g.add(g.relu(cc), g.relu(g.sub(zero, cc)));
    const e = g.div(g.sub(g.mul(g.add('a', cc), cc), 'a'), g.add(absC, one));
    const t = g.transpose(e, [1, 0]); // [3, 2]
    const mm = g.matMul(g.transpose(t, [1, 0]), g.initializer('m', m, [3, 4])); // [2, 4]
    const r = g.reshape(mm, g.initializerInt64('shape', [1, 8]));
    g.tanh(g.concat([r, g.reshape(e, g.initializerInt64('shape6', [1, 6]))], 1), 'y');
    g.output('y', [1, 14]);

    const ev = Array.from(a.data, (av, i) => ((av + c[i]!) * c[i]! - av) / (Math.abs(c[i]!) + 1));
    const mmv: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) mmv.push([0, 1, 2].reduce((s, k) => s + ev[i * 3 + k]! * m[k * 4 + j]!, 0));
    const expected = [...mmv, ...ev].map(Math.tanh);

    const out = await run(g.encodeModel(), { a });
    expect(out.y!.dims).toEqual([1, 14]);
    expect(maxAbsDiff(out.y!.data as Float32Array, expected)).toBeLessThan(1e-5);
  });

  it('HWIO kernels converted with hwioToOihw compute the channels-last convolution', async () => {
    const random = mulberry32(3);
    const [kh, kw, ci, co] = [3, 2, 2, 3];
    const hwio = uniform(random, kh * kw * ci * co, 1);
    const x: Tensor = { data: uniform(random, ci * 5 * 4, 1), dims: [1, ci, 5, 4] };
    // Channels-last reference: out[o] = Σ x[i, y+ky, x+kx] · hwio[ky, kx, i, o].
    const expected: number[] = [];
    for (let o = 0; o < co; o++)
      for (let y = 0; y < 5 - kh + 1; y++)
        for (let xx = 0; xx < 4 - kw + 1; xx++) {
          let s = 0;
          for (let i = 0; i < ci; i++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) s += x.data[(i * 5 + y + ky) * 4 + xx + kx]! * hwio[((ky * kw + kx) * ci + i) * co + o]!;
          expected.push(s);
        }
    const g = new OnnxModelBuilder({ graphName: 'hwio' });
    g.input('x', [1, ci, 5, 4]);
    g.conv('x', g.initializer('w', hwioToOihw(hwio, [kh, kw, ci, co]), [co, ci, kh, kw]), undefined, { kernel: [kh, kw] }, 'y');
    g.output('y', [1, co, 3, 3]);
    const out = await run(g.encodeModel(), { x });
    expect(maxAbsDiff(out.y!.data as Float32Array, expected)).toBeLessThan(1e-5);
  });

  it('transpose2d swaps rows and columns', () => {
    expect(Array.from(transpose2d(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rejects undefined values, duplicates, mis-sized initializers and empty graphs', () => {
    const g = new OnnxModelBuilder({ graphName: 'bad' });
    g.input('x', [1, 2]);
    expect(() => g.relu('nope')).toThrow(/Relu reads undefined value 'nope'/);
    expect(() => g.input('x', [1])).toThrow(/defined twice/);
    expect(() => g.initializer('w', new Float32Array(5), [2, 3])).toThrow(/5 values but dims \[2,3\]/);
    expect(() => g.output('missing', [1])).toThrow(/undefined value 'missing'/);
    expect(() => g.encodeModel()).toThrow(/at least one input and one output/);
  });

  it('writes opset 17, IR 8, producer pilot, metadata and symbolic dims', async () => {
    const g = new OnnxModelBuilder({ graphName: 'meta' });
    g.relu(g.input('x', ['n', 4]), 'y');
    g.output('y', ['n', 4]);
    g.setMetadata('k', 'v');
    const model = g.toModel();
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.producerName).toBe('pilot');
    expect(model.metadataProps).toEqual([{ key: 'k', value: 'v' }]);
    const session = await ort.InferenceSession.create(g.encodeModel(), { intraOpNumThreads: 1 });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([-1, 2, -3, 4, 5, -6, 7, -8]), [2, 4]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([0, 2, 0, 4, 5, 0, 7, 0]);
    await session.release();
  });
});
