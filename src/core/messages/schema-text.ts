/**
 * Builds the `ros2msg` schema text exactly as rosbag2 records it (rosbag2_cpp
 * LocalMessageDefinitionSource::get_full_text), so our MCAP schemas match a real `ros2 bag record`:
 * the root .msg text, then for each dependency not yet emitted, in depth-first order with each
 * level's dependencies sorted (rosbag2 keeps them in a std::set), "\n", 80 '=', "MSG: pkg/Name"
 * and that type's .msg text.
 */
import { MessageError } from './errors.js';
import { shortTypeName, splitTypeName } from './type-names.js';

export const SCHEMA_SEPARATOR = '='.repeat(80);

/** rosbag2's field-type pattern: the first word of each line, with an optional array suffix. */
const FIELD_TYPE = /(?:^|\n)\s*([a-zA-Z0-9_/]+)(?:\[[^\]]*\])?\s+/g;

/** rosbag2's primitive list: builtin_interfaces/Time is *not* here, so it is emitted as a dependency. */
const PRIMITIVES = new Set([
  'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32',
  'uint32', 'int64', 'uint64', 'string',
]);

/** rosbag2's recursion limit (ROSBAG2_CPP_LOCAL_MESSAGE_DEFINITION_SOURCE_MAX_RECURSION_DEPTH). */
const MAX_DEPTH = 50;

/** The dependencies rosbag2 sees in one .msg text, sorted; short names get `pkg/` prepended. */
export function msgDependencies(text: string, pkg: string): string[] {
  const deps = new Set<string>();
  for (const m of text.matchAll(FIELD_TYPE)) {
    const type = m[1]!;
    if (PRIMITIVES.has(type)) continue;
    deps.add(type.includes('/') ? type : `${pkg}/${type}`);
  }
  return [...deps].sort();
}

/** Looks up a .msg text by type name (either form); undefined when unknown. */
export type MsgTextLookup = (typeName: string) => string | undefined;

/** The full schema text for `rootType`, resolving dependencies through `lookup`. */
export function buildSchemaText(rootType: string, lookup: MsgTextLookup): string {
  const seen = new Set<string>();
  const append = (typeName: string, depth: number): string => {
    if (depth <= 0) {
      throw new MessageError('E_SCHEMA_DEPTH', `dependency depth over ${MAX_DEPTH} resolving ${rootType}`);
    }
    const text = lookup(typeName);
    if (text === undefined) {
      throw new MessageError('E_UNKNOWN_TYPE', `no .msg definition for ${shortTypeName(typeName)}, a dependency of ${rootType}`);
    }
    let out = text;
    for (const dep of msgDependencies(text, splitTypeName(typeName).pkg)) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      // The delimiter names the dependency as written in the field, e.g. `std_msgs/Header`.
      out += `\n${SCHEMA_SEPARATOR}\nMSG: ${dep}\n` + append(dep, depth - 1);
    }
    return out;
  };
  return append(rootType, MAX_DEPTH);
}
