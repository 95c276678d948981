/**
 * A stand-in for rclnodejs, for what needs its native layer: exactly the API surface pilot's ROS 2
 * layer uses (`RclnodejsApi`), implemented in memory with rclnodejs 2.2.0's semantics where the adapter
 * depends on them. Parameters are rclnodejs's own JavaScript classes (`rclnodejs/lib/parameter.js`,
 * which loads without the native addon), not copies:
 *
 * - the module object `satisfies RclnodejsApi`; the entity classes `implements` rclnodejs's own
 *   interfaces where those do not depend on generated message typings, so a change in rclnodejs's
 *   declarations breaks this file at compile time;
 * - `init(argv)` reads the command line as rcl and rclnodejs do: `-r __node:=`/`__ns:=` rename nodes;
 *   `-p` and `--params-file` become the "native" parameter overrides, typed as rcl types YAML and
 *   handed over as rclnodejs's native layer does (integer arrays as plain numbers), and a node takes
 *   only the sections `/**` and its bare name — as real rclnodejs does, including throwing its
 *   ParameterTypeError for an integer array;
 * - a tiny "middleware" (StandInGraph): topics resolved like rcl (relative names in the node's
 *   namespace), delivery to subscriptions of the same topic and type with compatible QoS (a best-effort
 *   publisher does not reach a reliable subscriber; a volatile publisher does not reach a
 *   transient-local subscriber), raw subscriptions receiving CDR bytes;
 * - published message objects are checked field by field against the .msg definition (a separate
 *   parser from the adapter's, the rosidl-style one in src/ros2/tsd/msg-fields.ts) and rejected with a
 *   TypeError like rclnodejs's serializer does;
 * - node parameters as in rclnodejs's node.js: overrides, declare/undeclare, descriptor validation
 *   (type, read-only, range) before the on-set callbacks (last added called first), atomic sets;
 * - the lifecycle state machine of rcl_lifecycle with rclnodejs's synchronous callbacks.
 */
import type * as rclnodejs from 'rclnodejs';
import { FloatingPointRange, IntegerRange, Parameter, ParameterDescriptor } from 'rclnodejs/lib/parameter.js';
import { CdrCodec } from '../../../src/core/messages/cdr.js';
import { readInterfaces, rosMessageRegistry, type MsgInterface } from '../../../src/ros2/interfaces.js';
import type {
  EntityApi,
  LifecycleNodeApi,
  NodeApi,
  PublisherApi,
  RclnodejsApi,
  RosMessage,
  RosMessageTypeName,
  SetBoolRequest,
  SetBoolResponse,
  SetParametersResult,
} from '../../../src/ros2/rclnodejs-api.js';
import { parseRosArgs, readParameterSections } from '../../../src/ros2/ros-args.js';
import { parseMsgSpec, type MsgField, type MsgSpec } from '../../../src/ros2/tsd/msg-fields.js';

export { FloatingPointRange, IntegerRange, Parameter, ParameterDescriptor };

type ParameterType = rclnodejs.ParameterType;

