import type { MessageDefinition, MessageDefinitionField } from './parse-schema.js';

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Finds non-ASCII strings before encoding. @foxglove/cdr 3.5.0's CdrWriter.string sizes a string
 * by its UTF-16 length, so multibyte UTF-8 is silently cut short (foxglove/cdr#35, unreleased).
 * Only types that can hold a string are walked, so numeric payloads cost nothing.
 */
export class StringGuard {
  readonly #types: Map<string, MessageDefinitionField[]>;
  readonly #root: MessageDefinitionField[];
  readonly #hasStrings = new Map<string, boolean>();

  constructor(defs: MessageDefinition[]) {
    this.#types = new Map(defs.map((d) => [d.name ?? '', d.definitions]));
    // The reader and writer take the first non-constant definition as the root; so do we.
    const root = defs.find((d) => !(d.definitions.length > 0 && d.definitions.every((f) => f.isConstant)));
    this.#root = root?.definitions ?? [];
  }

  /** Path of the first non-ASCII string in `msg` (e.g. `status[0].message`), or undefined. */
  check(msg: unknown): string | undefined {
    return this.#walk(this.#root, msg, '');
  }

  #walk(fields: MessageDefinitionField[], msg: unknown, prefix: string): string | undefined {
    if (typeof msg !== 'object' || msg === null) return undefined;
    const obj = msg as Record<string, unknown>;
    for (const f of fields) {
      if (f.isConstant === true) continue;
      const value = obj[f.name];
      const path = prefix + f.name;
      if (f.type === 'string') {
        const list = f.isArray === true ? (Array.isArray(value) ? value : []) : [value];
        const i = list.findIndex((s) => typeof s === 'string' && NON_ASCII.test(s));
        if (i >= 0) return f.isArray === true ? `${path}[${i}]` : path;
      } else if (f.isComplex === true && this.#typeHasStrings(f.type, new Set())) {
        const nested = this.#types.get(f.type) ?? [];
        if (f.isArray !== true) {
          const found = this.#walk(nested, value, `${path}.`);
          if (found) return found;
        } else if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const found = this.#walk(nested, value[i], `${path}[${i}].`);
            if (found) return found;
          }
        }
      }
    }
    return undefined;
  }

  #typeHasStrings(type: string, visiting: Set<string>): boolean {
    const cached = this.#hasStrings.get(type);
    if (cached !== undefined) return cached;
    if (visiting.has(type)) return false;
    visiting.add(type);
    const result = (this.#types.get(type) ?? []).some(
      (f) => f.isConstant !== true && (f.type === 'string' || (f.isComplex === true && this.#typeHasStrings(f.type, visiting))),
    );
    this.#hasStrings.set(type, result);
    return result;
  }
}
