/** Sweep tests: small bags on disk, a tiny sweep file, and the pilot CLI as its own process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { createBagWriter } from '../../../src/data/bags/index.js';
import { ackermann, frame, MS, T0 } from '../../data/replay/helpers.js';

/**
 * The CLI from source, bundled into one file inside the checkout (so pilot finds its package root
 * and its node_modules): a process starts in about a second, where vite-node takes several.
 */
export async function bundleCli(): Promise<{ path: string; remove: () => void }> {
  const dir = resolve('node_modules/.cache/pilot-sweep-test');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `cli-${process.pid}.mjs`);
  await build({
    stdin: { contents: `import { main } from ${JSON.stringify(resolve('src/cli/main.ts'))};\nmain(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: path,
    logLevel: 'error',
  });
  return { path, remove: () => rmSync(path, { force: true }) };
}

export interface Pilot {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves when stderr has shown `text`. */
  saw(text: string): Promise<void>;
}

export function startPilot(cli: string, args: readonly string[], env: Record<string, string> = {}): Pilot {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiters.splice(0)) (stderr.includes(w.text) ? w.resolve() : waiters.push(w));
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
  const saw = (text: string): Promise<void> => (stderr.includes(text) ? Promise.resolve() : new Promise((res) => waiters.push({ text, resolve: res })));
  return { child, done, saw };
}

/** A rosbag2 folder: `frames` camera frames at 20 Hz (320×240 rgb8) and the recorded steering `steer(i)`. */
export async function writeDiskBag(path: string, frames: number, steer: (i: number) => number): Promise<string> {
  const writer = await createBagWriter(path, { chunkSizeBytes: 512 * 1024 });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
  for (let i = 0; i < frames; i++) {
    const t = T0 + BigInt(i) * 50n * MS;
    await writer.writeMessage('/camera/image_raw', frame(i), t);
    await writer.writeMessage('/cmd/ackermann', ackermann(t + MS, steer(i), 1), t + MS);
  }
  await writer.close();
  return path;
}

/** Every file under `dir` (relative paths, sorted) with its bytes. */
export function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = join(dir, e);
    if (statSync(p).isFile()) out.set(relative(dir, p), readFileSync(p));
  }
  return out;
}

/** Inode numbers of the files under `dir`: a file replaced by a rename gets a new one. */
export function inodesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, e);
    const s = statSync(p);
    if (s.isFile()) out.set(relative(dir, p), s.ino);
  }
  return out;
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
