/**
 * Serves the simulator viewer: an HTTP page that renders the track in the browser (three.js, WebGPU or
 * WebGL2) and a WebSocket on the same port that streams the world, the drive state and the robot
 * camera's frames to it. Loopback only unless `allowRemote` (there is no authentication).
 *
 * How a sim loop uses it (`pilot sim --view`):
 *
 *   const viewer = await ViewerServer.start();             // http://127.0.0.1:<port>/
 *   console.log(`viewer: ${viewer.url}`);
 *   viewer.setWorld({ track, look });                      // a sim Track passes as is; again on a track change
 *   each step:
 *     viewer.publishState({ tS, x, y, yawRad, … });        // cheap: keeps the newest, sends ≤ stateHz (30)
 *     if (viewer.clients > 0 && rgba) viewer.publishCameraFrame(rgba, width, height); // ≤ cameraFps (10) encoded
 *   at the end:
 *     await viewer.close();
 *
 * Neither publish call blocks or queues: a state is the newest value (sent now, or by a timer when the
 * rate allows), a camera frame is encoded only when a client can take it and the frame rate allows,
 * and a client whose socket is backed up (`bufferedAmount`) misses messages instead of queueing them.
 * Every skip is counted in `stats`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIPv4 } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { WebSocket, WebSocketServer } from 'ws';
import { PilotError } from '../../src/core/util/errors.js';
import { viewerPage } from './page.js';
import {
  FRAME_TAG_CAMERA_JPEG,
  VIEWER_PROTOCOL_VERSION,
  VIEWER_SOCKET_PATH,
  type ViewerMessage,
  type ViewerState,
  type ViewerWorld,
  type WireWorld,
} from './protocol.js';
import { resolveAsset, type AssetRoots } from './static-routes.js';

export type { ViewerState, ViewerTrack, ViewerWorld } from './protocol.js';

export interface ViewerServerOptions {
  /** Default 127.0.0.1. A non-loopback address is refused unless `allowRemote`. */
  host?: string;
  /** 0 (default) = any free port; read the chosen one from `url`. */
  port?: number;
  /** Serve on a non-loopback address. The viewer has no authentication: only on a trusted network. */
  allowRemote?: boolean;
  /** The compiled project (`dist/`) holding the page's modules; default: `dist/` of this package. */
  appDir?: string;
  /** Most states sent per second; newer states replace unsent ones. Default 30. */
  stateHz?: number;
  /** Most camera frames encoded and sent per second. Default 10. */
  cameraFps?: number;
  /** JPEG quality 1..100. Default 75. */
  jpegQuality?: number;
  /** A client with more than this many bytes waiting in its socket misses messages. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Monotonic milliseconds for the rate limits; default `performance.now`. */
  nowMs?: () => number;
}

