/**
 * `pilot sweep run --jobs K`: K worker processes (`pilot sweep run <sweep> --out <dir> --worker`),
 * each handed one item at a time over the IPC channel, so a long drive does not hold up the others.
 * A worker writes its items' files itself and reports each outcome. A worker that dies leaves its
 * item in flight without a result (a rerun of the shard runs it); the others go on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ItemOutcome } from './run-item.js';

/** Parent → worker. */
export type WorkerCommand = { readonly run: string } | { readonly exit: true };
/** Worker → parent. */
export type WorkerMessage = { readonly ready: true } | { readonly outcome: ItemOutcome };

export interface PoolOptions {
  /** Item ids to run, in order. */
  readonly ids: readonly string[];
  readonly jobs: number;
  /** node arguments that start `pilot` (e.g. [bin/pilot.js]), then the worker's own arguments are appended. */
  readonly launcher: readonly string[];
  readonly workerArgs: readonly string[];
  readonly onOutcome: (outcome: ItemOutcome) => void;
  readonly signal?: AbortSignal;
}

/** Outcomes of the items that finished, and the ids that did not (their worker died, or none was left to run them). */
export async function runPool(o: PoolOptions): Promise<{ outcomes: ItemOutcome[]; lost: string[] }> {
  const queue = [...o.ids];
  const outcomes: ItemOutcome[] = [];
  const lost: string[] = [];
  // Each worker its own ZeroMQ ipc folder: two drives must never share an endpoint.
  const ipcRoot = mkdtempSync(join(tmpdir(), 'pilot-sweep-ipc-'));
  const workers = Array.from({ length: Math.min(o.jobs, queue.length) }, (_, i) => startWorker(o, join(ipcRoot, String(i)), queue, outcomes, lost));
  const abort = (): void => workers.forEach((w) => w.child.kill('SIGINT'));
  o.signal?.addEventListener('abort', abort);
  try {
    await Promise.all(workers.map((w) => w.done));
    // Left in the queue when every worker died (or on Ctrl-C): not run.
    lost.push(...queue.splice(0));
  } finally {
    o.signal?.removeEventListener('abort', abort);
    rmSync(ipcRoot, { recursive: true, force: true });
  }
  return { outcomes, lost };
}

function startWorker(o: PoolOptions, ipcDir: string, queue: string[], outcomes: ItemOutcome[], lost: string[]): { child: ChildProcess; done: Promise<void> } {
  const child = spawn(process.execPath, [...o.launcher, ...o.workerArgs], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PILOT_IPC_DIR: ipcDir },
  });
  let current: string | undefined;
  const next = (): void => {
    if (!child.connected) return;
    current = o.signal?.aborted ? undefined : queue.shift();
    child.send(current === undefined ? { exit: true } : { run: current });
  };
  child.on('message', (m: WorkerMessage) => {
    if ('outcome' in m) {
      outcomes.push(m.outcome);
      o.onOutcome(m.outcome);
    }
    next();
  });
  const done = new Promise<void>((resolve) => {
    child.on('exit', () => {
      if (current !== undefined) lost.push(current);
      current = undefined;
      resolve();
    });
    child.on('error', () => resolve());
  });
  return { child, done };
}
