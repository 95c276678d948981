/**
 * A stand-in viewer for `pilot bench --foxglove`: another Node process (as a real viewer is) running
 * `@foxglove/ws-protocol`'s FoxgloveClient over `ws`, subscribed to every channel the server
 * advertises, counting what arrives. It receives but does not render; the bench measures what serving
 * a viewer costs pilot's loop, not the viewer's own drawing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PilotError } from '../core/util/errors.js';

export interface ProbeCounts {
  readonly channels: number;
  readonly messages: number;
  readonly bytes: number;
}

const require = createRequire(import.meta.url);

/** The child's program: ES module text importing the two packages by absolute URL (any working directory). */
function probeProgram(): string {
  const wsProtocol = pathToFileURL(require.resolve('@foxglove/ws-protocol')).href;
  const ws = pathToFileURL(require.resolve('ws')).href;
  return `
import wsProtocol from ${JSON.stringify(wsProtocol)};
import WebSocket from ${JSON.stringify(ws)};
const [url, subprotocol] = process.argv.slice(-2);
const client = new wsProtocol.FoxgloveClient({ ws: new WebSocket(url, [subprotocol]) });
const channels = new Set();
let messages = 0;
let bytes = 0;
const report = () => process.stdout.write(JSON.stringify({ channels: channels.size, messages, bytes }) + '\\n');
client.on('advertise', (list) => {
  for (const c of list) if (!channels.has(c.id)) { channels.add(c.id); client.subscribe(c.id); }
  report();
});
client.on('message', (event) => { messages++; bytes += event.data.byteLength; });
client.on('error', (err) => process.stderr.write(String(err && err.message) + '\\n'));
process.stdin.on('end', () => { report(); process.exit(0); });
process.stdin.resume();
`;
}

export class ViewerProbe {
  readonly #child: ChildProcessWithoutNullStreams;
  #latest: ProbeCounts = { channels: 0, messages: 0, bytes: 0 };
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        this.#latest = JSON.parse(pending.slice(0, nl)) as ProbeCounts;
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
  }

  /** Starts the viewer process; resolves once it has subscribed to `channels` channels (at most `timeoutMs`). */
  static async start(url: string, channels: number, timeoutMs = 10_000): Promise<ViewerProbe> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', probeProgram(), url, 'foxglove.websocket.v1'], { stdio: 'pipe' });
    const probe = new ViewerProbe(child);
    const giveUp = Date.now() + timeoutMs;
    while (probe.#latest.channels < channels) {
      if (child.exitCode !== null || Date.now() > giveUp) {
        child.kill();
        throw new PilotError('E_FOXGLOVE_PROBE', `the bench's viewer did not subscribe to ${channels} channels at ${url} within ${timeoutMs} ms: ${probe.#stderr.trim() || `subscribed to ${probe.#latest.channels}`}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return probe;
  }

  /** Ends the viewer; resolves with what it received. */
  async stop(): Promise<ProbeCounts> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    await exited;
    return this.#latest;
  }
}
