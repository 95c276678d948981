/**
 * FP16 variant of a float32 ONNX model: weights and the tensors between nodes in float16, graph inputs
 * and outputs still float32 with Cast nodes at the boundary, so the model contract (pilot.contract, which
 * says float32), the preprocessing and the output parser stay exactly as they are. Every metadata entry
 * is kept; `pilot.precision` is added.
 *
 * Op types listed in `keepFloat32` stay in float32 (their float inputs are cast back up): for a provider
 * that lacks float16 kernels for them, or layers that need the range. A weight used by both kinds of
 * node is stored twice. Only ops whose typing is known here are converted; anything else is refused by
 * name (E_FP16_OP) rather than guessed.
 *
 * Weights beyond ±65504 (float16's largest finite value) are clamped and counted; tiny ones that round
 * to zero are counted too. Conversion rounds to nearest, ties to even.
 */
import { createHash } from 'node:crypto';
import { PilotError } from '../../core/util/errors.js';
import { onnx, type OnnxTypes } from '../../core/onnx/onnx-proto.js';

export const PRECISION_METADATA_KEY = 'pilot.precision';

export interface Fp16Options {
  /** Op types kept in float32, e.g. `['Conv']` for a provider without float16 convolutions. */
  readonly keepFloat32?: readonly string[];
}

export interface Fp16Report {
  /** Float32 initializers stored as float16 (a weight also needed in float32 counts once). */
  readonly convertedInitializers: number;
  readonly convertedParameters: number;
  readonly float16Nodes: number;
  readonly float32Nodes: number;
  readonly castNodes: number;
  /** Weights beyond ±65504, clamped to it. */
  readonly clamped: number;
  /** Non-zero weights that became zero in float16. */
  readonly flushedToZero: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

export interface Fp16Result {
  readonly bytes: Uint8Array;
  readonly report: Fp16Report;
}

const T = onnx.TensorProto.DataType;
const FLOAT = T.FLOAT;
const FLOAT16 = T.FLOAT16;
const HALF_MAX = 65504;

/**
 * Ops whose floating-point inputs and outputs share one type (ONNX's `T`): they run in the precision the
 * node is given, and inputs of another float type get a Cast. Integer inputs (shapes, axes, indices) pass.
 * Resize (float32 `scales`) and the normalisations with a second float type are deliberately not here.
 */
const SAME_TYPE_OPS = new Set([
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul',
  'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Abs', 'Neg', 'Sqrt', 'Exp', 'Log', 'Reciprocal', 'Floor', 'Ceil',
  'Relu', 'LeakyRelu', 'Elu', 'Selu', 'Tanh', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Softplus', 'Softmax', 'LogSoftmax', 'Clip',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'BatchNormalization',
  'Concat', 'Transpose', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout', 'Pad', 'Slice', 'Split',
  'Gather', 'Expand', 'Tile', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin',
]);

/** Outputs after the first that are not of type T. */
const OTHER_OUTPUT_TYPES: Record<string, readonly number[]> = {
  Dropout: [T.BOOL],
  MaxPool: [T.INT64],
};

const isFloat = (t: number | undefined): boolean => t === FLOAT || t === FLOAT16;

/** Converts a float32 ONNX model; `source` names the file in errors. */
export function convertToFp16(bytes: Uint8Array, source: string, options: Fp16Options = {}): Fp16Result {
  const keep = new Set(options.keepFloat32 ?? []);
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as OnnxTypes.GraphProto | null;
  if (!graph) throw new PilotError('E_MODEL_FORMAT', `${source}: not an ONNX model (no graph)`);
  if (model.metadataProps.some((p) => p.key === PRECISION_METADATA_KEY && p.value?.includes('float16'))) {
    throw new PilotError('E_FP16', `${source}: already converted (${PRECISION_METADATA_KEY} says float16)`);
  }
  const rewrite = new Fp16Rewrite(graph, source, keep);
  for (const node of graph.node as OnnxTypes.NodeProto[]) rewrite.node(node);
  rewrite.castOutputsUp(graph.output);
  const converted = rewrite.apply(graph);
  const sourceHash = createHash('sha256').update(bytes).digest('hex');
  model.metadataProps = [
    ...model.metadataProps.filter((p) => p.key !== PRECISION_METADATA_KEY),
    onnx.StringStringEntryProto.create({
      key: PRECISION_METADATA_KEY,
      value: JSON.stringify({ weights: 'float16', io: 'float32', keep_float32: [...keep], source_sha256: sourceHash }),
    }),
  ];
  model.docString = `${model.docString ? `${model.docString}\n` : ''}FP16 variant (weights float16, inputs/outputs float32) of a model with sha256 ${sourceHash}.`;
  const out = onnx.ModelProto.encode(model).finish();
  const { counts } = rewrite;
  return {
    bytes: out,
    report: {
      ...converted,
      float16Nodes: counts.f16Nodes,
      float32Nodes: counts.f32Nodes,
      castNodes: counts.casts,
      clamped: counts.clamped,
      flushedToZero: counts.flushed,
      bytesBefore: bytes.length,
      bytesAfter: out.length,
    },
  };
}

/** The graph rewritten node by node: each value's element type tracked, casts inserted where precisions meet. */
class Fp16Rewrite {
  readonly counts = { clamped: 0, flushed: 0, casts: 0, f16Nodes: 0, f32Nodes: 0 };
  readonly #source: string;
  readonly #keep: ReadonlySet<string>;
  /** Names in use (values and nodes): new ones are made unique against them. */
  readonly #used: Set<string>;
  /** Element type of every value so far: graph inputs, initializers, node outputs as they are produced. */
  readonly #types = new Map<string, number>();
  readonly #floatInitializers = new Map<string, OnnxTypes.TensorProto>();
  /** Which precisions each float32 initializer is read in; float16 reads use a placeholder name until the end. */
  readonly #demand = new Map<string, Set<number>>();
  readonly #casts = new Map<string, string>();
  readonly #nodes: OnnxTypes.INodeProto[] = [];

