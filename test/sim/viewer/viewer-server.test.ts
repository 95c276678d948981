import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FRAME_TAG_CAMERA_JPEG, type ViewerMessage, type WireWorld } from '../../../sim/viewer/protocol.js';
import { isLoopbackHost, ViewerServer, type ViewerServerOptions } from '../../../sim/viewer/viewer-server.js';
import { buildViewerClient } from './build-viewer-client.js';
import { ellipseTrack, testState, testWorld, TEST_LOOK } from './viewer-fixtures.js';

let appDir: string;
const servers: ViewerServer[] = [];
const sockets: WebSocket[] = [];

beforeAll(async () => {
  appDir = await mkdtemp(path.join(tmpdir(), 'pilot-viewer-app-'));
  await buildViewerClient(appDir);
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(async () => {
  await rm(appDir, { recursive: true, force: true });
});

async function startServer(options: ViewerServerOptions = {}): Promise<ViewerServer> {
  const server = await ViewerServer.start({ appDir, ...options });
  servers.push(server);
  return server;
}

/** A WebSocket client that records what it receives. */
async function connect(server: ViewerServer, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; texts: ViewerMessage[]; binaries: Buffer[] }> {
  const ws = new WebSocket(server.url.replace('http', 'ws') + 'ws', { headers });
  sockets.push(ws);
  const texts: ViewerMessage[] = [];
  const binaries: Buffer[] = [];
  ws.on('message', (data, isBinary) => {
    const bytes = data as Buffer;
    if (isBinary) binaries.push(bytes);
    // A huge world (the back-pressure test) is only recorded by its type: parsing it would just cost time.
    else if (bytes.length > 1 << 20) texts.push({ type: /"type":"(\w+)"/.exec(bytes.subarray(0, 32).toString())![1] } as ViewerMessage);
    else texts.push(JSON.parse(bytes.toString()) as ViewerMessage);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, texts, binaries };
}

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw GET: the path goes out exactly as written (no URL normalisation, unlike fetch). */
function rawGet(server: ViewerServer, rawPath: string, host?: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: rawPath, method: 'GET', headers: host ? { host } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ViewerServer: addresses', () => {
  it('refuses a non-loopback host unless allowRemote, and serves loopback by default', async () => {
    await expect(ViewerServer.start({ appDir, host: '0.0.0.0' })).rejects.toThrow(/E_VIEWER_HOST.*0\.0\.0\.0.*allowRemote/);
    await expect(ViewerServer.start({ appDir, host: '192.168.1.20' })).rejects.toThrow(/E_VIEWER_HOST/);
    const local = await startServer();
    expect(local.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const remote = await startServer({ host: '0.0.0.0', allowRemote: true });
    expect(remote.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/$/);
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.8.9.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('127.example.com')).toBe(false);
  });

  it('says what to run when the page is not built', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'pilot-viewer-empty-'));
    try {
      await expect(ViewerServer.start({ appDir: empty })).rejects.toThrow(/E_VIEWER_BUILD.*main\.js is missing.*npm run build/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('answers only requests addressed to a loopback name (DNS rebinding) and same-origin sockets', async () => {
    const server = await startServer();
    expect((await rawGet(server, '/', 'evil.example:80')).status).toBe(403);
    expect((await rawGet(server, '/', `localhost:${new URL(server.url).port}`)).status).toBe(200);
    await expect(connect(server, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const ok = await connect(server, { origin: server.url.replace(/\/$/, '') });
    expect(ok.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('ViewerServer: files', () => {
  it('serves the page, three.js builds and the compiled client, and nothing outside them', async () => {
    const server = await startServer();
    const page = await rawGet(server, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('"three/webgpu":"/three/three.webgpu.js"');
    expect(page.body).toContain('/app/sim/viewer/client/main.js');
    for (const ok of ['/three/three.webgpu.js', '/three/three.core.js', '/three/three.tsl.js', '/three/three.module.js', '/app/sim/viewer/client/main.js', '/app/sim/render/scene-builder.js', '/app/src/core/util/prng.js']) {
      expect((await rawGet(server, ok)).status, ok).toBe(200);
    }
    const refused = [
      '/three/../../package.json',
      '/three/../../../package.json',
      '/three/..%2F..%2Fpackage.json',
      '/three/%2e%2e/%2e%2e/package.json',
      '/three/three.cjs',
      '/three/',
      '/app/../package.json',
      '/app/sim/../../package.json',
      '/app/sim/viewer/../../../package.json',
      '/app/sim%2F..%2F..%2Fpackage.json',
      '/app/%2e%2e/%2e%2e/package.json',
      '/app/sim/viewer/client/main.ts',
      '/app/src/core/util/../../../../package.json',
      '/app/src/core/config/load.js',
      '/app//etc/passwd.js',
      '/app/sim/viewer/client/missing.js',
      '/app/%E0%A4%A.js',
      '/package.json',
      '/../package.json',
    ];
    for (const p of refused) {
      const res = await rawGet(server, p);
      expect([403, 404], p).toContain(res.status);
      expect(res.body, p).not.toContain('"name"');
    }
  });
});

describe('ViewerServer: messages', () => {
  it('gives a new client the world, the newest state and the last camera frame at once', async () => {
    const server = await startServer();
    server.setWorld(testWorld());
    const first = await connect(server);
    server.publishState(testState({ tS: 1 }));
    expect(server.publishCameraFrame(new Uint8Array(8 * 6 * 3).fill(200), 8, 6)).toBe(true);
    await until(() => first.binaries.length === 1 && first.texts.some((m) => m.type === 'state'), 'the first client');
    const second = await connect(server);
    await until(() => second.texts.length >= 3 && second.binaries.length === 1, 'the second client');
    expect(second.texts.map((m) => m.type)).toEqual(['hello', 'world', 'state']);
    const world = (second.texts[1] as { world: WireWorld }).world;
    const track = ellipseTrack();
    expect(world.track.samples.x).toHaveLength(track.samples.x.length);
    expect(world.track.samples.headingRad[10]).toBe(track.samples.headingRad[10]);
    expect(world.look).toEqual(TEST_LOOK);
    expect((second.texts[2] as { state: { tS: number } }).state.tS).toBe(1);
    expect(second.binaries[0]![0]).toBe(FRAME_TAG_CAMERA_JPEG);
    expect(jpeg.decode(second.binaries[0]!.subarray(1)).width).toBe(8);
    expect(server.clients).toBe(2);
  });

  it('sends states at most stateHz, always the newest, and the last one by a timer', async () => {
    let now = 0;
    const server = await startServer({ stateHz: 10, nowMs: () => now });
    const client = await connect(server);
    for (let i = 0; i < 50; i++) {
      now = i * 2; // 500 Hz of states over 98 ms
      server.publishState(testState({ tS: i }));
    }
    now = 100;
    // The first went at once; the rest coalesced into one sent by the timer (≈100 ms later).
    await until(() => client.texts.filter((m) => m.type === 'state').length === 2, 'the trailing state', 2000);
    const states = client.texts.filter((m): m is Extract<ViewerMessage, { type: 'state' }> => m.type === 'state');
    expect(states.map((m) => m.state.tS)).toEqual([0, 49]);
    expect(server.stats.statesSent).toBe(2);
    expect(server.stats.statesCoalesced).toBe(48);
  });

  it('encodes camera frames only for a client and at most cameraFps, and refuses a wrong size', async () => {
    let now = 0;
    const server = await startServer({ cameraFps: 10, nowMs: () => now });
    const rgba = new Uint8Array(16 * 12 * 4).fill(90);
    expect(server.publishCameraFrame(rgba, 16, 12)).toBe(false);
    expect(server.stats.framesSkippedNoClient).toBe(1);
    const client = await connect(server);
    const sent = [];
    for (let i = 0; i < 30; i++) {
      now = i * 10; // 100 frames/s for 300 ms
      sent.push(server.publishCameraFrame(rgba, 16, 12));
    }
    expect(sent.filter(Boolean)).toHaveLength(3);
    expect(server.stats.framesSkippedRate).toBe(27);
    await until(() => client.binaries.length === 3, 'three frames');
    expect(() => server.publishCameraFrame(new Uint8Array(10), 16, 12)).toThrow(/E_VIEWER_FRAME.*16×12 needs 576 \(RGB\) or 768 \(RGBA\) bytes \(got 10\)/);
    expect(() => server.publishCameraFrame(rgba, 0, 12)).toThrow(/E_VIEWER_FRAME/);
  });

  it('skips a backed-up client instead of queueing for it, and keeps serving the others', async () => {
    const server = await startServer({ stateHz: 1000, maxBufferedBytes: 64 * 1024 });
    const stuck = await connect(server);
    const live = await connect(server);
    // The stuck client stops reading: the kernel buffers fill, then the server's socket backs up.
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    server.setWorld({ track: ellipseTrack(60, 40, 1.2, 0.001), look: TEST_LOOK }); // ≈ 30 MB of JSON
    await until(() => live.texts.some((m) => m.type === 'world'), 'the world on the live client', 10_000);
    const before = server.stats.statesDroppedBackpressure;
    for (let i = 0; i < 5; i++) {
      server.publishState(testState({ tS: 100 + i }));
      await new Promise((r) => setTimeout(r, 3));
    }
    await until(() => live.texts.some((m) => m.type === 'state' && m.state.tS === 104), 'the newest state on the live client');
    expect(server.stats.statesDroppedBackpressure - before).toBeGreaterThanOrEqual(4);
    expect(server.publishCameraFrame(new Uint8Array(4 * 4 * 3), 4, 4)).toBe(true); // only the live client
    expect(server.stats.framesDroppedBackpressure).toBe(1);
  });

  it('keeps working when a client goes away abruptly', async () => {
    const server = await startServer({ stateHz: 1000 });
    server.setWorld(testWorld());
    const leaving = await connect(server);
    const staying = await connect(server);
    expect(server.clients).toBe(2);
    (leaving.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
    await until(() => server.clients === 1, 'the server to notice');
    server.publishState(testState({ tS: 7 }));
    expect(server.publishCameraFrame(new Uint8Array(4 * 4 * 3), 4, 4)).toBe(true);
    await until(() => staying.texts.some((m) => m.type === 'state' && m.state.tS === 7) && staying.binaries.length === 1, 'the remaining client');
    const again = await connect(server);
    await until(() => again.texts.some((m) => m.type === 'world'), 'a new client');
  });

  it('refuses a malformed world with the track and the values', async () => {
    const server = await startServer();
    const track = ellipseTrack();
    expect(() => server.setWorld({ track: { ...track, samples: { ...track.samples, y: [1, 2, 3] } }, look: TEST_LOOK })).toThrow(
      /E_VIEWER_WORLD: track 'test-ellipse': samples.y has 3 values, samples.x has \d+/,
    );
  });
});
