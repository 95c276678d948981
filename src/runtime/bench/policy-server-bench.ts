/**
 * The policy server's round trip: `pilot serve` in a child process on a loopback tcp port, this
 * process as the client (RemotePolicy) sending the model's observation (chunked-test: a 320×240 RGB
 * camera tensor, 921,600 bytes) paced at a fixed interval. Reports the round trip and the part the
 * server did not spend in inference (the added round trip).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemotePolicy } from '../policy/remote-policy.js';
import { PilotError } from '../../core/util/errors.js';
import type { SampleWindow } from '../../core/util/sample-window.js';
import type { Percentiles } from './loop-bench.js';

export interface SpawnedServer {
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** SIGTERM, wait for exit; resolves with what the server wrote on stderr. */
  stop(): Promise<string>;
}

export interface SpawnServerOptions {
  readonly modelPath: string;
  /** How to run pilot: `[node, bin/pilot.js]` by default (the built CLI). */
  readonly command?: readonly string[];
  readonly projectDir: string;
  readonly inferenceDelayMs?: number;
  /** Default `tcp://127.0.0.1:*` (a free port, read back from the server's ready line). */
  readonly endpoint?: string;
  readonly readyTimeoutMs?: number;
}

/** Starts `pilot serve` and waits for its ready line on stdout. */
export async function spawnPolicyServer(o: SpawnServerOptions): Promise<SpawnedServer> {
  const [cmd, ...pre] = o.command ?? [process.execPath, join(o.projectDir, 'bin/pilot.js')];
  const args = [...pre, 'serve', '--model', o.modelPath, '--endpoint', o.endpoint ?? 'tcp://127.0.0.1:*'];
  if (o.inferenceDelayMs) args.push('--inference-delay-ms', String(o.inferenceDelayMs));
  const child = spawn(cmd!, args, { cwd: o.projectDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new PilotError('E_POLICY_SERVER_TIMEOUT', `pilot serve did not say it was listening within ${o.readyTimeoutMs ?? 60_000} ms: ${stderr.trim().slice(-400)}`));
    }, o.readyTimeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new PilotError('E_POLICY_SERVER', `pilot serve exited with code ${code} before listening: ${stderr.trim().slice(-400)}`));
    });
  });
  return {
    endpoint,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      return stderr;
    },
  };
}

export interface RoundTripOptions extends Omit<SpawnServerOptions, 'inferenceDelayMs'> {
  readonly requests: number;
  /** Time between request starts, ms. Default 10 (a 100 Hz loop's observation rate at most). */
  readonly intervalMs?: number;
}

export interface RoundTripResult {
  readonly endpoint: string;
  readonly model: string;
  readonly observationBytes: number;
  readonly requests: number;
  readonly failed: number;
  /** Request sent → reply decoded in this process, ms. */
  readonly roundTripMs: Percentiles;
  /** The server's inference time, ms. */
  readonly serverInferenceMs: Percentiles;
  /** Round trip minus the server's inference time, per request: what the server adds, ms. */
  readonly addedMs: Percentiles;
}

export async function benchRoundTrip(o: RoundTripOptions): Promise<RoundTripResult> {
  const server = await spawnPolicyServer(o);
  try {
    const policy = await RemotePolicy.connect({ endpoint: server.endpoint, timeout_ms: 2000, connect_timeout_ms: 10_000, allow_remote: false });
    try {
      let bytes = 0;
      for (const input of policy.inputs.values()) {
        for (let i = 0; i < input.length; i++) input[i] = (i % 255) / 255;
        bytes += input.byteLength;
      }
      const warmup = Math.min(50, Math.ceil(o.requests / 10));
      let failed = 0;
      let next = performance.now();
      for (let i = 0; i < warmup + o.requests; i++) {
        if (i === warmup) policy.resetTimings();
        next += o.intervalMs ?? 10;
        await policy.run().catch(() => failed++);
        await sleep(Math.max(0, next - performance.now()));
      }
      return {
        endpoint: server.endpoint,
        model: policy.contract.id,
        observationBytes: bytes,
        requests: o.requests,
        failed,
        roundTripMs: percentiles(policy.roundTripMs),
        serverInferenceMs: percentiles(policy.serverMs),
        addedMs: percentiles(policy.addedMs),
      };
    } finally {
      await policy.dispose();
    }
  } finally {
    await server.stop();
  }
}

function percentiles(w: SampleWindow): Percentiles {
  return { p50: w.percentile(50), p99: w.percentile(99), p999: w.percentile(99.9), max: w.maxEver };
}

export function formatRoundTrip(r: RoundTripResult): string {
  const p = (x: Percentiles) => `p50 ${x.p50.toFixed(3)}  p99 ${x.p99.toFixed(3)}  max ${x.max.toFixed(3)} ms`;
  return [
    `policy server round trip: ${r.model} on ${r.endpoint}, observation ${(r.observationBytes / 1024).toFixed(0)} KiB float32, ${r.requests} requests (${r.failed} failed)`,
    `round trip     ${p(r.roundTripMs)}`,
    `server infer   ${p(r.serverInferenceMs)}`,
    `added by the server round trip (round trip − server inference)  ${p(r.addedMs)}`,
  ].join('\n');
}
