import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { onnx } from '../../../src/core/onnx/onnx-proto.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-policy-'));

/** A tiny PilotNet whose contract metadata is replaced by `contract` (undefined removes it). */
function modelWithContract(name: string, edit: (contract: Record<string, unknown>) => unknown): string {
  const built = buildPilotNet({ variant: 'tiny' });
  const model = onnx.ModelProto.decode(built.bytes);
  const original = JSON.parse(model.metadataProps.find((p) => p.key === CONTRACT_METADATA_KEY)!.value!) as Record<string, unknown>;
  const replaced = edit(structuredClone(original));
  model.metadataProps = model.metadataProps.filter((p) => p.key !== CONTRACT_METADATA_KEY);
  if (replaced !== undefined) {
    model.metadataProps.push(onnx.StringStringEntryProto.create({ key: CONTRACT_METADATA_KEY, value: typeof replaced === 'string' ? replaced : JSON.stringify(replaced) }));
  }
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

const load = (path: string) => PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1 } }, 't', '/').model, log: () => {} });

describe('model contract', () => {
  it('loads the tiny model with its contract, preallocates tensors and runs', async () => {
    const policy = await load(modelWithContract('ok', (c) => c));
    expect(policy.inputs.get('image')).toHaveLength(3 * 8 * 16);
    policy.inputs.get('image')!.fill(0.5);
    await policy.run();
    expect(policy.output.every(Number.isFinite)).toBe(true);
    expect(policy.activeProvider).toBe('cpu');
    await policy.dispose();
  });

  it('refuses a model without a contract', async () => {
    await expect(load(modelWithContract('none', () => undefined))).rejects.toThrow(/E_MODEL_CONTRACT: .*none.onnx has no 'pilot.contract' metadata entry/);
  });

  it('refuses a contract that is not JSON or breaks the schema, naming the key', async () => {
    await expect(load(modelWithContract('notjson', () => '{oops'))).rejects.toThrow(/'pilot.contract' is not JSON/);
    await expect(
      load(
        modelWithContract('badlayout', (c) => {
          (c.inputs as Record<string, unknown>[])[0]!.layout = 'CHWN';
          return c;
        }),
      ),
    ).rejects.toThrow(/contract.inputs.0.layout/);
  });

  it('refuses a contract whose shape does not match the graph, with expected and actual', async () => {
    const path = modelWithContract('shape', (c) => {
      (c.inputs as Record<string, unknown>[])[0]!.shape = [1, 3, 66, 200];
      return c;
    });
    await expect(load(path)).rejects.toThrow(/E_MODEL_SHAPE: .*input 'image': contract shape \[1,3,66,200\] ≠ graph shape \[.*,3,8,16\]/);
  });

  it('refuses a contract naming an input the graph does not have', async () => {
    const path = modelWithContract('name', (c) => {
      (c.inputs as Record<string, unknown>[])[0]!.name = 'camera';
      return c;
    });
    await expect(load(path)).rejects.toThrow(/contract input 'camera' is not a graph input \(graph has image\)/);
  });

  it('requires output fields to match the output width', () => {
    const c = JSON.parse(JSON.stringify(buildPilotNet({ variant: 'tiny' }).contract));
    c.outputs[0].fields.pop();
    expect(() => parseContract(JSON.stringify(c), 'm.onnx')).toThrow(/contract.outputs.0.shape: last dimension 2 must equal the number of fields \(1\)/);
  });
});
