import { writeFileSync } from 'node:fs';
import { parseConfig } from '../core/config/load.js';
import { chunkifyModel } from '../learning/export/chunkify.js';
import { convertToFp16, PRECISION_METADATA_KEY } from '../learning/export/fp16.js';
import { readOnnxInfo } from '../core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../runtime/policy/contract.js';
import { checkContractAgainstGraph, PolicySession } from '../runtime/policy/policy-session.js';
import { formatProviderReport, type ProviderStartup } from '../runtime/policy/providers.js';
import { PilotError } from '../core/util/errors.js';
import { CliError } from './args.js';
import { defineCommand, invoke, isGroup, type GroupDef, type Parsed } from './command.js';
import { commaList, flag, number } from './options.js';
import { epOption } from './shared-options.js';
import { readModelFile } from '../core/onnx/model-file.js';

const INSPECT_OPTIONS = {
  json: flag('--json', 'the result as JSON on stdout'),
  ep: epOption('none: the file only'),
  warmup: number('--warmup <n>', 'warm-up inferences with --ep', { default: 20, integer: true, min: 1 }),
  worker: flag('--worker', 'with --ep: run inference on a worker thread'),
} as const;

const INSPECT = defineCommand({
  name: 'inspect',
  summary: "a model's contract (inputs, outputs, units), size and metadata; with --ep, which provider runs it and why",
  arguments: [{ name: '<model.onnx>', description: 'the model' }],
  options: INSPECT_OPTIONS,
  examples: ['pilot model inspect models/pilot-drive.onnx --ep cuda,cpu'],
  run: inspect,
});

const FP16_OPTIONS = {
  'keep-fp32': commaList('--keep-fp32 <ops>', 'operator types kept in float32, comma separated (e.g. Conv,Gemm)'),
  json: flag('--json', 'the conversion report as JSON on stdout'),
} as const;

const FP16 = defineCommand({
  name: 'fp16',
  summary: 'float16 weights, float32 inputs and outputs; the contract is checked against the converted graph',
  arguments: [
    { name: '<in.onnx>', description: 'the float32 model' },
    { name: '<out.onnx>', description: 'where to write the float16 model' },
  ],
  options: FP16_OPTIONS,
  examples: ['pilot model fp16 models/pilot-drive.onnx models/pilot-drive-fp16.onnx'],
  run: fp16,
});

const CHUNK_OPTIONS = {
  steps: number('--steps <n>', 'actions per chunk', { default: 10, integer: true, positive: true }),
  'step-ms': number('--step-ms <ms>', 'time between the actions', { default: 20, positive: true }),
} as const;

const CHUNK = defineCommand({
  name: 'chunk',
  summary: "a single-step policy as a chunked one (its action repeated over the chunk)",
  arguments: [
    { name: '<in.onnx>', description: 'the single-step policy' },
    { name: '<out.onnx>', description: 'where to write the chunked policy' },
  ],
  options: CHUNK_OPTIONS,
  examples: ['pilot model chunk models/pilot-drive.onnx models/pilot-drive-chunked.onnx --steps 10 --step-ms 50'],
  run: chunk,
});

export const MODEL: GroupDef = { name: 'model', summary: 'inspect a model, convert it to float16, make it chunked', commands: [INSPECT, FP16, CHUNK] };

export function modelCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const def = MODEL.commands.find((c) => c.name === sub);
  if (!def || isGroup(def)) throw new CliError(`model: unknown subcommand '${sub ?? ''}' (known: inspect, fp16, chunk)`);
  return invoke(def, rest);
}

/** `--ep`: load the model with those providers (CPU appended) and report which one runs it and why. */
async function providerStartup(path: string, providers: readonly string[], warmupRuns: number, worker: boolean): Promise<ProviderStartup> {
  const model = parseConfig(
    { model: { path, providers, warmup_runs: warmupRuns, inference_thread: worker ? 'worker' : 'main' } },
    'model inspect',
    process.cwd(),
  ).model;
  const policy = await PolicySession.create({ model, log: () => {} });
  await policy.dispose();
  return policy.startup;
}

