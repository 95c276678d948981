import { McapIndexedReader, McapWriter, TempBuffer } from '@mcap/core';
import { describe, expect, it } from 'vitest';
import { BagReader, BagWriter, McapFileWriter, MemoryBagFolder, MemoryReadable, MemoryWritable, type BagError } from '../../../src/data/bags/index.js';
import { collect, MS, T0, writeSampleBag } from './helpers.js';

async function chunkOffsets(bytes: Uint8Array) {
  const r = await McapIndexedReader.Initialize({ readable: new MemoryReadable(bytes) });
  return r.chunkIndexes.map((c) => ({ offset: c.chunkStartOffset, length: c.chunkLength, start: c.messageStartTime, end: c.messageEndTime }));
}

function single(name: string, bytes: Uint8Array) {
  return { path: name, singleFile: true, list: async () => [name], open: async () => new MemoryReadable(bytes) };
}

describe('truncated files', () => {
  it('reads up to the cut, then names the file and the offset where it ends', async () => {
    const folder = new MemoryBagFolder('trunc');
    const { written } = await writeSampleBag(folder, { seconds: 2 });
    const full = folder.bytes('sample_0.mcap')!;
    const chunks = await chunkOffsets(full);
    expect(chunks.length).toBeGreaterThan(4);
    const cut = chunks[3]!;
    folder.files.set('sample_0.mcap', full.slice(0, Number(cut.offset) + 100));
    const warnings: string[] = [];
    const reader = await BagReader.open(folder, { warn: (w) => warnings.push(w) });
    const expectedBefore = written.filter((w) => w.logTimeNs <= chunks[2]!.end);
    const message =
      `E_BAG_TRUNCATED: sample_0.mcap: file ends inside a chunk record at offset ${cut.offset} ` +
      `(it needs ${cut.length} bytes, 100 are left); the ${expectedBefore.length} messages before it are readable; ` +
      '`pilot bag recover` makes the file whole';
    expect(warnings).toContain(message);
    expect(reader.info().files[0]!.indexed).toBe(false);
    // metadata.yaml (written at close) counts more than the cut file holds.
    expect(warnings.join('\n')).toMatch(/metadata.yaml counts \d+ messages but the files hold \d+/);

    const got: unknown[] = [];
    let error: BagError | undefined;
    try {
      for await (const m of reader.messages()) got.push([m.topic, m.logTimeNs]);
    } catch (err) {
      error = err as BagError;
    }
    expect(got).toEqual(expectedBefore.map((w) => [w.topic, w.logTimeNs]));
    expect(error?.message).toBe(message);
    expect(error?.file).toBe('sample_0.mcap');
    expect(error?.offset).toBe(cut.offset);

    const reported: BagError[] = [];
    const again = await collect(reader.messages({ onError: (e) => reported.push(e) }));
    expect(again.length).toBe(expectedBefore.length);
    expect(reported.map((e) => e.code)).toEqual(['E_BAG_TRUNCATED']);
  });

  it('names a file cut inside its header', async () => {
    const folder = new MemoryBagFolder('trunc');
    await writeSampleBag(folder, { seconds: 0.2 });
    folder.files.set('sample_0.mcap', folder.bytes('sample_0.mcap')!.slice(0, 12));
    const reader = await BagReader.open(folder);
    expect(reader.warnings.join('\n')).toContain('E_BAG_TRUNCATED: sample_0.mcap: file ends inside a record header at offset 8 (it needs 9 bytes, 4 are left)');
    await expect(collect(reader.messages())).rejects.toThrow(/E_BAG_TRUNCATED: sample_0.mcap: file ends inside a record header at offset 8/);
  });
});

