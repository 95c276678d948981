/**
 * A `.msg` text → fields and constants, the way rosidl's `.msg` parser (rosidl_adapter) reports them,
 * which is what rclnodejs's typings generator reads: type names as written (`byte`, `char` stay),
 * same-package references resolved to the package, `Header` → `std_msgs/Header`.
 */

export interface MsgFieldType {
  /** Primitive name (`uint8`, `string`, `byte`…) or the message name without package (`Header`). */
  readonly type: string;
  /** Package of a message type; undefined for primitives. */
  readonly pkgName: string | undefined;
  readonly isPrimitiveType: boolean;
  readonly isArray: boolean;
  /** `T[N]`. */
  readonly isFixedSizeArray: boolean;
  readonly arraySize: number | undefined;
  /** `T[<=N]`. */
  readonly isUpperBound: boolean;
  /** `string<=N`. */
  readonly stringUpperBound: number | undefined;
}

export interface MsgField {
  readonly name: string;
  readonly type: MsgFieldType;
}

export interface MsgConstant {
  readonly name: string;
  readonly type: string;
  readonly valueText: string;
}

export interface MsgSpec {
  readonly fields: readonly MsgField[];
  readonly constants: readonly MsgConstant[];
}

export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring',
]);

const TYPE = /^([A-Za-z][A-Za-z0-9_]*(?:\/[A-Za-z][A-Za-z0-9_]*)?)(?:<=(\d+))?(?:\[(<=)?(\d*)\])?$/;
const NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;

/** Parses one `.msg` (or one half of a `.srv`) of package `pkg`; `source` names it in errors. */
export function parseMsgSpec(pkg: string, text: string, source: string): MsgSpec {
  const fields: MsgField[] = [];
  const constants: MsgConstant[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const fail = (why: string): never => {
      throw new Error(`${source}:${index + 1}: ${why}: '${raw.trim()}'`);
    };
    const m = /^(\S+)\s+([^\s=]+)\s*(=\s*(.*))?(?:\s+(.*))?$/.exec(line) ?? fail('not a field or constant');
    const [, typeText, name, isConstant, constantValue] = m;
    if (!NAME.test(name!)) fail(`invalid name '${name}'`);
    if (isConstant !== undefined) {
      if (!PRIMITIVE_TYPES.has(typeText!)) fail('constants must have a primitive type');
      constants.push({ name: name!, type: typeText!, valueText: constantValue!.trim() });
      return;
    }
    const t = TYPE.exec(typeText!) ?? fail(`invalid type '${typeText}'`);
    const [, base, strBound, upper, size] = t;
    const isArray = size !== undefined || upper !== undefined || /\[\]$/.test(typeText!);
    const primitive = PRIMITIVE_TYPES.has(base!);
    let pkgName: string | undefined;
    let type = base!;
    if (!primitive) {
      if (base!.includes('/')) [pkgName, type] = base!.split('/') as [string, string];
      else if (base === 'Header') pkgName = 'std_msgs';
      else pkgName = pkg;
    }
    if (strBound !== undefined && base !== 'string' && base !== 'wstring') fail('only strings can be bounded with <=');
    fields.push({
      name: name!,
      type: {
        type,
        pkgName,
        isPrimitiveType: primitive,
        isArray,
        isFixedSizeArray: isArray && upper === undefined && size !== undefined && size !== '',
        arraySize: size ? Number(size) : undefined,
        isUpperBound: upper !== undefined,
        stringUpperBound: strBound === undefined ? undefined : Number(strBound),
      },
    });
  });
  return { fields, constants };
}

/** Drops a `#` comment, except inside a quoted string constant. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}
