import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { describe, expect, it } from 'vitest';
import { BagReader, BagWriter, CHUNK_COMPRESSIONS, MemoryBagFolder, MemoryReadable } from '../../../src/data/bags/index.js';
import { CdrCodec } from '../../../src/core/messages/cdr.js';
import type { KnownTypeName } from '../../../src/core/messages/types.js';
import { samples } from '../../core/messages/samples.js';
import { collect, comparable, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, registry, rgbImage, T0, wheelState } from './helpers.js';

/** Every known type on its own topic, plus a 640×480 camera and a type pilot has never seen. */
async function writeEverything(folder: MemoryBagFolder, compression: string) {
  const writer = await BagWriter.create(folder, { name: 'all', compression, chunkSizeBytes: 256 * 1024 });
  const expected: { topic: string; type: string; logTimeNs: bigint; message: unknown }[] = [];
  let t = T0;
  const types = Object.keys(samples) as KnownTypeName[];
  types.forEach((type, i) => writer.addTopic(`/sample/${i}`, type));
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
  for (let round = 0; round < 3; round++) {
    for (const [i, type] of types.entries()) {
      t += MS;
      await writer.writeMessage(`/sample/${i}`, samples[type], t);
      expected.push({ topic: `/sample/${i}`, type, logTimeNs: t, message: samples[type] });
    }
    t += MS;
    const img = rgbImage(round);
    await writer.writeMessage('/camera/image_raw', img, t, t - 5n * MS);
    expected.push({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', logTimeNs: t, message: img });
    t += MS;
    await writer.writeMessage('/wheels', wheelState(round), t);
    expected.push({ topic: '/wheels', type: CUSTOM_TYPE, logTimeNs: t, message: wheelState(round) });
  }
  const status = await writer.close();
  return { expected, status };
}

describe('bag round trip', () => {
  for (const compression of CHUNK_COMPRESSIONS) {
    it(`writes and reads back every type, a 640×480 image and an unknown type (${compression})`, async () => {
      const folder = new MemoryBagFolder('all');
      const { expected, status } = await writeEverything(folder, compression);
      expect(status.state).toBe('closed');
      expect(status.messageCount).toBe(expected.length);
      expect(await folder.list()).toEqual(['all_0.mcap', 'metadata.yaml']);

      // No registry: every message must decode from the bag's own definitions.
      const reader = await BagReader.open(folder, { registry: null });
      expect(reader.warnings).toEqual([]);
      const info = reader.info();
      expect(info.messageCount).toBe(expected.length);
      expect(info.compression).toBe(compression === 'none' ? 'none' : `${compression} (chunks)`);
      expect(info.files[0]!.indexed).toBe(true);
      expect(info.topics.every((t) => t.definition === 'bag')).toBe(true);

      const got = await collect(reader.decoded());
      expect(got.map((m) => m.topic)).toEqual(expected.map((m) => m.topic));
      expect(got.map((m) => m.logTimeNs)).toEqual(expected.map((m) => m.logTimeNs));
      expect(got.map((m) => m.type)).toEqual(expected.map((m) => m.type));
      got.forEach((m, i) => expect(comparable(m.message), `${m.topic} #${i}`).toEqual(comparable(expected[i]!.message)));
      // The bytes are exactly pilot's CDR encoding.
      const codec = new CdrCodec(registry).addSchemaText(CUSTOM_TYPE, CUSTOM_SCHEMA);
      got.forEach((m, i) => expect(comparable(m.data)).toEqual(comparable(codec.encode(expected[i]!.type, expected[i]!.message))));
      const image = got.find((m) => m.topic === '/camera/image_raw')!;
      expect(image.publishTimeNs).toBe(image.logTimeNs - 5n * MS);
      expect((image.message as { data: Uint8Array }).data.length).toBe(640 * 480 * 3);
      await reader.close();
    });
  }

  it('lays the file out as rosbag2 does, readable by @mcap/core on its own', async () => {
    const folder = new MemoryBagFolder('all');
    const { expected } = await writeEverything(folder, 'zstd');
    const bytes = folder.bytes('all_0.mcap')!;
    const mcap = await McapIndexedReader.Initialize({ readable: new MemoryReadable(bytes), decompressHandlers: await loadDecompressHandlers() });
    expect(mcap.header.profile).toBe('ros2');
    for (const schema of mcap.schemasById.values()) {
      expect(schema.encoding).toBe('ros2msg');
      const text = new TextDecoder().decode(schema.data);
      expect(text).toBe(schema.name === CUSTOM_TYPE ? CUSTOM_SCHEMA : registry.schemaText(schema.name));
    }
    const channels = [...mcap.channelsById.values()];
    expect(channels.every((c) => c.messageEncoding === 'cdr')).toBe(true);
    expect(channels.every((c) => c.metadata.get('offered_qos_profiles')!.startsWith('- history: 1\n  depth: 1\n  reliability: 2\n'))).toBe(true);
    expect(mcap.statistics!.messageCount).toBe(BigInt(expected.length));
    expect(mcap.chunkIndexes.length).toBeGreaterThan(1);
    expect(mcap.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);
    // The official reader (CRCs checked) yields the same messages in the same order.
    const official = await collect(mcap.readMessages());
    expect(official.map((m) => m.logTime)).toEqual(expected.map((m) => m.logTimeNs));
    // And a streaming pass over every record, data section CRC included, finds no fault.
    const stream = new McapStreamReader({ decompressHandlers: await loadDecompressHandlers(), validateCrcs: true });
    stream.append(bytes);
    let records = 0;
    for (let r; (r = stream.nextRecord()); ) records++;
    expect(stream.done()).toBe(true);
    expect(records).toBeGreaterThan(expected.length);
  });

  it('filters by topic and time window', async () => {
    const folder = new MemoryBagFolder('all');
    const { expected } = await writeEverything(folder, 'lz4');
    const reader = await BagReader.open(folder);
    const startNs = expected[10]!.logTimeNs;
    const endNs = expected[60]!.logTimeNs;
    const got = await collect(reader.messages({ topics: ['/camera/image_raw', '/wheels'], startNs, endNs }));
    const want = expected.filter((m) => (m.topic === '/camera/image_raw' || m.topic === '/wheels') && m.logTimeNs >= startNs && m.logTimeNs <= endNs);
    expect(want.length).toBeGreaterThan(0);
    expect(got.map((m) => [m.topic, m.logTimeNs])).toEqual(want.map((m) => [m.topic, m.logTimeNs]));
  });

  it('refuses undeclared topics and unknown types without a schema', async () => {
    const writer = await BagWriter.create(new MemoryBagFolder());
    expect(() => writer.addTopic('/x', 'nobody_msgs/msg/Nothing')).toThrow(/E_UNKNOWN_TYPE: unknown message type 'nobody_msgs\/msg\/Nothing'/);
    expect(() => writer.write('/nope', new Uint8Array(4), 1n)).toThrow(/E_BAG_TOPIC: topic \/nope was not added/);
    writer.addTopic('/b', 'std_msgs/msg/Bool');
    expect(() => writer.addTopic('/b', 'geometry_msgs/msg/Twist')).toThrow(/E_BAG_TOPIC: topic \/b is already std_msgs\/msg\/Bool/);
    await writer.close();
  });
});
