/**
 * `pilot eval --model <onnx>`: the evaluation gate before deployment. Runs the checks the model's
 * `pilot.gate` metadata asks for (or the default driving gate), prints them, writes
 * `<model>.eval.json` (which `model.require_eval` deployments insist on) and exits 1 on a failure.
 */
import { readFileSync } from 'node:fs';
import { readOnnxInfo } from '../core/onnx/onnx-read.js';
import { BASELINES_METADATA_KEY, formatComparison } from '../data/replay/baselines.js';
import { DEFAULT_DRIVING_GATE, GATE_METADATA_KEY, parseGate, type EvalGate } from '../runtime/policy/eval-gate.js';
import { evalRecordPath, writeEvalRecord, type EvalRecord } from '../runtime/policy/eval-record.js';
import { EVAL_SECTIONS, recordComparisons, runEvaluation, type EvalSection } from '../learning/eval/run-eval.js';
import { PilotError } from '../core/util/errors.js';
import { CliError, parse } from './args.js';

export const EVAL_USAGE = `pilot eval --model <onnx> [--bags <bag,...>] [--config launch/drive.yaml] [--sim-config <yaml>]
              [--only open_loop,closed_loop,robustness,latency] [--tracks lake,city-block] [--laps N]
              [--json <file>|-] [--no-record]`;

export async function evalCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string', short: 'm' },
    bags: { type: 'string' },
    config: { type: 'string', short: 'c' },
    'sim-config': { type: 'string' },
    only: { type: 'string' },
    tracks: { type: 'string' },
    laps: { type: 'string' },
    json: { type: 'string' },
    'no-record': { type: 'boolean' },
  });
  if (!values.model) throw new CliError('eval needs --model <onnx>');
  const modelPath = values.model;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(modelPath);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${modelPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const info = readOnnxInfo(bytes, modelPath);
  let gate: EvalGate = parseGate(info.metadata[GATE_METADATA_KEY], modelPath) ?? DEFAULT_DRIVING_GATE;
  if (!info.metadata[GATE_METADATA_KEY]) console.error(`eval: ${modelPath} carries no ${GATE_METADATA_KEY}; holding it to the default driving gate`);
  if (values.tracks) gate = { ...gate, closed_loop: { ...gate.closed_loop, tracks: list(values.tracks) } };
  if (values.laps) {
    const laps = Number(values.laps);
    if (!Number.isInteger(laps) || laps < 1) throw new CliError(`--laps must be a positive integer, got '${values.laps}'`);
    gate = { ...gate, closed_loop: { ...gate.closed_loop, laps } };
  }
  const sections = values.only ? list(values.only) : [...EVAL_SECTIONS];
  for (const s of sections) if (!(EVAL_SECTIONS as readonly string[]).includes(s)) throw new CliError(`--only: unknown section '${s}' (known: ${EVAL_SECTIONS.join(', ')})`);
  const bags = values.bags ? list(values.bags) : [];
  if (sections.includes('open_loop') && bags.length === 0) console.error('eval: no --bags given: the open-loop checks cannot be measured and fail');
  if (sections.includes('open_loop') && !info.metadata[BASELINES_METADATA_KEY]) {
    console.error(`eval: ${modelPath} carries no ${BASELINES_METADATA_KEY} (training-set means); the open-loop baseline checks hold it to the zero baseline`);
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let record: EvalRecord;
  try {
    record = await runEvaluation({
      modelPath,
      config: values.config ?? 'launch/drive.yaml',
      gate,
      bags,
      sections: sections as EvalSection[],
      ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
      log: (line) => console.error(line),
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  console.log(formatRecord(record));
  if (values.json === '-') console.log(JSON.stringify(record, null, 2));
  else if (values.json) writeEvalRecord(record, values.json);
  // A partial or customised run is not the model's gate: it must not unlock deployment.
  const complete = !values.only && !values.tracks && !values.laps;
  if (!values['no-record'] && complete) console.log(`eval record: ${writeEvalRecord(record, evalRecordPath(modelPath))}`);
  else if (!values['no-record']) console.log('eval record not written: --only/--tracks/--laps change the gate');
  return record.passed ? 0 : 1;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export function formatRecord(r: EvalRecord): string {
  const lines = [`${r.passed ? 'PASS' : 'FAIL'}  ${r.model} (sha256 ${r.sha256.slice(0, 12)}…)`];
  for (const c of r.checks) {
    const actual = c.actual === null ? 'not measured' : Number.isInteger(c.actual) ? String(c.actual) : c.actual.toFixed(3);
    lines.push(`  ${c.pass ? '✔' : '✘'} ${c.section.padEnd(28)} ${c.label.padEnd(36)} ${actual.padStart(12)} ${c.op} ${c.limit}${c.unit ? ' ' + c.unit : ''}`);
  }
  const comparisons = recordComparisons(r);
  if (comparisons.length > 0) lines.push('  open loop against the baselines (pooled over the held-out bags):');
  for (const c of comparisons) lines.push(`    ${formatComparison(c)}`);
  return lines.join('\n');
}
