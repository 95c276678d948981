import { readFileSync } from 'node:fs';
import { readOnnxInfo } from '../export/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract } from '../policy/contract.js';
import { PilotError } from '../util/errors.js';
import { CliError, parse } from './args.js';

export async function modelCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'inspect') throw new CliError(`model: unknown subcommand '${sub ?? ''}' (known: inspect)`);
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, true);
  const path = positionals[0];
  if (!path) throw new CliError('model inspect needs a model file');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const info = readOnnxInfo(bytes, path);
  const contract = parseContract(info.metadata[CONTRACT_METADATA_KEY], path);
  if (values.json) {
    console.log(JSON.stringify({ path, bytes: bytes.length, ...info, contract }, null, 2));
    return 0;
  }
  const dims = (d: readonly (number | string)[]) => `[${d.join('×')}]`;
  const lines = [
    `${path}  (${(bytes.length / 1024).toFixed(0)} KiB)`,
    `  model id     ${contract.id}  profile ${contract.profile}`,
    `  producer     ${info.producerName || '?'}  ir ${info.irVersion}  opset ${info.opsetVersion}`,
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
      ...o.fields.map((f) => `      ${f.name} [${f.unit}]${f.scale !== 1 || f.offset !== 0 ? `  = raw·${f.scale} + ${f.offset}` : ''}`),
    ]),
  ];
  console.log(lines.join('\n'));
  return 0;
}
