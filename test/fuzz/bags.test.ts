/**
 * Fuzz: bag files from outside. MCAP: real bags written by pilot (uncompressed, zstd and lz4 chunks,
 * a custom type with its schema), mutated, or random bytes between MCAP magics, written to a temp
 * .mcap file and opened by path as `pilot bag` does. sqlite3: .db3 files whose message rows hold
 * mutated blobs (and mutated message_definitions text), and .db3 files with mutated bytes. Opening,
 * the summary, reading every message (strict, and with onError) and decoding it either work or throw
 * a BagError / PilotError with a code; nothing else escapes.
 *
 * Known crash (reported; src/data/bags/node-io.ts is not this test's to change): FileReadable.read allocates
 * and reads whatever length a record declares, and a length in [2^31, 2^32) makes Node's fs read abort
 * the process (`Assertion failed: args[3]->IsInt32()`), e.g. this 41-byte file (MCAP magic, a Header
 * record claiming 0x80000000 bytes, the magic again):
 *   894d434150300d0a 01 0000008000000000 00…00 (16 bytes) 894d434150300d0a
 * The fixed seed here does not reach it; other seeds (FUZZ_SEED) may, and then the worker dies.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BagWriter, MemoryBagFolder, type BagReader } from '../../src/data/bags/index.js';
import { openBag } from '../../src/data/bags/node-io.js';
import { CdrCodec } from '../../src/core/messages/cdr.js';
import { RELIABLE_QOS } from '../../src/transport/transport.js';
import { buildDb3, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, T0, wheelState, type Db3Message } from '../data/bags/helpers.js';
import { bytesFrom, expectTypedAsync, fuzzParams, mutatedFrom, Outcomes, typedCode } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-fuzz-bags-'));
const mcap = new Outcomes();
const db3Rows = new Outcomes();
const db3File = new Outcomes();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.info(mcap.summary('MCAP files (openBag + messages + decode)'));
  console.info(db3Rows.summary('sqlite3 rows (mutated message blobs and definitions)'));
  console.info(db3File.summary('sqlite3 files (mutated bytes)'));
});

/** Everything `pilot bag info` / `bag cat` do with a bag: open, summary, every message strictly, decoded. */
async function readAll(path: string, outcomes: Outcomes, validateCrcs = true): Promise<void> {
  await expectTypedAsync(outcomes, async () => {
    const reader = await openBag(path, { warn: () => {}, validateCrcs });
    try {
      reader.info();
      await decodeEach(reader, outcomes);
      // Tolerant reading (bag cat --skip-errors) reports bad parts and goes on to the end.
      for await (const m of reader.messages({ onError: (e) => outcomes.error(typedCode(e)) })) void m;
    } finally {
      await reader.close();
    }
  });
}

async function decodeEach(reader: BagReader, outcomes: Outcomes): Promise<void> {
  for await (const m of reader.messages()) {
    try {
      reader.decode(m);
    } catch (err) {
      outcomes.error(typedCode(err));
    }
  }
}

async function mcapSeeds(): Promise<Uint8Array[]> {
  const seeds: Uint8Array[] = [];
  for (const compression of ['none', 'zstd', 'lz4'] as const) {
    const folder = new MemoryBagFolder(`fuzz-${compression}`);
    const writer = await BagWriter.create(folder, { name: 'fuzz', chunkSizeBytes: 512, compression });
    writer.addTopic('/camera', 'sensor_msgs/msg/Image');
    writer.addTopic('/cmd', 'geometry_msgs/msg/Twist', { qos: RELIABLE_QOS });
    writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
    for (let i = 0; i < 6; i++) {
      const t = T0 + BigInt(i) * 50n * MS;
      const data = Uint8Array.from({ length: 8 * 6 * 3 }, (_, k) => (k * 7 + i) & 0xff);
      await writer.writeMessage('/camera', { header: { stamp: { sec: i, nanosec: 0 }, frame_id: 'cam' }, height: 6, width: 8, encoding: 'rgb8', is_bigendian: 0, step: 24, data }, t);
      await writer.writeMessage('/cmd', { linear: { x: i, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -i } }, t + 1n);
      await writer.writeMessage('/wheels', wheelState(i), t + 2n);
    }
    await writer.close();
    seeds.push(folder.bytes('fuzz_0.mcap')!);
  }
  return seeds;
}

