import { MessageError } from './errors.js';

/** The interface kinds a ROS 2 type name may carry: `pkg/msg/Name`, `pkg/srv/Name_Event`, `pkg/action/Name_FeedbackMessage`. */
export type InterfaceKind = 'msg' | 'srv' | 'action';

/** A ROS 2 type split into package, kind and name: `sensor_msgs/msg/Image` → {pkg, kind: 'msg', name}. */
export interface TypeNameParts {
  readonly pkg: string;
  readonly name: string;
  readonly kind: InterfaceKind;
}

/** `pkg/msg/Name` or `pkg/Name` (message types only); groups: package, name. */
export const TYPE_NAME = /^([A-Za-z][A-Za-z0-9_]*)\/(?:msg\/)?([A-Za-z][A-Za-z0-9_]*)$/;

/**
 * Any type a topic can carry: messages as above, and the message types generated for services and
 * actions (`pkg/srv/Name_Event` on `<service>/_service_event`, `pkg/action/Name_FeedbackMessage`
 * on `<action>/_action/feedback`); groups: package, kind (undefined for `pkg/Name`), name.
 */
export const INTERFACE_TYPE_NAME = /^([A-Za-z][A-Za-z0-9_]*)\/(?:(msg|srv|action)\/)?([A-Za-z][A-Za-z0-9_]*)$/;

/** Parses `pkg/msg/Name`, `pkg/Name`, `pkg/srv/Name…` or `pkg/action/Name…`; anything else is an E_UNKNOWN_TYPE. */
export function splitTypeName(typeName: string): TypeNameParts {
  const m = INTERFACE_TYPE_NAME.exec(typeName);
  if (!m) {
    throw new MessageError(
      'E_UNKNOWN_TYPE',
      `not a message type name: '${typeName}' (expected pkg/msg/Name or pkg/Name, or pkg/srv/Name_Event, pkg/action/Name_FeedbackMessage)`,
    );
  }
  return { pkg: m[1]!, kind: (m[2] ?? 'msg') as InterfaceKind, name: m[3]! };
}

/** `pkg/msg/Name` (or `pkg/srv/…`, `pkg/action/…`): the ROS 2 full name, used as the key everywhere in this layer. */
export function fullTypeName(typeName: string): string {
  const { pkg, kind, name } = splitTypeName(typeName);
  return `${pkg}/${kind}/${name}`;
}

/**
 * `pkg/Name`: the form .msg files and `MSG:` schema lines use. Service and action types lose their
 * kind too, as rosbag2 resolves short names in a .srv within the package (`Foo` is `pkg/Foo`).
 */
export function shortTypeName(typeName: string): string {
  const { pkg, name } = splitTypeName(typeName);
  return `${pkg}/${name}`;
}
