/**
 * `pilot eval --model <onnx>`: the evaluation gate before deployment. Runs the checks the model's
 * `pilot.gate` metadata asks for (or the default driving gate), prints them, writes
 * `<model>.eval.json` (which `model.require_eval` deployments insist on) and exits 1 on a failure.
 */
import { readOnnxInfo } from '../core/onnx/onnx-read.js';
import { BASELINES_METADATA_KEY, formatComparison } from '../data/replay/baselines.js';
import { DEFAULT_DRIVING_GATE, GATE_METADATA_KEY, parseGate, type EvalGate } from '../runtime/policy/eval-gate.js';
import { evalRecordPath, writeEvalRecord, type EvalRecord } from '../runtime/policy/eval-record.js';
import { EVAL_SECTIONS, recordComparisons, runEvaluation, type EvalSection } from '../learning/eval/run-eval.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { commaList, flag, number, text } from './options.js';
import { simConfigOption } from './shared-options.js';
import { readModelFile } from '../core/onnx/model-file.js';

const OPTIONS = {
  model: text('-m, --model <onnx>', 'the model to evaluate (required)'),
  bags: commaList('--bags <bag,...>', 'held-out bags for the open-loop checks'),
  config: text('-c, --config <yaml>', 'the runtime config', { default: 'launch/drive.yaml' }),
  'sim-config': simConfigOption(),
  only: commaList('--only <sections>', `run only these sections (${EVAL_SECTIONS.join(', ')}); writes no eval record`),
  tracks: commaList('--tracks <names>', 'closed-loop tracks instead of the gate\'s; writes no eval record'),
  laps: number('--laps <n>', 'closed-loop laps instead of the gate\'s; writes no eval record', { integer: true, min: 1 }),
  json: text('--json [file]', 'the record as JSON to this file; bare --json or - prints it on stdout (the summary then goes to stderr)', { preset: '-' }),
  'no-record': flag('--no-record', 'do not write <model>.eval.json'),
} as const;

export const EVAL = defineCommand({
  name: 'eval',
  summary: "the evaluation gate before deployment: the checks the model's pilot.gate asks for; exit 1 on a failure",
  description: 'Writes <model>.eval.json, which deployments with model.require_eval insist on.',
  options: OPTIONS,
  examples: ['pilot eval --model models/pilot-drive.onnx --bags runs/heldout-1,runs/heldout-2'],
  run: runEval,
});

export function evalCommand(args: readonly string[]): Promise<number> {
  return invoke(EVAL, args);
}

async function runEval({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (!values.model) throw new CliError('eval needs --model <onnx>');
  const modelPath = values.model;
  const info = readOnnxInfo(readModelFile(modelPath), modelPath);
  let gate: EvalGate = parseGate(info.metadata[GATE_METADATA_KEY], modelPath) ?? DEFAULT_DRIVING_GATE;
  if (!info.metadata[GATE_METADATA_KEY]) out.log(`eval: ${modelPath} carries no ${GATE_METADATA_KEY}; holding it to the default driving gate`);
  if (values.tracks) gate = { ...gate, closed_loop: { ...gate.closed_loop, tracks: values.tracks } };
  if (values.laps !== undefined) gate = { ...gate, closed_loop: { ...gate.closed_loop, laps: values.laps } };
  const sections = values.only ?? [...EVAL_SECTIONS];
  for (const s of sections) if (!(EVAL_SECTIONS as readonly string[]).includes(s)) throw new CliError(`--only: unknown section '${s}' (known: ${EVAL_SECTIONS.join(', ')})`);
  const bags = values.bags ?? [];
  if (sections.includes('open_loop') && bags.length === 0) out.warn('eval: no --bags given: the open-loop checks cannot be measured and fail');
  if (sections.includes('open_loop') && !info.metadata[BASELINES_METADATA_KEY]) {
    out.warn(`eval: ${modelPath} carries no ${BASELINES_METADATA_KEY} (training-set means); the open-loop baseline checks hold it to the zero baseline`);
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  let record: EvalRecord;
  try {
    record = await runEvaluation({
      modelPath,
      config: values.config,
      gate,
      bags,
      sections: sections as EvalSection[],
      ...(values['sim-config'] ? { simConfig: values['sim-config'] } : {}),
      log: out.log,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
  }
  // With the JSON on stdout, the summary and notes go to stderr.
  const say = values.json === '-' ? out.log : out.result;
  say(formatRecord(record));
  if (values.json === '-') out.result(JSON.stringify(record, null, 2));
  else if (values.json) writeEvalRecord(record, values.json);
  // A partial or customised run is not the model's gate: it must not unlock deployment.
  const complete = !values.only && !values.tracks && values.laps === undefined;
  if (!values['no-record'] && complete) say(`eval record: ${writeEvalRecord(record, evalRecordPath(modelPath))}`);
  else if (!values['no-record']) say('eval record not written: --only/--tracks/--laps change the gate');
  return record.passed ? 0 : 1;
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
