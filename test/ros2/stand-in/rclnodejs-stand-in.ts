/**
 * A stand-in for rclnodejs: exactly the API surface pilot's ROS 2 layer uses (`RclnodejsApi`, picked
 * from rclnodejs's published declarations in types/rclnodejs/), implemented in memory with rclnodejs's
 * semantics where the adapter depends on them:
 *
 * - the module object `satisfies RclnodejsApi`; the entity classes `implements` rclnodejs's own
 *   interfaces (Publisher, Subscription, Parameter, ParameterDescriptor, QoS, Logging…), so a change in
 *   the declarations breaks this file at compile time;
 * - a tiny "middleware" (StandInGraph): topics resolved like rcl (relative names in the node's
 *   namespace), delivery to subscriptions of the same topic and type with compatible QoS (a best-effort
 *   publisher does not reach a reliable subscriber; a volatile publisher does not reach a
 *   transient-local subscriber), raw subscriptions receiving CDR bytes;
 * - published message objects are checked field by field against the .msg definition (a separate
 *   parser from the adapter's, the rosidl-style one in src/ros2/tsd/msg-fields.ts) and rejected with a
 *   TypeError like rclnodejs's serializer does;
 * - parameters as in rclnodejs's node.js: overrides, declare/undeclare, descriptor validation (type,
 *   read-only, range) before the on-set callbacks (last added called first), atomic sets;
 * - the lifecycle state machine of rcl_lifecycle with rclnodejs's synchronous callbacks.
 */
import type * as rclnodejs from 'rclnodejs';
import { CdrCodec } from '../../../src/messages/cdr.js';
import { readInterfaces, rosMessageRegistry, type MsgInterface } from '../../../src/ros2/interfaces.js';
import type { LifecycleNodeApi, NodeApi, RclnodejsApi } from '../../../src/ros2/rclnodejs-api.js';
import { parseMsgSpec, type MsgField, type MsgSpec } from '../../../src/ros2/tsd/msg-fields.js';

type ParameterType = rclnodejs.ParameterType;
type TypeClass = rclnodejs.TypeClass<rclnodejs.MessageTypeClassName>;
type ServiceTypeClass = rclnodejs.TypeClass<rclnodejs.ServiceTypeClassName>;

const P = { NOT_SET: 0, BOOL: 1, INTEGER: 2, DOUBLE: 3, STRING: 4, BYTE_ARRAY: 5, BOOL_ARRAY: 6, INTEGER_ARRAY: 7, DOUBLE_ARRAY: 8, STRING_ARRAY: 9 } as const;

// ---------------------------------------------------------------- parameters

function validValue(value: unknown, type: number): boolean {
  if (value === null || value === undefined) return type === P.NOT_SET;
  const all = (check: (x: unknown) => boolean) => Array.isArray(value) && value.every(check);
  switch (type) {
    case P.BOOL:
      return typeof value === 'boolean';
    case P.INTEGER:
      return typeof value === 'bigint';
    case P.DOUBLE:
      return typeof value === 'number';
    case P.STRING:
      return typeof value === 'string';
    case P.BYTE_ARRAY:
      return all((x) => typeof x === 'number');
    case P.BOOL_ARRAY:
      return all((x) => typeof x === 'boolean');
    case P.INTEGER_ARRAY:
      return all((x) => typeof x === 'bigint');
    case P.DOUBLE_ARRAY:
      return all((x) => typeof x === 'number');
    case P.STRING_ARRAY:
      return all((x) => typeof x === 'string');
    default:
      return false;
  }
}

export class StandInParameter implements rclnodejs.Parameter {
  static fromParameterMessage(msg: rclnodejs.rcl_interfaces.msg.Parameter): StandInParameter {
    const v = msg.value;
    const byType: Record<number, unknown> = {
      [P.BOOL]: v.bool_value,
      [P.INTEGER]: v.integer_value,
      [P.DOUBLE]: v.double_value,
      [P.STRING]: v.string_value,
      [P.BYTE_ARRAY]: Array.from(v.byte_array_value),
      [P.BOOL_ARRAY]: v.bool_array_value,
      [P.INTEGER_ARRAY]: v.integer_array_value,
      [P.DOUBLE_ARRAY]: Array.from(v.double_array_value),
      [P.STRING_ARRAY]: v.string_array_value,
    };
    return new StandInParameter(msg.name, v.type as ParameterType, byType[v.type]);
  }

  readonly name: string;
  readonly type: ParameterType;
  #value: unknown;

  constructor(name: string, type: ParameterType, value?: unknown) {
    this.name = name;
    this.type = type;
    // rclnodejs converts integer values to bigint.
    this.#value = type === P.INTEGER && (typeof value === 'number' || typeof value === 'bigint') ? BigInt(value) : value;
    this.validate();
  }

  get value(): unknown {
    return this.#value;
  }

  set value(v: unknown) {
    this.#value = Array.isArray(v) && v.length === 0 ? null : v;
    this.validate();
  }