/** What was sent and what was skipped, and why. Per message (states, frames), not per client, unless noted. */
export interface ViewerStats {
  connections: number;
  statesSent: number;
  /** Replaced by a newer state before the rate limit allowed sending them. */
  statesCoalesced: number;
  /** Per client: its socket was backed up. */
  statesDroppedBackpressure: number;
  framesSent: number;
  framesSkippedNoClient: number;
  framesSkippedRate: number;
  /** Per client: its socket was backed up (no encode at all when every client was). */
  framesDroppedBackpressure: number;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || (isIPv4(h) && h.startsWith('127.'));
}

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new PilotError('E_VIEWER_BUILD', `no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

function threeBuildDir(): string {
  // three's "require" export is build/three.cjs: its folder holds the browser builds too.
  return path.dirname(createRequire(import.meta.url).resolve('three'));
}

function toWireWorld(world: ViewerWorld): WireWorld {
  const { track, look } = world;
  const s = track.samples;
  const n = s.x.length;
  if (n < 3) throw new PilotError('E_VIEWER_WORLD', `track '${track.name}': needs at least 3 centreline samples (got ${n})`);
  for (const key of ['y', 'sM', 'headingRad', 'curvature'] as const) {
    if (s[key].length !== n) throw new PilotError('E_VIEWER_WORLD', `track '${track.name}': samples.${key} has ${s[key].length} values, samples.x has ${n}`);
  }
  if (!(track.widthM > 0)) throw new PilotError('E_VIEWER_WORLD', `track '${track.name}': widthM must be > 0 (got ${track.widthM})`);
  return {
    track: {
      name: track.name,
      widthM: track.widthM,
      lengthM: track.lengthM,
      samples: { x: Array.from(s.x), y: Array.from(s.y), sM: Array.from(s.sM), headingRad: Array.from(s.headingRad), curvature: Array.from(s.curvature) },
      scenery: { cones: [...track.scenery.cones], obstacles: [...track.scenery.obstacles], kerbs: [...track.scenery.kerbs] },
      markings: { ...track.markings },
    },
    look: { ...look },
  };
}

export class ViewerServer {
  readonly url: string;
  readonly stats: ViewerStats = {
    connections: 0,
    statesSent: 0,
    statesCoalesced: 0,
    statesDroppedBackpressure: 0,
    framesSent: 0,
    framesSkippedNoClient: 0,
    framesSkippedRate: 0,
    framesDroppedBackpressure: 0,
  };
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #roots: AssetRoots;
  readonly #allowRemote: boolean;
  readonly #stateIntervalMs: number;
  readonly #frameIntervalMs: number;
  readonly #jpegQuality: number;
  readonly #maxBufferedBytes: number;
  readonly #nowMs: () => number;
  readonly #page: string;
  #worldMessage: string | null = null;
  #state: ViewerState | null = null;
  #stateUnsent = false;
  #stateSentAtMs = -Infinity;
  #stateTimer: NodeJS.Timeout | null = null;
  #frameMessage: Buffer | null = null;
  #frameSentAtMs = -Infinity;
  #rgbaScratch: Uint8Array = new Uint8Array(0);
  #closed = false;

  private constructor(http: Server, wss: WebSocketServer, url: string, roots: AssetRoots, options: Required<Omit<ViewerServerOptions, 'host' | 'port' | 'appDir'>>) {
    this.#http = http;
    this.#wss = wss;
    this.url = url;
    this.#roots = roots;
    this.#allowRemote = options.allowRemote;
    this.#stateIntervalMs = 1000 / options.stateHz;
    this.#frameIntervalMs = 1000 / options.cameraFps;
    this.#jpegQuality = options.jpegQuality;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#nowMs = options.nowMs;
    this.#page = viewerPage();
  }

  static async start(options: ViewerServerOptions = {}): Promise<ViewerServer> {
    const {
      host = '127.0.0.1',
      port = 0,
      allowRemote = false,
      appDir = path.join(packageRoot(), 'dist'),
      stateHz = 30,
      cameraFps = 10,
      jpegQuality = 75,
      maxBufferedBytes = 1 << 20,
      nowMs = () => performance.now(),
    } = options;
    if (!allowRemote && !isLoopbackHost(host)) {
      throw new PilotError('E_VIEWER_HOST', `refusing to serve the viewer on non-loopback host '${host}': it has no authentication; pass allowRemote to serve it anyway`);
    }
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new PilotError('E_VIEWER_PORT', `port must be an integer in 0..65535 (got ${port})`);
    for (const [name, value] of [['stateHz', stateHz], ['cameraFps', cameraFps], ['maxBufferedBytes', maxBufferedBytes]] as const) {
      if (!(value > 0 && Number.isFinite(value))) throw new PilotError('E_VIEWER_OPTIONS', `${name} must be a positive number (got ${value})`);
    }
    if (!(Number.isInteger(jpegQuality) && jpegQuality >= 1 && jpegQuality <= 100)) {
      throw new PilotError('E_VIEWER_OPTIONS', `jpegQuality must be an integer in 1..100 (got ${jpegQuality})`);
    }
    const client = path.join(appDir, 'sim/viewer/client/main.js');
    if (!existsSync(client)) {
      throw new PilotError('E_VIEWER_BUILD', `the viewer page is not built: ${client} is missing; run \`npm run build\``);
    }
    const roots: AssetRoots = { threeDir: threeBuildDir(), appDir };

    const http = createServer();
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4096, // the page sends nothing that matters
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) => reject(new PilotError('E_VIEWER_LISTEN', `cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      http.listen(port, host, () => resolve());
    });
    const address = http.address();
    if (address === null || typeof address === 'string') throw new PilotError('E_VIEWER_LISTEN', `unexpected server address ${String(address)}`);
    const urlHost = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : host;
    const server = new ViewerServer(http, wss, `http://${urlHost}:${address.port}/`, roots, { allowRemote, stateHz, cameraFps, jpegQuality, maxBufferedBytes, nowMs });
    http.on('request', (req, res) => void server.#onRequest(req, res));
    http.on('upgrade', (req, socket, head) => server.#onUpgrade(req, socket, head));
    wss.on('connection', (ws) => server.#onConnection(ws));
    return server;
  }

  /** Open WebSocket connections. */
  get clients(): number {
    let n = 0;
    for (const ws of this.#wss.clients) if (ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  /**
   * The track and its look; sent to every client now and to each new one when it connects. Sent even to
   * a backed-up client (the page needs it), so call it when the world changes, not every step.
   */
  setWorld(world: ViewerWorld): void {
    const message: ViewerMessage = { type: 'world', world: toWireWorld(world) };
    this.#worldMessage = JSON.stringify(message);
    for (const ws of this.#wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(this.#worldMessage);
  }

  /**
   * The newest drive state. Sent at once when the rate allows, otherwise by a timer at the next slot
   * (with whatever state is newest then); the object is read when it is sent, so a caller may reuse one.
   */
  publishState(state: ViewerState): void {
    if (this.#closed) return;
    if (this.#stateUnsent) this.stats.statesCoalesced++;
    this.#state = state;
    this.#stateUnsent = true;
    if (this.#stateTimer) return;
    const waitMs = this.#stateSentAtMs + this.#stateIntervalMs - this.#nowMs();
    if (waitMs <= 0) this.#flushState();
    else {
      this.#stateTimer = setTimeout(() => {
        this.#stateTimer = null;
        this.#flushState();
      }, Math.ceil(waitMs));
      this.#stateTimer.unref();
    }
  }

  /**
   * The robot camera's image, RGB or RGBA (8 bits, top row first, `width`×`height`). Encoded to JPEG and
   * sent when a client can take it and at most `cameraFps` times a second; returns whether it was sent.
   */
  publishCameraFrame(rgb: Uint8Array, width: number, height: number): boolean {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 8192 && height <= 8192)) {
      throw new PilotError('E_VIEWER_FRAME', `camera frame size must be whole pixels in 1..8192 (got ${width}×${height})`);
    }
    const pixels = width * height;
    if (rgb.length !== pixels * 3 && rgb.length !== pixels * 4) {
      throw new PilotError('E_VIEWER_FRAME', `camera frame of ${width}×${height} needs ${pixels * 3} (RGB) or ${pixels * 4} (RGBA) bytes (got ${rgb.length})`);
    }
    if (this.#closed) return false;
    const open = [...this.#wss.clients].filter((ws) => ws.readyState === WebSocket.OPEN);
    if (open.length === 0) {
      this.stats.framesSkippedNoClient++;
      return false;
    }
    const now = this.#nowMs();
    if (now - this.#frameSentAtMs < this.#frameIntervalMs) {
      this.stats.framesSkippedRate++;
      return false;
    }
    const ready = open.filter((ws) => ws.bufferedAmount <= this.#maxBufferedBytes);
    this.stats.framesDroppedBackpressure += open.length - ready.length;
    if (ready.length === 0) return false;
    const encoded = jpeg.encode({ data: this.#rgba(rgb, pixels), width, height }, this.#jpegQuality).data;
    const message = Buffer.allocUnsafe(1 + encoded.length);
    message[0] = FRAME_TAG_CAMERA_JPEG;
    encoded.copy(message, 1);
    for (const ws of ready) ws.send(message);
    this.#frameMessage = message;
    this.#frameSentAtMs = now;
    this.stats.framesSent++;
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#stateTimer) clearTimeout(this.#stateTimer);
    this.#stateTimer = null;
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  /** jpeg-js takes RGBA: RGB input is expanded into a scratch buffer kept between frames. */
  #rgba(rgb: Uint8Array, pixels: number): Uint8Array {
    if (rgb.length === pixels * 4) return rgb;
    if (this.#rgbaScratch.length !== pixels * 4) this.#rgbaScratch = new Uint8Array(pixels * 4);
    const out = this.#rgbaScratch;
    for (let i = 0, j = 0; i < pixels * 3; i += 3, j += 4) {
      out[j] = rgb[i]!;
      out[j + 1] = rgb[i + 1]!;
      out[j + 2] = rgb[i + 2]!;
      out[j + 3] = 255;
    }
    return out;
  }

  #flushState(): void {
    if (this.#closed || !this.#state || !this.#stateUnsent) return;
    this.#stateUnsent = false;
    this.#stateSentAtMs = this.#nowMs();
    const text = JSON.stringify({ type: 'state', state: this.#state } satisfies ViewerMessage);
    for (const ws of this.#wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > this.#maxBufferedBytes) this.stats.statesDroppedBackpressure++;
      else ws.send(text);
    }
    this.stats.statesSent++;
  }

  #onConnection(ws: WebSocket): void {
    this.stats.connections++;
    ws.on('error', () => ws.terminate());
    ws.on('message', () => undefined);
    ws.send(JSON.stringify({ type: 'hello', version: VIEWER_PROTOCOL_VERSION } satisfies ViewerMessage));
    if (this.#worldMessage) ws.send(this.#worldMessage);
    if (this.#state) ws.send(JSON.stringify({ type: 'state', state: this.#state } satisfies ViewerMessage));
    if (this.#frameMessage) ws.send(this.#frameMessage);
  }

  /** Without allowRemote, only requests addressed to a loopback name: a DNS-rebinding page gets nothing. */
  #hostAllowed(req: IncomingMessage): boolean {
    if (this.#allowRemote) return true;
    const host = req.headers.host ?? '';
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
    return isLoopbackHost(name);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = new URL(req.url ?? '/', 'http://viewer').pathname;
    const origin = req.headers.origin;
    // Same-origin only: another site open in the user's browser must not read the stream.
    const sameOrigin = origin === undefined || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`;
    if (pathname !== VIEWER_SOCKET_PATH || !this.#hostAllowed(req) || !sameOrigin || this.#closed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (code: number, body: string | Buffer, type = 'text/plain; charset=utf-8', cache = 'no-store'): void => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': cache, 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    if (!this.#hostAllowed(req)) return send(403, 'forbidden host\n');
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/' || pathname === '/index.html') return send(200, this.#page, 'text/html; charset=utf-8');
    const asset = resolveAsset(pathname, this.#roots);
    if (!asset) return send(404, 'not found\n');
    try {
      const body = await readFile(asset.file);
      send(200, body, asset.contentType, asset.immutable ? 'public, max-age=3600' : 'no-cache');
    } catch {
      send(404, 'not found\n');
    }
  }
}
