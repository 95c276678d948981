/**
 * Writes models/pilotnet-test.onnx and its model card models/pilotnet-test.md.
 * test/export checks that the committed files match what this produces, so rerun it after changing the builder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPilotNet, type PilotNetModel, type PilotNetOptions } from '../src/export/pilotnet.js';

/** The options the committed test model is built with. */
export const PILOTNET_TEST_OPTIONS: PilotNetOptions = { variant: 'full', seed: 1, id: 'pilotnet-test', activation: 'elu' };
export const PILOTNET_TEST_PATH = 'models/pilotnet-test.onnx';
export const PILOTNET_TEST_CARD = 'models/pilotnet-test.md';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function modelCard(model: PilotNetModel, fileName: string): string {
  const { contract } = model;
  const camera = contract.inputs.find((i) => i.role === 'camera')!;
  const out = contract.outputs[0]!;
  const n = (v: number) => v.toLocaleString('en-US');
  return `# ${contract.id}

**An untrained, randomly initialised network. It does not drive.**

\`${fileName}\` has the architecture, size and inference cost of NVIDIA's PilotNet
(Bojarski et al. 2016, *End to End Learning for Self-Driving Cars*), but its weights are seeded random numbers,
not learned. It exists to exercise the pilot runtime (loading, contract checks, preprocessing, timing, safety
layer) until the fine-tuned model lands. Its outputs respond to the image but mean nothing.

- Weights: mulberry32 PRNG, seed ${model.seed}; He-uniform for ELU layers, Glorot-uniform for the tanh head; biases zero.
- Rebuild: \`npm run build && npm run models\` (byte-identical output; \`test/export\` checks it).
- Parameters: ${n(model.parameterCount)}
- File: ${n(model.bytes.length)} bytes, ONNX IR 8, opset 17, producer \`pilot\`
- sha256: \`${sha256(model.bytes)}\`

## Architecture

| layer | operation | output shape | parameters |
|---|---|---|---|
| input | \`${camera.name}\` | [${camera.shape.join(', ')}] | 0 |
${model.layers.map((l) => `| ${l.name} | ${l.description} | [${l.outputShape.join(', ')}] | ${n(l.parameters)} |`).join('\n')}

## Inputs

- \`${camera.name}\`: float32 [${camera.shape.join(', ')}], ${camera.layout}, ${camera.color.toUpperCase()}.
  Preprocessing (done by the runtime, from the contract): crop top ${camera.crop.top}, bottom ${camera.crop.bottom},
  left ${camera.crop.left}, right ${camera.crop.right} of the frame; resize to ${camera.shape[3]}×${camera.shape[2]};
  value = (pixel · ${camera.normalize.scale.toPrecision(6)} − ${camera.normalize.mean[0]}) / ${camera.normalize.std[0]}, i.e. [−1, 1];
  undistort: ${camera.undistort}.

## Outputs

\`${out.name}\`: float32 [${out.shape.join(', ')}], tanh, in [−1, 1]. Physical value = raw · scale + offset:

| index | field | unit | scale | offset | range |
|---|---|---|---|---|---|
${out.fields.map((f, i) => `| ${i} | ${f.name} | ${f.unit} | ${f.scale} | ${f.offset} | ${f.offset - f.scale} … ${f.offset + f.scale} |`).join('\n')}

## Contract (\`pilot.contract\` metadata)

\`\`\`json
${compactJson(contract)}
\`\`\`
`;
}

/** Pretty JSON with arrays of numbers/strings kept on one line, so the card stays readable. */
function compactJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_, items: string) => `[${items.split(/,\s+/).join(', ')}]`);
}

function main(): void {
  // Compiled, this runs from dist/scripts/ (two levels below the root); from source, scripts/ (one).
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, here.endsWith(join('dist', 'scripts')) ? '../..' : '..');
  const model = buildPilotNet(PILOTNET_TEST_OPTIONS);
  mkdirSync(join(root, 'models'), { recursive: true });
  writeFileSync(join(root, PILOTNET_TEST_PATH), model.bytes);
  writeFileSync(join(root, PILOTNET_TEST_CARD), modelCard(model, 'pilotnet-test.onnx'));
  console.log(`${PILOTNET_TEST_PATH}: ${model.parameterCount} parameters, ${model.bytes.length} bytes, sha256 ${sha256(model.bytes)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