const MCAP_MAGIC = Uint8Array.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);

describe('fuzz: MCAP bag files', () => {
  it('opening, summarising, reading and decoding a mutated or random .mcap (CRCs checked or not) works or throws a typed error', async () => {
    const seeds = await mcapSeeds();
    const between = fc.uint8Array({ maxLength: 512 }).map((b) => Uint8Array.from([...MCAP_MAGIC, ...b, ...MCAP_MAGIC]));
    const path = join(dir, 'fuzz.mcap');
    // Without CRC checks the mutated records reach the parsers and decompressors (a crafted file has valid CRCs).
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 5, arbitrary: mutatedFrom(seeds, 4) }, { weight: 1, arbitrary: between }), fc.boolean(), async (bytes, crcs) => {
        writeFileSync(path, bytes);
        await readAll(path, mcap, crcs);
      }),
      fuzzParams(400),
    );
    expect(mcap.runs).toBeGreaterThanOrEqual(400);
  });
});

/** Twist and the custom type (jazzy layout: its definition in message_definitions), and an Image. */
function db3Messages(blobs: readonly Uint8Array[]): Db3Message[] {
  const topics = ['/cmd', '/wheels', '/camera'];
  return blobs.map((data, i) => ({ topic: topics[i % 3]!, timestamp: T0 + BigInt(i) * 10n * MS, data }));
}

describe('fuzz: sqlite3 (.db3) bags', () => {
  const codec = new CdrCodec().addSchemaText(CUSTOM_TYPE, CUSTOM_SCHEMA);
  const valid = [
    codec.encode('geometry_msgs/msg/Twist', { linear: { x: 1, y: 2, z: 3 }, angular: { x: 0, y: 0, z: 0.5 } }),
    codec.encode(CUSTOM_TYPE, wheelState(3)),
    codec.encode('sensor_msgs/msg/Image', { header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'cam' }, height: 2, width: 2, encoding: 'mono8', is_bigendian: 0, step: 2, data: Uint8Array.from([1, 2, 3, 4]) }),
  ];
  const topics = [
    { name: '/cmd', type: 'geometry_msgs/msg/Twist' },
    { name: '/wheels', type: CUSTOM_TYPE },
    { name: '/camera', type: 'sensor_msgs/msg/Image' },
  ];
  const schema = new TextEncoder().encode(CUSTOM_SCHEMA);

  it('message rows with mutated blobs (and definitions) read and decode, or throw a typed error', async () => {
    const path = join(dir, 'rows.db3');
    const blobs = fc.array(bytesFrom(valid, 128), { minLength: 1, maxLength: 6 });
    const definition = fc.oneof({ weight: 3, arbitrary: fc.constant(schema) }, { weight: 1, arbitrary: mutatedFrom([schema], 3) });
    await fc.assert(
      fc.asyncProperty(blobs, definition, async (rows, text) => {
        const defs = [{ type: CUSTOM_TYPE, text: new TextDecoder().decode(text) }];
        writeFileSync(path, await buildDb3('jazzy', topics, db3Messages(rows), defs));
        await readAll(path, db3Rows);
      }),
      fuzzParams(200),
    );
    expect(db3Rows.errors.get('E_BAG_DECODE')).toBeGreaterThan(0);
  });

  it('a .db3 with mutated bytes opens and reads, or throws a typed error', async () => {
    const seed = await buildDb3('humble', topics, db3Messages(valid));
    const path = join(dir, 'file.db3');
    await fc.assert(
      fc.asyncProperty(mutatedFrom([seed], 4), async (bytes) => {
        writeFileSync(path, bytes);
        await readAll(path, db3File);
      }),
      fuzzParams(150),
    );
    expect(db3File.runs).toBeGreaterThanOrEqual(150);
  });
});
