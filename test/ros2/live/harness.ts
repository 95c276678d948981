/**
 * Shared pieces of the live ROS 2 suite: a DDS domain per test file, the `ros2` CLI, pilot's node as a
 * child process, rclpy peers (python3 scripts given on stdin) that print one JSON object a line, and
 * polling (never fixed sleeps: discovery takes 1–3 s, more on a loaded machine).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** The environment for a test file's processes: its own ROS_DOMAIN_ID (40 + n), so files running in parallel do not meet. */
export function domainEnv(n: number): NodeJS.ProcessEnv {
  // Unbuffered rcutils logging: the node's log lines arrive as they are written, not at exit.
  return { ...process.env, ROS_DOMAIN_ID: String(40 + n), RCUTILS_LOGGING_BUFFERED_STREAM: '0' };
}

export function ros2(env: NodeJS.ProcessEnv, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('ros2', args, { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export async function until(what: string | (() => string), check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
}

export interface Child {
  readonly proc: ChildProcess;
  /** Everything it printed (stdout and stderr). */
  log(): string;
  /** Sends SIGINT and waits for the exit (SIGKILL after `timeoutMs`); the exit code, or null when killed. */
  stop(timeoutMs?: number): Promise<number | null>;
}

function child(proc: ChildProcess): Child & { onLine(f: (line: string) => void): void } {
  let log = '';
  let partial = '';
  const listeners: ((line: string) => void)[] = [];
  proc.stdout!.on('data', (d: Buffer) => {
    const s = d.toString();
    log += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) for (const f of listeners) f(l);
  });
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return {
    proc,
    log: () => log,
    onLine: (f) => listeners.push(f),
    async stop(timeoutMs = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGINT');
        await until('the process to exit', () => proc.exitCode !== null || proc.signalCode !== null, timeoutMs).catch(() => proc.kill('SIGKILL'));
        await until('the process to exit', () => proc.exitCode !== null || proc.signalCode !== null, 5_000).catch(() => undefined);
      }
      return proc.exitCode;
    },
  };
}

/** The test model on the CPU, no eval record needed, one warm-up run. */
export const TEST_MODEL_PARAMS = ['model.path:=models/pilotnet-test.onnx', 'model.providers:=[cpu]', 'model.require_eval:=false', 'model.warmup_runs:=1'];

/** `bin/pilot.js node --config launch/pilot.yaml <args>`. */
export function startPilot(env: NodeJS.ProcessEnv, args: readonly string[]): Child {
  return child(spawn(process.execPath, ['bin/pilot.js', 'node', '--config', 'launch/pilot.yaml', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

export interface Peer<T> extends Child {
  /** The newest JSON object it printed, if any. */
  latest(): T | undefined;
  /** Writes a line to its stdin. */
  send(line: string): void;
}

/** Runs a python3 script (rclpy) that prints one JSON object a line. */
export function startPython<T>(env: NodeJS.ProcessEnv, script: string, args: readonly string[] = []): Peer<T> {
  const proc = spawn('python3', ['-u', '-c', script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const c = child(proc);
  let latest: T | undefined;
  c.onLine((line) => {
    if (line.startsWith('{')) {
      try {
        latest = JSON.parse(line) as T;
      } catch {
        // a partial line: the next one will do
      }
    }
  });
  return { ...c, latest: () => latest, send: (line) => proc.stdin!.write(`${line}\n`) };
}
