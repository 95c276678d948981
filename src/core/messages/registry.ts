import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultDefinitionsDir } from './definitions-dir.js';
import { MessageError } from './errors.js';
import { parseSchema, type MessageDefinition } from './parse-schema.js';
import type { RosDistro } from './ros-distro.js';
import { buildSchemaText } from './schema-text.js';
import { TYPE_NAME, fullTypeName } from './type-names.js';

/**
 * The known ROS 2 message types, from .msg texts laid out as `<pkg>/msg/<Name>.msg`.
 * Type names are accepted as `pkg/msg/Name` or `pkg/Name`.
 */
export class MessageRegistry {
  static #builtin: MessageRegistry | undefined;
  static readonly #standard = new Map<RosDistro, MessageRegistry>();
  /** Keyed by `pkg/msg/Name`. */
  readonly #texts = new Map<string, string>();
  readonly #schemas = new Map<string, string>();

  /** `texts`: [type name, .msg text] pairs. */
  constructor(texts: Iterable<readonly [string, string]>) {
    for (const [name, text] of texts) this.#texts.set(fullTypeName(name), text);
  }

  /** Reads every `<dir>/<pkg>/msg/<Name>.msg`. */
  static fromDirectory(dir: string): MessageRegistry {
    const texts: [string, string][] = [];
    for (const pkg of readdirSync(dir, { withFileTypes: true })) {
      const msgDir = join(dir, pkg.name, 'msg');
      if (!pkg.isDirectory() || !existsSync(msgDir)) continue;
      for (const file of readdirSync(msgDir)) {
        if (!file.endsWith('.msg')) continue;
        texts.push([`${pkg.name}/msg/${file.slice(0, -4)}`, readFileSync(join(msgDir, file), 'utf8')]);
      }
    }
    return new MessageRegistry(texts);
  }

  /** The vendored definitions shipped with pilot, loaded once. */
  static builtin(): MessageRegistry {
    return (MessageRegistry.#builtin ??= MessageRegistry.fromDirectory(defaultDefinitionsDir()));
  }

  /**
   * The standard ROS 2 definitions of `distro` (std_msgs, sensor_msgs, geometry_msgs, rcl_interfaces…)
   * as @foxglove/rosmsg-msgs-common ships them, loaded once per distro.
   */
  static standard(distro: RosDistro): MessageRegistry {
    let registry = MessageRegistry.#standard.get(distro);
    if (registry === undefined) {
      const pkg = createRequire(import.meta.url).resolve('@foxglove/rosmsg-msgs-common/package.json');
      const dir = join(dirname(pkg), 'msgdefs', `ros2${distro}`);
      if (!existsSync(dir)) {
        throw new MessageError('E_UNKNOWN_TYPE', `no standard ${distro} definitions: ${dir} is missing (@foxglove/rosmsg-msgs-common ${pkg})`);
      }
      registry = MessageRegistry.fromDirectory(dir);
      MessageRegistry.#standard.set(distro, registry);
    }
    return registry;
  }

  /** One registry of the types of `registries`, the first that defines a type winning. */
  static layered(...registries: readonly MessageRegistry[]): MessageRegistry {
    const texts = new Map<string, string>();
    for (const r of registries) for (const [type, text] of r.#texts) if (!texts.has(type)) texts.set(type, text);
    return new MessageRegistry(texts);
  }

  /** Known types as `pkg/msg/Name`, sorted. */
  types(): string[] {
    return [...this.#texts.keys()].sort();
  }

  has(typeName: string): boolean {
    return this.#lookup(typeName) !== undefined;
  }

  /** The vendored .msg text of one type, without dependencies. */
  msgText(typeName: string): string {
    const text = this.#lookup(typeName);
    if (text === undefined) throw this.#unknown(typeName);
    return text;
  }

  /** The rosbag2-style `ros2msg` schema: the type's text followed by all its dependencies. */
  schemaText(typeName: string): string {
    const key = this.#key(typeName);
    let schema = this.#schemas.get(key);
    if (schema === undefined) {
      schema = buildSchemaText(key, (name) => this.#lookup(name));
      this.#schemas.set(key, schema);
    }
    return schema;
  }

  /** Parsed definitions (root first, then dependencies), fresh each call so callers may mutate. */
  definitionsFor(typeName: string): MessageDefinition[] {
    return parseSchema(typeName, this.schemaText(typeName));
  }

  /** The text of a type; undefined when unknown or not a type name at all. */
  #lookup(typeName: string): string | undefined {
    const m = TYPE_NAME.exec(typeName);
    return m ? this.#texts.get(`${m[1]}/msg/${m[2]}`) : undefined;
  }

  /** The `pkg/msg/Name` key of a known type, or E_UNKNOWN_TYPE. */
  #key(typeName: string): string {
    if (this.#lookup(typeName) === undefined) throw this.#unknown(typeName);
    return fullTypeName(typeName);
  }

  #unknown(typeName: string): MessageError {
    return new MessageError('E_UNKNOWN_TYPE', `unknown message type '${typeName}'; known: ${this.types().join(', ')}`);
  }
}
