/**
 * The model check at load: one inference on a neutral input, and a model answering NaN/Infinity is
 * refused (E_MODEL_NONFINITE) unless model.allow_nonfinite. The models are the tiny PilotNet with
 * one initializer patched (a NaN in the head's speed bias, or in the first convolution).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { parseContract, type ModelContract } from '../../../src/runtime/policy/contract.js';
import { checkFiniteOutput, fillNeutralInputs, NEUTRAL_PIXEL, nonFiniteIndices } from '../../../src/runtime/policy/model-check.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-model-check-'));
const policies: Policy[] = [];
afterAll(async () => {
  for (const p of policies.splice(0)) await p.dispose();
});

/** The tiny PilotNet with `initializer[index]` set to `value` (every element when index is 'all'). */
function patchedModel(name: string, initializer: string, index: number | 'all', value: number): string {
  const model = onnx.ModelProto.decode(buildPilotNet({ variant: 'tiny' }).bytes);
  const tensor = model.graph!.initializer!.find((t) => t.name === initializer)!;
  const raw = tensor.rawData!;
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (index === 'all') floats.fill(value);
  else floats[index] = value;
  tensor.rawData = new Uint8Array(floats.buffer);
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

async function load(path: string, model: Record<string, unknown> = {}, lines: string[] = []): Promise<Policy> {
  const config = parseConfig({ model: { path, warmup_runs: 2, ...model } }, 'test', dir).model;
  const policy = await PolicySession.create({ model: config, log: (l) => lines.push(l) });
  policies.push(policy);
  return policy;
}

const speedNaN = patchedModel('speed-nan', 'head.bias', 1, Number.NaN);
const allNaN = patchedModel('conv-nan', 'conv1.weight', 'all', Number.NaN);

describe('model check at load', () => {
  it.each(['main', 'worker'] as const)('refuses a model with NaN weights, naming the file, the output and the element (%s thread)', async (thread) => {
    const refused = load(speedNaN, { inference_thread: thread });
    await expect(refused).rejects.toThrow(/^E_MODEL_NONFINITE: .*speed-nan\.onnx: output 'action' is not finite on a neutral input/);
    await expect(refused).rejects.toThrow(/1 of 2 elements: \[1\] speed = NaN\./);
    await expect(refused).rejects.toThrow(/set model\.allow_nonfinite: true in the config or pass --allow-nonfinite \(pilot run, pilot drive\)$/);
  });

  it('lists every non-finite element when the whole network is poisoned', async () => {
    await expect(load(allNaN)).rejects.toThrow(/2 of 2 elements: \[0\] steering_angle = NaN, \[1\] speed = NaN/);
  });

  it.each(['main', 'worker'] as const)('loads it with model.allow_nonfinite, one warning line, and runs NaN (%s thread)', async (thread) => {
    const lines: string[] = [];
    const policy = await load(speedNaN, { inference_thread: thread, allow_nonfinite: true }, lines);
    const warnings = lines.filter((l) => l.startsWith('pilot: WARNING: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/speed-nan\.onnx: output 'action' is not finite .*\[1\] speed = NaN; loaded anyway \(model\.allow_nonfinite\)/);
    if (thread === 'main') expect(policy.startup.notes.some((n) => n.includes('[1] speed = NaN'))).toBe(true);
    policy.inputs.get('image')!.fill(0.25);
    await policy.run();
    expect(Number.isFinite(policy.output[0]!)).toBe(true);
    expect(policy.output[1]).toBeNaN();
  });

  it('a finite model loads with no warning and its inputs are zero again after the check', async () => {
    const lines: string[] = [];
    const path = join(dir, 'ok.onnx');
    writeFileSync(path, buildPilotNet({ variant: 'tiny' }).bytes);
    const policy = await load(path, {}, lines);
    expect(lines.filter((l) => l.includes('WARNING'))).toEqual([]);
    expect(policy.inputs.get('image')!.every((v) => v === 0)).toBe(true);
    expect(policy.output.every(Number.isFinite)).toBe(true);
  });
});

describe('neutral input and the check itself', () => {
  const contract = (layout: 'NCHW' | 'NHWC', shape: number[]): ModelContract =>
    parseContract(
      JSON.stringify({
        version: 1,
        id: 't',
        profile: 'vehicle',
        inputs: [
          { name: 'image', role: 'camera', shape, dtype: 'float32', layout, color: 'rgb', normalize: { scale: 1 / 255, mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 1] } },
          { name: 'state', role: 'state', shape: [1, 2], dtype: 'float32', fields: ['speed_mps', 'yaw_rate'] },
        ],
        outputs: [{ name: 'action', shape: [1, 2], dtype: 'float32', fields: [{ name: 'steering_angle', unit: 'rad' }, { name: 'speed', unit: 'm/s' }] }],
      }),
      't.onnx',
    );
  const grey = [0, 1, 2].map((c) => Math.fround((NEUTRAL_PIXEL / 255 - [0.1, 0.2, 0.3][c]!) / [0.5, 0.25, 1][c]!));

  it.each([
    ['NCHW', [1, 3, 2, 2], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]],
    ['NHWC', [1, 2, 2, 3], [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]],
  ] as const)('mid-grey normalised per channel (%s), zero state', (layout, shape, channelOf) => {
    const c = contract(layout, [...shape]);
    const inputs = new Map([
      ['image', new Float32Array(12).fill(7)],
      ['state', new Float32Array(2).fill(7)],
    ]);
    fillNeutralInputs(c, inputs);
    expect([...inputs.get('image')!]).toEqual(channelOf.map((ch) => grey[ch]));
    expect([...inputs.get('state')!]).toEqual([0, 0]);
  });

  it('finds NaN and ±Infinity, and with allow returns the warning instead of throwing', () => {
    expect(nonFiniteIndices([0, Number.NaN, 1, Infinity, -Infinity])).toEqual([1, 3, 4]);
    const c = contract('NCHW', [1, 3, 2, 2]);
    const base = { modelPath: 'm.onnx', contract: c, provider: 'cpu', log: () => {} };
    expect(checkFiniteOutput({ ...base, output: [0.1, 0.2], allow: false })).toBeUndefined();
    expect(() => checkFiniteOutput({ ...base, output: [-Infinity, 0.2], allow: false })).toThrow(
      /^E_MODEL_NONFINITE: m\.onnx: output 'action' is not finite on a neutral input \(mid-grey camera, zero state\) on cpu: 1 of 2 elements: \[0\] steering_angle = -Infinity\./,
    );
    const logged: string[] = [];
    const warning = checkFiniteOutput({ ...base, output: [Infinity, Number.NaN], allow: true, log: (l) => logged.push(l) });
    expect(warning).toMatch(/2 of 2 elements: \[0\] steering_angle = Infinity, \[1\] speed = NaN; loaded anyway/);
    expect(logged).toEqual([`pilot: WARNING: m.onnx: ${warning}`]);
  });
});
