export * from './types.js';
export * from './factories.js';
export { MessageError, type MessageErrorCode } from './errors.js';
export { MessageRegistry } from './registry.js';
export { CdrCodec, type DecodeOptions } from './cdr.js';
export { buildSchemaText, msgDependencies, SCHEMA_SEPARATOR, type MsgTextLookup } from './schema-text.js';
export { parseSchema, type MessageDefinition, type MessageDefinitionField } from './parse-schema.js';
export { fullTypeName, shortTypeName, splitTypeName } from './type-names.js';
export { defaultDefinitionsDir } from './definitions-dir.js';
