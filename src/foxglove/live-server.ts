/**
 * A Foxglove WebSocket protocol server (`@foxglove/ws-protocol`'s FoxgloveServer over `ws`) for
 * Foxglove and Lichtblick to watch pilot live. Loopback only unless `allowRemote` (the protocol has no
 * authentication). Both subprotocol names of the protocol are accepted: `foxglove.websocket.v1` (the
 * ws-protocol spec) and `foxglove.sdk.v1` (what the Foxglove SDK names the same protocol).
 *
 * Sending never waits: `wants(channel)` says whether any viewer subscribed to the channel can take a
 * message now (so the caller encodes only then), and a viewer whose socket is backed up misses messages,
 * counted per viewer and per channel (ViewerConnection).
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { isIPv4 } from 'node:net';
import { WebSocketServer } from 'ws';
import { PilotError } from '../core/util/errors.js';
import { ViewerConnection } from './viewer-connection.js';

// The package's CommonJS build, loaded as such: its ESM build has no default export and Node sees no named ones
// in the CommonJS one, so an import statement would work under some loaders only.
const { FoxgloveServer, ServerCapability } = createRequire(import.meta.url)('@foxglove/ws-protocol') as typeof import('@foxglove/ws-protocol');

/** The protocol's subprotocol names, preferred first. */
export const FOXGLOVE_SUBPROTOCOLS = ['foxglove.websocket.v1', 'foxglove.sdk.v1'] as const;

export const DEFAULT_FOXGLOVE_PORT = 8765;

export interface LiveServerOptions {
  /** Default 127.0.0.1; a non-loopback host is refused unless `allowRemote`. */
  readonly host?: string;
  /** Default 8765; 0 = any free port (read `port` or `url`). */
  readonly port?: number;
  readonly allowRemote?: boolean;
  /** A viewer with more than this many bytes unsent in its socket misses messages (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** Server name shown by the viewer. */
  readonly name?: string;
  /** Errors from viewers' requests (default: ignored). */
  readonly onError?: (error: Error) => void;
}

export interface ChannelSpec {
  readonly topic: string;
  /** Message encoding: `cdr`, `json`. */
  readonly encoding: string;
  readonly schemaName: string;
  readonly schema: string;
  /** `ros2msg`, `jsonschema`. */
  readonly schemaEncoding: string;
}

export interface ChannelCounters {
  readonly topic: string;
  /** Messages handed to viewers' sockets (one per viewer). */
  sent: number;
  /** Messages a subscribed viewer missed because its socket was backed up (one per viewer). */
  dropped: number;
}

export interface LiveServerStats {
  readonly viewers: number;
  readonly connections: number;
  readonly sent: number;
  readonly dropped: number;
  readonly bytes: number;
  readonly channels: readonly Readonly<ChannelCounters>[];
}

export class LiveServer {
  readonly url: string;
  readonly port: number;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #server: InstanceType<typeof FoxgloveServer>;
  readonly #viewers = new Set<ViewerConnection>();
  readonly #channels = new Map<number, ChannelCounters>();
  readonly #subscribed = new Set<number>();
  readonly #subscribeListeners: ((channelId: number, subscribed: boolean) => void)[] = [];
  /** Counters of viewers that left, so totals survive disconnects. */
  readonly #gone = { sent: 0, dropped: 0, bytes: 0 };
  #connections = 0;

