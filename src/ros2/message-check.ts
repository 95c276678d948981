/**
 * Run-time checks that stand between pilot's message objects and rclnodejs's typed API: a type name
 * is one rclnodejs can be asked for (it is in the vendored definitions, which are also what
 * src/ros2/tsd/interfaces.d.ts is generated from), and an object matches its definition field by
 * field, so it may be handed to `publish` as `RosMessage<K>`.
 */
import type { MessageDefinition, MessageDefinitionField } from '../core/messages/parse-schema.js';
import { TYPE_NAME } from '../core/messages/type-names.js';
import type { MessageRegistry } from '../core/messages/registry.js';
import { rosMessageRegistry } from './interfaces.js';
import type { RosMessage, RosMessageTypeName } from './rclnodejs-api.js';

/** `pkg/msg/Name` for `pkg/msg/Name` or `pkg/Name`; undefined for anything else. */
export function normalizeTypeName(name: string): string | undefined {
  const m = TYPE_NAME.exec(name);
  return m ? `${m[1]}/msg/${m[2]}` : undefined;
}

/** Whether `name` (full form) is a message type the ROS 2 layer has a definition for. */
export function isRosMessageType(name: string, registry: MessageRegistry = rosMessageRegistry()): name is RosMessageTypeName {
  return normalizeTypeName(name) === name && registry.has(name);
}

type Check = (value: unknown, path: string) => string | undefined;

const INT_RANGES: Record<string, readonly [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

const TYPED_ARRAYS: Record<string, new (n: number) => ArrayLike<number>> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/**
 * Field-by-field conformance of message objects to their definitions: every field present with a
 * value of its type (numbers within the integer type's range, `bigint` for 64-bit integers, numeric
 * arrays as plain arrays or the matching typed array, fixed-length arrays of their length), no field
 * that the definition does not have.
 */
export class MessageChecker {
  readonly #registry: MessageRegistry;
  readonly #checks = new Map<string, Check>();

  constructor(registry: MessageRegistry = rosMessageRegistry()) {
    this.#registry = registry;
  }

  /** Why `value` is not a `type`, or undefined when it is one. */
  problem(type: string, value: unknown): string | undefined {
    return this.#check(type)(value, '');
  }

  /** Narrows `value` to the message type of `type`; the check above is what justifies it. */
  conforms<K extends RosMessageTypeName>(type: K, value: unknown): value is RosMessage<K> {
    return this.problem(type, value) === undefined;
  }

  #check(type: string): Check {
    let check = this.#checks.get(type);
    if (!check) {
      const defs = this.#registry.definitionsFor(type);
      const byName = new Map(defs.map((d) => [d.name ?? '', d]));
      const built = new Map<string, Check>();
      check = messageCheck(defs[0]!, byName, built);
      this.#checks.set(type, check);
    }
    return check;
  }
}

function messageCheck(def: MessageDefinition, byName: Map<string, MessageDefinition>, built: Map<string, Check>): Check {
  const key = def.name ?? '';
  const existing = built.get(key);
  if (existing) return existing;
  const fields: { name: string; check: Check }[] = [];
  const check: Check = (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
      return `${path || '(message)'}: expected a ${key} object, got ${describe(value)}`;
    }
    const record = value as Record<string, unknown>;
    for (const f of fields) {
      const where = path ? `${path}.${f.name}` : f.name;
      if (!(f.name in record)) return `${where}: missing`;
      const bad = f.check(record[f.name], where);
      if (bad) return bad;
    }
    if (Object.keys(record).length !== fields.length) {
      const extra = Object.keys(record).filter((k) => !fields.some((f) => f.name === k));
      if (extra.length > 0) return `${path || '(message)'}: ${key} has no field ${extra.join(', ')}`;
    }
    return undefined;
  };
  built.set(key, check);
  for (const field of def.definitions) {
    if (field.isConstant) continue;
    fields.push({ name: field.name, check: fieldCheck(field, byName, built) });
  }
  return check;
}

function fieldCheck(field: MessageDefinitionField, byName: Map<string, MessageDefinition>, built: Map<string, Check>): Check {
  const element = elementCheck(field, byName, built);
  if (!field.isArray) return element;
  const fixed = field.arrayLength;
  const bound = field.arrayUpperBound;
  const typed = TYPED_ARRAYS[field.type];
  return (value, path) => {
    let items: ArrayLike<unknown>;
    if (Array.isArray(value)) items = value;
    else if (typed && value instanceof typed) items = value;
    else return `${path}: expected ${field.type}[]${typed ? ` or ${typed.name}` : ''}, got ${describe(value)}`;
    if (fixed !== undefined && items.length !== fixed) return `${path}: expected ${fixed} elements, got ${items.length}`;
    if (bound !== undefined && items.length > bound) return `${path}: at most ${bound} elements, got ${items.length}`;
    if (!Array.isArray(value)) return undefined; // a typed array of the field's own element type
    for (let i = 0; i < items.length; i++) {
      const bad = element(items[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  };
}

function elementCheck(field: MessageDefinitionField, byName: Map<string, MessageDefinition>, built: Map<string, Check>): Check {
  const t = field.type;
  if (field.isComplex) {
    const def = byName.get(t);
    if (!def) throw new Error(`definition of ${t} missing`);
    return messageCheck(def, byName, built);
  }
  switch (t) {
    case 'bool':
      return (v, p) => (typeof v === 'boolean' ? undefined : `${p}: expected bool, got ${describe(v)}`);
    case 'string':
    case 'wstring':
      return (v, p) => (typeof v === 'string' ? undefined : `${p}: expected string, got ${describe(v)}`);
    case 'float32':
    case 'float64':
      return (v, p) => (typeof v === 'number' ? undefined : `${p}: expected ${t}, got ${describe(v)}`);
    case 'int64':
    case 'uint64':
      return (v, p) => (typeof v === 'bigint' ? undefined : `${p}: expected ${t} as a bigint, got ${describe(v)}`);
    case 'time':
    case 'duration':
      return (v, p) => {
        if (v === null || typeof v !== 'object') return `${p}: expected builtin_interfaces ${t} {sec, nanosec}, got ${describe(v)}`;
        const { sec, nanosec } = v as { sec?: unknown; nanosec?: unknown };
        if (Object.keys(v).length !== 2 || !Number.isInteger(sec) || !Number.isInteger(nanosec)) return `${p}: expected {sec, nanosec} integers, got ${describe(v)}`;
        return undefined;
      };
    default: {
      const range = INT_RANGES[t];
      if (!range) throw new Error(`unsupported field type ${t}`);
      const [lo, hi] = range;
      return (v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? undefined : `${p}: expected ${t}, got ${describe(v)}`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `array(${v.length})`;
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return 'object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}
