/**
 * The ROS 2 interfaces the ROS 2 layer knows, read from the vendored `.msg`/`.srv` texts: pilot's own
 * message types (`src/core/messages/definitions/`) plus what only the node uses (`src/ros2/definitions/`).
 * One list feeds the typings generator (`src/ros2/tsd/interfaces.d.ts`), the runtime type checks in
 * the adapter and the field-by-field tests, so they cannot disagree.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultDefinitionsDir } from '../core/messages/definitions-dir.js';
import { MessageRegistry } from '../core/messages/registry.js';

/** One `.msg`, or one half of a `.srv` (`SetBool_Request`, `SetBool_Response` in subfolder `srv`). */
export interface MsgInterface {
  readonly pkg: string;
  /** `msg` for messages, `srv` for service request/response messages. */
  readonly subfolder: 'msg' | 'srv';
  readonly name: string;
  readonly text: string;
}

/** One `.srv`: its two messages are also listed as MsgInterfaces. */
export interface SrvInterface {
  readonly pkg: string;
  readonly name: string;
  readonly requestText: string;
  readonly responseText: string;
}

export interface InterfaceSet {
  readonly messages: readonly MsgInterface[];
  readonly services: readonly SrvInterface[];
}

/** `src/ros2/definitions`, resolved from the package root like the message definitions. */
export function ros2DefinitionsDir(): string {
  return join(dirname(defaultDefinitionsDir()), '..', 'ros2', 'definitions');
}

/** Reads `<dir>/<pkg>/msg/*.msg` and `<dir>/<pkg>/srv/*.srv` from each folder, later folders adding types. */
export function readInterfaces(dirs: readonly string[] = [defaultDefinitionsDir(), ros2DefinitionsDir()]): InterfaceSet {
  const messages = new Map<string, MsgInterface>();
  const services = new Map<string, SrvInterface>();
  for (const dir of dirs) {
    for (const pkg of readdirSync(dir, { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      const msgDir = join(dir, pkg.name, 'msg');
      if (existsSync(msgDir)) {
        for (const file of readdirSync(msgDir).filter((f) => f.endsWith('.msg'))) {
          const name = file.slice(0, -4);
          messages.set(`${pkg.name}/msg/${name}`, { pkg: pkg.name, subfolder: 'msg', name, text: readFileSync(join(msgDir, file), 'utf8') });
        }
      }
      const srvDir = join(dir, pkg.name, 'srv');
      if (existsSync(srvDir)) {
        for (const file of readdirSync(srvDir).filter((f) => f.endsWith('.srv'))) {
          const name = file.slice(0, -4);
          const [requestText, responseText] = splitService(readFileSync(join(srvDir, file), 'utf8'), `${pkg.name}/srv/${file}`);
          services.set(`${pkg.name}/srv/${name}`, { pkg: pkg.name, name, requestText, responseText });
          messages.set(`${pkg.name}/srv/${name}_Request`, { pkg: pkg.name, subfolder: 'srv', name: `${name}_Request`, text: requestText });
          messages.set(`${pkg.name}/srv/${name}_Response`, { pkg: pkg.name, subfolder: 'srv', name: `${name}_Response`, text: responseText });
        }
      }
    }
  }
  const byKey = <T extends { pkg: string; name: string }>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { messages: byKey(messages), services: byKey(services) };
}

/** A `.srv` text → [request, response]; the separator is a line of exactly `---`. */
export function splitService(text: string, source: string): [string, string] {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => l.trim() === '---');
  if (at < 0) throw new Error(`${source}: a .srv needs a '---' line between request and response`);
  return [lines.slice(0, at).join('\n'), lines.slice(at + 1).join('\n')];
}

let rosRegistry: MessageRegistry | undefined;

/**
 * The message registry of the ROS 2 layer: the builtin one plus `src/ros2/definitions` (messages only;
 * service halves are not topics). Used for the CDR codec of raw subscriptions and the publish checks.
 */
export function rosMessageRegistry(): MessageRegistry {
  if (rosRegistry) return rosRegistry;
  const builtin = MessageRegistry.builtin();
  const extra = readInterfaces([ros2DefinitionsDir()]).messages.filter((m) => m.subfolder === 'msg');
  rosRegistry = new MessageRegistry([
    ...builtin.types().map((t): [string, string] => [t, builtin.msgText(t)]),
    ...extra.map((m): [string, string] => [`${m.pkg}/msg/${m.name}`, m.text]),
  ]);
  return rosRegistry;
}