describe('corrupt data', () => {
  it('a damaged chunk fails its CRC: the error names file and offset, and reading goes on when asked', async () => {
    const folder = new MemoryBagFolder('bad');
    const { written } = await writeSampleBag(folder, { seconds: 2 });
    const bytes = folder.bytes('sample_0.mcap')!.slice();
    const chunks = await chunkOffsets(bytes);
    const victim = chunks[2]!;
    bytes[Number(victim.offset) + Number(victim.length) - 10] ^= 0xff;
    folder.files.set('sample_0.mcap', bytes);
    const reader = await BagReader.open(folder);
    await expect(collect(reader.messages())).rejects.toThrow(
      new RegExp(`E_BAG_CORRUPT: sample_0.mcap: chunk at offset ${victim.offset}: CRC [0-9a-f]+ does not match [0-9a-f]+ \\(data damaged\\)`),
    );
    const errors: BagError[] = [];
    const got = await collect(reader.messages({ onError: (e) => errors.push(e) }));
    expect(errors.map((e) => [e.code, e.offset])).toEqual([['E_BAG_CORRUPT', victim.offset]]);
    expect(got.map((m) => m.logTimeNs)).toEqual(written.map((w) => w.logTimeNs).filter((t) => t < victim.start || t > victim.end));
  });

  it('a message that does not decode names topic and offset; decoded() goes on when asked', async () => {
    const folder = new MemoryBagFolder('bad');
    const writer = await BagWriter.create(folder, { name: 'bad' });
    writer.addTopic('/camera', 'sensor_msgs/msg/Image');
    writer.addTopic('/flag', 'std_msgs/msg/Bool');
    await writer.writeMessage('/flag', { data: true }, T0);
    await writer.write('/camera', Uint8Array.from([0, 1, 0, 0, 9, 9]), T0 + MS);
    await writer.writeMessage('/flag', { data: false }, T0 + 2n * MS);
    await writer.close();
    const reader = await BagReader.open(folder);
    const raw = await collect(reader.messages());
    expect(() => reader.decode(raw[1]!)).toThrow(
      new RegExp(
        `^E_BAG_DECODE: bad_0.mcap: topic /camera \\(sensor_msgs/msg/Image\\), message at offset ${raw[1]!.offset} \\(\\+${raw[1]!.chunkOffset} in the chunk\\): ` +
          'E_CDR_DECODE: sensor_msgs/msg/Image: cannot decode 6 bytes',
      ),
    );
    await expect(collect(reader.decoded())).rejects.toThrow(/E_BAG_DECODE: bad_0.mcap: topic \/camera/);
    const errors: BagError[] = [];
    const good = await collect(reader.decoded({ onError: (e) => errors.push(e) }));
    expect(good.map((m) => m.message)).toEqual([{ data: true }, { data: false }]);
    expect(errors.map((e) => [e.code, e.topic, e.file])).toEqual([['E_BAG_DECODE', '/camera', 'bad_0.mcap']]);
  });

  it('a schema that does not parse is named, and its messages report E_BAG_SCHEMA', async () => {
    const out = new MemoryWritable();
    const w = new McapFileWriter(out);
    await w.start();
    const schema = w.addSchema('odd_msgs/msg/Odd', 'ros2msg', new TextEncoder().encode('float64 x\nthis is not a field line ]]\n'));
    const channel = w.addChannel('/odd', schema, 'cdr', new Map());
    await w.addMessage(channel, 0, T0, T0, new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    await w.end();
    const reader = await BagReader.open(single('odd.mcap', out.bytes));
    expect(reader.warnings.join('\n')).toMatch(/odd.mcap: the bag's definition of odd_msgs\/msg\/Odd does not parse: .*; messages on \/odd cannot be decoded/);
    const [m] = await collect(reader.messages());
    expect(() => reader.decode(m!)).toThrow(/E_BAG_SCHEMA: odd.mcap: topic \/odd \(odd_msgs\/msg\/Odd\), message at .*does not parse/);
  });

  it('a file that is not MCAP is named', async () => {
    const folder = new MemoryBagFolder('x');
    folder.files.set('x_0.mcap', new TextEncoder().encode('{"not": "a bag"}'));
    await expect(BagReader.open(folder)).rejects.toThrow(/E_BAG_FORMAT: x_0.mcap: not an MCAP file \(starts with 7b 22 6e 6f 74 22 3a 20, expected 89 4d 43 41 50 30 0d 0a\)/);
  });
});

describe('compression', () => {
  it('an unknown chunk compression is a clear error naming file, offset and what is supported', async () => {
    const buffer = new TempBuffer();
    const w = new McapWriter({ writable: buffer, compressChunk: (data) => ({ compression: 'brotli', compressedData: data }) });
    await w.start({ profile: 'ros2', library: 'test' });
    const schemaId = await w.registerSchema({ name: 'std_msgs/msg/Bool', encoding: 'ros2msg', data: new TextEncoder().encode('bool data\n') });
    const channelId = await w.registerChannel({ topic: '/b', schemaId, messageEncoding: 'cdr', metadata: new Map() });
    await w.addMessage({ channelId, sequence: 0, logTime: T0, publishTime: T0, data: Uint8Array.from([0, 1, 0, 0, 1]) });
    await w.end();
    const bytes = buffer.get();
    const reader = await BagReader.open(single('brotli.mcap', bytes));
    expect(reader.info().compression).toBe('brotli (chunks)');
    const offset = (await chunkOffsets(bytes))[0]!.offset;
    await expect(collect(reader.messages())).rejects.toThrow(
      `E_BAG_COMPRESSION: brotli.mcap: chunk at offset ${offset} uses compression 'brotli', which pilot cannot decompress (supported: bz2, lz4, zstd, or none)`,
    );
  });

  it('the writer refuses an unknown compression, and the reader an unknown metadata compression_format', async () => {
    await expect(BagWriter.create(new MemoryBagFolder(), { compression: 'gzip' })).rejects.toThrow("E_BAG_COMPRESSION: unknown compression 'gzip' (supported: none, lz4, zstd)");
    const folder = new MemoryBagFolder('c');
    await writeSampleBag(folder, { seconds: 0.2 });
    const text = folder.text('metadata.yaml')!.replace('compression_format: ""', 'compression_format: "lz77"').replace('compression_mode: ""', 'compression_mode: "FILE"');
    folder.files.set('metadata.yaml', new TextEncoder().encode(text));
    await expect(BagReader.open(folder)).rejects.toThrow("E_BAG_COMPRESSION: c/metadata.yaml: compression_format 'lz77' is not supported (rosbag2 writes zstd)");
  });
});

describe('missing or bad metadata.yaml', () => {
  it('reads the .mcap files in split order and warns', async () => {
    const folder = new MemoryBagFolder('nometa');
    const { written } = await writeSampleBag(folder, { seconds: 3, maxBagDurationS: 0.25 });
    expect((await folder.list()).length).toBeGreaterThan(10);
    folder.files.delete('metadata.yaml');
    const reader = await BagReader.open(folder);
    expect(reader.warnings[0]).toMatch(/^nometa: no usable metadata.yaml; reading the 12 storage file\(s\) in the folder: sample_0.mcap, sample_1.mcap, sample_2.mcap, .*, sample_10.mcap, sample_11.mcap$/);
    expect(reader.metadata).toBeUndefined();
    const got = await collect(reader.messages());
    expect(got.map((m) => m.logTimeNs)).toEqual(written.map((w) => w.logTimeNs));
  });

  it('falls back to the files when metadata.yaml does not parse, and warns about files it does not list', async () => {
    const folder = new MemoryBagFolder('badmeta');
    const { written } = await writeSampleBag(folder, { seconds: 1 });
    folder.files.set('metadata.yaml', new TextEncoder().encode('rosbag2_bagfile_information: [unclosed'));
    const reader = await BagReader.open(folder);
    expect(reader.warnings[0]).toMatch(/^E_BAG_METADATA: badmeta\/metadata.yaml: not valid YAML/);
    expect((await collect(reader.messages())).length).toBe(written.length);
  });

  it('reads an empty bag', async () => {
    const folder = new MemoryBagFolder('empty');
    const writer = await BagWriter.create(folder, { name: 'empty' });
    writer.addTopic('/b', 'std_msgs/msg/Bool');
    await writer.close();
    const reader = await BagReader.open(folder);
    expect(reader.info()).toMatchObject({ messageCount: 0, startNs: undefined, durationNs: 0n, topics: [{ name: '/b', messageCount: 0 }] });
    expect(await collect(reader.messages())).toEqual([]);
  });
});
