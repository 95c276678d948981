import { fixupTypes, parse } from '@foxglove/rosmsg';
import { MessageError } from './errors.js';
import { interfaceSchemaText } from './interface-schema.js';
import { shortTypeName } from './type-names.js';

/** One parsed type: the shape @foxglove/rosmsg2-serialization's reader and writer take. */
export type MessageDefinition = ReturnType<typeof parse>[number];
export type MessageDefinitionField = MessageDefinition['definitions'][number];

/** `pkg/msg/Name` (or `pkg/srv/…`, `pkg/action/…`) → `pkg/Name`; other names unchanged. */
const dropMsg = (name: string): string => name.replace(/^([^/]+)\/(?:msg|srv|action)\/([^/]+)$/, '$1/$2');

/**
 * Parses a full `ros2msg` schema (root text plus `MSG:` sections).
 * - The root is named `pkg/Name` before type fix-up so its same-package short names
 *   (`RegionOfInterest roi`) resolve within its package, not by an ambiguous suffix match.
 * - Section and field names are unified to `pkg/Name`: rosbag2 writes `MSG: std_msgs/Header`,
 *   other recorders write `MSG: std_msgs/msg/Header`, and fix-up needs exact matches.
 * - An empty text is a message without fields (`std_msgs/msg/Empty`): it decodes to `{}`.
 * - Service and action types (`pkg/srv/Name_Event`…) may come as their .srv/.action text, which is
 *   turned into the generated message's schema first (see interface-schema.ts).
 */
export function parseSchema(typeName: string, text: string): MessageDefinition[] {
  try {
    const parsed = parse(interfaceSchemaText(typeName, text), { ros2: true, skipTypeFixup: true });
    if (parsed[0] && parsed[0].name === undefined) parsed[0].name = shortTypeName(typeName);
    const defs: MessageDefinition[] = [];
    const names = new Set<string>();
    for (const def of parsed) {
      const name = def.name === undefined ? undefined : dropMsg(def.name);
      if (name !== undefined && names.has(name)) continue; // same type listed in both forms
      if (name !== undefined) names.add(name);
      for (const field of def.definitions) {
        if (field.isComplex === true) field.type = dropMsg(field.type);
      }
      defs.push({ ...def, name });
    }
    fixupTypes(defs);
    return defs;
  } catch (err) {
    if (err instanceof MessageError) throw err;
    throw new MessageError('E_SCHEMA_PARSE', `${typeName}: ${(err as Error).message}`, err);
  }
}
