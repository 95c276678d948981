import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { benchRoundTrip } from '../../../src/runtime/bench/policy-server-bench.js';
import { parseConfig } from '../../../src/core/config/load.js';
import { buildChunkedPolicy } from '../../../src/learning/export/chunked-policy.js';
import { ManualClock } from '../../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../../src/core/messages/factories.js';
import type { Image } from '../../../src/core/messages/types.js';
import { PolicyServer } from '../../../src/runtime/policy/policy-server.js';
import { PolicySession, type Policy } from '../../../src/runtime/policy/policy-session.js';
import { checkEndpoint, RemotePolicy } from '../../../src/runtime/policy/remote-policy.js';
import { Pilot } from '../../../src/runtime/pilot.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-serve-'));
const small = buildChunkedPolicy({ steps: 5, stepMs: 10, height: 6, width: 8, id: 'served-small' });
const smallPath = join(dir, 'served-small.onnx');
writeFileSync(smallPath, small.bytes);
const other = buildChunkedPolicy({ steps: 7, stepMs: 10, height: 6, width: 8, id: 'served-other' });
const otherPath = join(dir, 'served-other.onnx');
writeFileSync(otherPath, other.bytes);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve(path: string, endpoint = 'tcp://127.0.0.1:*', inferenceDelayMs = 0): Promise<{ server: PolicyServer; policy: Policy }> {
  const policy = await PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1 } }, 't', '/').model, log: () => {} });
  const server = await PolicyServer.start({ endpoint, policy, modelBytes: readFileSync(path), inferenceDelayMs });
  cleanup.push(async () => {
    await server.close();
    await policy.dispose();
  });
  return { server, policy };
}

async function client(endpoint: string, extra: Partial<Parameters<typeof RemotePolicy.connect>[0]> = {}): Promise<RemotePolicy> {
  const remote = await RemotePolicy.connect({ endpoint, timeout_ms: 2000, connect_timeout_ms: 5000, allow_remote: false, ...extra });
  cleanup.push(() => remote.dispose());
  return remote;
}

function fillMeans(policy: Policy, r: number, g: number, b: number): void {
  const image = policy.inputs.get('image')!;
  const plane = image.length / 3;
  image.fill(r, 0, plane).fill(g, plane, 2 * plane).fill(b, 2 * plane);
}

