import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { PilotConfig } from '../../../src/core/config/schema.js';
import { checkDeployable, evalRecordPath, EVAL_RECORD_SCHEMA, sha256File, writeEvalRecord, type EvalRecord } from '../../../src/runtime/policy/eval-record.js';
import { DEFAULT_DRIVING_GATE, parseGate } from '../../../src/runtime/policy/eval-gate.js';
import { runEvaluation } from '../../../src/learning/eval/run-eval.js';
import { evalCommand } from '../../../src/cli/eval-command.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';

function modelFile(seed = 5): string {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-eval-'));
  const path = join(dir, 'tiny.onnx');
  writeFileSync(path, buildPilotNet({ variant: 'tiny', seed }).bytes);
  return path;
}

function record(path: string, passed: boolean, sha = sha256File(path)): EvalRecord {
  return {
    schema: EVAL_RECORD_SCHEMA,
    model: path,
    sha256: sha,
    passed,
    gate: DEFAULT_DRIVING_GATE,
    checks: [{ section: 'closed_loop/lake', label: 'interventions', actual: passed ? 0 : 4, limit: 0, op: '<=', unit: '', pass: passed }],
    evaluatedAt: new Date(0).toISOString(),
    machine: 'test',
    details: {},
  };
}

describe('deployment gate', () => {
  it('refuses a model that was never evaluated, and says what to run', () => {
    const path = modelFile();
    expect(() => checkDeployable(path)).toThrow(/E_MODEL_NOT_EVALUATED: .*tiny\.onnx has no evaluation record.*pilot eval --model/);
  });

  it('refuses a model that failed, naming the failed check', () => {
    const path = modelFile();
    writeEvalRecord(record(path, false));
    expect(() => checkDeployable(path)).toThrow(/E_MODEL_FAILED_EVAL: .*closed_loop\/lake: interventions 4 \(limit <= 0\)/);
  });

  it('refuses a model whose bytes changed since its evaluation', () => {
    const path = modelFile();
    writeEvalRecord(record(path, true));
    writeFileSync(path, buildPilotNet({ variant: 'tiny', seed: 6 }).bytes);
    expect(() => checkDeployable(path)).toThrow(/E_MODEL_NOT_EVALUATED: .*changed since it was evaluated/);
  });

  it('accepts a model with a passing record for its exact bytes', () => {
    const path = modelFile();
    const written = writeEvalRecord(record(path, true));
    expect(written).toBe(evalRecordPath(path));
    expect(checkDeployable(path).passed).toBe(true);
  });

  it('the runtime enforces it when model.require_eval is set', async () => {
    const path = modelFile();
    const config = PilotConfig.parse({ model: { path, require_eval: true, warmup_runs: 0 } });
    await expect(PolicySession.create({ model: config.model, log: () => {} })).rejects.toThrow(/E_MODEL_NOT_EVALUATED/);
    writeEvalRecord(record(path, true));
    const policy = await PolicySession.create({ model: config.model, log: () => {} });
    expect(policy.contract.id).toBe('pilotnet-tiny');
    await policy.dispose();
  });
});

describe('gate metadata', () => {
  it('round-trips the default gate and rejects a bad one with the key path', () => {
    expect(parseGate(JSON.stringify(DEFAULT_DRIVING_GATE), 'm.onnx')).toEqual(DEFAULT_DRIVING_GATE);
    expect(parseGate(undefined, 'm.onnx')).toBeUndefined();
    const bad = { ...DEFAULT_DRIVING_GATE, closed_loop: { ...DEFAULT_DRIVING_GATE.closed_loop, laps: 0 } };
    expect(() => parseGate(JSON.stringify(bad), 'm.onnx')).toThrow(/E_GATE: m\.onnx: metadata pilot\.gate: closed_loop\.laps/);
    expect(() => parseGate('{', 'm.onnx')).toThrow(/E_GATE: m\.onnx: metadata pilot\.gate is not JSON/);
  });

  it('a check that cannot be measured fails the gate', async () => {
    const path = modelFile();
    const config = PilotConfig.parse({ model: { path, warmup_runs: 0 } });
    const r = await runEvaluation({ modelPath: path, config, gate: DEFAULT_DRIVING_GATE, bags: [], sections: ['open_loop'] });
    expect(r.passed).toBe(false);
    // The MAE bar and the margin over the constant-mean baseline, both unmeasured.
    expect(r.checks.map((c) => [c.section, c.actual, c.pass])).toEqual([['open_loop', null, false], ['open_loop', null, false]]);
  });

  it('measures latency with the runtime alone and holds it to the gate', async () => {
    const path = modelFile();
    const config = PilotConfig.parse({ model: { path, warmup_runs: 1 }, loop: { rate_hz: 100 } });
    const lenient = { ...DEFAULT_DRIVING_GATE, latency: { max_p99_ms: 1000, max_deadline_misses: 1000 } };
    const r = await runEvaluation({ modelPath: path, config, gate: lenient, bags: [], sections: ['latency'], latencyTicks: 60 });
    expect(r.checks.map((c) => c.section)).toEqual(['latency', 'latency']);
    expect(r.checks[0]!.actual).toBeGreaterThan(0);
    expect(r.checks.every((c) => c.pass)).toBe(true);
    // A partial run never passes: the gate is all sections.
    expect(r.passed).toBe(false);
    const strict = { ...DEFAULT_DRIVING_GATE, latency: { max_p99_ms: 1e-6, max_deadline_misses: 0 } };
    const s = await runEvaluation({ modelPath: path, config, gate: strict, bags: [], sections: ['latency'], latencyTicks: 60 });
    expect(s.checks[0]!.pass).toBe(false);
  });

  it('pilot eval names a model file it cannot read, and an unknown section', async () => {
    await expect(evalCommand(['--model', 'no/such/model.onnx'])).rejects.toThrow(/E_MODEL_FILE: cannot read model no\/such\/model\.onnx: ENOENT/);
    await expect(evalCommand(['--model', modelFile(), '--only', 'nothing'])).rejects.toThrow(/--only: unknown section 'nothing'/);
  });
});
