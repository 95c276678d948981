/**
 * Every bag layout ROS 2's own tools write decodes: MCAP with schemas (a 0-byte definition for a
 * message without fields, service events defined by their .srv text), MCAP without schemas (schema
 * id 0 channels, or schemas rosbag2 left empty), sqlite3 with and without `message_definitions`.
 * Types the bag does not define come from pilot's vendored ones, then the standard definitions of
 * the bag's distro. The CDR bytes are built by hand, so the decoder is checked against the wire
 * format rather than against its own writer.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapWriter, TempBuffer } from '@mcap/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BagReader, MemoryBagFolder, renderMetadataYaml, type BagError } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import { buildDb3, collect, MS, T0, type Db3Layout } from './helpers.js';

const SEP = '='.repeat(80);
const encoder = new TextEncoder();

/** CDR (little-endian) writer for the hand-built messages below; offsets count from after the header. */
class Cdr {
  readonly #bytes: number[] = [0, 1, 0, 0];
  #align(n: number): void {
    while ((this.#bytes.length - 4) % n !== 0) this.#bytes.push(0);
  }
  #put(n: number, set: (v: DataView) => void): this {
    this.#align(n);
    const v = new DataView(new ArrayBuffer(n));
    set(v);
    this.#bytes.push(...new Uint8Array(v.buffer));
    return this;
  }
  u8(x: number): this {
    this.#bytes.push(x);
    return this;
  }
  u32(x: number): this {
    return this.#put(4, (v) => v.setUint32(0, x, true));
  }
  i32(x: number): this {
    return this.#put(4, (v) => v.setInt32(0, x, true));
  }
  i64(x: bigint): this {
    return this.#put(8, (v) => v.setBigInt64(0, x, true));
  }
  f64(x: number): this {
    return this.#put(8, (v) => v.setFloat64(0, x, true));
  }
  string(s: string): this {
    const b = encoder.encode(s);
    this.u32(b.length + 1);
    this.#bytes.push(...b, 0);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

const stringMsg = (s: string): Uint8Array => new Cdr().string(s).bytes();
/** test_msgs/msg/Empty as rclcpp sends it: the header and the one-byte placeholder member. */
const EMPTY = Uint8Array.of(0, 1, 0, 0, 0);
const twist = (x: number, z: number): Uint8Array => new Cdr().f64(x).f64(0).f64(0).f64(0).f64(0).f64(z).bytes();

const ADD_TWO_INTS_SRV = 'int64 a\nint64 b\n---\nint64 sum\n';
const GID = Array.from({ length: 16 }, (_, i) => i + 1);

/** example_interfaces/srv/AddTwoInts_Event: info, then request[<=1], response[<=1]. */
function addTwoIntsEvent(eventType: number, seq: bigint, request?: [bigint, bigint], sum?: bigint): Uint8Array {
  const w = new Cdr().u8(eventType).i32(1_763_800_000).u32(seq === 1n ? 500 : 600);
  for (const b of GID) w.u8(b);
  w.i64(seq).u32(request ? 1 : 0);
  if (request) w.i64(request[0]).i64(request[1]);
  w.u32(sum === undefined ? 0 : 1);
  if (sum !== undefined) w.i64(sum);
  return w.bytes();
}

function expectedEvent(eventType: number, seq: bigint, request?: [bigint, bigint], sum?: bigint): unknown {
  return {
    info: { event_type: eventType, stamp: { sec: 1_763_800_000, nanosec: seq === 1n ? 500 : 600 }, client_gid: Uint8Array.from(GID), sequence_number: seq },
    request: request ? [{ a: request[0], b: request[1] }] : [],
    response: sum === undefined ? [] : [{ sum }],
  };
}

/** The service calls of one client: request sent (0), response received (3), twice. */
const SERVICE_EVENTS = [
  { data: addTwoIntsEvent(0, 1n, [2n, 3n]), value: expectedEvent(0, 1n, [2n, 3n]) },
  { data: addTwoIntsEvent(3, 1n, undefined, 5n), value: expectedEvent(3, 1n, undefined, 5n) },
  { data: addTwoIntsEvent(0, 2n, [-7n, 9_007_199_254_740_993n]), value: expectedEvent(0, 2n, [-7n, 9_007_199_254_740_993n]) },
  { data: addTwoIntsEvent(3, 2n, undefined, 9_007_199_254_740_986n), value: expectedEvent(3, 2n, undefined, 9_007_199_254_740_986n) },
];

interface TopicSpec {
  readonly name: string;
  readonly type: string;
  /** MCAP: the schema written (undefined: schema id 0); sqlite3 (jazzy): the message_definitions row. */
  readonly schema?: { readonly name?: string; readonly encoding: string; readonly text: string };
  readonly messages: readonly Uint8Array[];
}

/** The messages of `topics`, 10 ms apart per topic, topics interleaved. */
function timeline(topics: readonly TopicSpec[]): { topic: string; timestamp: bigint; data: Uint8Array }[] {
  return topics.flatMap((t, k) => t.messages.map((data, i) => ({ topic: t.name, timestamp: T0 + BigInt(i) * 10n * MS + BigInt(k), data })));
}

async function mcapFile(topics: readonly TopicSpec[]): Promise<Uint8Array> {
  const buffer = new TempBuffer();
  const w = new McapWriter({ writable: buffer });
  await w.start({ profile: 'ros2', library: 'test' });
  const channels = new Map<string, number>();
  for (const t of topics) {
    const schemaId = t.schema ? await w.registerSchema({ name: t.schema.name ?? t.type, encoding: t.schema.encoding, data: encoder.encode(t.schema.text) }) : 0;
    channels.set(t.name, await w.registerChannel({ topic: t.name, schemaId, messageEncoding: 'cdr', metadata: new Map() }));
  }
  for (const [i, m] of timeline(topics).entries()) {
    await w.addMessage({ channelId: channels.get(m.topic)!, sequence: i, logTime: m.timestamp, publishTime: m.timestamp, data: m.data });
  }
  await w.end();
  return buffer.get();
}

/** A bag folder with one storage file and, unless `metadata` is false, a metadata.yaml (version 8 when `rosDistro` is given). */
function folder(name: string, file: string, bytes: Uint8Array, topics: readonly TopicSpec[], meta: { rosDistro?: string } | false = {}): MemoryBagFolder {
  const f = new MemoryBagFolder(name);
  f.files.set(file, bytes);
  if (meta === false) return f;
  const count = topics.reduce((n, t) => n + t.messages.length, 0);
  const yaml = renderMetadataYaml({
    version: meta.rosDistro === undefined ? 5 : 8,
    storageIdentifier: file.endsWith('.mcap') ? 'mcap' : 'sqlite3',
    relativeFilePaths: [file],
    durationNs: 100n * MS,
    startingTimeNs: T0,
    messageCount: count,
    topics: topics.map((t) => ({ name: t.name, type: t.type, serializationFormat: 'cdr', offeredQosProfiles: '', messageCount: t.messages.length })),
    compressionFormat: '',
    compressionMode: '',
    files: [{ path: file, startingTimeNs: T0, durationNs: 100n * MS, messageCount: count }],
    ...(meta.rosDistro === undefined ? {} : { rosDistro: meta.rosDistro }),
  });
  f.files.set('metadata.yaml', encoder.encode(yaml));
  return f;
}

async function db3Folder(layout: Db3Layout, topics: readonly TopicSpec[], meta: { rosDistro?: string } | false = {}): Promise<MemoryBagFolder> {
  const definitions = layout === 'jazzy' ? topics.filter((t) => t.schema).map((t) => ({ type: t.schema!.name ?? t.type, text: t.schema!.text })) : [];
  const bytes = await buildDb3(layout, topics, timeline(topics), definitions);
  return folder(layout, `${layout}_0.db3`, bytes, topics, meta);
}

/** Decoded values per topic, in log-time order, and the errors met. */
async function decodeAll(reader: BagReader): Promise<{ byTopic: Record<string, unknown[]>; errors: BagError[] }> {
  const byTopic: Record<string, unknown[]> = {};
  const errors: BagError[] = [];
  for (const m of await collect(reader.decoded({ onError: (e) => errors.push(e) }))) (byTopic[m.topic] ??= []).push(m.message);
  return { byTopic, errors };
}

const definitions = (reader: BagReader) => Object.fromEntries(reader.topics().map((t) => [t.name, t.definition]));

const CHATTER: TopicSpec = { name: '/chatter', type: 'std_msgs/msg/String', messages: ['hello', 'world', 'ünïcode'].map(stringMsg) };
const CMD: TopicSpec = { name: '/cmd_vel', type: 'geometry_msgs/msg/Twist', messages: [twist(0.5, -0.25), twist(1, 0)] };
const TWISTS = [
  { linear: { x: 0.5, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -0.25 } },
  { linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
];

/** What rosbag2 (Jazzy on) writes for each type: its own ros2msg text; a service event's .srv text. */
const DEFINED: TopicSpec[] = [
  { name: '/heartbeat', type: 'test_msgs/msg/Empty', schema: { encoding: 'ros2msg', text: '' }, messages: [EMPTY, EMPTY, EMPTY] },
  { ...CHATTER, schema: { encoding: 'ros2msg', text: 'string data\n' } },
  {
    name: '/add_two_ints/_service_event',
    type: 'example_interfaces/srv/AddTwoInts_Event',
    schema: { encoding: 'ros2msg', text: ADD_TWO_INTS_SRV },
    messages: SERVICE_EVENTS.map((e) => e.data),
  },
];

const DEFINED_VALUES = {
  '/heartbeat': [{}, {}, {}],
  '/chatter': [{ data: 'hello' }, { data: 'world' }, { data: 'ünïcode' }],
  '/add_two_ints/_service_event': SERVICE_EVENTS.map((e) => e.value),
};

describe('MCAP bags', () => {
  it('with schemas: a 0-byte definition (Empty), a service event defined by its .srv text, a plain message', async () => {
    const reader = await BagReader.open(folder('defined', 'defined_0.mcap', await mcapFile(DEFINED), DEFINED), { registry: null, distro: null });
    expect(definitions(reader)).toEqual({ '/heartbeat': 'bag', '/chatter': 'bag', '/add_two_ints/_service_event': 'bag' });
    expect(reader.warnings).toEqual([]);
    const { byTopic, errors } = await decodeAll(reader);
    expect(errors).toEqual([]);
    expect(byTopic).toEqual(DEFINED_VALUES);
    await reader.close();
  });

  it('a service event whose definition starts with the SRV: delimiter (newer rosbag2)', async () => {
    const topic: TopicSpec = { ...DEFINED[2]!, schema: { encoding: 'ros2msg', text: `${SEP}\nSRV: example_interfaces/srv/AddTwoInts\n${ADD_TWO_INTS_SRV}` } };
    const reader = await BagReader.open(folder('srv', 'srv_0.mcap', await mcapFile([topic]), [topic]), { registry: null, distro: null });
    expect((await decodeAll(reader)).byTopic['/add_two_ints/_service_event']).toEqual(SERVICE_EVENTS.map((e) => e.value));
  });

  it('without schemas (schema id 0): types from metadata.yaml, definitions from pilot and the distro the bag names', async () => {
    const topics = [CHATTER, CMD];
    const reader = await BagReader.open(folder('bare', 'bare_0.mcap', await mcapFile(topics), topics, { rosDistro: 'jazzy' }));
    expect(reader.topics().map((t) => [t.name, t.type, t.definition])).toEqual([
      ['/chatter', 'std_msgs/msg/String', 'distro'],
      ['/cmd_vel', 'geometry_msgs/msg/Twist', 'registry'],
    ]);
    expect(reader.info().distro).toBe('jazzy');
    expect(reader.warnings).toEqual([
      '/chatter: the bag has no definition of std_msgs/msg/String; using the standard jazzy one',
      "/cmd_vel: the bag has no definition of geometry_msgs/msg/Twist; using pilot's vendored one",
    ]);
    const messages = await collect(reader.messages());
    expect(messages.map((m) => m.type)).toEqual(['std_msgs/msg/String', 'geometry_msgs/msg/Twist', 'std_msgs/msg/String', 'geometry_msgs/msg/Twist', 'std_msgs/msg/String']);
    const { byTopic, errors } = await decodeAll(reader);
    expect(errors).toEqual([]);
    expect(byTopic).toEqual({ '/chatter': [{ data: 'hello' }, { data: 'world' }, { data: 'ünïcode' }], '/cmd_vel': TWISTS });
  });

  it('without schemas and without metadata.yaml: the topics have no type, and say so', async () => {
    const reader = await BagReader.open(folder('lost', 'lost_0.mcap', await mcapFile([CHATTER]), [CHATTER], false));
    expect(reader.warnings.at(-1)).toBe('/chatter: no type (an MCAP channel without a schema, and no metadata.yaml naming one); its messages cannot be decoded');
    const { errors } = await decodeAll(reader);
    expect(errors.map((e) => e.message)[0]).toMatch(/^E_BAG_UNKNOWN_TYPE: lost_0.mcap: topic \/chatter \(no type\), message at offset \d+ \(\+\d+ in the chunk\): the topic has no type/);
  });

  it("schemas rosbag2 left empty (Humble's plugin: no encoding; later: 'unknown') fall back; the distro is assumed with a note", async () => {
    const topics: TopicSpec[] = [
      { ...CHATTER, schema: { encoding: '', text: '' } },
      { ...CMD, schema: { encoding: 'unknown', text: '' } },
    ];
    const reader = await BagReader.open(folder('humble', 'humble_0.mcap', await mcapFile(topics), topics));
    expect(definitions(reader)).toEqual({ '/chatter': 'distro', '/cmd_vel': 'registry' });
    expect(reader.info().distro).toBe('humble');
    expect(reader.warnings).toContain(
      'the bag names no ROS distro; assuming humble (--distro iron|jazzy if it was recorded on another): the standard humble definitions decode /chatter',
    );
    expect((await decodeAll(reader)).byTopic).toEqual({ '/chatter': [{ data: 'hello' }, { data: 'world' }, { data: 'ünïcode' }], '/cmd_vel': TWISTS });
  });
});

describe('sqlite3 bags', () => {
  it('with message_definitions (Jazzy): Empty, the service event filed under the service name, a plain message', async () => {
    // rosbag2's sqlite3 storage files a service event's .srv text under `pkg/srv/Name`, not `_Event`.
    const topics = DEFINED.map((t) => (t.type.endsWith('_Event') ? { ...t, schema: { ...t.schema!, name: 'example_interfaces/srv/AddTwoInts' } } : t));
    const reader = await BagReader.open(await db3Folder('jazzy', topics), { registry: null, distro: null });
    expect(definitions(reader)).toEqual({ '/heartbeat': 'bag', '/chatter': 'bag', '/add_two_ints/_service_event': 'bag' });
    expect(reader.warnings).toEqual([]);
    const { byTopic, errors } = await decodeAll(reader);
    expect(errors).toEqual([]);
    expect(byTopic).toEqual(DEFINED_VALUES);
  });

  it('without message_definitions (Humble): std_msgs/msg/String from the distro the schema table names, silently', async () => {
    const reader = await BagReader.open(await db3Folder('humble', [CHATTER, CMD]));
    expect(definitions(reader)).toEqual({ '/chatter': 'distro', '/cmd_vel': 'registry' });
    expect(reader.info().distro).toBe('humble');
    expect(reader.warnings).toEqual([]);
    const { byTopic, errors } = await decodeAll(reader);
    expect(errors).toEqual([]);
    expect(byTopic).toEqual({ '/chatter': [{ data: 'hello' }, { data: 'world' }, { data: 'ünïcode' }], '/cmd_vel': TWISTS });
  });

  it('naming no distro: the option picks it, else humble with a note; a distro the bag names wins over the option', async () => {
    const velocity: TopicSpec = { name: '/vel', type: 'geometry_msgs/msg/VelocityStamped', messages: [] };
    const topics = [CHATTER, { ...velocity, messages: [] }];
    const assumed = await BagReader.open(await db3Folder('foxy', topics));
    expect(definitions(assumed)).toEqual({ '/chatter': 'distro', '/vel': 'none' });
    expect(assumed.warnings).toEqual([
      'the bag names no ROS distro; assuming humble (--distro iron|jazzy if it was recorded on another): the standard humble definitions decode /chatter',
    ]);
    expect((await decodeAll(assumed)).byTopic['/chatter']).toHaveLength(3);

    const chosen = await BagReader.open(await db3Folder('foxy', topics), { distro: 'jazzy' });
    expect(definitions(chosen)).toEqual({ '/chatter': 'distro', '/vel': 'distro' });
    expect(chosen.info().distro).toBe('jazzy');
    expect(chosen.warnings).toEqual([]);

    const named = await BagReader.open(await db3Folder('foxy', topics, { rosDistro: 'iron' }), { distro: 'jazzy' });
    expect(named.info().distro).toBe('iron');
    expect(named.warnings).toEqual(['--distro jazzy is ignored: metadata.yaml ros_distro names iron: the standard iron definitions decode /chatter']);

    const rolling = await BagReader.open(await db3Folder('foxy', topics, { rosDistro: 'rolling' }));
    expect(rolling.info().distro).toBe('jazzy');
    expect(rolling.warnings).toEqual(["metadata.yaml ros_distro names rolling; using the nearest set, jazzy's: the standard jazzy definitions decode /chatter"]);
  });

  it('a type in no set is named with everywhere it was looked for; distro: null turns the standard sets off', async () => {
    const custom: TopicSpec = { name: '/custom', type: 'my_msgs/msg/Thing', messages: [stringMsg('x')] };
    const reader = await BagReader.open(await db3Folder('humble', [custom]));
    expect(reader.warnings).toEqual([
      "/custom: type my_msgs/msg/Thing has no definition in the bag (sqlite3 bags before Jazzy store none) and is not one of pilot's types or in the standard humble definitions; its messages cannot be decoded",
    ]);
    const { errors } = await decodeAll(reader);
    expect(errors.map((e) => e.message)).toEqual([
      "E_BAG_UNKNOWN_TYPE: humble_0.db3: topic /custom (my_msgs/msg/Thing), message at row 1: my_msgs/msg/Thing has no definition in the bag (sqlite3 bags before Jazzy store none) and is not one of pilot's types or in the standard humble definitions",
    ]);
    const off = await BagReader.open(await db3Folder('humble', [CHATTER]), { distro: null });
    expect(definitions(off)).toEqual({ '/chatter': 'none' });
    expect(off.info().distro).toBeUndefined();
  });
});

describe('pilot bag cat / info', () => {
  afterEach(() => vi.restoreAllMocks());

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    return { out, err };
  }

  async function onDisk(f: MemoryBagFolder): Promise<{ path: string; cleanup: () => void }> {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-defs-'));
    const path = join(dir, f.path);
    mkdirSync(path);
    for (const name of await f.list()) writeFileSync(join(path, name), f.bytes(name)!);
    return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('cat decodes a pre-Jazzy sqlite3 bag with --distro; --skip-errors exits 0 and counts what it skipped', async () => {
    const custom: TopicSpec = { name: '/custom', type: 'my_msgs/msg/Thing', messages: [stringMsg('x'), stringMsg('y')] };
    const bag = await onDisk(await db3Folder('foxy', [CHATTER, custom]));
    try {
      const { out, err } = capture();
      expect(await main(['bag', 'cat', bag.path, '--topic', '/chatter', '--distro', 'iron'])).toBe(0);
      expect(out.map((l) => JSON.parse(l).message)).toEqual([{ data: 'hello' }, { data: 'world' }, { data: 'ünïcode' }]);
      expect(err).toEqual([
        "pilot: warning: /custom: type my_msgs/msg/Thing has no definition in the bag (sqlite3 bags before Jazzy store none) and is not one of pilot's types or in the standard iron definitions; its messages cannot be decoded",
      ]);
      out.length = 0;
      expect(await main(['bag', 'cat', bag.path, '--skip-errors', '--distro', 'iron'])).toBe(0);
      expect(out.length).toBe(3);
      expect(err.filter((l) => l.startsWith('pilot: skipped: E_BAG_UNKNOWN_TYPE: foxy_0.db3: topic /custom'))).toHaveLength(2);
      expect(err.at(-1)).toBe('pilot: 3 messages printed, 2 skipped');
      // Without --skip-errors the first undecodable message is a failure.
      expect(await main(['bag', 'cat', bag.path, '--distro', 'iron'])).toBe(1);
      err.length = 0;
      expect(await main(['bag', 'cat', bag.path, '--distro', 'kilted'])).toBe(2);
      expect(err.join('\n')).toContain("--distro must be one of humble, iron, jazzy, got 'kilted'");
    } finally {
      bag.cleanup();
    }
  });

  it('info --json shows where each definition comes from', async () => {
    const bag = await onDisk(await db3Folder('foxy', [CHATTER, CMD]));
    try {
      const { out } = capture();
      expect(await main(['bag', 'info', bag.path, '--json', '--distro', 'jazzy'])).toBe(0);
      const json = JSON.parse(out.join('\n'));
      expect(json.topics.map((t: { name: string; definition: string }) => [t.name, t.definition])).toEqual([
        ['/chatter', 'distro'],
        ['/cmd_vel', 'registry'],
      ]);
      expect(json.warnings).toEqual([]);
    } finally {
      bag.cleanup();
    }
  });
});