  private constructor(http: Server, wss: WebSocketServer, server: InstanceType<typeof FoxgloveServer>, url: string, port: number) {
    this.#http = http;
    this.#wss = wss;
    this.#server = server;
    this.url = url;
    this.port = port;
    server.on('subscribe', (id) => this.#setSubscribed(id, true));
    server.on('unsubscribe', (id) => this.#setSubscribed(id, false));
  }

  static async start(options: LiveServerOptions = {}): Promise<LiveServer> {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? DEFAULT_FOXGLOVE_PORT;
    const maxBufferedBytes = options.maxBufferedBytes ?? 4 << 20;
    if (!options.allowRemote && !isLoopback(host)) {
      throw new PilotError('E_FOXGLOVE_HOST', `refusing to serve the Foxglove live view on non-loopback host '${host}': the protocol has no authentication`);
    }
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new PilotError('E_FOXGLOVE_PORT', `--foxglove port must be a whole number in 0..65535 (got ${port})`);
    if (!(maxBufferedBytes > 0)) throw new PilotError('E_FOXGLOVE_OPTIONS', `maxBufferedBytes must be > 0 (got ${maxBufferedBytes})`);
    const http = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('Foxglove WebSocket server: connect with Foxglove or Lichtblick\n'));
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) => reject(new PilotError('E_FOXGLOVE_LISTEN', `cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      http.listen(port, host, () => resolve());
    });
    // The listener alone does not keep the process alive (a command that fails before closing it still exits).
    http.unref();
    const address = http.address();
    if (address === null || typeof address === 'string') throw new PilotError('E_FOXGLOVE_LISTEN', `unexpected server address ${String(address)}`);
    const wss = new WebSocketServer({ server: http, handleProtocols: (offered) => chooseSubprotocol(offered) });
    const server = new FoxgloveServer({ name: options.name ?? 'pilot', capabilities: [ServerCapability.time] });
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const live = new LiveServer(http, wss, server, `ws://${urlHost}:${address.port}`, address.port);
    server.on('error', (err) => options.onError?.(err));
    wss.on('connection', (ws, req) => live.#accept(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`, maxBufferedBytes));
    return live;
  }

  /** Advertises a channel to every viewer (now and later); returns its id. */
  addChannel(spec: ChannelSpec): number {
    const id = this.#server.addChannel({ ...spec });
    this.#channels.set(id, { topic: spec.topic, sent: 0, dropped: 0 });
    return id;
  }

  /** Called when a channel gets its first subscriber (true) or loses its last (false). */
  onSubscription(listener: (channelId: number, subscribed: boolean) => void): void {
    this.#subscribeListeners.push(listener);
  }

  /**
   * Whether a message on `channelId` would reach a viewer now. False when nobody subscribed, or when
   * every subscribed viewer is backed up; those viewers' misses are counted here (nothing is encoded).
   */
  wants(channelId: number): boolean {
    if (!this.#subscribed.has(channelId)) return false;
    let waiting: ViewerConnection[] | undefined;
    for (const v of this.#viewers) {
      if (!v.subscribes(channelId)) continue;
      if (!v.backedUp) return true;
      (waiting ??= []).push(v);
    }
    for (const v of waiting ?? []) v.countDrop(channelId);
    return false;
  }

  /** Sends to every viewer subscribed to `channelId` that can take it; `logTimeNs` is the message's time. */
  send(channelId: number, logTimeNs: bigint, payload: Uint8Array): void {
    const counters = this.#channels.get(channelId);
    if (counters === undefined) throw new PilotError('E_FOXGLOVE_CHANNEL', `no channel ${channelId}`);
    let before = 0;
    for (const v of this.#viewers) before += v.counters.sent;
    this.#server.sendMessage(channelId, logTimeNs, payload);
    let after = 0;
    for (const v of this.#viewers) after += v.counters.sent;
    counters.sent += after - before;
  }

  /** The current time (sim time, bag time), for viewers following the server's clock. */
  broadcastTime(timeNs: bigint): void {
    if (this.#viewers.size > 0) this.#server.broadcastTime(timeNs);
  }

  get viewers(): number {
    return this.#viewers.size;
  }

  stats(): LiveServerStats {
    const total = { ...this.#gone };
    for (const v of this.#viewers) {
      total.sent += v.counters.sent;
      total.dropped += v.counters.dropped;
      total.bytes += v.counters.bytes;
    }
    return { viewers: this.#viewers.size, connections: this.#connections, ...total, channels: [...this.#channels.values()].map((c) => ({ ...c })) };
  }

  /** Disconnects the viewers and stops listening. */
  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #accept(ws: import('ws').WebSocket, name: string, maxBufferedBytes: number): void {
    if (!(FOXGLOVE_SUBPROTOCOLS as readonly string[]).includes(ws.protocol)) {
      ws.close(1002, `subprotocol required: ${FOXGLOVE_SUBPROTOCOLS.join(' or ')}`);
      return;
    }
    const viewer = new ViewerConnection(ws, name, maxBufferedBytes, (channelId) => {
      const c = this.#channels.get(channelId);
      if (c) c.dropped++;
    });
    this.#viewers.add(viewer);
    this.#connections++;
    ws.once('close', () => {
      this.#viewers.delete(viewer);
      this.#gone.sent += viewer.counters.sent;
      this.#gone.dropped += viewer.counters.dropped;
      this.#gone.bytes += viewer.counters.bytes;
    });
    this.#server.handleConnection(viewer, name);
  }

  #setSubscribed(channelId: number, subscribed: boolean): void {
    if (subscribed) this.#subscribed.add(channelId);
    else this.#subscribed.delete(channelId);
    for (const l of this.#subscribeListeners) l(channelId, subscribed);
  }
}

/** The first of the offered subprotocols that is a name of the Foxglove protocol; false for none. */
export function chooseSubprotocol(offered: Iterable<string>): string | false {
  const names = new Set(offered);
  return FOXGLOVE_SUBPROTOCOLS.find((p) => names.has(p)) ?? false;
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || (isIPv4(h) && h.startsWith('127.'));
}
