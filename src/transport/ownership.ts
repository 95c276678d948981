/**
 * Which live process owns an ipc endpoint. libzmq binds an ipc path by unlinking whatever socket file
 * is there, so without a check a second process silently takes a topic from the first (and removes
 * the file on exit, leaving the first deaf and mute). Before binding, a publisher takes
 * `<socket>.lock`: created atomically (a complete file linked into place, never a half-written one),
 * holding the owner's pid, its start time (Linux `/proc/<pid>/stat`, against pid reuse), a nonce, the
 * topic and the command line. A lock whose process is gone (or is a zombie, or a newer process with a
 * reused pid) is stale and is reclaimed; a live one refuses the bind. A process removes only locks
 * that carry its own nonce.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { TransportError } from './transport.js';

export interface LockOwner {
  readonly pid: number;
  /** Process start time in clock ticks since boot (Linux); absent elsewhere. */
  readonly start?: string;
  readonly nonce: string;
  readonly topic: string;
  readonly command: string;
  readonly since: string;
}

/** Locks this process holds, by lock path: a second transport in this process sees them as live. */
const held = new Map<string, EndpointLock>();
let exitHookInstalled = false;

export class EndpointLock {
  /** Identity of the socket file bound under this lock (set after the bind), removed with the lock. */
  #socketInode: number | undefined;

  private constructor(
    readonly socketPath: string,
    readonly path: string,
    readonly owner: LockOwner,
  ) {}

  /**
   * Takes `<socketPath>.lock` for `topic`, reclaiming a stale one. A live owner throws E_TOPIC_OWNED
   * naming the topic, the owner's pid and command, and `advice` (how to run both).
   */
  static acquire(socketPath: string, topic: string, advice: string): EndpointLock {
    const path = `${socketPath}.lock`;
    const start = procStat(process.pid)?.start;
    const owner: LockOwner = {
      pid: process.pid,
      ...(start !== undefined ? { start } : {}),
      nonce: randomBytes(8).toString('hex'),
      topic,
      command: commandLine(),
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 8; attempt++) {
      if (tryCreate(path, owner)) {
        const lock = new EndpointLock(socketPath, path, owner);
        held.set(path, lock);
        installExitHook();
        return lock;
      }
      const current = readLock(path);
      if (current === 'missing') continue; // released between our try and our read
      if (current !== 'unreadable' && isLive(path, current)) throw ownedError(topic, socketPath, current, advice);
      reclaim(path, current);
    }
    throw new TransportError('E_TOPIC_OWNED', `topic '${topic}': could not take the lock '${path}' (it keeps changing); is another process starting on the same ipc dir?`);
  }

  /** Whether the lock file still carries our nonce. */
  isOurs(): boolean {
    const current = readLock(this.path);
    return typeof current === 'object' && current.nonce === this.owner.nonce;
  }

  /** Call after binding: the socket file now there is ours, and release() removes it. */
  boundSocket(): void {
    this.#socketInode = inodeOf(this.socketPath);
  }

  /**
   * Removes our socket file (libzmq leaves it behind) and then the lock, if the lock still carries our
   * nonce and the file is the one we bound; never another process's. Safe to call twice.
   */
  release(): void {
    if (held.get(this.path) === this) held.delete(this.path);
    if (!this.isOurs()) return;
    if (this.#socketInode !== undefined && inodeOf(this.socketPath) === this.#socketInode) unlinkQuietly(this.socketPath);
    unlinkQuietly(this.path);
  }
}

/** Creates the lock with its full content, atomically: a temporary file linked to the lock path. */
function tryCreate(path: string, owner: LockOwner): boolean {
  const tmp = `${path}.${owner.pid}.${owner.nonce}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new TransportError('E_IPC_LOCK', `cannot create the endpoint lock '${path}': ${(error as Error).message}`);
  } finally {
    unlinkQuietly(tmp);
  }
}

function readLock(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(v.pid) || typeof v.nonce !== 'string') return 'unreadable';
    return { pid: v.pid!, nonce: v.nonce, topic: String(v.topic ?? '?'), command: String(v.command ?? '?'), since: String(v.since ?? '?'), ...(v.start !== undefined ? { start: String(v.start) } : {}) };
  } catch {
    return 'unreadable';
  }
}

/** The owner is alive: this process holding it now, or another process that exists, is no zombie, and started when the lock says. */
function isLive(path: string, owner: LockOwner): boolean {
  if (owner.pid === process.pid) return held.get(path)?.owner.nonce === owner.nonce;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return true; // no /proc: the pid exists, trust it
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.start === undefined || owner.start === stat.start;
}

/**
 * Moves a stale lock aside (rename is atomic: of two processes reclaiming it, one wins) and deletes it,
 * unless what was moved turns out to be a fresh lock another process created meanwhile: that one is
 * put back.
 */
function reclaim(path: string, stale: LockOwner | 'unreadable'): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // someone else moved or removed it: look again
  }
  const moved = readLock(aside);
  const same = stale === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.nonce === stale.nonce;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // Yet another lock is in place; the one we moved lost its race anyway.
    }
  }
  unlinkQuietly(aside);
}

function ownedError(topic: string, socketPath: string, owner: LockOwner, advice: string): TransportError {
  const who = owner.pid === process.pid ? `this process (pid ${owner.pid}, another transport)` : `pid ${owner.pid} (${owner.command}, since ${owner.since})`;
  return new TransportError('E_TOPIC_OWNED', `topic '${topic}' is already published by ${who} on ipc://${socketPath}; ${advice}`);
}

/** Linux: state and start time (field 22, clock ticks since boot) from /proc/<pid>/stat. */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const start = rest[19];
  return state !== undefined && start !== undefined ? { state, start } : undefined;
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function commandLine(): string {
  const [, script, ...args] = process.argv;
  const text = [script ? basename(script) : basename(process.execPath), ...args].join(' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** On a normal exit (process.exit, end of the event loop) release what this process still holds. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held.values()]) lock.release();
  });
}
