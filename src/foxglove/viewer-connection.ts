/**
 * One viewer's WebSocket as FoxgloveServer sees it (its IWebSocket), with backpressure: a message
 * for a viewer whose socket already holds more than `maxBufferedBytes` unsent is dropped and counted
 * instead of queued, so a slow viewer never makes the sender wait or grow memory. Control messages
 * (server info, advertisements, status) are always sent; only message data and time updates drop.
 *
 * It also mirrors the viewer's subscriptions (the subscribe/unsubscribe requests pass through it), so
 * the server can ask before encoding a message whether any viewer both wants it and can take it.
 */
import type { IWebSocket } from '@foxglove/ws-protocol';
import { WebSocket } from 'ws';

/** Binary opcodes of the server → client messages (Foxglove WebSocket protocol). */
const OP_MESSAGE_DATA = 1;
const OP_TIME = 2;

export interface ConnectionCounters {
  /** Messages handed to the socket. */
  sent: number;
  /** Messages not sent because the socket was backed up. */
  dropped: number;
  /** Message bytes handed to the socket (payloads, with their 13-byte headers). */
  bytes: number;
}

type Handler = ((event: unknown) => void) | null | undefined;

export class ViewerConnection implements IWebSocket {
  readonly name: string;
  readonly counters: ConnectionCounters = { sent: 0, dropped: 0, bytes: 0 };
  readonly #ws: WebSocket;
  readonly #maxBufferedBytes: number;
  readonly #onDrop: (channelId: number) => void;
  /** subscription id → channel id, as the viewer asked. */
  readonly #channelOf = new Map<number, number>();
  /** Inside a message sent in fragments (header, then payload): whether its rest is being dropped. */
  #inMessage = false;
  #droppingMessage = false;
  #onmessage: Handler;

  constructor(ws: WebSocket, name: string, maxBufferedBytes: number, onDrop: (channelId: number) => void) {
    this.#ws = ws;
    this.name = name;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#onDrop = onDrop;
  }

  get binaryType(): string {
    return this.#ws.binaryType;
  }

  set binaryType(type: string) {
    this.#ws.binaryType = type as WebSocket['binaryType'];
  }

  get protocol(): string {
    return this.#ws.protocol;
  }

  get onerror(): Handler {
    return this.#ws.onerror as Handler;
  }

  set onerror(handler: Handler) {
    this.#ws.onerror = handler ?? null;
  }

  get onopen(): Handler {
    return this.#ws.onopen as Handler;
  }

  set onopen(handler: Handler) {
    this.#ws.onopen = handler ?? null;
  }

  get onclose(): Handler {
    return this.#ws.onclose as Handler;
  }

  set onclose(handler: Handler) {
    this.#ws.onclose = handler ?? null;
  }

  get onmessage(): Handler {
    return this.#onmessage;
  }

  /** The server's handler, after this connection has noted (un)subscriptions. */
  set onmessage(handler: Handler) {
    this.#onmessage = handler;
    this.#ws.onmessage = handler
      ? (event) => {
          if (typeof event.data === 'string') this.#noteRequest(event.data);
          handler(event);
        }
      : null;
  }

  /** More than the limit is waiting in the socket: message data for this viewer is dropped now. */
  get backedUp(): boolean {
    return this.#ws.bufferedAmount > this.#maxBufferedBytes;
  }

  /** Whether the viewer subscribed to `channelId`. */
  subscribes(channelId: number): boolean {
    for (const c of this.#channelOf.values()) if (c === channelId) return true;
    return false;
  }

  /** A message for `channelId` that was not even encoded because this viewer (and every other) was backed up. */
  countDrop(channelId: number): void {
    this.counters.dropped++;
    this.#onDrop(channelId);
  }

  send(data: string | ArrayBuffer | ArrayBufferView, options?: { fin?: boolean }): void {
    const fin = options?.fin ?? true;
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (this.#inMessage) {
      // The payload after a header sent with fin: false.
      if (!this.#droppingMessage) this.#sendRaw(data, fin);
      if (fin) this.#inMessage = this.#droppingMessage = false;
      return;
    }
    const op = typeof data === 'string' ? 0 : firstByte(data);
    if ((op === OP_MESSAGE_DATA || op === OP_TIME) && this.backedUp) {
      if (op === OP_MESSAGE_DATA) this.countDrop(this.#channelOf.get(subscriptionIdOf(data as ArrayBuffer | ArrayBufferView)) ?? -1);
      this.#inMessage = this.#droppingMessage = !fin;
      return;
    }
    if (op === OP_MESSAGE_DATA) this.counters.sent++;
    this.#inMessage = !fin;
    this.#sendRaw(data, fin);
  }

  close(): void {
    this.#ws.close();
  }

  #sendRaw(data: string | ArrayBuffer | ArrayBufferView, fin: boolean): void {
    if (typeof data !== 'string') this.counters.bytes += data.byteLength;
    this.#ws.send(data, { fin });
  }

  /** Mirrors subscribe/unsubscribe requests; anything else (or a malformed request) the server handles. */
  #noteRequest(text: string): void {
    let request: { op?: unknown; subscriptions?: unknown; subscriptionIds?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      return;
    }
    if (request.op === 'subscribe' && Array.isArray(request.subscriptions)) {
      for (const s of request.subscriptions as { id?: unknown; channelId?: unknown }[]) {
        if (typeof s?.id === 'number' && typeof s.channelId === 'number' && !this.#channelOf.has(s.id)) this.#channelOf.set(s.id, s.channelId);
      }
    } else if (request.op === 'unsubscribe' && Array.isArray(request.subscriptionIds)) {
      for (const id of request.subscriptionIds) if (typeof id === 'number') this.#channelOf.delete(id);
    }
  }
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function firstByte(data: ArrayBuffer | ArrayBufferView): number {
  return data.byteLength > 0 ? bytesOf(data)[0]! : -1;
}

/** Bytes 1..4 of a message-data header, little-endian. */
function subscriptionIdOf(data: ArrayBuffer | ArrayBufferView): number {
  const b = bytesOf(data);
  return b.byteLength >= 5 ? new DataView(b.buffer, b.byteOffset, 5).getUint32(1, true) : -1;
}
