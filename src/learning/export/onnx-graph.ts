/**
 * A small typed builder for ONNX models (float32 graphs, opset 17, IR 8). It tracks every value name so a
 * node that reads an undefined value fails here, with the name, instead of later inside a runtime.
 * Names are generated deterministically, so the same build sequence always encodes to the same bytes.
 */
import { onnx, type OnnxTypes } from '../../core/onnx/onnx-proto.js';

export const OPSET_VERSION = 17;
export const IR_VERSION = 8;
export const PRODUCER_NAME = 'pilot';

/** A tensor dimension: a fixed size, or a symbolic name such as `batch`. */
export type Dim = number | string;

export type Attribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'string'; readonly value: string };

/** Attribute constructors: ONNX distinguishes int from float attributes, JS numbers do not. */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'floats', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
} as const;

export interface ConvOptions {
  /** [kH, kW]; must match the weight tensor. */
  readonly kernel: readonly [number, number];
  readonly strides?: readonly [number, number];
  /** [top, left, bottom, right], as ONNX orders them. */
  readonly pads?: readonly [number, number, number, number];
  readonly dilations?: readonly [number, number];
  readonly group?: number;
}

export interface GemmOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  readonly alpha?: number;
  readonly beta?: number;
}

export interface ModelBuilderOptions {
  readonly graphName: string;
  readonly docString?: string;
  readonly opsetVersion?: number;
}

export class OnnxModelBuilder {
  readonly #graphName: string;
  readonly #docString: string;
  readonly #opsetVersion: number;
  readonly #inputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #outputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #initializers: OnnxTypes.ITensorProto[] = [];
  readonly #nodes: OnnxTypes.INodeProto[] = [];
  readonly #metadata = new Map<string, string>();
  /** Every value defined so far: graph inputs, initializers, node outputs. */
  readonly #values = new Set<string>();
  readonly #counters = new Map<string, number>();
  #parameterCount = 0;

  constructor(options: ModelBuilderOptions) {
    this.#graphName = options.graphName;
    this.#docString = options.docString ?? '';
    this.#opsetVersion = options.opsetVersion ?? OPSET_VERSION;
  }

  /** Number of float elements in the initializers (the trainable parameters). */
  get parameterCount(): number {
    return this.#parameterCount;
  }

