import { describe, expect, it } from 'vitest';
import { OnnxModelBuilder } from '../../../src/learning/export/onnx-graph.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { mulberry32 } from '../../../src/core/util/prng.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { PilotError } from '../../../src/core/util/errors.js';

function formatError(bytes: Uint8Array, source: string): PilotError {
  try {
    readOnnxInfo(bytes, source);
  } catch (err) {
    return err as PilotError;
  }
  throw new Error(`readOnnxInfo accepted ${source}`);
}

describe('readOnnxInfo', () => {
  it('reads versions, contract metadata, inputs and outputs', () => {
    const model = buildPilotNet({ variant: 'tiny', id: 'read-test' });
    const info = readOnnxInfo(model.bytes, 'tiny.onnx');
    expect(info).toMatchObject({ irVersion: 8, opsetVersion: 17, producerName: 'pilot', nodeCount: 9 });
    expect(info.inputs).toEqual([{ name: 'image', dims: [1, 3, 8, 16], elemType: 'float' }]);
    expect(info.outputs).toEqual([{ name: 'action', dims: [1, 2], elemType: 'float' }]);
    expect(info.parameterCount).toBe(model.parameterCount);
    const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], 'tiny.onnx');
    expect(contract.id).toBe('read-test');
    expect(contract).toEqual(model.contract);
  });

  it('reports symbolic dims by name and does not count int64 constants as parameters', () => {
    const g = new OnnxModelBuilder({ graphName: 'sym' });
    g.input('x', ['batch', 4]);
    g.reshape('x', g.initializerInt64('shape', [-1, 2, 2]), 'y');
    g.output('y', ['batch', 2, 2]);
    const info = readOnnxInfo(g.encodeModel(), 'sym');
    expect(info.inputs[0]!.dims).toEqual(['batch', 4]);
    expect(info.parameterCount).toBe(0);
    expect(info.opTypes).toEqual({ Reshape: 1 });
    expect(info.metadata).toEqual({});
  });

  it('rejects bytes that are not an ONNX model with E_MODEL_FORMAT naming the source', () => {
    const random = mulberry32(11);
    const noise = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
    const valid = buildPilotNet({ variant: 'tiny' }).bytes;
    const cases: [string, Uint8Array][] = [
      ['noise.onnx', noise],
      ['empty.onnx', new Uint8Array(0)],
      ['text.onnx', new TextEncoder().encode('not a model, just some text\n')],
      ['truncated.onnx', valid.subarray(0, Math.floor(valid.length / 2))],
      ['json.onnx', new TextEncoder().encode(JSON.stringify({ irVersion: 8, graph: {} }))],
    ];
    for (const [source, bytes] of cases) {
      const err = formatError(bytes, source);
      expect(err, source).toBeInstanceOf(PilotError);
      expect(err.code, source).toBe('E_MODEL_FORMAT');
      expect(err.message, source).toMatch(new RegExp(`^E_MODEL_FORMAT: ${source.replace('.', '\\.')}: `));
    }
  });
});
