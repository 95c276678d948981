import { fixupTypes, parse } from '@foxglove/rosmsg';
import { MessageError } from './errors.js';
import { shortTypeName } from './type-names.js';

/** One parsed type: the shape @foxglove/rosmsg2-serialization's reader and writer take. */
export type MessageDefinition = ReturnType<typeof parse>[number];
export type MessageDefinitionField = MessageDefinition['definitions'][number];

/**
 * Parses a full `ros2msg` schema (root text plus `MSG:` sections). The root is named `pkg/Name`
 * before type fix-up so its same-package short names (`RegionOfInterest roi`) resolve within
 * its package instead of by suffix, which is ambiguous once two packages share a type name.
 */
export function parseSchema(typeName: string, text: string): MessageDefinition[] {
  try {
    const defs = parse(text, { ros2: true, skipTypeFixup: true });
    if (defs[0] && defs[0].name === undefined) defs[0].name = shortTypeName(typeName);
    fixupTypes(defs);
    return defs;
  } catch (err) {
    if (err instanceof MessageError) throw err;
    throw new MessageError('E_SCHEMA_PARSE', `${typeName}: ${(err as Error).message}`, err);
  }
}
