import { describe, expect, it } from 'vitest';
import { BagReader, MemoryBagFolder, renderMetadataYaml, type BagError } from '../../../src/data/bags/index.js';
import { CdrCodec } from '../../../src/core/messages/cdr.js';
import { buildDb3, collect, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, registry, T0, wheelState, type Db3Message } from './helpers.js';

const codec = new CdrCodec(registry).addSchemaText(CUSTOM_TYPE, CUSTOM_SCHEMA);
const twist = (i: number) => ({ linear: { x: i, y: 0, z: 0 }, angular: { x: 0, y: 0, z: i / 4 } });

/** Messages inserted out of time order, as a multi-threaded recorder may; beyond 2^53 ns. */
function messages(): Db3Message[] {
  const out: Db3Message[] = [];
  for (let i = 0; i < 10; i++) {
    out.push({ topic: '/cmd_vel', timestamp: T0 + BigInt(9 - i) * 10n * MS + 1n, data: codec.encode('geometry_msgs/msg/Twist', twist(9 - i)) });
    out.push({ topic: '/wheels', timestamp: T0 + BigInt(i) * 10n * MS + 3n, data: codec.encode(CUSTOM_TYPE, wheelState(i)) });
  }
  return out;
}

const topics = [
  { name: '/cmd_vel', type: 'geometry_msgs/msg/Twist' },
  { name: '/wheels', type: CUSTOM_TYPE },
  { name: '/events/write_split', type: 'rosbag2_interfaces/msg/WriteSplitEvent' },
];

function folderWith(name: string, db3: Uint8Array, withMetadata = true): MemoryBagFolder {
  const folder = new MemoryBagFolder(name);
  folder.files.set(`${name}_0.db3`, db3);
  if (withMetadata) {
    const msgs = messages();
    folder.files.set(
      'metadata.yaml',
      new TextEncoder().encode(
        renderMetadataYaml({
          version: 5,
          storageIdentifier: 'sqlite3',
          relativeFilePaths: [`${name}_0.db3`],
          durationNs: 90n * MS + 2n,
          startingTimeNs: T0 + 1n,
          messageCount: msgs.length,
          topics: topics.map((t) => ({ name: t.name, type: t.type, serializationFormat: 'cdr', offeredQosProfiles: '', messageCount: msgs.filter((m) => m.topic === t.name).length })),
          compressionFormat: '',
          compressionMode: '',
          files: [{ path: `${name}_0.db3`, startingTimeNs: T0 + 1n, durationNs: 90n * MS + 2n, messageCount: msgs.length }],
        }),
      ),
    );
  }
  return folder;
}

const sorted = () => [...messages()].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));

describe('sqlite3 (.db3) bags', () => {
  it('reads a Humble-layout db3 (no message_definitions): known types from pilot, unknown ones named', async () => {
    const folder = folderWith('humble', await buildDb3('humble', topics, messages()));
    const reader = await BagReader.open(folder);
    const info = reader.info();
    expect(info.storage).toBe('sqlite3');
    expect(info.messageCount).toBe(20);
    expect(info.startNs).toBe(T0 + 1n);
    expect(info.endNs).toBe(T0 + 90n * MS + 3n);
    expect(info.files[0]!.library).toBe('rosbag2 sqlite3 schema 3, humble');
    expect(info.topics.map((t) => [t.name, t.messageCount, t.definition])).toEqual([
      ['/cmd_vel', 10, 'registry'],
      ['/wheels', 10, 'none'],
      ['/events/write_split', 0, 'none'],
    ]);
    expect(reader.warnings.join('\n')).toMatch(
      /\/wheels: type my_robot_msgs\/msg\/WheelState has no definition in the bag \(sqlite3 bags before Jazzy store none\) and is not one of pilot's types/,
    );
    const all = await collect(reader.messages());
    expect(all.map((m) => [m.topic, m.logTimeNs])).toEqual(sorted().map((m) => [m.topic, m.timestamp]));
    expect(all[0]!.file).toBe('humble_0.db3');
    const cmds = await collect(reader.decoded({ topics: ['/cmd_vel'] }));
    expect(cmds.map((m) => m.message)).toEqual([...Array(10).keys()].map(twist));
    const wheel = all.find((m) => m.topic === '/wheels')!;
    expect(() => reader.decode(wheel)).toThrow(
      /E_BAG_UNKNOWN_TYPE: humble_0.db3: topic \/wheels \(my_robot_msgs\/msg\/WheelState\), message at row \d+: my_robot_msgs\/msg\/WheelState has no definition in the bag/,
    );
    // Iteration goes on when asked: the known topic decodes, the unknown one is reported per message.
    const errors: BagError[] = [];
    const decoded = await collect(reader.decoded({ onError: (e) => errors.push(e) }));
    expect(decoded.length).toBe(10);
    expect(errors.length).toBe(10);
    expect(errors[0]!.code).toBe('E_BAG_UNKNOWN_TYPE');
    await reader.close();
  });

  it('reads a Jazzy-layout db3 with message_definitions: types pilot never saw decode from the bag', async () => {
    const db3 = await buildDb3('jazzy', topics, messages(), [
      { type: 'geometry_msgs/msg/Twist', text: registry.schemaText('geometry_msgs/msg/Twist') },
      { type: CUSTOM_TYPE, text: CUSTOM_SCHEMA },
    ]);
    const reader = await BagReader.open(folderWith('jazzy', db3), { registry: null });
    expect(reader.info().topics.map((t) => [t.name, t.definition])).toEqual([
      ['/cmd_vel', 'bag'],
      ['/wheels', 'bag'],
      ['/events/write_split', 'none'],
    ]);
    const wheels = await collect(reader.decoded({ topics: ['/wheels'] }));
    expect(wheels.map((m) => m.message)).toEqual([...Array(10).keys()].map(wheelState));
    expect(wheels.map((m) => m.logTimeNs)).toEqual([...Array(10).keys()].map((i) => T0 + BigInt(i) * 10n * MS + 3n));
  });

  it('reads a Foxy-layout db3 (topics and messages only) given as a single file, with a time window', async () => {
    const db3 = await buildDb3('foxy', topics, messages());
    const reader = await BagReader.open({ path: 'old.db3', singleFile: true, list: async () => ['old.db3'], open: async () => new (await import('../../../src/data/bags/index.js')).MemoryReadable(db3) });
    expect(reader.warnings.filter((w) => w.includes('metadata.yaml'))).toEqual([]);
    const window = await collect(reader.messages({ startNs: T0 + 20n * MS, endNs: T0 + 50n * MS + 1n }));
    expect(window.map((m) => m.logTimeNs)).toEqual(sorted().map((m) => m.timestamp).filter((t) => t >= T0 + 20n * MS && t <= T0 + 50n * MS + 1n));
  });

  it('names a file that is not a rosbag2 database', async () => {
    const folder = new MemoryBagFolder('bad');
    folder.files.set('bad_0.db3', new TextEncoder().encode('definitely not sqlite'));
    await expect(BagReader.open(folder)).rejects.toThrow("E_BAG_FORMAT: bad_0.db3: not an SQLite database (starts with 'definitely not s', expected 'SQLite format 3')");
  });
});