  constructor(graph: OnnxTypes.GraphProto, source: string, keep: ReadonlySet<string>) {
    this.#source = source;
    this.#keep = keep;
    this.#used = new Set<string>([
      ...graph.input.map((v) => v.name ?? ''),
      ...graph.initializer.map((t) => t.name ?? ''),
      ...graph.node.flatMap((n) => [...(n.output ?? []), n.name ?? '']),
    ]);
    for (const v of graph.input) this.#types.set(v.name ?? '', v.type?.tensorType?.elemType ?? 0);
    for (const t of graph.initializer as OnnxTypes.TensorProto[]) {
      if (t.dataType === FLOAT) {
        if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
          throw new PilotError('E_FP16', `${source}: initializer '${t.name}' has external data; convert a self-contained model`);
        }
        this.#floatInitializers.set(t.name, t);
      }
      this.#types.set(t.name, t.dataType);
    }
  }

  /** One node, in graph order. */
  node(node: OnnxTypes.NodeProto): void {
    const op = node.opType;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new PilotError('E_FP16_OP', `${this.#source}: node '${node.name}' is ${node.domain}::${op}; only standard ONNX ops are converted`);
    }
    if (SAME_TYPE_OPS.has(op)) this.#sameType(node);
    else if (op === 'Constant') this.#constant(node);
    else if (op === 'Cast') {
      const to = node.attribute.find((a) => a.name === 'to');
      this.#types.set(node.output[0]!, Number(to?.i ?? 0));
      this.#nodes.push(node);
    } else if (op === 'Shape' || op === 'Size') {
      this.#types.set(node.output[0]!, T.INT64);
      this.#nodes.push(node);
    } else {
      throw new PilotError(
        'E_FP16_OP',
        `${this.#source}: no float16 rule for op ${op} (node '${node.name}'); supported: ${[...SAME_TYPE_OPS, 'Constant', 'Cast', 'Shape', 'Size'].join(', ')}`,
      );
    }
  }

  /** Graph outputs stay float32: the last float16 value gets a new name and a Cast up to the old one. */
  castOutputsUp(outputs: readonly OnnxTypes.IValueInfoProto[]): void {
    for (const output of outputs) {
      const name = output.name ?? '';
      if (output.type?.tensorType?.elemType !== FLOAT || this.#types.get(name) !== FLOAT16) continue;
      const renamed = this.#fresh(`${name}_fp16`);
      for (const n of this.#nodes) {
        n.output = (n.output ?? []).map((o) => (o === name ? renamed : o));
        n.input = (n.input ?? []).map((i) => (i === name ? renamed : i));
      }
      this.#nodes.push(castNode(this.#fresh(`Cast_${name}`), renamed, name, FLOAT));
      this.#types.set(renamed, FLOAT16);
      this.#types.set(name, FLOAT);
      this.counts.casts++;
    }
  }

  /**
   * Puts the rewritten nodes and the initializers into `graph`: float16 in place when only float16 nodes
   * read an initializer, both copies when both kinds do; value infos get their new element types.
   */
  apply(graph: OnnxTypes.GraphProto): { convertedInitializers: number; convertedParameters: number } {
    const finalName = new Map<string, string>();
    const initializers: OnnxTypes.ITensorProto[] = [];
    let convertedInitializers = 0;
    let convertedParameters = 0;
    for (const t of graph.initializer as OnnxTypes.TensorProto[]) {
      const wants = this.#demand.get(t.name);
      if (!this.#floatInitializers.has(t.name) || !wants?.has(FLOAT16)) {
        initializers.push(t);
        continue;
      }
      const half = toFloat16Tensor(t, this.counts);
      convertedInitializers++;
      convertedParameters += elementCount(t);
      if (wants.has(FLOAT)) {
        initializers.push(t);
        half.name = this.#fresh(`${t.name}_fp16`);
      }
      finalName.set(placeholder(t.name), half.name);
      initializers.push(half);
    }
    for (const n of this.#nodes) n.input = (n.input ?? []).map((i) => finalName.get(i) ?? i);
    graph.node = this.#nodes;
    graph.initializer = initializers;
    for (const v of graph.valueInfo) {
      const t = this.#types.get(v.name ?? '');
      if (t !== undefined && v.type?.tensorType) v.type.tensorType.elemType = t;
    }
    return { convertedInitializers, convertedParameters };
  }

  /** An op of one float type: run in float16 unless kept in float32, float inputs read in that precision. */
  #sameType(node: OnnxTypes.NodeProto): void {
    const op = node.opType;
    const inputs = node.input ?? [];
    const dataType = inputs[0] ? this.#types.get(inputs[0]) : undefined;
    if (!isFloat(dataType)) {
      // An integer computation (shape arithmetic and the like): untouched.
      (node.output ?? []).forEach((o, i) => this.#types.set(o, i === 0 ? (dataType ?? 0) : (OTHER_OUTPUT_TYPES[op]?.[i - 1] ?? dataType ?? 0)));
      this.#nodes.push(node);
      return;
    }
    const precision = this.#keep.has(op) ? FLOAT : FLOAT16;
    if (precision === FLOAT16) this.counts.f16Nodes++;
    else this.counts.f32Nodes++;
    const rewritten = inputs.map((name) => (name !== '' && isFloat(this.#types.get(name)) ? this.#read(name, precision) : name));
    (node.output ?? []).forEach((o, i) => this.#types.set(o, i === 0 ? precision : (OTHER_OUTPUT_TYPES[op]?.[i - 1] ?? precision)));
    this.#nodes.push({ ...node, input: rewritten });
  }

  /** A float32 Constant becomes float16 (unless Constant is kept in float32). */
  #constant(node: OnnxTypes.NodeProto): void {
    const tensorAttr = node.attribute.find((a) => a.name === 'value' && a.t);
    let outType: number = FLOAT;
    if (tensorAttr?.t) {
      outType = tensorAttr.t.dataType ?? 0;
      if (outType === FLOAT && !this.#keep.has('Constant')) {
        tensorAttr.t = toFloat16Tensor(tensorAttr.t as OnnxTypes.TensorProto, this.counts);
        outType = FLOAT16;
      }
    }
    this.#types.set(node.output[0]!, outType);
    this.#nodes.push(node);
  }

  /** The name to read value `name` in precision `want`: an initializer (placeholder for float16), the value, or a Cast of it. */
  #read(name: string, want: number): string {
    if (this.#floatInitializers.has(name)) {
      if (!this.#demand.has(name)) this.#demand.set(name, new Set());
      this.#demand.get(name)!.add(want);
      return want === FLOAT16 ? placeholder(name) : name;
    }
    if (this.#types.get(name) === want) return name;
    const key = `${name}\u0000${want}`;
    let cast = this.#casts.get(key);
    if (!cast) {
      cast = this.#fresh(`${name}_${want === FLOAT16 ? 'fp16' : 'fp32'}`);
      this.#nodes.push(castNode(this.#fresh(`Cast_${cast}`), name, cast, want));
      this.#types.set(cast, want);
      this.#casts.set(key, cast);
      this.counts.casts++;
    }
    return cast;
  }

  #fresh(base: string): string {
    let name = base;
    for (let i = 1; this.#used.has(name); i++) name = `${base}_${i}`;
    this.#used.add(name);
    return name;
  }
}

const placeholder = (name: string): string => `\u0000fp16\u0000${name}`;

function castNode(name: string, input: string, output: string, to: number): OnnxTypes.INodeProto {
  return { name, opType: 'Cast', input: [input], output: [output], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }] };
}

function elementCount(t: OnnxTypes.ITensorProto): number {
  return (t.dims ?? []).reduce<number>((p, d) => p * Number(d), 1);
}

function floatValues(t: OnnxTypes.TensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const values = new Float32Array(t.rawData.byteLength / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
    return values;
  }
  return Float32Array.from(t.floatData ?? []);
}

function toFloat16Tensor(t: OnnxTypes.TensorProto, counts: { clamped: number; flushed: number }): OnnxTypes.TensorProto {
  const values = floatValues(t);
  const raw = new Uint8Array(values.length * 2);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (v > HALF_MAX || v < -HALF_MAX) {
      v = Math.sign(v) * HALF_MAX;
      counts.clamped++;
    }
    const bits = float16Bits(v);
    if (v !== 0 && (bits & 0x7fff) === 0) counts.flushed++;
    view.setUint16(i * 2, bits, true);
  }
  return onnx.TensorProto.create({ name: t.name, dims: [...(t.dims ?? [])], dataType: FLOAT16, rawData: raw, docString: t.docString ?? '' });
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** IEEE 754 binary16 bits of `value` (via float32), rounded to nearest, ties to even. */
export function float16Bits(value: number): number {
  scratchF32[0] = value;
  const x = scratchU32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: the implicit bit becomes explicit and the value shifts right.
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number a binary16 bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