  /** A fresh value name `<prefix>_<n>`, unique in this graph. */
  uniqueName(prefix: string): string {
    for (;;) {
      const n = this.#counters.get(prefix) ?? 0;
      this.#counters.set(prefix, n + 1);
      const name = `${prefix}_${n}`;
      if (!this.#values.has(name)) return name;
    }
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: readonly Dim[]): string {
    this.#define(name);
    this.#inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Marks an existing value as a float32 graph output. */
  output(name: string, dims: readonly Dim[]): string {
    this.#require(name);
    if (this.#outputs.some((o) => o.name === name)) throw new Error(`onnx-graph: '${name}' is already a graph output`);
    this.#outputs.push(valueInfo(name, dims));
    return name;
  }

  /** A float32 constant (weights, biases); little-endian raw_data as the spec requires. */
  initializer(name: string, data: Float32Array, dims: readonly number[]): string {
    checkSize(name, data.length, dims);
    this.#define(name);
    const raw = new Uint8Array(data.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
    this.#initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    this.#parameterCount += data.length;
    return name;
  }

  /** An int64 constant, e.g. the target shape of Reshape. Not counted as parameters. */
  initializerInt64(name: string, data: readonly number[], dims: readonly number[] = [data.length]): string {
    checkSize(name, data.length, dims);
    this.#define(name);
    this.#initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...data] });
    return name;
  }

  setMetadata(key: string, value: string): this {
    this.#metadata.set(key, value);
    return this;
  }

  /**
   * Adds any node. `outputs` are value names, or a count of names to generate from the op type.
   * Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number = 1,
    attributes: Readonly<Record<string, Attribute>> = {},
  ): string[] {
    // '' is ONNX's marker for an omitted optional input.
    for (const i of inputs) if (i !== '') this.#require(i, opType);
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.uniqueName(opType.toLowerCase())) : [...outputs];
    for (const o of outs) this.#define(o);
    this.#nodes.push({
      name: this.uniqueName(`${opType}_node`),
      opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attributes).map(([name, a]) => attributeProto(name, a)),
    });
    return outs;
  }

  conv(x: string, w: string, b: string | undefined, options: ConvOptions, out?: string): string {
    const attrs: Record<string, Attribute> = { kernel_shape: attr.ints(options.kernel) };
    if (options.strides) attrs.strides = attr.ints(options.strides);
    if (options.pads) attrs.pads = attr.ints(options.pads);
    if (options.dilations) attrs.dilations = attr.ints(options.dilations);
    if (options.group !== undefined) attrs.group = attr.int(options.group);
    return this.#one('Conv', b === undefined ? [x, w] : [x, w, b], out, attrs);
  }

  gemm(a: string, b: string, c: string | undefined, options: GemmOptions = {}, out?: string): string {
    const attrs: Record<string, Attribute> = {};
    if (options.transA) attrs.transA = attr.int(1);
    if (options.transB) attrs.transB = attr.int(1);
    if (options.alpha !== undefined) attrs.alpha = attr.float(options.alpha);
    if (options.beta !== undefined) attrs.beta = attr.float(options.beta);
    return this.#one('Gemm', c === undefined ? [a, b] : [a, b, c], out, attrs);
  }

  relu(x: string, out?: string): string {
    return this.#one('Relu', [x], out);
  }

  elu(x: string, alpha = 1, out?: string): string {
    return this.#one('Elu', [x], out, alpha === 1 ? {} : { alpha: attr.float(alpha) });
  }

  tanh(x: string, out?: string): string {
    return this.#one('Tanh', [x], out);
  }

  matMul(a: string, b: string, out?: string): string {
    return this.#one('MatMul', [a, b], out);
  }

  add(a: string, b: string, out?: string): string {
    return this.#one('Add', [a, b], out);
  }

  sub(a: string, b: string, out?: string): string {
    return this.#one('Sub', [a, b], out);
  }

  mul(a: string, b: string, out?: string): string {
    return this.#one('Mul', [a, b], out);
  }

  div(a: string, b: string, out?: string): string {
    return this.#one('Div', [a, b], out);
  }

  transpose(x: string, perm: readonly number[], out?: string): string {
    return this.#one('Transpose', [x], out, { perm: attr.ints(perm) });
  }

  /** `shape` names an int64 initializer (see initializerInt64). */
  reshape(x: string, shape: string, out?: string): string {
    return this.#one('Reshape', [x, shape], out);
  }

  flatten(x: string, axis = 1, out?: string): string {
    return this.#one('Flatten', [x], out, { axis: attr.int(axis) });
  }

  concat(xs: readonly string[], axis: number, out?: string): string {
    return this.#one('Concat', xs, out, { axis: attr.int(axis) });
  }

  toModel(): OnnxTypes.ModelProto {
    if (this.#inputs.length === 0 || this.#outputs.length === 0) {
      throw new Error(`onnx-graph: graph '${this.#graphName}' needs at least one input and one output`);
    }
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: PRODUCER_NAME,
      opsetImport: [{ domain: '', version: this.#opsetVersion }],
      docString: this.#docString,
      graph: {
        name: this.#graphName,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
      metadataProps: [...this.#metadata].map(([key, value]) => ({ key, value })),
    });
  }

  encodeModel(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }

  #one(opType: string, inputs: readonly string[], out: string | undefined, attrs: Record<string, Attribute> = {}): string {
    return this.node(opType, inputs, out === undefined ? 1 : [out], attrs)[0]!;
  }

  #define(name: string): void {
    if (!name) throw new Error('onnx-graph: value names must not be empty');
    if (this.#values.has(name)) throw new Error(`onnx-graph: value '${name}' is defined twice`);
    this.#values.add(name);
  }

  #require(name: string, reader = 'graph output'): void {
    if (!this.#values.has(name)) throw new Error(`onnx-graph: ${reader} reads undefined value '${name}'`);
  }
}

function checkSize(name: string, length: number, dims: readonly number[]): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`onnx-graph: initializer '${name}' has ${length} values but dims [${dims.join(',')}]`);
  }
}

function valueInfo(name: string, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, a: Attribute): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}