describe('policy server and client (pilot.policy/1)', () => {
  it('serves the model: hello with the contract, then chunks equal to the local network', async () => {
    const { server } = await serve(smallPath);
    const remote = await client(server.endpoint, { expectModel: smallPath });
    expect(remote.contract.id).toBe('served-small');
    expect(remote.providerSummary).toBe(`cpu on policy server ${server.endpoint}`);
    fillMeans(remote, 0.9, 0.5, 0.1);
    await remote.run();
    const expected = small.expectedRaw([0.9, 0.5, 0.1]);
    for (let i = 0; i < expected.length; i++) expect(remote.output[i]).toBeCloseTo(expected[i]!, 5);
    expect(remote.stats).toMatchObject({ requests: 1, timeouts: 0, errors: 0 });
    expect(remote.roundTripMs.total).toBe(1);
    expect(server.stats).toMatchObject({ hellos: 1, requests: 1, errors: 0 });
  });

  it('answers a client written from the protocol description alone (raw ZeroMQ + MessagePack)', async () => {
    const { server } = await serve(smallPath);
    const sock = new zmq.Dealer({ linger: 0 });
    sock.connect(server.endpoint);
    cleanup.push(async () => sock.close());
    await sock.send([pack({ protocol: 1, type: 'hello', client: 'test' })]);
    const [helloFrame] = await sock.receive();
    const hello = unpack(helloFrame!) as Record<string, unknown>;
    expect(hello).toMatchObject({ protocol: 1, type: 'hello', model_id: 'served-small', provider: 'cpu' });
    expect(JSON.parse(hello.contract as string).outputs[0].chunk).toEqual({ steps: 5, step_ms: 10 });
    // A wrong shape is an error reply naming the tensor, not a crash.
    await sock.send([pack({ protocol: 1, type: 'infer', id: 7, inputs: [{ name: 'image', shape: [1, 3, 8, 6] }] }), Buffer.alloc(4 * 144)]);
    const bad = unpack((await sock.receive())[0]!) as Record<string, unknown>;
    expect(bad).toMatchObject({ type: 'error', id: 7, code: 'E_POLICY_SHAPE' });
    expect(bad.message).toMatch(/tensor 'image' has shape \[1,3,8,6\], expected \[1,3,6,8\]/);
    const image = new Float32Array(144).fill(0.25);
    await sock.send([pack({ protocol: 1, type: 'infer', id: 8, inputs: [{ name: 'image', shape: [1, 3, 6, 8] }] }), Buffer.from(image.buffer)]);
    const [head, data] = await sock.receive();
    const result = unpack(head!) as Record<string, unknown>;
    expect(result).toMatchObject({ protocol: 1, type: 'result', id: 8, server_id: server.serverId, outputs: [{ name: 'actions', shape: [1, 5, 2] }] });
    expect(typeof result.inference_ms).toBe('number');
    const out = new Float32Array(new Uint8Array(data!).buffer);
    expect(out[0]).toBeCloseTo(small.expectedRaw([0.25, 0.25, 0.25])[0]!, 5);
    // Another protocol version is refused by name.
    await sock.send([pack({ protocol: 2, type: 'hello', client: 'future' })]);
    expect(unpack((await sock.receive())[0]!)).toMatchObject({ type: 'error', code: 'E_POLICY_VERSION' });
  });

  it('refuses a server of another protocol version, or one serving another model, naming both', async () => {
    const router = new zmq.Router({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    cleanup.push(async () => router.close());
    void (async () => {
      for await (const [id] of router) await router.send([id!, pack({ protocol: 2, type: 'hello' })]).catch(() => {});
    })();
    await expect(client(router.lastEndpoint!)).rejects.toThrow(/E_POLICY_VERSION: policy server tcp:\/\/127.0.0.1:\d+ speaks protocol 2, this pilot speaks pilot.policy\/1/);
    const { server } = await serve(otherPath);
    await expect(client(server.endpoint, { expectModel: smallPath })).rejects.toThrow(/E_POLICY_SERVER_MODEL: .*serves model 'served-other' whose contract differs from .*served-small.onnx/);
  });

  it('times out a request without a reply, and drops the reply that comes too late', async () => {
    const { server } = await serve(smallPath, 'tcp://127.0.0.1:*', 400);
    const remote = await client(server.endpoint, { timeout_ms: 100 });
    await expect(remote.run()).rejects.toThrow(/E_POLICY_SERVER_TIMEOUT: no reply from tcp:\/\/127.0.0.1:\d+ within 100 ms \(request 1\)/);
    expect(remote.stats.timeouts).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(remote.stats.lateReplies).toBe(1);
  });

  it('says so when no server answers at start', async () => {
    await expect(client('tcp://127.0.0.1:9', { connect_timeout_ms: 200 })).rejects.toThrow(/E_POLICY_SERVER_TIMEOUT: no hello from tcp:\/\/127.0.0.1:9 within 200 ms: is `pilot serve` running there\?/);
  });

  it('reconnects to a restarted server and checks its version and model again before using it', async () => {
    const endpoint = `ipc://${join(dir, 'restart.sock')}`;
    const first = await serve(smallPath, endpoint);
    const remote = await client(endpoint);
    fillMeans(remote, 0.5, 0.5, 0.5);
    await remote.run();
    await first.server.close();
    const second = await serve(smallPath, endpoint);
    expect(second.server.serverId).not.toBe(first.server.serverId);
    // The first reply comes from a server the client has not checked: refused, then a new hello.
    let restarted: Error | undefined;
    for (let i = 0; i < 50 && !restarted; i++) {
      await remote.run().catch((err: Error) => (restarted = err));
      if (!restarted) throw new Error('a reply from an unchecked server was accepted');
    }
    expect(restarted!.message).toMatch(/E_POLICY_SERVER_RESTARTED|E_POLICY_SERVER_TIMEOUT/);
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) ok = await remote.run().then(() => true, () => false);
    expect(ok).toBe(true);
    expect(remote.stats.rehellos).toBe(1);
  });

  it('refuses non-loopback endpoints unless allowed, on both sides', async () => {
    expect(() => checkEndpoint('tcp://10.1.2.3:5590', false)).toThrow(/E_NOT_LOOPBACK: refusing to send observations to 'tcp:\/\/10.1.2.3:5590'/);
    expect(() => checkEndpoint('tcp://10.1.2.3:5590', true)).not.toThrow();
    expect(() => checkEndpoint('tcp://[::1]:5590', false)).not.toThrow();
    expect(() => checkEndpoint('udp://127.0.0.1:5590', false)).toThrow(/must be tcp:\/\/host:port or ipc:\/\/path/);
    await expect(serve(smallPath, 'tcp://0.0.0.0:5590')).rejects.toThrow(/E_NOT_LOOPBACK: refusing to bind 'tcp:\/\/0.0.0.0:5590'/);
  });
});

describe('the loop on a policy server (config policy_server)', () => {
  it('runs the chunked loop with chunks from the server', async () => {
    const { server } = await serve(smallPath);
    const config = parseConfig(
      { model: { path: smallPath }, policy_server: { endpoint: server.endpoint }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100, deadline_ms: 8 } },
      't',
      process.cwd(),
    );
    const clock = new ManualClock();
    const transport = new InProcessTransport();
    const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
    cleanup.push(async () => {
      await pilot.dispose();
      await transport.close();
    });
    expect(pilot.policy.providerSummary).toMatch(/on policy server tcp:\/\/127.0.0.1:\d+/);
    const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
    const frame = makeImage({ header: makeHeader({ frame_id: 'camera' }), height: 240, width: 320, encoding: 'rgb8', step: 960, data: new Uint8Array(320 * 240 * 3).fill(128) });
    pilot.start();
    camera.publish(frame);
    clock.advanceTo(0);
    await pilot.loop.whenIdle();
    await pilot.chunks!.whenIdle();
    clock.advanceTo(10);
    await pilot.loop.whenIdle();
    expect(pilot.safety.lastReason).toBe('ok');
    expect(pilot.chunks!.counters.chunksQueued).toBe(1);
  });
});

describe('pilot serve as its own process, and the round-trip benchmark', () => {
  it('serves over loopback tcp and reports the round trip for a 320×240 observation', async () => {
    const r = await benchRoundTrip({
      modelPath: resolve('models/chunked-test.onnx'),
      projectDir: process.cwd(),
      command: [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'test/runtime/policy/serve-child.ts', '--'],
      readyTimeoutMs: 280_000, // the child compiles pilot's sources on the fly: slow on a busy machine
      requests: 20,
      intervalMs: 5,
    });
    expect(r.observationBytes).toBe(320 * 240 * 3 * 4);
    expect(r.failed).toBe(0);
    expect(r.model).toBe('chunked-test');
    expect(r.roundTripMs.p50).toBeGreaterThan(0);
    expect(r.addedMs.p50).toBeLessThanOrEqual(r.roundTripMs.p50);
  }, 360_000);
});
