/**
 * A single-step policy as a chunked one, for testing asynchronous execution with a network that
 * drives: the output [1, fields] is repeated over `steps` (Unsqueeze → Expand to [1, steps, fields])
 * and the contract gets `chunk: { steps, step_ms }`. Every action of a chunk is the action for its
 * observation, so executing it later holds that action: a chunked *variant*, not a model trained to
 * predict the future (that would need a head predicting the next N expert actions).
 */
import { CONTRACT_METADATA_KEY, ModelContract, parseContract } from '../../runtime/policy/contract.js';
import { PilotError } from '../../core/util/errors.js';
import { onnx, type OnnxTypes } from '../../core/onnx/onnx-proto.js';

export interface ChunkifyOptions {
  readonly steps: number;
  readonly stepMs: number;
  /** Contract id of the result; default `<id>-chunk<steps>x<stepMs>ms`. */
  readonly id?: string;
}

export function chunkifyModel(bytes: Uint8Array, source: string, options: ChunkifyOptions): { bytes: Uint8Array; contract: ModelContract } {
  const { steps, stepMs } = options;
  if (!Number.isInteger(steps) || steps < 1) throw new PilotError('E_CHUNK_CONFIG', `--steps must be a positive integer, got ${steps}`);
  if (!(stepMs > 0)) throw new PilotError('E_CHUNK_CONFIG', `--step-ms must be positive, got ${stepMs}`);
  const model = onnx.ModelProto.decode(bytes);
  const meta = model.metadataProps.find((p) => p.key === CONTRACT_METADATA_KEY);
  const contract = parseContract(meta?.value ?? undefined, source);
  const out = contract.outputs[0]!;
  if (out.chunk) throw new PilotError('E_MODEL_CONTRACT', `${source}: output '${out.name}' is already chunked (${out.chunk.steps} × ${out.chunk.step_ms} ms)`);
  const graph = model.graph!;
  const fields = out.fields.length;
  const step = `${out.name}__step`;
  // The node that wrote the output now writes `step`; two nodes turn it into the chunk under the old name.
  const producer = graph.node!.find((n) => n.output?.includes(out.name));
  if (!producer) throw new PilotError('E_MODEL_FORMAT', `${source}: no node produces output '${out.name}'`);
  producer.output = producer.output!.map((o) => (o === out.name ? step : o));
  const int64 = (name: string, values: number[]): OnnxTypes.ITensorProto => ({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
  graph.initializer!.push(int64(`${out.name}__axes`, [1]), int64(`${out.name}__chunk_shape`, [1, steps, fields]));
  graph.node!.push(
    { name: `${out.name}__unsqueeze`, opType: 'Unsqueeze', input: [step, `${out.name}__axes`], output: [`${step}3d`] },
    { name: `${out.name}__expand`, opType: 'Expand', input: [`${step}3d`, `${out.name}__chunk_shape`], output: [out.name] },
  );
  const valueInfo = graph.output!.find((o) => o.name === out.name)!;
  valueInfo.type = { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: steps }, { dimValue: fields }] } } };
  const chunked = ModelContract.parse({
    ...contract,
    id: options.id ?? `${contract.id}-chunk${steps}x${stepMs}ms`,
    outputs: [{ ...out, shape: [1, steps, fields], chunk: { steps, step_ms: stepMs } }],
  });
  meta!.value = JSON.stringify(chunked);
  return { bytes: onnx.ModelProto.encode(model).finish(), contract: chunked };
}
