/**
 * Writes models/pilotnet-test.onnx and its model card models/pilotnet-test.md.
 * test/learning/export checks that the committed files match what this produces, so rerun it after changing the builder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildChunkedPolicy, type ChunkedPolicyModel, type ChunkedPolicyOptions } from '../src/learning/export/chunked-policy.js';
import { buildPilotNet, type PilotNetModel, type PilotNetOptions } from '../src/learning/export/pilotnet.js';

/** The options the committed test model is built with. */
export const PILOTNET_TEST_OPTIONS: PilotNetOptions = { variant: 'full', seed: 1, id: 'pilotnet-test', activation: 'elu' };
export const PILOTNET_TEST_PATH = 'models/pilotnet-test.onnx';
export const PILOTNET_TEST_CARD = 'models/pilotnet-test.md';

/** The committed chunked test policy: 50 actions × 10 ms (a 500 ms horizon, a pi0-sized chunk), camera 320×240. */
export const CHUNKED_TEST_OPTIONS: ChunkedPolicyOptions = { steps: 50, stepMs: 10, height: 240, width: 320, id: 'chunked-test' };
export const CHUNKED_TEST_PATH = 'models/chunked-test.onnx';
export const CHUNKED_TEST_CARD = 'models/chunked-test.md';

export function chunkedCard(model: ChunkedPolicyModel, fileName: string): string {
  const out = model.contract.outputs[0]!;
  const chunk = out.chunk!;
  return `# ${model.contract.id}

**An analytic test policy, not a learned one. It does not drive a track.**

\`${fileName}\` outputs a chunk of ${chunk.steps} (steering, speed) actions, ${chunk.step_ms} ms apart (a
${chunk.steps * chunk.step_ms} ms horizon), from the per-channel means m of the camera image (pixels / 255):
steering_raw[i] = tanh(2 · (m_r − m_b) + 0.05 · (i − ${(chunk.steps - 1) / 2})), speed_raw[i] = tanh(0.5). It exists to
exercise the action queue (time indexing, blending, fallbacks) and the policy server; \`pilot bench --chunked\`
slows it down on purpose (\`--inference-delay-ms\`).

- Rebuild: \`npm run build && npm run models\` (byte-identical output; \`test/learning/export/chunked-policy.test.ts\` checks it).
- Builder: \`src/learning/export/chunked-policy.ts\`. Graph: GlobalAveragePool → Flatten → Gemm → Tanh → Reshape.
- File: ${model.bytes.length.toLocaleString('en-US')} bytes, sha256 \`${sha256(model.bytes)}\`
- Input \`image\`: float32 [1, 3, 240, 320], NCHW, RGB, pixels / 255, no crop.
- Output \`${out.name}\`: float32 [${out.shape.join(', ')}], fields ${out.fields.map((f) => `${f.name} [${f.unit}] = raw·${f.scale} + ${f.offset}`).join(', ')}.

## Contract (\`pilot.contract\` metadata)

\`\`\`json
${compactJson(model.contract)}
\`\`\`
`;
}

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
  const chunked = buildChunkedPolicy(CHUNKED_TEST_OPTIONS);
  writeFileSync(join(root, CHUNKED_TEST_PATH), chunked.bytes);
  writeFileSync(join(root, CHUNKED_TEST_CARD), chunkedCard(chunked, 'chunked-test.onnx'));
  console.log(`${CHUNKED_TEST_PATH}: ${chunked.bytes.length} bytes, sha256 ${sha256(chunked.bytes)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
