import { readFileSync, writeFileSync } from 'node:fs';
import { parseConfig } from '../core/config/load.js';
import { chunkifyModel } from '../learning/export/chunkify.js';
import { convertToFp16, PRECISION_METADATA_KEY } from '../learning/export/fp16.js';
import { readOnnxInfo } from '../core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../runtime/policy/contract.js';
import { checkContractAgainstGraph, PolicySession } from '../runtime/policy/policy-session.js';
import { formatProviderReport, type ProviderStartup } from '../runtime/policy/providers.js';
import { PilotError } from '../core/util/errors.js';
import { CliError, parse, positiveNumber, providerList } from './args.js';

export const MODEL_USAGE = `pilot model inspect <model.onnx> [--json] [--ep tensorrt,cuda,webgpu,cpu [--warmup N] [--worker]]
  pilot model fp16 <in.onnx> <out.onnx> [--keep-fp32 Op,Op] [--json]
  pilot model chunk <in.onnx> <out.onnx> [--steps 10] [--step-ms 20]   (a single-step policy's action repeated as a chunk)`;

export async function modelCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'inspect') return inspect(rest);
  if (sub === 'fp16') return fp16(rest);
  if (sub === 'chunk') return chunk(rest);
  throw new CliError(`model: unknown subcommand '${sub ?? ''}' (known: inspect, fp16, chunk)`);
}

function readModel(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `--ep`: load the model with those providers (CPU appended) and report which one runs it and why. */
async function providerStartup(path: string, ep: string, warmup: string | undefined, worker: boolean): Promise<ProviderStartup> {
  const model = parseConfig(
    { model: { path, providers: providerList(ep, ['cpu']), warmup_runs: Math.round(positiveNumber(warmup, '--warmup', 20)), inference_thread: worker ? 'worker' : 'main' } },
    'model inspect',
    process.cwd(),
  ).model;
  const policy = await PolicySession.create({ model, log: () => {} });
  await policy.dispose();
  return policy.startup;
}

async function inspect(rest: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    rest,
    { json: { type: 'boolean' }, ep: { type: 'string' }, warmup: { type: 'string' }, worker: { type: 'boolean' } },
    true,
  );
  const path = positionals[0];
  if (!path) throw new CliError('model inspect needs a model file');
  const bytes = readModel(path);
  const info = readOnnxInfo(bytes, path);
  const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], path);
  const startup = values.ep !== undefined ? await providerStartup(path, values.ep, values.warmup, values.worker ?? false) : undefined;
  if (values.json) {
    console.log(JSON.stringify({ path, bytes: bytes.length, ...info, contract, ...(startup ? { startup } : {}) }, null, 2));
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
  console.log(lines.join('\n'));
  return 0;
}

/** Float16 weights, float32 inputs and outputs; the contract is checked against the converted graph. */
async function fp16(rest: readonly string[]): Promise<number> {
  const { values, positionals } = parse(rest, { 'keep-fp32': { type: 'string' }, json: { type: 'boolean' } }, true);
  const [input, output] = positionals;
  if (!input || !output) throw new CliError('model fp16 needs <in.onnx> <out.onnx>');
  if (positionals.length > 2) throw new CliError(`model fp16: unexpected argument '${positionals[2]}'`);
  const bytes = readModel(input);
  const contract = parseContract(readOnnxInfo(bytes, input).metadata[CONTRACT_METADATA_KEY], input);
  const keepFloat32 = (values['keep-fp32'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const { bytes: converted, report } = convertToFp16(bytes, input, { keepFloat32 });
  checkContractAgainstGraph(contract, readOnnxInfo(converted, output), output);
  try {
    writeFileSync(output, converted);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (values.json) {
    console.log(JSON.stringify({ input, output, ...report }, null, 2));
    return 0;
  }
  console.log(
    `${output}: ${report.convertedParameters.toLocaleString('en-US')} weights in float16 (${report.convertedInitializers} tensors), ` +
      `${report.float16Nodes} nodes in float16, ${report.float32Nodes} kept in float32, ${report.castNodes} Cast nodes; ` +
      `${(report.bytesBefore / 1024).toFixed(0)} → ${(report.bytesAfter / 1024).toFixed(0)} KiB` +
      (report.clamped || report.flushedToZero ? `; ${report.clamped} weights clamped to ±65504, ${report.flushedToZero} flushed to zero` : ''),
  );
  return 0;
}

/** A single-step policy as a chunked one: its action repeated over the chunk (see export/chunkify.ts). */
async function chunk(rest: readonly string[]): Promise<number> {
  const { values, positionals } = parse(rest, { steps: { type: 'string' }, 'step-ms': { type: 'string' } }, true);
  const [input, output] = positionals;
  if (!input || !output) throw new CliError('model chunk needs <in.onnx> <out.onnx>');
  const steps = positiveNumber(values.steps, '--steps', 10);
  if (!Number.isInteger(steps)) throw new CliError(`--steps must be a whole number, got '${values.steps}'`);
  const { bytes, contract } = chunkifyModel(readModel(input), input, { steps, stepMs: positiveNumber(values['step-ms'], '--step-ms', 20) });
  checkContractAgainstGraph(contract, readOnnxInfo(bytes, output), output);
  try {
    writeFileSync(output, bytes);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const c = contract.outputs[0]!.chunk!;
  console.log(`${output}: ${contract.id}, output [${contract.outputs[0]!.shape.join(', ')}]: ${c.steps} actions × ${c.step_ms} ms (each the action for the observation)`);
  return 0;
}