async function inspect({ values, positionals, out }: Parsed<typeof INSPECT_OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  const bytes = readModelFile(path);
  const info = readOnnxInfo(bytes, path);
  const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], path);
  const startup = values.ep !== undefined ? await providerStartup(path, values.ep, values.warmup, values.worker) : undefined;
  if (values.json) {
    out.result(JSON.stringify({ path, bytes: bytes.length, ...info, contract, ...(startup ? { startup } : {}) }, null, 2));
    return 0;
  }
  const dims = (d: readonly (number | string)[]) => `[${d.join('×')}]`;
  const lines = [
    `${path}  (${(bytes.length / 1024).toFixed(0)} KiB)`,
    `  model id     ${contract.id}  profile ${contract.profile}`,
    `  producer     ${info.producerName || '?'}  ir ${info.irVersion}  opset ${info.opsetVersion}`,
    ...(info.metadata[PRECISION_METADATA_KEY] ? [`  precision    ${info.metadata[PRECISION_METADATA_KEY]}`] : []),
    `  parameters   ${info.parameterCount.toLocaleString('en-US')}  nodes ${info.nodeCount}`,
    `  inputs`,
    ...contract.inputs.map((i) =>
      i.role === 'camera'
        ? `    ${i.name}  camera ${dims(i.shape)} ${i.dtype} ${i.layout} ${i.color}  crop t${i.crop.top} b${i.crop.bottom} l${i.crop.left} r${i.crop.right}  ` +
          `normalise (x·${i.normalize.scale.toPrecision(4)} − [${i.normalize.mean.join(',')}]) / [${i.normalize.std.join(',')}]${i.undistort ? '  undistort' : ''}`
        : `    ${i.name}  state ${dims(i.shape)} ${i.dtype}  fields ${i.fields.join(', ')}`,
    ),
    `  outputs`,
    ...contract.outputs.flatMap((o) => [
      `    ${o.name}  ${dims(o.shape)} ${o.dtype}`,
      ...(o.chunk
        ? [`      chunk: ${o.chunk.steps} actions × ${o.chunk.step_ms} ms = ${o.chunk.steps * o.chunk.step_ms} ms horizon (action i for the observation's time + i·${o.chunk.step_ms} ms)`]
        : []),
      ...o.fields.map((f) => `      ${f.name} [${f.unit}]${f.scale !== 1 || f.offset !== 0 ? `  = raw·${f.scale} + ${f.offset}` : ''}`),
    ]),
    ...(startup ? formatProviderReport(startup).map((l) => `  ${l}`) : []),
  ];
  out.result(lines.join('\n'));
  return 0;
}

/** Float16 weights, float32 inputs and outputs; the contract is checked against the converted graph. */
async function fp16({ values, positionals, out }: Parsed<typeof FP16_OPTIONS>): Promise<number> {
  const [input, output] = positionals as [string, string];
  const bytes = readModelFile(input);
  const contract = parseContract(readOnnxInfo(bytes, input).metadata[CONTRACT_METADATA_KEY], input);
  const keepFloat32 = values['keep-fp32'] ?? [];
  const { bytes: converted, report } = convertToFp16(bytes, input, { keepFloat32 });
  checkContractAgainstGraph(contract, readOnnxInfo(converted, output), output);
  try {
    writeFileSync(output, converted);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (values.json) {
    out.result(JSON.stringify({ input, output, ...report }, null, 2));
    return 0;
  }
  out.result(
    `${output}: ${report.convertedParameters.toLocaleString('en-US')} weights in float16 (${report.convertedInitializers} tensors), ` +
      `${report.float16Nodes} nodes in float16, ${report.float32Nodes} kept in float32, ${report.castNodes} Cast nodes; ` +
      `${(report.bytesBefore / 1024).toFixed(0)} → ${(report.bytesAfter / 1024).toFixed(0)} KiB` +
      (report.clamped || report.flushedToZero ? `; ${report.clamped} weights clamped to ±65504, ${report.flushedToZero} flushed to zero` : ''),
  );
  return 0;
}

/** A single-step policy as a chunked one: its action repeated over the chunk (see export/chunkify.ts). */
async function chunk({ values, positionals, out }: Parsed<typeof CHUNK_OPTIONS>): Promise<number> {
  const [input, output] = positionals as [string, string];
  const { bytes, contract } = chunkifyModel(readModelFile(input), input, { steps: values.steps, stepMs: values['step-ms'] });
  checkContractAgainstGraph(contract, readOnnxInfo(bytes, output), output);
  try {
    writeFileSync(output, bytes);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const c = contract.outputs[0]!.chunk!;
  out.result(`${output}: ${contract.id}, output [${contract.outputs[0]!.shape.join(', ')}]: ${c.steps} actions × ${c.step_ms} ms (each the action for the observation)`);
  return 0;
}
