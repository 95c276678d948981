/**
 * Reads what the runtime and `pilot model inspect` need from an ONNX file without creating a session:
 * versions, metadata (the contract lives there), graph inputs/outputs and size.
 */
import { PilotError } from '../util/errors.js';
import { onnx, type OnnxTypes } from './onnx-proto.js';

export interface OnnxValueInfo {
  readonly name: string;
  /** Fixed sizes as numbers, symbolic dims by name ('?' when unnamed). */
  readonly dims: (number | string)[];
  /** TensorProto data type name in lower case, e.g. `float`, `int64`; `unknown` for non-tensors. */
  readonly elemType: string;
}

export interface OnnxInfo {
  readonly irVersion: number;
  /** Version of the default (ai.onnx) operator set. */
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly metadata: Record<string, string>;
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
  /** Elements in floating-point initializers (int64 shape constants and the like are not parameters). */
  readonly parameterCount: number;
  readonly nodeCount: number;
  /** Node count per op type (default domain unprefixed, others as `domain::Op`). */
  readonly opTypes: Record<string, number>;
}

const FLOAT_TYPES = new Set<number>([
  onnx.TensorProto.DataType.FLOAT,
  onnx.TensorProto.DataType.FLOAT16,
  onnx.TensorProto.DataType.BFLOAT16,
  onnx.TensorProto.DataType.DOUBLE,
]);

/** `source` names the file in errors. A buffer that is not an ONNX model → PilotError E_MODEL_FORMAT. */
export function readOnnxInfo(bytes: Uint8Array, source: string): OnnxInfo {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw formatError(source, `not an ONNX protobuf (${(err as Error).message})`);
  }
  // Protobuf skips unknown fields, so arbitrary bytes can decode "successfully": require the essentials.
  // Decoded sub-messages are class instances with defaults filled in, though typed as the I* interfaces.
  const graph = model.graph as OnnxTypes.GraphProto | null;
  const irVersion = toNumber(model.irVersion);
  if (!graph || irVersion <= 0 || model.opsetImport.length === 0) {
    throw formatError(source, `not an ONNX model (${bytes.length} bytes, no graph, IR version or opset)`);
  }
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  const opTypes: Record<string, number> = {};
  for (const n of graph.node) {
    const op = n.opType ?? '';
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${op}` : op;
    opTypes[key] = (opTypes[key] ?? 0) + 1;
  }
  const defaultOpset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    irVersion,
    opsetVersion: defaultOpset ? toNumber(defaultOpset.version) : 0,
    producerName: model.producerName,
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    // Before IR 4, initializers were also listed as graph inputs; they are not inputs a caller feeds.
    inputs: graph.input.filter((v) => !initializerNames.has(v.name)).map(valueInfo),
    outputs: graph.output.map(valueInfo),
    parameterCount: graph.initializer
      .filter((t) => FLOAT_TYPES.has(t.dataType ?? 0))
      .reduce((sum, t) => sum + (t.dims ?? []).reduce<number>((p, d) => p * toNumber(d), 1), 0),
    nodeCount: graph.node.length,
    opTypes,
  };
}

function formatError(source: string, what: string): PilotError {
  return new PilotError('E_MODEL_FORMAT', `${source}: ${what}`);
}

function valueInfo(v: OnnxTypes.IValueInfoProto): OnnxValueInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    dims: (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : '?')),
    elemType: tensor?.elemType != null ? (onnx.TensorProto.DataType[tensor.elemType]?.toLowerCase() ?? `type${tensor.elemType}`) : 'unknown',
  };
}

/** protobufjs decodes int64 as Long when the `long` package is present, else as number. */
function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v == null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