describe('rosbag2 zstd compression (compression_mode file / message)', () => {
  async function zstd(bytes: Uint8Array): Promise<Uint8Array> {
    const mod = (await import('@foxglove/wasm-zstd')) as unknown as { default: { isLoaded: Promise<boolean>; compress(b: Uint8Array, level?: number): Uint8Array } };
    await mod.default.isLoaded;
    return new Uint8Array(mod.default.compress(bytes, 3));
  }

  function withCompression(folder: MemoryBagFolder, mode: 'FILE' | 'MESSAGE', file: string): void {
    const text = folder
      .text('metadata.yaml')!
      .replace('compression_format: ""', 'compression_format: "zstd"')
      .replace('compression_mode: ""', `compression_mode: "${mode}"`)
      .replaceAll('humble_0.db3', file);
    folder.files.set('metadata.yaml', new TextEncoder().encode(text));
  }

  it('reads a bag whose storage files are zstd-compressed (.db3.zstd)', async () => {
    const folder = folderWith('humble', await buildDb3('humble', topics, messages()));
    folder.files.set('humble_0.db3.zstd', await zstd(folder.bytes('humble_0.db3')!));
    folder.files.delete('humble_0.db3');
    withCompression(folder, 'FILE', 'humble_0.db3.zstd');
    const reader = await BagReader.open(folder);
    expect(reader.info().compression).toBe('zstd (file)');
    expect(reader.warnings.filter((w) => !w.includes('/wheels'))).toEqual([]);
    const cmds = await collect(reader.decoded({ topics: ['/cmd_vel'] }));
    expect(cmds.map((m) => m.message)).toEqual([...Array(10).keys()].map(twist));
  });

  it('reads a bag whose messages are each zstd-compressed, and names a message that is not', async () => {
    const compressed = await Promise.all(messages().map(async (m) => ({ ...m, data: await zstd(m.data) })));
    compressed[3] = { ...compressed[3]!, data: Uint8Array.of(1, 2, 3, 4, 5, 6) };
    const folder = folderWith('humble', await buildDb3('humble', topics, compressed));
    withCompression(folder, 'MESSAGE', 'humble_0.db3');
    const reader = await BagReader.open(folder);
    expect(reader.info().compression).toBe('zstd (message)');
    await expect(collect(reader.messages())).rejects.toThrow(/E_BAG_COMPRESSION: humble_0.db3: topic \/wheels, message at row 4: not a zstd frame with a content size \(first bytes 01 02 03 04\)/);
    const errors: BagError[] = [];
    const cmds = await collect(reader.decoded({ topics: ['/cmd_vel'], onError: (e) => errors.push(e) }));
    expect(cmds.map((m) => m.message)).toEqual([...Array(10).keys()].map(twist));
    expect(errors).toEqual([]);
  });
});