  validate(): void {
    if (!this.name || this.name.trim().length === 0) throw new TypeError('Invalid name');
    if (!(this.type >= P.NOT_SET && this.type <= P.STRING_ARRAY)) throw new TypeError('Invalid type');
    if (!validValue(this.#value, this.type)) throw new TypeError('Incompatible value.');
  }

  toParameterMessage(): rclnodejs.rcl_interfaces.msg.Parameter {
    return { name: this.name, value: this.toParameterValueMessage() };
  }

  toParameterValueMessage(): rclnodejs.rcl_interfaces.msg.ParameterValue {
    const v = this.#value;
    const arr = <T>(check: (x: unknown) => x is T): T[] => (Array.isArray(v) ? v.filter(check) : []);
    return {
      type: this.type,
      bool_value: this.type === P.BOOL && v === true,
      integer_value: this.type === P.INTEGER && typeof v === 'bigint' ? v : 0n,
      double_value: this.type === P.DOUBLE && typeof v === 'number' ? v : 0,
      string_value: this.type === P.STRING && typeof v === 'string' ? v : '',
      byte_array_value: this.type === P.BYTE_ARRAY ? arr((x): x is number => typeof x === 'number') : [],
      bool_array_value: this.type === P.BOOL_ARRAY ? arr((x): x is boolean => typeof x === 'boolean') : [],
      integer_array_value: this.type === P.INTEGER_ARRAY ? arr((x): x is bigint => typeof x === 'bigint') : [],
      double_array_value: this.type === P.DOUBLE_ARRAY ? arr((x): x is number => typeof x === 'number') : [],
      string_array_value: this.type === P.STRING_ARRAY ? arr((x): x is string => typeof x === 'string') : [],
    };
  }
}

export abstract class StandInRange implements rclnodejs.Range {
  readonly fromValue: number;
  readonly toValue: number;
  readonly step: number;

  constructor(from: number, to: number, step = 1) {
    this.fromValue = from;
    this.toValue = to;
    this.step = step;
  }

  /** Numbers, bigints, or arrays of them (each element checked), as rclnodejs's Range does. */
  inRange(value: number | bigint | readonly (number | bigint)[]): boolean {
    if (Array.isArray(value)) return value.every((v) => this.inRange(v));
    const v = Number(value);
    return this.inScalarRange(v);
  }

  protected abstract inScalarRange(value: number): boolean;
  abstract isValidType(parameterType: ParameterType): boolean;
}

export class StandInFloatingPointRange extends StandInRange implements rclnodejs.FloatingPointRange {
  readonly #tolerance: number;

  constructor(from: number, to: number, step = 1, tolerance = 1e-6) {
    super(from, to, step);
    this.#tolerance = tolerance;
  }

  isValidType(t: ParameterType): boolean {
    return t === P.DOUBLE || t === P.DOUBLE_ARRAY;
  }

  protected inScalarRange(v: number): boolean {
    const min = Math.min(this.fromValue, this.toValue);
    const max = Math.max(this.fromValue, this.toValue);
    const close = (a: number, b: number) => Math.abs(a - b) <= this.#tolerance;
    if (close(v, min) || close(v, max)) return true;
    if (v < min || v > max) return false;
    if (this.step !== 0) {
      const k = Math.round((v - min) / this.step);
      if (!close(min + k * this.step, v)) return false;
    }
    return true;
  }
}

export class StandInIntegerRange extends StandInRange implements rclnodejs.IntegerRange {
  constructor(from: bigint, to: bigint, step: bigint = 1n) {
    super(Number(from), Number(to), Number(step));
  }

  isValidType(t: ParameterType): boolean {
    return t === P.INTEGER || t === P.INTEGER_ARRAY;
  }

  protected inScalarRange(v: number): boolean {
    return v >= this.fromValue && v <= this.toValue && (this.step === 0 || (v - this.fromValue) % this.step === 0);
  }
}

export class StandInParameterDescriptor implements rclnodejs.ParameterDescriptor {
  static fromParameter(parameter: rclnodejs.Parameter): StandInParameterDescriptor {
    return new StandInParameterDescriptor(parameter.name, parameter.type, 'Created from parameter.');
  }

  readonly name: string;
  readonly type: ParameterType;
  readonly description: string;
  readonly readOnly: boolean;
  additionalConstraints = '';
  #range: rclnodejs.Range | undefined;

  constructor(name: string, type: ParameterType = P.NOT_SET, description = 'no description', readOnly = false, range?: rclnodejs.Range) {
    this.name = name;
    this.type = type;
    this.description = description;
    this.readOnly = readOnly;
    this.#range = range ?? undefined;
    this.validate();
  }

  hasRange(): boolean {
    return this.#range !== undefined;
  }

  get rangeConstraint(): rclnodejs.Range {
    if (!this.#range) throw new TypeError(`descriptor ${this.name} has no range`);
    return this.#range;
  }

  set rangeConstraint(range: rclnodejs.Range) {
    if (!range.isValidType(this.type)) throw new TypeError('Incompatible Range');
    this.#range = range;
  }

  validate(): void {
    if (!this.name || this.name.trim().length === 0) throw new TypeError('Invalid name');
    if (!(this.type >= P.NOT_SET && this.type <= P.STRING_ARRAY)) throw new TypeError('Invalid type');
    if (this.#range && !this.#range.isValidType(this.type)) throw new TypeError('Incompatible Range');
  }

  validateParameter(parameter: rclnodejs.Parameter): void {
    parameter.validate();
    if (this.name !== parameter.name) throw new Error('Name mismatch');
    if (this.type !== parameter.type) throw new Error('Type mismatch');
    const value: unknown = parameter.value;
    if (this.#range && !(this.#range as StandInRange).inRange(value as number)) throw new RangeError('Parameter value is not in descriptor range');
  }

  toMessage(): rclnodejs.rcl_interfaces.msg.ParameterDescriptor {
    const r = this.#range;
    return {
      name: this.name,
      type: this.type,
      description: this.description,
      additional_constraints: this.additionalConstraints,
      read_only: this.readOnly,
      dynamic_typing: false,
      floating_point_range: r instanceof StandInFloatingPointRange ? [{ from_value: r.fromValue, to_value: r.toValue, step: r.step }] : [],
      integer_range: r instanceof StandInIntegerRange ? [{ from_value: BigInt(r.fromValue), to_value: BigInt(r.toValue), step: BigInt(r.step) }] : [],
    };
  }
}

// ---------------------------------------------------------------- QoS, logging

export class StandInQoS implements rclnodejs.QoS {
  static readonly profileDefault = 'qos_profile_default';
  static readonly profileSystemDefault = 'qos_profile_system_default';
  static readonly profileSensorData = 'qos_profile_sensor_data';
  static readonly profileServicesDefault = 'qos_profile_services_default';
  static readonly profileParameters = 'qos_profile_parameters';
  static readonly profileParameterEvents = 'qos_profile_parameter_events';
  static readonly profileActionStatusDefault = 'qos_profile_action_status_default';
  static readonly HistoryPolicy = {
    RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1,
    RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2,
  } as const satisfies Record<string, rclnodejs.QoS.HistoryPolicy>;
  static readonly ReliabilityPolicy = {
    RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1,
    RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2,
  } as const satisfies Record<string, rclnodejs.QoS.ReliabilityPolicy>;
  static readonly DurabilityPolicy = {
    RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1,
    RMW_QOS_POLICY_DURABILITY_VOLATILE: 2,
  } as const satisfies Record<string, rclnodejs.QoS.DurabilityPolicy>;
  static readonly LivelinessPolicy = {
    RMW_QOS_POLICY_LIVELINESS_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_LIVELINESS_AUTOMATIC: 1,
    RMW_QOS_POLICY_LIVELINESS_MANUAL_BY_TOPIC: 3,
    RMW_QOS_POLICY_LIVELINESS_UNKNOWN: 4,
    RMW_QOS_POLICY_LIVELINESS_BEST_AVAILABLE: 5,
  } as const satisfies Record<string, rclnodejs.QoS.LivelinessPolicy>;

  history: number;
  depth: number;
  readonly #reliability: rclnodejs.QoS.ReliabilityPolicy;
  durability: rclnodejs.QoS.DurabilityPolicy;
  liveliness: rclnodejs.QoS.LivelinessPolicy;
  avoidRosNameSpaceConventions: boolean;

  constructor(
    history: rclnodejs.QoS.HistoryPolicy = 0,
    depth = 0,
    reliability: rclnodejs.QoS.ReliabilityPolicy = 0,
    durability: rclnodejs.QoS.DurabilityPolicy = 0,
    liveliness: rclnodejs.QoS.LivelinessPolicy = 0,
    avoidRosNameSpaceConventions = false,
  ) {
    this.history = history;
    this.depth = depth;
    this.#reliability = reliability;
    this.durability = durability;
    this.liveliness = liveliness;
    this.avoidRosNameSpaceConventions = avoidRosNameSpaceConventions;
  }

  reliability(): rclnodejs.QoS.ReliabilityPolicy {
    return this.#reliability;
  }
}

export interface LogLine {
  readonly logger: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly message: string;
}

export class StandInLogging implements rclnodejs.Logging {
  readonly LoggingSeverity: rclnodejs.Logging.LoggingSeverity = 20;
  loggerEffectiveLevel: rclnodejs.Logging.LoggingSeverity = 20;

  constructor(
    readonly name: string,
    readonly lines: LogLine[],
  ) {}

  setLoggerLevel(level: rclnodejs.Logging.LoggingSeverity): void {
    this.loggerEffectiveLevel = level;
  }

  #log(level: LogLine['level'], message: string): boolean {
    this.lines.push({ logger: this.name, level, message });
    return true;
  }

  debug(message: string): boolean {
    return this.#log('debug', message);
  }
  info(message: string): boolean {
    return this.#log('info', message);
  }
  warn(message: string): boolean {
    return this.#log('warn', message);
  }
  error(message: string): boolean {
    return this.#log('error', message);
  }
  fatal(message: string): boolean {
    return this.#log('fatal', message);
  }
  getChild(name: string): StandInLogging {
    return new StandInLogging(`${this.name}.${name}`, this.lines);
  }
  destroy(): void {}
}

// ---------------------------------------------------------------- message definitions

interface Definitions {
  readonly specs: ReadonlyMap<string, MsgSpec>;
  readonly services: ReadonlySet<string>;
}

let definitions: Definitions | undefined;

/** Every vendored interface as parsed by the rosidl-style parser (not the adapter's). */
function defs(): Definitions {
  if (definitions) return definitions;
  const set = readInterfaces();
  const specs = new Map<string, MsgSpec>();
  const key = (m: MsgInterface) => `${m.pkg}/${m.subfolder}/${m.name}`;
  for (const m of set.messages) specs.set(key(m), parseMsgSpec(m.pkg, m.text, key(m)));
  definitions = { specs, services: new Set(set.services.map((s) => `${s.pkg}/srv/${s.name}`)) };
  return definitions;
}

const NUMERIC_TYPED: Record<string, new (n: number) => ArrayLike<number>> = {
  byte: Uint8Array,
  char: Int8Array,
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** Why `value` is not a message of `type` per its .msg definition ('' when it is one). */
export function checkAgainstMsg(type: string, value: unknown, path = ''): string {
  const spec = defs().specs.get(type);
  if (!spec) return `${path || type}: no definition for ${type}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${path || '(message)'}: expected a ${type} object`;
  const record = value as Record<string, unknown>;
  const names = spec.fields.map((f) => f.name);
  const extra = Object.keys(record).filter((k) => !names.includes(k));
  if (extra.length) return `${path || '(message)'}: ${type} has no field ${extra.join(', ')}`;
  for (const f of spec.fields) {
    const where = path ? `${path}.${f.name}` : f.name;
    if (!(f.name in record)) return `${where}: missing`;
    const bad = checkField(f, record[f.name], where);
    if (bad) return bad;
  }
  return '';
}

function checkField(f: MsgField, v: unknown, where: string): string {
  const t = f.type;
  if (t.isArray) {
    const typed = t.isPrimitiveType ? NUMERIC_TYPED[t.type] : undefined;
    const isTyped = typed !== undefined && v instanceof typed;
    if (!Array.isArray(v) && !isTyped) return `${where}: expected an array of ${t.type}`;
    const items = v as ArrayLike<unknown>;
    if (t.isFixedSizeArray && items.length !== t.arraySize) return `${where}: expected ${t.arraySize} elements, got ${items.length}`;
    if (t.isUpperBound && items.length > (t.arraySize ?? Infinity)) return `${where}: more than ${t.arraySize} elements`;
    if (isTyped) return '';
    for (let i = 0; i < items.length; i++) {
      const bad = checkScalar(t.type, t.pkgName, t.isPrimitiveType, items[i], `${where}[${i}]`);
      if (bad) return bad;
    }
    return '';
  }
  return checkScalar(t.type, t.pkgName, t.isPrimitiveType, v, where);
}

function checkScalar(type: string, pkg: string | undefined, primitive: boolean, v: unknown, where: string): string {
  if (!primitive) return checkAgainstMsg(`${pkg}/msg/${type}`, v, where);
  switch (type) {
    case 'bool':
      return typeof v === 'boolean' ? '' : `${where}: expected bool`;
    case 'string':
    case 'wstring':
      return typeof v === 'string' ? '' : `${where}: expected string`;
    case 'int64':
    case 'uint64':
      return typeof v === 'bigint' ? '' : `${where}: expected bigint`;
    case 'float32':
    case 'float64':
      return typeof v === 'number' ? '' : `${where}: expected number`;
    default:
      return typeof v === 'number' && Number.isInteger(v) ? '' : `${where}: expected an integer ${type}`;
  }
}

// ---------------------------------------------------------------- the graph

export interface PublishedRecord {
  readonly node: string;
  /** Fully qualified ROS topic. */
  readonly topic: string;
  readonly type: string;
  /** True when rclnodejs got serialized bytes (a Buffer), false for a message object. */
  readonly raw: boolean;
  /** The message object as handed to publish(), or the decoded bytes. */
  readonly message: unknown;
  readonly bytes: Uint8Array;
}

interface PubEndpoint {
  readonly topic: string;
  readonly type: string;
  readonly qos: rclnodejs.QoS | undefined;
}

interface SubEndpoint extends PubEndpoint {
  readonly deliver: (bytes: Buffer) => void;
}

interface ServiceEndpoint {
  readonly name: string;
  readonly type: string;
  readonly call: (request: unknown) => unknown;
}

export interface StandInOptions {
  /** Parameter overrides, as `--ros-args -p name:=value` or a params file would give them. */
  readonly parameterOverrides?: Readonly<Record<string, unknown>>;
  /** Packages whose type support "was not generated" (createPublisher/Subscription throw like rclnodejs). */
  readonly missingPackages?: readonly string[];
}

/** The in-memory middleware: endpoints, delivery and a log of everything published. */
export class StandInGraph {
  readonly published: PublishedRecord[] = [];
  readonly logs: LogLine[] = [];
  readonly nodes: StandInNode[] = [];
  readonly options: StandInOptions;
  initialized = false;
  shutdownCalled = false;
  signalHandlersRemoved = false;
  readonly codec = new CdrCodec(rosMessageRegistry());
  readonly #pubs = new Set<PubEndpoint>();
  readonly #subs = new Set<SubEndpoint>();
  readonly #services = new Map<string, ServiceEndpoint>();

  constructor(options: StandInOptions = {}) {
    this.options = options;
  }

  get publishers(): readonly PubEndpoint[] {
    return [...this.#pubs];
  }

  get subscriptions(): readonly PubEndpoint[] {
    return [...this.#subs];
  }

  get serviceNames(): string[] {
    return [...this.#services.keys()];
  }

  /** Messages published on a topic (fully qualified), decoded or as given. */
  messages<T>(topic: string): T[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.message as T);
  }

  addPub(e: PubEndpoint): void {
    this.#pubs.add(e);
  }
  removePub(e: PubEndpoint): void {
    this.#pubs.delete(e);
  }
  addSub(e: SubEndpoint): void {
    this.#subs.add(e);
  }
  removeSub(e: SubEndpoint): void {
    this.#subs.delete(e);
  }
  addService(e: ServiceEndpoint): void {
    if (this.#services.has(e.name)) throw new Error(`service ${e.name} already exists`);
    this.#services.set(e.name, e);
  }
  removeService(name: string): void {
    this.#services.delete(name);
  }

  /** Delivers serialized bytes to every matching, QoS-compatible subscription. */
  deliver(from: PubEndpoint, bytes: Uint8Array): number {
    let n = 0;
    for (const sub of [...this.#subs]) {
      if (sub.topic !== from.topic || sub.type !== from.type || !compatible(from.qos, sub.qos)) continue;
      sub.deliver(Buffer.from(bytes));
      n++;
    }
    return n;
  }

  /** What another ROS node publishing `message` on `topic` would deliver (reliable, volatile). */
  inject(topic: string, type: string, message: unknown, qos?: rclnodejs.QoS): number {
    const bad = checkAgainstMsg(type, message);
    if (bad) throw new TypeError(`stand-in inject: ${bad}`);
    const bytes = this.codec.encode(type, message);
    return this.deliver({ topic, type, qos: qos ?? new StandInQoS(1, 10, 1, 2) }, bytes);
  }

  /** Calls a service like `ros2 service call` would; resolves with the response sent. */
  callService(name: string, request: unknown): unknown {
    const service = this.#services.get(name);
    if (!service) throw new Error(`no service ${name} (services: ${this.serviceNames.join(', ')})`);
    return service.call(request);
  }
}

/** DDS request/offered compatibility for the two policies pilot sets. */
function compatible(pub: rclnodejs.QoS | undefined, sub: rclnodejs.QoS | undefined): boolean {
  const reliability = (q: rclnodejs.QoS | undefined) => (q ? q.reliability() : 1);
  const durability = (q: rclnodejs.QoS | undefined) => (q ? q.durability : 2);
  if (reliability(sub) === 1 && reliability(pub) === 2) return false; // reliable sub, best-effort pub
  if (durability(sub) === 1 && durability(pub) === 2) return false; // transient-local sub, volatile pub
  return true;
}

const NAME = /^[~/]?[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

/** rcl's name expansion: absolute stays, `~` is the node's private namespace, others join the namespace. */
export function expandName(name: string, nodeName: string, namespace: string): string {
  if (!NAME.test(name)) throw new Error(`Invalid topic name: '${name}'`);
  const ns = namespace === '' || namespace === '/' ? '' : namespace.startsWith('/') ? namespace : `/${namespace}`;
  if (name.startsWith('/')) return name;
  if (name.startsWith('~')) return `${ns}/${nodeName}${name.slice(1)}`;
  return `${ns}/${name}`;
}

function typeName(typeClass: TypeClass | ServiceTypeClass): string {
  if (typeof typeClass !== 'string') throw new TypeError('stand-in: only type names as strings are implemented (the adapter passes strings)');
  return typeClass;
}

function qosOf(options: rclnodejs.Options | undefined): rclnodejs.QoS | undefined {
  const qos = options?.qos;
  if (qos === undefined || typeof qos === 'string') return undefined;
  return qos;
}

// ---------------------------------------------------------------- entities

class StandInPublisher<T extends TypeClass> implements rclnodejs.Publisher<T> {
  willValidateMessage = false;
  readonly loggerName: string;
  options: object;
  readonly qos: rclnodejs.QoS;
  readonly typedArrayEnabled = true;
  #destroyed = false;

  constructor(
    readonly graph: StandInGraph,
    readonly node: StandInNode,
    readonly typeClass: T,
    readonly topic: string,
    readonly endpoint: PubEndpoint,
    options: rclnodejs.Options | undefined,
  ) {
    this.loggerName = node.name();
    this.options = options ?? {};
    this.qos = endpoint.qos ?? new StandInQoS(1, 10, 1, 2);
  }

  publish(message: rclnodejs.MessageType<T> | Buffer): void {
    if (this.#destroyed) throw new Error('publisher was destroyed');
    const type = this.endpoint.type;
    let bytes: Uint8Array;
    let decoded: unknown;
    if (Buffer.isBuffer(message)) {
      bytes = new Uint8Array(message);
      decoded = this.graph.codec.decode(type, bytes);
    } else {
      const bad = checkAgainstMsg(type, message);
      if (bad) throw new TypeError(`${type}: ${bad}`);
      bytes = this.graph.codec.encode(type, message);
      // Publishers may reuse their message object (pilot's command builders do): keep a copy.
      decoded = structuredClone(message);
    }
    this.graph.published.push({ node: this.node.name(), topic: this.endpoint.topic, type, raw: Buffer.isBuffer(message), message: decoded, bytes });
    this.graph.deliver(this.endpoint, bytes);
  }

  setValidation(options: rclnodejs.MessageValidationOptions): void {
    this.willValidateMessage = options.strict ?? true;
  }
  subscriptionCount(): number {
    return this.graph.subscriptions.filter((s) => s.topic === this.endpoint.topic).length;
  }
  waitForAllAcked(_timeout: bigint): boolean {
    return true;
  }
  assertLiveliness(): void {}
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
    this.graph.removePub(this.endpoint);
  }
}

class StandInSubscription implements rclnodejs.Subscription {
  readonly loggerName: string;
  options: object;
  readonly qos: rclnodejs.QoS;
  readonly typedArrayEnabled = true;
  #destroyed = false;
  #filter: rclnodejs.SubscriptionContentFilter | undefined;

  constructor(
    readonly graph: StandInGraph,
    readonly node: StandInNode,
    readonly typeClass: TypeClass,
    readonly topic: string,
    readonly isRaw: boolean,
    readonly endpoint: SubEndpoint,
    options: rclnodejs.Options,
  ) {
    this.loggerName = node.name();
    this.options = options;
    this.qos = endpoint.qos ?? new StandInQoS(1, 10, 1, 2);
  }

  isContentFilterSupported(): boolean {
    return false;
  }
  hasContentFilter(): boolean {
    return this.#filter !== undefined;
  }
  setContentFilter(filter: rclnodejs.SubscriptionContentFilter): boolean {
    this.#filter = filter;
    return false;
  }
  getContentFilter(): rclnodejs.SubscriptionContentFilter | undefined {
    return this.#filter;
  }
  clearContentFilter(): boolean {
    this.#filter = undefined;
    return true;
  }
  publisherCount(): number {
    return this.graph.publishers.filter((p) => p.topic === this.endpoint.topic).length;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
    this.graph.removeSub(this.endpoint);
  }
}

type SetBoolService = rclnodejs.std_srvs.srv.SetBoolConstructor;

class StandInSetBoolService implements SetBoolService {
  readonly Request: rclnodejs.std_srvs.srv.SetBool_RequestConstructor = class {
    data = false;
    constructor(other?: rclnodejs.std_srvs.srv.SetBool_Request) {
      if (other) this.data = other.data;
    }
  };
  readonly Response: rclnodejs.std_srvs.srv.SetBool_ResponseConstructor = class {
    success = false;
    message = '';
    constructor(other?: rclnodejs.std_srvs.srv.SetBool_Response) {
      if (other) Object.assign(this, other);
    }
  };
  readonly loggerName: string;
  options: object = {};
  readonly qos = new StandInQoS(1, 10, 1, 2);
  readonly typedArrayEnabled = true;
  readonly typeClass: rclnodejs.TypeClass = 'std_srvs/srv/SetBool';
  #destroyed = false;

  constructor(
    readonly serviceName: string,
    nodeName: string,
  ) {
    this.loggerName = nodeName;
  }

  configureIntrospection(_clock: rclnodejs.Clock, _qos: rclnodejs.QoS, _state: rclnodejs.ServiceIntrospectionStates): void {}
  getOptions(): object {
    return this.options;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
  }
}

type SetParametersResult = rclnodejs.rcl_interfaces.msg.SetParametersResult;

/** The Node part: entities, parameters, logging. */
export class StandInNode implements NodeApi {
  readonly logger: StandInLogging;
  readonly parameters = new Map<string, rclnodejs.Parameter>();
  readonly descriptors = new Map<string, rclnodejs.ParameterDescriptor>();
  readonly #overrides: rclnodejs.Parameter[];
  readonly #callbacks: rclnodejs.SetParametersCallback[] = [];
  readonly #publishers = new Set<StandInPublisher<TypeClass>>();
  readonly #subscriptions = new Set<StandInSubscription>();
  readonly #services = new Map<SetBoolService, string>();
  spinning = false;
  destroyed = false;

  constructor(
    readonly graph: StandInGraph,
    readonly nodeName: string,
    readonly nodeNamespace: string,
  ) {
    this.logger = new StandInLogging(nodeName, graph.logs);
    this.#overrides = Object.entries(graph.options.parameterOverrides ?? {}).map(([name, value]) => {
      const type = overrideType(value);
      // As rcl parses a params file: integers are int64 (bigint in rclnodejs), `[1, 2]` an integer array.
      return new StandInParameter(name, type, type === P.INTEGER_ARRAY && Array.isArray(value) ? value.map((v) => BigInt(v)) : value);
    });
    graph.nodes.push(this);
    // rclnodejs's TimeSource declares use_sim_time on every node.
    this.declareParameter(new StandInParameter('use_sim_time', P.BOOL, false));
  }

  name(): string {
    return this.nodeName;
  }

  namespace(): string {
    return this.nodeNamespace === '' ? '/' : this.nodeNamespace;
  }

  getLogger(): StandInLogging {
    return this.logger;
  }

  #supported(type: string): void {
    const pkg = type.split('/')[0]!;
    if (this.graph.options.missingPackages?.includes(pkg) || !(defs().specs.has(type) || defs().services.has(type))) {
      throw new Error(`The message required does not exist: ${type} (its type support was not generated)`);
    }
  }

  createPublisher<T extends TypeClass>(typeClass: T, topic: string, options?: rclnodejs.Options, _eventCallbacks?: (event: object) => void): rclnodejs.Publisher<T> {
    const type = typeName(typeClass);
    this.#supported(type);
    const endpoint: PubEndpoint = { topic: expandName(topic, this.nodeName, this.nodeNamespace), type, qos: qosOf(options) };
    const publisher = new StandInPublisher<T>(this.graph, this, typeClass, topic, endpoint, options);
    this.graph.addPub(endpoint);
    this.#publishers.add(publisher);
    return publisher;
  }

  createSubscription<T extends TypeClass>(typeClass: T, topic: string, callback: rclnodejs.SubscriptionCallback<T>): rclnodejs.Subscription;
  createSubscription<T extends TypeClass>(
    typeClass: T,
    topic: string,
    options: rclnodejs.Options,
    callback: rclnodejs.SubscriptionCallback<T> | rclnodejs.SubscriptionWithRawMessageCallback,
    eventCallbacks?: (event: object) => void,
  ): rclnodejs.Subscription;
  createSubscription<T extends TypeClass>(
    typeClass: T,
    topic: string,
    optionsOrCallback: rclnodejs.Options | rclnodejs.SubscriptionCallback<T>,
    callback?: rclnodejs.SubscriptionCallback<T> | rclnodejs.SubscriptionWithRawMessageCallback,
  ): rclnodejs.Subscription {
    const options = typeof optionsOrCallback === 'function' ? {} : optionsOrCallback;
    const cb = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    if (!options.isRaw) throw new TypeError('stand-in: only raw subscriptions (isRaw: true) are implemented; the adapter decodes CDR itself');
    if (!cb) throw new TypeError('callback required');
    const type = typeName(typeClass);
    this.#supported(type);
    const raw = cb as rclnodejs.SubscriptionWithRawMessageCallback;
    const endpoint: SubEndpoint = { topic: expandName(topic, this.nodeName, this.nodeNamespace), type, qos: qosOf(options), deliver: (bytes) => raw(bytes) };
    const sub = new StandInSubscription(this.graph, this, typeClass, topic, true, endpoint, options);
    this.graph.addSub(endpoint);
    this.#subscriptions.add(sub);
    return sub;
  }

  createService<T extends ServiceTypeClass>(typeClass: T, serviceName: string, callback: rclnodejs.ServiceRequestHandler<T>): rclnodejs.ServiceType<T>;
  createService<T extends ServiceTypeClass>(typeClass: T, serviceName: string, options: rclnodejs.Options, callback: rclnodejs.ServiceRequestHandler<T>): rclnodejs.ServiceType<T>;
  createService(
    typeClass: rclnodejs.TypeClass<'std_srvs/srv/SetBool'>,
    serviceName: string,
    optionsOrCallback: rclnodejs.Options | rclnodejs.ServiceRequestHandler<'std_srvs/srv/SetBool'>,
    callback?: rclnodejs.ServiceRequestHandler<'std_srvs/srv/SetBool'>,
  ): SetBoolService {
    const type = typeName(typeClass as TypeClass);
    if (type !== 'std_srvs/srv/SetBool') throw new TypeError(`stand-in: only std_srvs/srv/SetBool services are implemented (the adapter's e-stop), not ${type}`);
    this.#supported(type);
    const handler = typeof optionsOrCallback === 'function' ? optionsOrCallback : callback;
    if (!handler) throw new TypeError('callback required');
    const name = expandName(serviceName, this.nodeName, this.nodeNamespace);
    const service = new StandInSetBoolService(name, this.nodeName);
    this.graph.addService({
      name,
      type,
      call: (request) => {
        const bad = checkAgainstMsg('std_srvs/srv/SetBool_Request', request);
        if (bad) throw new TypeError(`SetBool request: ${bad}`);
        let sent: rclnodejs.std_srvs.srv.SetBool_Response | undefined;
        const response: rclnodejs.ServiceResponse<'std_srvs/srv/SetBool'> = {
          template: new service.Response(),
          service,
          send: (r) => {
            const problem = checkAgainstMsg('std_srvs/srv/SetBool_Response', r);
            if (problem) throw new TypeError(`SetBool response: ${problem}`);
            sent = r;
          },
        };
        handler(new service.Request(request as rclnodejs.std_srvs.srv.SetBool_Request), response);
        return sent;
      },
    });
    this.#services.set(service, name);
    return service;
  }

  destroyPublisher<T extends TypeClass>(publisher: rclnodejs.Publisher<T>): void {
    for (const p of this.#publishers) {
      if (p === publisher) {
        p.destroy();
        this.#publishers.delete(p);
        return;
      }
    }
    throw new Error('destroyPublisher: not a publisher of this node');
  }

  destroySubscription(subscription: rclnodejs.Subscription): void {
    for (const s of this.#subscriptions) {
      if (s === subscription) {
        s.destroy();
        this.#subscriptions.delete(s);
        return;
      }
    }
    throw new Error('destroySubscription: not a subscription of this node');
  }

  destroyService(service: rclnodejs.Service): void {
    const name = this.#services.get(service as SetBoolService);
    if (name === undefined) throw new Error('destroyService: not a service of this node');
    this.graph.removeService(name);
    this.#services.delete(service as SetBoolService);
  }

  // ---- parameters, as lib/node.js does them

  declareParameter(parameter: rclnodejs.Parameter, descriptor?: rclnodejs.ParameterDescriptor, ignoreOverride = false): rclnodejs.Parameter {
    const override = ignoreOverride ? undefined : this.#overrides.find((p) => p.name === parameter.name);
    const param = override ?? parameter;
    if (this.parameters.has(param.name)) throw new Error(`Parameter(${param.name}) already declared.`);
    const desc = descriptor ?? StandInParameterDescriptor.fromParameter(param);
    desc.validate();
    this.descriptors.set(desc.name, desc);
    const result = this.#setAtomically([param], true);
    if (!result.successful) {
      this.descriptors.delete(desc.name);
      throw new Error(result.reason);
    }
    return this.getParameter(param.name);
  }

  undeclareParameter(name: string): void {
    if (!this.hasParameter(name)) return;
    if (this.descriptors.get(name)?.readOnly) throw new Error(`${name} parameter is read-only and can not be undeclared`);
    this.parameters.delete(name);
    this.descriptors.delete(name);
  }

  hasParameter(name: string): boolean {
    return this.parameters.has(name);
  }

  getParameter(name: string): rclnodejs.Parameter {
    return this.parameters.get(name) ?? new StandInParameter(name, P.NOT_SET);
  }

  getParameterOverrides(): rclnodejs.Parameter[] {
    return [...this.#overrides];
  }

  addOnSetParametersCallback(callback: rclnodejs.SetParametersCallback): void {
    this.#callbacks.unshift(callback);
  }

  /** `ros2 param set`: one result per parameter, each set atomically on its own (rclnodejs's setParameters). */
  setParameters(parameters: rclnodejs.Parameter[]): SetParametersResult[] {
    return parameters.map((p) => this.#setAtomically([p], false));
  }

  #setAtomically(parameters: rclnodejs.Parameter[], declaring: boolean): SetParametersResult {
    for (const p of parameters) {
      try {
        p.validate();
      } catch {
        return { successful: false, reason: `Invalid ${p.name}` };
      }
      const desc = this.descriptors.get(p.name);
      if (!desc) return { successful: false, reason: `Parameter ${p.name} has not been declared` };
      if (!declaring && desc.readOnly) return { successful: false, reason: `Parameter ${p.name} is readonly` };
      if (p.type !== P.NOT_SET) {
        try {
          desc.validateParameter(p);
        } catch {
          // rclnodejs's own wording for any descriptor mismatch (type or range).
          return { successful: false, reason: `Parameter ${p.name} does not  readonly` };
        }
      }
    }
    for (const cb of this.#callbacks) {
      const result = cb(parameters);
      if (!result.successful) return result;
    }
    for (const p of parameters) this.parameters.set(p.name, p);
    return { successful: true, reason: '' };
  }

  spin(_timeout?: number): void {
    this.spinning = true;
  }

  destroy(): void {
    for (const p of this.#publishers) p.destroy();
    for (const s of this.#subscriptions) s.destroy();
    for (const name of this.#services.values()) this.graph.removeService(name);
    this.#publishers.clear();
    this.#subscriptions.clear();
    this.#services.clear();
    this.destroyed = true;
  }
}

function overrideType(value: unknown): ParameterType {
  if (typeof value === 'boolean') return P.BOOL;
  if (typeof value === 'bigint') return P.INTEGER;
  if (typeof value === 'number') return Number.isInteger(value) ? P.INTEGER : P.DOUBLE;
  if (typeof value === 'string') return P.STRING;
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((v) => typeof v === 'number')) return value.every((v) => Number.isInteger(v)) ? P.INTEGER_ARRAY : P.DOUBLE_ARRAY;
    const t = overrideType(value[0]);
    return t === P.BOOL ? P.BOOL_ARRAY : t === P.INTEGER ? P.INTEGER_ARRAY : t === P.DOUBLE ? P.DOUBLE_ARRAY : P.STRING_ARRAY;
  }
  throw new TypeError(`stand-in: cannot infer a parameter type for ${String(value)}`);
}

// ---------------------------------------------------------------- lifecycle

export class StandInState implements rclnodejs.lifecycle.State {
  constructor(
    readonly id: number,
    readonly label: string,
  ) {}

  asMessage(): rclnodejs.lifecycle.SerializedState {
    return { id: this.id, label: this.label };
  }
}

const STATES = {
  unconfigured: new StandInState(1, 'unconfigured'),
  inactive: new StandInState(2, 'inactive'),
  active: new StandInState(3, 'active'),
  finalized: new StandInState(4, 'finalized'),
  configuring: new StandInState(10, 'configuring'),
  cleaningup: new StandInState(11, 'cleaningup'),
  shuttingdown: new StandInState(12, 'shuttingdown'),
  activating: new StandInState(13, 'activating'),
  deactivating: new StandInState(14, 'deactivating'),
  errorprocessing: new StandInState(15, 'errorprocessing'),
};

const SUCCESS: rclnodejs.lifecycle.CallbackReturnCode = 97;
const ERROR: rclnodejs.lifecycle.CallbackReturnCode = 99;

type Primary = 'unconfigured' | 'inactive' | 'active' | 'finalized';
type Callback = rclnodejs.lifecycle.TransitionCallback;

export class StandInLifecycleNode extends StandInNode implements LifecycleNodeApi {
  #state: Primary = 'unconfigured';
  readonly #callbacks = new Map<string, Callback>();
  /** Every transition with the code its callback returned. */
  readonly transitions: { transition: string; from: Primary; to: Primary; code: number }[] = [];

  get currentState(): StandInState {
    return STATES[this.#state];
  }

  registerOnConfigure(cb: Callback): void {
    this.#callbacks.set('configuring', cb);
  }
  registerOnActivate(cb: Callback): void {
    this.#callbacks.set('activating', cb);
  }
  registerOnDeactivate(cb: Callback): void {
    this.#callbacks.set('deactivating', cb);
  }
  registerOnCleanup(cb: Callback): void {
    this.#callbacks.set('cleaningup', cb);
  }
  registerOnShutdown(cb: Callback): void {
    this.#callbacks.set('shuttingdown', cb);
  }
  registerOnError(cb: Callback): void {
    this.#callbacks.set('errorprocessing', cb);
  }

  configure(ret?: rclnodejs.lifecycle.CallbackReturnValue): StandInState {
    return this.#change('configure', ['unconfigured'], 'configuring', 'inactive', 'unconfigured', ret);
  }
  activate(ret?: rclnodejs.lifecycle.CallbackReturnValue): StandInState {
    return this.#change('activate', ['inactive'], 'activating', 'active', 'inactive', ret);
  }
  deactivate(ret?: rclnodejs.lifecycle.CallbackReturnValue): StandInState {
    return this.#change('deactivate', ['active'], 'deactivating', 'inactive', 'active', ret);
  }
  cleanup(ret?: rclnodejs.lifecycle.CallbackReturnValue): StandInState {
    return this.#change('cleanup', ['inactive'], 'cleaningup', 'unconfigured', 'inactive', ret);
  }
  shutdown(ret?: rclnodejs.lifecycle.CallbackReturnValue): StandInState {
    return this.#change('shutdown', ['unconfigured', 'inactive', 'active'], 'shuttingdown', 'finalized', 'finalized', ret);
  }

  #change(
    transition: string,
    from: readonly Primary[],
    transitional: keyof typeof STATES,
    onSuccess: Primary,
    onFailure: Primary,
    ret: rclnodejs.lifecycle.CallbackReturnValue | undefined,
  ): StandInState {
    const start = this.#state;
    if (!from.includes(start)) throw new Error(`No transition available from state ${transition}.`);
    let code = this.#run(transitional, start);
    let to: Primary = code === SUCCESS ? onSuccess : code === ERROR ? 'unconfigured' : onFailure;
    if (code === ERROR) {
      // rcl_lifecycle: ERROR goes to ErrorProcessing; its callback decides unconfigured or finalized.
      const errorCode = this.#run('errorprocessing', start);
      to = errorCode === SUCCESS ? 'unconfigured' : 'finalized';
      code = errorCode;
    }
    if (ret) ret.value = code;
    this.#state = to;
    this.transitions.push({ transition, from: start, to, code });
    return STATES[to];
  }

  #run(state: keyof typeof STATES, previous: Primary): rclnodejs.lifecycle.CallbackReturnCode {
    const cb = this.#callbacks.get(state);
    if (!cb) return SUCCESS;
    try {
      return cb(STATES[previous]);
    } catch {
      return ERROR;
    }
  }
}

// ---------------------------------------------------------------- the module

export interface StandIn {
  readonly api: RclnodejsApi;
  readonly graph: StandInGraph;
}

/** A fresh rclnodejs stand-in with its own graph. */
export function createStandIn(options: StandInOptions = {}): StandIn {
  const graph = new StandInGraph(options);

  class Node extends StandInNode {
    constructor(nodeName: string, namespace = '') {
      super(graph, nodeName, namespace);
    }
  }

  class LifecycleNode extends StandInLifecycleNode {
    constructor(nodeName: string, namespace = '') {
      super(graph, nodeName, namespace);
    }
  }

  const api = {
    init: async (_context?: rclnodejs.Context, _argv?: string[]): Promise<void> => {
      graph.initialized = true;
    },
    shutdown: (_context?: rclnodejs.Context): void => {
      graph.shutdownCalled = true;
    },
    isShutdown: (): boolean => graph.shutdownCalled,
    removeSignalHandlers: (): void => {
      graph.signalHandlersRemoved = true;
    },
    QoS: StandInQoS,
    Parameter: StandInParameter,
    ParameterDescriptor: StandInParameterDescriptor,
    FloatingPointRange: StandInFloatingPointRange,
    IntegerRange: StandInIntegerRange,
    Node,
    lifecycle: { LifecycleNode },
  } satisfies RclnodejsApi;
  return { api, graph };
}
