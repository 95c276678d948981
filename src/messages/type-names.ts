import { MessageError } from './errors.js';

/** A ROS 2 message type split into package and name: `sensor_msgs/msg/Image` → {pkg, name}. */
export interface TypeNameParts {
  readonly pkg: string;
  readonly name: string;
}

/** `pkg/msg/Name` or `pkg/Name`; groups: package, name. */
export const TYPE_NAME = /^([A-Za-z][A-Za-z0-9_]*)\/(?:msg\/)?([A-Za-z][A-Za-z0-9_]*)$/;

/** Parses `pkg/msg/Name` or `pkg/Name`; anything else is an E_UNKNOWN_TYPE. */
export function splitTypeName(typeName: string): TypeNameParts {
  const m = TYPE_NAME.exec(typeName);
  if (!m) {
    throw new MessageError('E_UNKNOWN_TYPE', `not a message type name: '${typeName}' (expected pkg/msg/Name or pkg/Name)`);
  }
  return { pkg: m[1]!, name: m[2]! };
}

/** `pkg/msg/Name`: the ROS 2 full name, used as the key everywhere in this layer. */
export function fullTypeName(typeName: string): string {
  const { pkg, name } = splitTypeName(typeName);
  return `${pkg}/msg/${name}`;
}

/** `pkg/Name`: the form .msg files and `MSG:` schema lines use. */
export function shortTypeName(typeName: string): string {
  const { pkg, name } = splitTypeName(typeName);
  return `${pkg}/${name}`;
}
