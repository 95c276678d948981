/** The benchmark's robot side (synthetic camera, command counter) in a child process: peer-child.ts. */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CameraFeed } from './interleaved.js';
import type { BenchPeer, PeerSettings } from './synthetic-camera.js';

const CHILD = fileURLToPath(new URL('./peer-child.js', import.meta.url));
const START_TIMEOUT_MS = 10_000;

export class ProcessPeer implements BenchPeer {
  readonly camera: CameraFeed;

  private constructor(private readonly child: ChildProcess) {
    this.camera = { pause: () => void child.send({ cmd: 'pause' }), resume: () => void child.send({ cmd: 'resume' }) };
  }

  /** The compiled child script is there (not when running from the TypeScript sources). */
  static available(): boolean {
    return existsSync(CHILD);
  }

  static async start(settings: PeerSettings): Promise<ProcessPeer> {
    const child = fork(CHILD, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`bench: the camera process did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        child.kill();
        reject(err);
      };
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`bench: the camera process exited (${code}) before it was ready`)));
      child.once('message', () => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        resolve();
      });
    });
    return new ProcessPeer(child);
  }

  close(): Promise<number> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill();
        resolve(NaN);
      }, 5000);
      this.child.once('message', (msg: { commands?: number }) => {
        clearTimeout(timer);
        resolve(msg.commands ?? NaN);
      });
      this.child.send({ cmd: 'close' });
    });
  }
}
