import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';
import { checkDeployable } from '../../../src/runtime/policy/eval-record.js';
import { GATE_METADATA_KEY, parseGate } from '../../../src/runtime/policy/eval-gate.js';
import { readOnnxInfo } from '../../../src/core/onnx/onnx-read.js';
import { readNetworkOnnx } from '../../../src/learning/train/index.js';

const MODEL = 'models/pilot-drive.onnx';

describe('the bundled driving policy', () => {
  it('has a passing evaluation record for exactly its bytes, against the gate it carries', () => {
    const record = checkDeployable(MODEL);
    const gate = parseGate(readOnnxInfo(readFileSync(MODEL), MODEL).metadata[GATE_METADATA_KEY], MODEL);
    expect(record.gate).toEqual(gate);
    expect(gate!.closed_loop.tracks).toEqual(['lake', 'city-block']);
    expect(record.checks.length).toBeGreaterThan(10);
  });

  it('was fine-tuned from the bundled backbone, whose weights it keeps (head-only)', () => {
    const policy = readNetworkOnnx(readFileSync(MODEL), MODEL);
    const backbone = readNetworkOnnx(readFileSync('models/pilot-backbone.onnx'), 'models/pilot-backbone.onnx');
    expect(policy.metadata.kind).toBe('policy');
    expect(backbone.metadata.kind).toBe('backbone');
    for (const [name, w] of backbone.weights) expect(Array.from(policy.weights.get(name)!)).toEqual(Array.from(w));
  });

  it('drives a lap of an unseen track in closed loop without help', async () => {
    const result = await runDriveSession({
      track: 'city-block',
      laps: 1,
      driver: { kind: 'model', config: 'launch/drive.yaml' },
      sim: parseSimConfig({}, 'test'),
      transport: 'inprocess',
      seed: 2,
    });
    expect(result.lapsCompleted).toBe(1);
    expect(result.interventions).toBe(0);
    expect(result.crossTrack.meanAbsM).toBeLessThan(0.25);
  }, 120_000);
});
