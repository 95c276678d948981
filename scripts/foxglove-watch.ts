/**
 * Watches a Foxglove live view from a terminal, as a viewer would: `@foxglove/ws-protocol`'s
 * FoxgloveClient subscribes to every channel, decodes each message with its advertised schema
 * (ros2msg/CDR with @foxglove/rosmsg and @foxglove/rosmsg2-serialization, JSON by JSON.parse) and
 * prints the channels, then one line a second per topic with its count and the newest message, briefly.
 *
 *   node dist/scripts/foxglove-watch.js ws://127.0.0.1:8765 [seconds] [foxglove.websocket.v1|foxglove.sdk.v1]
 */
import { parse as parseMsgDefinition } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import wsProtocol, { type Channel } from '@foxglove/ws-protocol';
import WebSocket from 'ws';

const [url = 'ws://127.0.0.1:8765', secondsArg = '10', subprotocol = 'foxglove.websocket.v1'] = process.argv.slice(2);
const seconds = Number(secondsArg);
if (!(seconds > 0)) throw new Error(`seconds must be > 0, got '${secondsArg}'`);

const client = new wsProtocol.FoxgloveClient({ ws: new WebSocket(url, [subprotocol]) as unknown as ConstructorParameters<typeof wsProtocol.FoxgloveClient>[0]['ws'] });
const decoders = new Map<number, { channel: Channel; decode: (b: Uint8Array) => unknown }>();
const latest = new Map<string, { count: number; timeNs: bigint; message: unknown }>();

function decoderFor(channel: Channel): (bytes: Uint8Array) => unknown {
  if (channel.encoding === 'cdr') {
    const reader = new MessageReader(parseMsgDefinition(channel.schema, { ros2: true }));
    return (bytes) => reader.readMessage(bytes);
  }
  return (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;
}

/** A short, readable form of a message: big arrays as their length, long lists cut. */
function brief(value: unknown, depth = 0): string {
  if (ArrayBuffer.isView(value)) return `<${(value as Uint8Array).length} values>`;
  if (Array.isArray(value)) return value.length > 3 ? `[${value.slice(0, 2).map((v) => brief(v, depth + 1)).join(', ')}, … ${value.length} items]` : `[${value.map((v) => brief(v, depth + 1)).join(', ')}]`;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (value && typeof value === 'object') {
    if (depth > 3) return '{…}';
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${brief(v, depth + 1)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

client.on('open', () => console.log(`connected to ${url} (${subprotocol})`));
client.on('serverInfo', (info) => console.log(`server '${info.name}', capabilities ${info.capabilities.join(', ') || 'none'}`));
client.on('time', (t) => {
  const entry = latest.get('(server time)') ?? { count: 0, timeNs: 0n, message: null };
  entry.count++;
  entry.timeNs = t.timestamp;
  latest.set('(server time)', entry);
});
client.on('advertise', (channels) => {
  for (const c of channels) {
    console.log(`advertised ${c.topic}  ${c.encoding} ${c.schemaName} (${c.schemaEncoding ?? ''})`);
    decoders.set(client.subscribe(c.id), { channel: c, decode: decoderFor(c) });
  }
});
client.on('message', (event) => {
  const d = decoders.get(event.subscriptionId);
  if (!d) return;
  const entry = latest.get(d.channel.topic) ?? { count: 0, timeNs: 0n, message: undefined };
  entry.count++;
  entry.timeNs = event.timestamp;
  entry.message = d.decode(new Uint8Array(event.data.buffer, event.data.byteOffset, event.data.byteLength));
  latest.set(d.channel.topic, entry);
});
client.on('error', (err) => console.error(`error: ${err.message}`));

let elapsed = 0;
const timer = setInterval(() => {
  elapsed++;
  console.log(`--- ${elapsed} s`);
  for (const [topic, e] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${topic.padEnd(22)} ${String(e.count).padStart(6)}  t=${(Number(e.timeNs) / 1e9).toFixed(3)} s  ${brief(e.message).slice(0, 220)}`);
  }
  if (elapsed >= seconds) {
    clearInterval(timer);
    client.close();
  }
}, 1000);