const P = { NOT_SET: 0, BOOL: 1, INTEGER: 2, DOUBLE: 3, STRING: 4, BYTE_ARRAY: 5, BOOL_ARRAY: 6, INTEGER_ARRAY: 7, DOUBLE_ARRAY: 8, STRING_ARRAY: 9 } as const;

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
  /**
   * Parameter overrides every node gets from the native layer (what `-p name:=value` gives rclnodejs):
   * whole numbers are integers, integer arrays come as plain numbers (and make node creation throw, as
   * in rclnodejs 2.2.0).
   */
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
  /** What `init` was given (rcl's view of the command line). */
  initArgv: readonly string[] = [];
  /** `-r __node:=` / `__ns:=` from `init`, applied to nodes created after it, as rcl's global remaps. */
  remap: { nodeName?: string; namespace?: string } = {};
  /** `-p` and `--params-file` from `init`: node key as written → parameters, as rcl keeps them. */
  readonly cliParameters = new Map<string, Map<string, unknown>>();
  shutdownCalled = false;
  signalHandlersRemoved = false;
  readonly codec = new CdrCodec(rosMessageRegistry());
  readonly #pubs = new Set<PubEndpoint>();
  readonly #subs = new Set<SubEndpoint>();
  readonly #services = new Map<string, ServiceEndpoint>();

  constructor(options: StandInOptions = {}) {
    this.options = options;
  }

  /** rclnodejs's `init(context, argv)`: rcl parses the ROS arguments. */
  init(argv: readonly string[]): void {
    this.initialized = true;
    this.initArgv = [...argv];
    const parsed = parseRosArgs(argv);
    this.remap = { ...(parsed.nodeName ? { nodeName: parsed.nodeName } : {}), ...(parsed.namespace ? { namespace: parsed.namespace } : {}) };
    for (const section of readParameterSections(parsed)) {
      const map = this.cliParameters.get(section.key) ?? new Map<string, unknown>();
      for (const [name, value] of section.values) map.set(name, value);
      this.cliParameters.set(section.key, map);
    }
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

function qosOf(options: { readonly qos?: rclnodejs.QoS | rclnodejs.QoS.ProfileRef } | undefined): rclnodejs.QoS | undefined {
  const qos = options?.qos;
  if (qos === undefined || typeof qos === 'string') return undefined;
  return qos;
}

// ---------------------------------------------------------------- entities

class StandInPublisher<K extends RosMessageTypeName> implements PublisherApi<K> {
  readonly qos: rclnodejs.QoS;
  #destroyed = false;

  constructor(
    readonly graph: StandInGraph,
    readonly node: StandInNode,
    readonly typeClass: K,
    readonly topic: string,
    readonly endpoint: PubEndpoint,
  ) {
    this.qos = endpoint.qos ?? new StandInQoS(1, 10, 1, 2);
  }

  publish(message: RosMessage<K> | Buffer): void {
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

  subscriptionCount(): number {
    return this.graph.subscriptions.filter((s) => s.topic === this.endpoint.topic).length;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
    this.graph.removePub(this.endpoint);
  }
}

class StandInSubscription {
  readonly qos: rclnodejs.QoS;
  #destroyed = false;

  constructor(
    readonly graph: StandInGraph,
    readonly typeClass: RosMessageTypeName,
    readonly topic: string,
    readonly isRaw: boolean,
    readonly endpoint: SubEndpoint,
  ) {
    this.qos = endpoint.qos ?? new StandInQoS(1, 10, 1, 2);
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

class StandInSetBoolService {
  readonly typeClass = 'std_srvs/srv/SetBool';
  #destroyed = false;

  constructor(readonly serviceName: string) {}

  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    this.#destroyed = true;
  }
}

/** As rcl hands a `-p`/params-file value to rclnodejs: integer arrays as plain numbers, other integers as bigint. */
function nativeParameter(name: string, value: unknown): rclnodejs.Parameter {
  const type = overrideType(value);
  const native = type === P.INTEGER_ARRAY && Array.isArray(value) ? value.map((v) => Number(v)) : value;
  return new Parameter(name, type, native);
}

/** The Node part: entities, parameters, logging. */
export class StandInNode implements NodeApi {
  readonly logger: StandInLogging;
  readonly parameters = new Map<string, rclnodejs.Parameter>();
  readonly descriptors = new Map<string, rclnodejs.ParameterDescriptor>();
  readonly nodeName: string;
  readonly nodeNamespace: string;
  readonly #overrides = new Map<string, rclnodejs.Parameter>();
  readonly #callbacks: rclnodejs.SetParametersCallback[] = [];
  readonly #publishers = new Set<StandInPublisher<RosMessageTypeName>>();
  readonly #subscriptions = new Set<StandInSubscription>();
  readonly #services = new Map<StandInSetBoolService, string>();
  spinning = false;
  destroyed = false;

  constructor(
    readonly graph: StandInGraph,
    nodeName: string,
    nodeNamespace: string,
  ) {
    // rcl's global remaps rename the node.
    this.nodeName = graph.remap.nodeName ?? nodeName;
    this.nodeNamespace = graph.remap.namespace ?? nodeNamespace;
    this.logger = new StandInLogging(this.nodeName, graph.logs);
    // As rclnodejs's node.js: the command line's `/**` section, then the one of this node's bare name.
    for (const key of ['/**', this.nodeName]) {
      for (const [name, value] of graph.cliParameters.get(key) ?? []) this.#overrides.set(name, nativeParameter(name, value));
    }
    for (const [name, value] of Object.entries(graph.options.parameterOverrides ?? {})) this.#overrides.set(name, nativeParameter(name, value));
    graph.nodes.push(this);
    // rclnodejs's TimeSource declares use_sim_time on every node.
    this.declareParameter(new Parameter('use_sim_time', P.BOOL, false));
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

  createPublisher<K extends RosMessageTypeName>(typeClass: K, topic: string, options: { readonly qos: rclnodejs.QoS | rclnodejs.QoS.ProfileRef }): PublisherApi<K> {
    this.#supported(typeClass);
    const endpoint: PubEndpoint = { topic: expandName(topic, this.nodeName, this.nodeNamespace), type: typeClass, qos: qosOf(options) };
    const publisher = new StandInPublisher<K>(this.graph, this, typeClass, topic, endpoint);
    this.graph.addPub(endpoint);
    this.#publishers.add(publisher as StandInPublisher<RosMessageTypeName>);
    return publisher;
  }

  createSubscription(
    typeClass: RosMessageTypeName,
    topic: string,
    options: { readonly qos: rclnodejs.QoS | rclnodejs.QoS.ProfileRef; readonly isRaw: true },
    callback: (raw: Buffer) => void,
  ): StandInSubscription {
    if (!options.isRaw) throw new TypeError('stand-in: only raw subscriptions (isRaw: true) are implemented; the adapter decodes CDR itself');
    this.#supported(typeClass);
    const endpoint: SubEndpoint = { topic: expandName(topic, this.nodeName, this.nodeNamespace), type: typeClass, qos: qosOf(options), deliver: (bytes) => callback(bytes) };
    const sub = new StandInSubscription(this.graph, typeClass, topic, true, endpoint);
    this.graph.addSub(endpoint);
    this.#subscriptions.add(sub);
    return sub;
  }

  createService(
    typeClass: 'std_srvs/srv/SetBool',
    serviceName: string,
    handler: (request: SetBoolRequest, response: { send(response: SetBoolResponse): void }) => void,
  ): StandInSetBoolService {
    if (typeClass !== 'std_srvs/srv/SetBool') throw new TypeError(`stand-in: only std_srvs/srv/SetBool services are implemented (the adapter's e-stop), not ${String(typeClass)}`);
    this.#supported(typeClass);
    const name = expandName(serviceName, this.nodeName, this.nodeNamespace);
    const service = new StandInSetBoolService(name);
    this.graph.addService({
      name,
      type: typeClass,
      call: (request) => {
        const bad = checkAgainstMsg('std_srvs/srv/SetBool_Request', request);
        if (bad) throw new TypeError(`SetBool request: ${bad}`);
        let sent: SetBoolResponse | undefined;
        const send = (r: SetBoolResponse): void => {
          const problem = checkAgainstMsg('std_srvs/srv/SetBool_Response', r);
          if (problem) throw new TypeError(`SetBool response: ${problem}`);
          sent = r;
        };
        // rclnodejs hands the handler a deserialized copy of the request.
        handler({ data: (request as SetBoolRequest).data }, { send });
        return sent;
      },
    });
    this.#services.set(service, name);
    return service;
  }

  destroyPublisher(publisher: PublisherApi<never>): void {
    for (const p of this.#publishers) {
      if (p === publisher) {
        p.destroy();
        this.#publishers.delete(p);
        return;
      }
    }
    throw new Error('destroyPublisher: not a publisher of this node');
  }

  destroySubscription(subscription: EntityApi): void {
    for (const s of this.#subscriptions) {
      if (s === subscription) {
        s.destroy();
        this.#subscriptions.delete(s);
        return;
      }
    }
    throw new Error('destroySubscription: not a subscription of this node');
  }

  destroyService(service: EntityApi): void {
    const name = this.#services.get(service as StandInSetBoolService);
    if (name === undefined) throw new Error('destroyService: not a service of this node');
    this.graph.removeService(name);
    this.#services.delete(service as StandInSetBoolService);
  }

  // ---- parameters, as lib/node.js does them

  declareParameter(parameter: rclnodejs.Parameter, descriptor?: rclnodejs.ParameterDescriptor, ignoreOverride = false): rclnodejs.Parameter {
    const override = ignoreOverride ? undefined : this.#overrides.get(parameter.name);
    const param = override ?? parameter;
    if (this.parameters.has(param.name)) throw new Error(`Parameter(${param.name}) already declared.`);
    const desc = descriptor ?? ParameterDescriptor.fromParameter(param);
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
    return this.parameters.get(name) ?? new Parameter(name, P.NOT_SET);
  }

  getParameterOverrides(): rclnodejs.Parameter[] {
    return [...this.#overrides.values()];
  }

  addOnSetParametersCallback(callback: rclnodejs.SetParametersCallback): void {
    this.#callbacks.unshift(callback);
  }

  /** `ros2 param set`: one result per parameter, each set atomically on its own (rclnodejs's setParameters). */
  setParameters(parameters: rclnodejs.Parameter[]): SetParametersResult[] {
    return parameters.map((p) => this.#setAtomically([p], false));
  }

  setParameter(parameter: rclnodejs.Parameter): SetParametersResult {
    return this.#setAtomically([parameter], false);
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
    init: async (_context?: rclnodejs.Context, argv?: string[]): Promise<void> => {
      graph.init(argv ?? []);
    },
    shutdown: (_context?: rclnodejs.Context): void => {
      graph.shutdownCalled = true;
    },
    isShutdown: (): boolean => graph.shutdownCalled,
    removeSignalHandlers: (): void => {
      graph.signalHandlersRemoved = true;
    },
    QoS: StandInQoS,
    Parameter,
    ParameterDescriptor,
    FloatingPointRange,
    IntegerRange,
    Node,
    lifecycle: { LifecycleNode },
  } satisfies RclnodejsApi;
  return { api, graph };
}
