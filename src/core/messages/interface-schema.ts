/**
 * Definitions of the message types ROS 2 generates for services and actions, as bags carry them.
 *
 * rosbag2 (Jazzy on) records a service's introspection topic `<service>/_service_event` with type
 * `pkg/srv/Name_Event`, but stores the *.srv* text as its definition (rosbag2_cpp
 * SequentialWriter::create_topic turns the type into `pkg/srv/Name` first): request fields, a `---`
 * line, response fields, then the `MSG:` sections of their dependencies; newer versions put an
 * 80-'=' line and `SRV: pkg/srv/Name` in front. MCAP names the schema `pkg/srv/Name_Event`, sqlite3
 * stores it under `pkg/srv/Name`. The Event message itself (rosidl, Iron on) is
 *   service_msgs/ServiceEventInfo info
 *   Name_Request[<=1] request
 *   Name_Response[<=1] response
 * so its `ros2msg` schema is built here from the .srv text. Action texts (goal `---` result `---`
 * feedback) give `_Goal`, `_Result`, `_Feedback` and `_FeedbackMessage` (`goal_id` + `feedback`).
 * A definition that already is a message text (no `---` line) is used as it is.
 */
import { MessageError } from './errors.js';
import { SCHEMA_SEPARATOR } from './schema-text.js';
import { INTERFACE_TYPE_NAME, splitTypeName } from './type-names.js';

/** service_msgs/msg/ServiceEventInfo (Jazzy; Iron's `char[16] client_gid` is the same 16 bytes on the wire). */
export const SERVICE_EVENT_INFO_TEXT = `uint8 REQUEST_SENT = 0
uint8 REQUEST_RECEIVED = 1
uint8 RESPONSE_SENT = 2
uint8 RESPONSE_RECEIVED = 3
uint8 event_type
builtin_interfaces/Time stamp
uint8[16] client_gid
int64 sequence_number
`;

/** unique_identifier_msgs/msg/UUID. */
export const UUID_TEXT = 'uint8[16] uuid\n';

/** The parts generated from a .srv (2 sections) or .action (3 sections), by type-name suffix. */
const SRV_PARTS = { _Request: 0, _Response: 1 } as const;
const ACTION_PARTS = { _Goal: 0, _Result: 1, _Feedback: 2 } as const;

/** A leading `====…` + `SRV: …` (or `ACTION:`) delimiter line pair, as newer rosbag2 writes it. */
const LEADING_DELIMITER = new RegExp(`^\\s*${SCHEMA_SEPARATOR}\\r?\\n(?:SRV|ACTION|MSG): [^\\n]*\\n`);
/** The start of the first dependency section. */
const SECTION = new RegExp(`(?:^|\\n)${SCHEMA_SEPARATOR}\\r?\\n(?:MSG|IDL): `);

/** The text before the dependency sections split at `---` lines, and the dependency sections. */
function splitInterfaceText(text: string): { parts: string[]; sections: string } {
  const body = text.replace(LEADING_DELIMITER, '');
  const at = body.search(SECTION);
  const main = at < 0 ? body : body.slice(0, at);
  const sections = at < 0 ? '' : body.slice(at);
  const parts: string[] = [''];
  for (const line of main.split('\n')) {
    if (line.trim() === '---') parts.push('');
    else parts[parts.length - 1] += `${line}\n`;
  }
  return { parts, sections: sections === '' || sections.startsWith('\n') ? sections : `\n${sections}` };
}

/** The suffixes of the message types generated for a service or an action. */
const GENERATED_SUFFIX = /_(Event|Request|Response|Goal|Result|Feedback|FeedbackMessage)$/;

/**
 * The service or action a generated type belongs to: `pkg/srv/Name` for `pkg/srv/Name_Event`,
 * `_Request`, `_Response`; `pkg/action/Name` for `_Goal`, `_Result`, `_Feedback`, `_FeedbackMessage`;
 * undefined for messages and other names. rosbag2's sqlite3 storage files the .srv text of a
 * service-event topic under the service's name.
 */
export function interfaceBaseType(typeName: string): string | undefined {
  const m = INTERFACE_TYPE_NAME.exec(typeName);
  if (!m || (m[2] !== 'srv' && m[2] !== 'action')) return undefined;
  const base = m[3]!.replace(GENERATED_SUFFIX, '');
  return base === m[3] ? undefined : `${m[1]}/${m[2]}/${base}`;
}

const section = (name: string, text: string): string => `\n${SCHEMA_SEPARATOR}\nMSG: ${name}\n${text}`;

/**
 * The `ros2msg` schema of `typeName` from a bag's definition text: unchanged for message types and
 * for texts without `---` lines; built from the .srv/.action text for `pkg/srv/…` and
 * `pkg/action/…` types. E_SCHEMA_PARSE names the type when the text does not fit it.
 */
export function interfaceSchemaText(typeName: string, text: string): string {
  const { pkg, kind, name } = splitTypeName(typeName);
  if (kind === 'msg') return text;
  const { parts, sections } = splitInterfaceText(text);
  if (parts.length === 1) return text;
  const fail = (why: string): MessageError => new MessageError('E_SCHEMA_PARSE', `${typeName}: ${why}`);
  const want = kind === 'srv' ? 2 : 3;
  if (parts.length !== want) {
    throw fail(`the definition has ${parts.length} sections split by '---' lines; a .${kind} has ${want}`);
  }
  const base = name.replace(GENERATED_SUFFIX, '');
  const suffix = name.slice(base.length);
  if (kind === 'srv' && suffix === '_Event') {
    return (
      `service_msgs/ServiceEventInfo info\n${pkg}/${base}_Request[<=1] request\n${pkg}/${base}_Response[<=1] response\n` +
      section(`${pkg}/${base}_Request`, parts[0]!) +
      section(`${pkg}/${base}_Response`, parts[1]!) +
      sections +
      section('service_msgs/ServiceEventInfo', SERVICE_EVENT_INFO_TEXT)
    );
  }
  if (kind === 'action' && suffix === '_FeedbackMessage') {
    return (
      `unique_identifier_msgs/UUID goal_id\n${pkg}/${base}_Feedback feedback\n` +
      section(`${pkg}/${base}_Feedback`, parts[2]!) +
      sections +
      section('unique_identifier_msgs/UUID', UUID_TEXT)
    );
  }
  const index = kind === 'srv' ? SRV_PARTS[suffix as keyof typeof SRV_PARTS] : ACTION_PARTS[suffix as keyof typeof ACTION_PARTS];
  if (index === undefined) {
    const known = kind === 'srv' ? '_Event, _Request, _Response' : '_Goal, _Result, _Feedback, _FeedbackMessage';
    throw fail(`a .${kind} definition describes no single message of this name (expected a name ending in ${known})`);
  }
  return parts[index]! + sections;
}
