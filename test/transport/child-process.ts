/**
 * Real child processes for tests: a TypeScript entry is bundled once with esbuild (our sources
 * inlined, npm packages left as imports) into node_modules/.cache, so each `node` start takes a
 * fraction of a second instead of vite-node's seconds. Tests that spawn many processes need that.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { build } from 'esbuild';

const CACHE = resolve('node_modules/.cache/pilot-test-children');

/** Bundles `entry` to an .mjs of this test process's own (forks do not clobber each other's); returns its path and a cleanup. */
export async function bundleChild(entry: string): Promise<{ script: string; remove: () => void }> {
  mkdirSync(CACHE, { recursive: true });
  const script = join(CACHE, `${basename(entry, '.ts')}-${process.pid}.mjs`);
  await build({ entryPoints: [entry], outfile: script, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  return { script, remove: () => rmSync(script, { force: true }) };
}

export interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`, or rejects when the child exits first. */
  line(pattern: RegExp, what: string): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal name) once the process has exited and its pipes closed. */
  exited(): Promise<number | string>;
}

export function startChild(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | string>((done) => child.once('close', (code, signal) => done(code ?? signal ?? 'unknown')));
  return {
    process: child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    line: (pattern, what) =>
      new Promise((ok, fail) => {
        const look = (): boolean => {
          const m = out.split('\n').map((l) => pattern.exec(l)).find((x) => x !== null);
          if (m) ok(m);
          return m !== undefined;
        };
        if (look()) return;
        const onData = (): void => {
          if (look()) child.stdout.off('data', onData);
        };
        child.stdout.on('data', onData);
        void exit.then((code) => fail(new Error(`child exited (${code}) before ${what}; stderr: ${err.trim()}`)));
      }),
  };
}
