import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { mulberry32, uniform } from '../../../src/core/util/prng.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

async function runOnce(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const t: Record<string, ort.Tensor> = {};
    for (const [k, [data, dims]] of Object.entries(feeds)) t[k] = new ort.Tensor('float32', data, dims);
    return (await session.run(t)).action!;
  } finally {
    await session.release();
  }
}

describe('buildPilotNet', () => {
  const full = buildPilotNet({ seed: 1 });

  it('is deterministic per seed', () => {
    expect(equalBytes(buildPilotNet({ seed: 1 }).bytes, full.bytes)).toBe(true);
    const other = buildPilotNet({ seed: 2 });
    expect(other.bytes.length).toBe(full.bytes.length);
    expect(equalBytes(other.bytes, full.bytes)).toBe(false);
  });

  it('has the PilotNet size and layer shapes', () => {
    expect(full.parameterCount).toBe(252_230);
    expect(full.parameterCount).toBeGreaterThanOrEqual(200_000);
    expect(full.parameterCount).toBeLessThanOrEqual(300_000);
    expect(full.layers.reduce((s, l) => s + l.parameters, 0)).toBe(full.parameterCount);
    expect(full.layers.find((l) => l.name === 'flatten')!.outputShape).toEqual([1, 1152]);
    const info = readOnnxInfo(full.bytes, 'pilotnet');
    expect(info.parameterCount).toBe(full.parameterCount);
    expect(info.opTypes).toEqual({ Conv: 5, Elu: 8, Flatten: 1, Gemm: 4, Tanh: 1 });
  });

  it('describes its outputs in the contract with units and a tanh range mapping', () => {
    const c = parseContract(readOnnxInfo(full.bytes, 'pilotnet').metadata[CONTRACT_METADATA_KEY], 'pilotnet');
    expect(c).toEqual(full.contract);
    expect(c.outputs[0]!.fields.map((f) => [f.name, f.unit])).toEqual([
      ['steering_angle', 'rad'],
      ['speed', 'm/s'],
    ]);
    const [steer, speed] = c.outputs[0]!.fields;
    expect([-1, 1].map((r) => r * steer!.scale + steer!.offset)).toEqual([-0.5, 0.5]);
    expect([-1, 1].map((r) => r * speed!.scale + speed!.offset)).toEqual([0, 5]);
  });

  it('loads in ORT and produces a finite [1,2] action in the tanh range that depends on the image', async () => {
    const random = mulberry32(9);
    const a = await runOnce(full.bytes, { image: [uniform(random, 3 * 66 * 200, 1), [1, 3, 66, 200]] });
    const b = await runOnce(full.bytes, { image: [uniform(random, 3 * 66 * 200, 1), [1, 3, 66, 200]] });
    expect(a.dims).toEqual([1, 2]);
    for (const v of [...(a.data as Float32Array), ...(b.data as Float32Array)]) {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    expect(Array.from(a.data as Float32Array)).not.toEqual(Array.from(b.data as Float32Array));
  });

  it('tiny variant is small and runs', async () => {
    const tiny = buildPilotNet({ variant: 'tiny', seed: 5, activation: 'relu' });
    expect(tiny.contract.id).toBe('pilotnet-tiny');
    expect(tiny.contract.inputs[0]!.shape).toEqual([1, 3, 8, 16]);
    expect(tiny.parameterCount).toBeLessThan(2_000);
    expect(readOnnxInfo(tiny.bytes, 'tiny').opTypes.Relu).toBe(3);
    const out = await runOnce(tiny.bytes, { image: [uniform(mulberry32(1), 3 * 8 * 16, 1), [1, 3, 8, 16]] });
    expect(out.dims).toEqual([1, 2]);
  });

  it('optional state input is a contract input and feeds the first FC layer', async () => {
    const m = buildPilotNet({ variant: 'tiny', stateFields: ['speed_mps', 'yaw_rate'] });
    const state = m.contract.inputs.find((i) => i.role === 'state');
    expect(state).toEqual({ name: 'state', role: 'state', shape: [1, 2], dtype: 'float32', fields: ['speed_mps', 'yaw_rate'] });
    const info = readOnnxInfo(m.bytes, 'state');
    expect(info.inputs.map((i) => [i.name, i.dims])).toEqual([
      ['image', [1, 3, 8, 16]],
      ['state', [1, 2]],
    ]);
    expect(info.opTypes.Concat).toBe(1);
    expect(m.parameterCount).toBe(buildPilotNet({ variant: 'tiny' }).parameterCount + 2 * 16);
    const image: [Float32Array, number[]] = [uniform(mulberry32(1), 3 * 8 * 16, 1), [1, 3, 8, 16]];
    const a = await runOnce(m.bytes, { image, state: [new Float32Array([0, 0]), [1, 2]] });
    const b = await runOnce(m.bytes, { image, state: [new Float32Array([3, -2]), [1, 2]] });
    expect(Array.from(a.data as Float32Array)).not.toEqual(Array.from(b.data as Float32Array));
  });
});
