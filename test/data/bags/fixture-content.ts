/**
 * What the committed fixture bags under test/fixtures/bags/ hold, and how they were written.
 * Regenerate them, only on purpose (their bytes are meant to stay fixed when the writer changes):
 * `npx vite-node test/data/bags/write-fixtures.ts`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BagWriter, MemoryBagFolder, renderMetadataYaml } from '../../../src/data/bags/index.js';
import { CdrCodec } from '../../../src/core/messages/cdr.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { offeredQosFor } from '../../../src/data/bags/qos.js';
import { buildDb3, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, registry, rgbImage, T0, wheelState } from './helpers.js';

export const FIXTURE_DIR = 'test/fixtures/bags';
const twist = (i: number) => ({ linear: { x: i / 2, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -i / 8 } });

/** The messages every fixture holds: 5 small images, 10 twists, 10 wheel states over 0.5 s. */
export function content() {
  const out: { topic: string; type: string; t: bigint; message: unknown }[] = [];
  for (let i = 0; i < 10; i++) {
    const t = T0 + BigInt(i) * 50n * MS;
    if (i % 2 === 0) out.push({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', t, message: rgbImage(i, 32, 24) });
    out.push({ topic: '/cmd_vel', type: 'geometry_msgs/msg/Twist', t: t + 1n, message: twist(i) });
    out.push({ topic: '/wheels', type: CUSTOM_TYPE, t: t + 2n, message: wheelState(i) });
  }
  return out;
}

export async function writeFixtures(): Promise<void> {
  rmSync(FIXTURE_DIR, { recursive: true, force: true });
  const save = (folder: MemoryBagFolder, name: string) => {
    mkdirSync(join(FIXTURE_DIR, name), { recursive: true });
    for (const [file] of folder.files) writeFileSync(join(FIXTURE_DIR, name, file), folder.bytes(file)!);
  };
  // pilot's MCAP writer, zstd chunks, split in two by duration.
  const mcap = new MemoryBagFolder();
  const writer = await BagWriter.create(mcap, { name: 'mcap_zstd', compression: 'zstd', chunkSizeBytes: 4096, maxBagDurationS: 0.25 });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd_vel', 'geometry_msgs/msg/Twist', { qos: RELIABLE_QOS });
  writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
  for (const m of content()) await writer.writeMessage(m.topic, m.message, m.t);
  await writer.close();
  save(mcap, 'mcap_zstd');
  // rosbag2 sqlite3 layouts: Humble (no definitions) and Jazzy (message_definitions).
  const codec = new CdrCodec(registry).addSchemaText(CUSTOM_TYPE, CUSTOM_SCHEMA);
  const topics = [
    { name: '/camera/image_raw', type: 'sensor_msgs/msg/Image', qos: offeredQosFor({ kind: 'sensor' }) },
    { name: '/cmd_vel', type: 'geometry_msgs/msg/Twist', qos: offeredQosFor(RELIABLE_QOS) },
    { name: '/wheels', type: CUSTOM_TYPE },
  ];
  const messages = content().map((m) => ({ topic: m.topic, timestamp: m.t, data: codec.encode(m.type, m.message) }));
  for (const layout of ['humble', 'jazzy'] as const) {
    const name = `${layout}_db3`;
    const defs = layout === 'jazzy' ? topics.map((t) => ({ type: t.type, text: t.type === CUSTOM_TYPE ? CUSTOM_SCHEMA : registry.schemaText(t.type) })) : [];
    const folder = new MemoryBagFolder();
    folder.files.set(`${name}_0.db3`, await buildDb3(layout, topics, messages, defs));
    const all = content();
    folder.files.set(
      'metadata.yaml',
      new TextEncoder().encode(
        renderMetadataYaml({
          version: 5,
          storageIdentifier: 'sqlite3',
          relativeFilePaths: [`${name}_0.db3`],
          durationNs: all.at(-1)!.t - T0,
          startingTimeNs: T0,
          messageCount: all.length,
          topics: topics.map((t) => ({ name: t.name, type: t.type, serializationFormat: 'cdr', offeredQosProfiles: t.qos ?? offeredQosFor(RELIABLE_QOS), messageCount: all.filter((m) => m.topic === t.name).length })),
          compressionFormat: '',
          compressionMode: '',
          files: [{ path: `${name}_0.db3`, startingTimeNs: T0, durationNs: all.at(-1)!.t - T0, messageCount: all.length }],
        }),
      ),
    );
    save(folder, name);
  }
}

