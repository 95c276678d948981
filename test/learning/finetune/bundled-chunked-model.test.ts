import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { chunkOf, CONTRACT_METADATA_KEY, parseContract } from '../../../src/runtime/policy/contract.js';
import { readNetworkOnnx } from '../../../src/learning/train/index.js';

const MODEL = 'models/pilot-drive-chunked.onnx';

describe('the bundled chunked driving policy', () => {
  it('outputs a chunk of 10 actions 50 ms apart, fine-tuned head-only from the bundled backbone', () => {
    const bytes = readFileSync(MODEL);
    expect(bytes.length).toBeLessThan(10 * 1024 * 1024);
    const info = readOnnxInfo(bytes, MODEL);
    expect(info.outputs).toEqual([{ name: 'action', dims: [1, 10, 2], elemType: 'float' }]);
    expect(chunkOf(parseContract(info.metadata[CONTRACT_METADATA_KEY], MODEL))).toEqual({ steps: 10, step_ms: 50 });
    const policy = readNetworkOnnx(bytes, MODEL);
    expect(policy.metadata.head?.outputs).toHaveLength(20);
    const backbone = readNetworkOnnx(readFileSync('models/pilot-backbone.onnx'), 'models/pilot-backbone.onnx');
    for (const [name, w] of backbone.weights) expect(Array.from(policy.weights.get(name)!)).toEqual(Array.from(w));
  });

  it('drives the unseen lake with an inference 3 loop periods slow, without help', async () => {
    const config = loadConfig('launch/drive-chunked.yaml');
    const result = await runDriveSession({
      track: 'lake',
      laps: 1,
      maxSimTimeS: 12,
      driver: { kind: 'model', config: { ...config, chunking: { ...config.chunking, min_inference_ms: 150 } }, modelPath: MODEL },
      sim: parseSimConfig({}, 'test'),
      transport: 'inprocess',
      seed: 1,
    });
    expect(result.interventions).toBe(0);
    expect(result.runtime?.chunks?.emptyQueueFallbacks).toBe(0);
    expect(result.runtime?.chunks?.chunkAgeMs.p50).toBeGreaterThanOrEqual(150);
    expect(result.crossTrack.meanAbsM).toBeLessThan(0.04);
  }, 120_000);
});
