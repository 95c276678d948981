/** Where a topic lives on ZeroMQ: one endpoint per topic, ipc by default, and which ones we may bind. */
import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TransportError } from './transport.js';

/** unix sockets cap the path at 107 bytes (sun_path); stay below with room for the `ipc://` prefix. */
const MAX_IPC_PATH_BYTES = 100;

/** Environment variable that moves every ipc endpoint of a process without a configured dir (run two instances side by side). */
export const IPC_DIR_ENV = 'PILOT_IPC_DIR';

/** `$PILOT_IPC_DIR` when set, else `${os.tmpdir()}/pilot-<uid>`. */
export function defaultIpcDir(): string {
  const fromEnv = process.env[IPC_DIR_ENV];
  if (fromEnv) return fromEnv;
  return join(tmpdir(), `pilot-${process.getuid?.() ?? userInfo().username}`);
}

/**
 * Creates the run directory (mode 0700). The default one lives in the shared tmp dir, so it must be ours:
 * otherwise another user could have planted sockets there.
 */
export function ensureIpcDir(dir: string, mustOwn: boolean): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new TransportError('E_IPC_DIR', `'${dir}' is not a directory`);
  const uid = process.getuid?.();
  if (mustOwn && uid !== undefined && st.uid !== uid) {
    throw new TransportError('E_IPC_DIR', `'${dir}' belongs to uid ${st.uid}, not to us (${uid}); set ${IPC_DIR_ENV} to a directory of your own`);
  }
}

/** `/camera/image_raw` → `<dir>/camera_image_raw`; over-long names are cut and made unique with a hash. */
export function ipcPathFor(dir: string, topic: string): string {
  let name = topic.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.-]/g, '_') || '_';
  const room = MAX_IPC_PATH_BYTES - Buffer.byteLength(dir) - 1;
  if (Buffer.byteLength(name) > room) {
    const hash = createHash('sha1').update(topic).digest('hex').slice(0, 10);
    name = `${name.slice(0, Math.max(1, room - hash.length - 1))}-${hash}`;
  }
  return join(dir, name);
}

/** How a runtime config allows remote endpoints: the key the errors name. */
export const ALLOW_REMOTE_SETTING = 'transport.allow_remote: true in the runtime config';

/** Whether `endpoint` stays on this machine: ipc, inproc, or tcp to a loopback address. */
export function isLocalEndpoint(endpoint: string): boolean {
  const match = /^([a-z]+):\/\/(.*)$/.exec(endpoint);
  const scheme = match?.[1];
  if (scheme === 'ipc' || scheme === 'inproc') return true;
  return scheme === 'tcp' && isLoopbackHost(hostOf(match![2]!));
}

/**
 * Refuses to listen beyond this machine unless explicitly allowed: topics carry commands to actuators.
 * `setting` is how the caller's user allows it (a config key or a flag), named in the error.
 */
export function assertBindable(endpoint: string, allowRemote: boolean, setting = ALLOW_REMOTE_SETTING): void {
  if (allowRemote || isLocalEndpoint(endpoint)) return;
  throw new TransportError('E_NOT_LOOPBACK', `refusing to bind '${endpoint}': not a loopback or ipc endpoint (set ${setting} to publish off this machine)`);
}

/** The same for subscribing: commands and sensor data from another machine are accepted only when allowed. */
export function assertConnectable(endpoint: string, allowRemote: boolean, setting = ALLOW_REMOTE_SETTING): void {
  if (allowRemote || isLocalEndpoint(endpoint)) return;
  throw new TransportError('E_NOT_LOOPBACK', `refusing to subscribe to '${endpoint}': not a loopback or ipc endpoint (set ${setting} to receive from another machine)`);
}

function hostOf(address: string): string {
  const bracketed = /^\[([^\]]*)\]:[^:]*$/.exec(address);
  if (bracketed) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
