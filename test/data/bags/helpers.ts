import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import initSqlJs from 'sql.js';
import { BagWriter, MemoryBagFolder, type BagWriterOptions } from '../../../src/data/bags/index.js';
import type { BagOutputFile, BagSink } from '../../../src/data/bags/io.js';
import { offeredQosFor } from '../../../src/data/bags/qos.js';
import { MessageRegistry } from '../../../src/core/messages/registry.js';
import type { Image } from '../../../src/core/messages/types.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';

export const T0 = 1_763_800_000_000_000_000n;
export const MS = 1_000_000n;

/** A type pilot does not know, with a nested type of its own package and a std_msgs dependency. */
export const CUSTOM_TYPE = 'my_robot_msgs/msg/WheelState';
export const CUSTOM_SCHEMA = `# State of all wheels, sampled together.
std_msgs/Header header
my_robot_msgs/WheelSpeed[] wheels
float32 battery_voltage
string mode
int64 odometer_mm
uint8[4] flags

================================================================================
MSG: my_robot_msgs/WheelSpeed
string name
float64 rad_per_s
bool slipping

================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id

================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
`;

export interface WheelState {
  header: { stamp: { sec: number; nanosec: number }; frame_id: string };
  wheels: { name: string; rad_per_s: number; slipping: boolean }[];
  battery_voltage: number;
  mode: string;
  odometer_mm: bigint;
  flags: Uint8Array;
}

export function wheelState(i: number): WheelState {
  return {
    header: { stamp: { sec: 1_763_800_000 + i, nanosec: 1000 * i }, frame_id: 'base_link' },
    wheels: [
      { name: 'front_left', rad_per_s: 1.5 * i, slipping: false },
      { name: 'front_right', rad_per_s: -0.25 * i, slipping: i % 3 === 0 },
    ],
    battery_voltage: 12.5,
    mode: i % 2 ? 'auto' : 'manual',
    odometer_mm: 9_007_199_254_740_993n + BigInt(i),
    flags: Uint8Array.from([i & 255, 1, 2, 3]),
  };
}

/** 640×480 rgb8 with content that depends on `seed`, so misplaced bytes show. */
export function rgbImage(seed: number, width = 640, height = 480): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 10) + seed * 13) & 0xff;
  return {
    header: { stamp: { sec: 1_763_800_000 + seed, nanosec: seed * 1000 }, frame_id: 'camera_optical' },
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data,
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * A small bag in memory: /camera (Image, 10 Hz), /cmd (Twist, 20 Hz, reliable), /wheels (the custom
 * type, 20 Hz), over `seconds`.
 */
export async function writeSampleBag(folder: MemoryBagFolder, options: BagWriterOptions & { seconds?: number; imageSize?: [number, number] } = {}) {
  const { seconds = 1, imageSize = [64, 48], ...writerOptions } = options;
  const writer = await BagWriter.create(folder, { name: 'sample', chunkSizeBytes: 16 * 1024, ...writerOptions });
  writer.addTopic('/camera', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd', 'geometry_msgs/msg/Twist', { qos: RELIABLE_QOS });
  writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
  const written: { topic: string; logTimeNs: bigint; message: unknown }[] = [];
  for (let ms = 0; ms < seconds * 1000; ms += 50) {
    const t = T0 + BigInt(ms) * MS;
    const i = ms / 50;
    if (ms % 100 === 0) {
      const img = rgbImage(i, imageSize[0], imageSize[1]);
      await writer.writeMessage('/camera', img, t);
      written.push({ topic: '/camera', logTimeNs: t, message: img });
    }
    const twist = { linear: { x: i / 10, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -i / 100 } };
    await writer.writeMessage('/cmd', twist, t + 1n);
    written.push({ topic: '/cmd', logTimeNs: t + 1n, message: twist });
    const ws = wheelState(i);
    await writer.writeMessage('/wheels', ws, t + 2n);
    written.push({ topic: '/wheels', logTimeNs: t + 2n, message: ws });
  }
  const status = await writer.close();
  return { writer, status, written };
}

/** A temporary directory, removed by the returned function. */
export function tempDir(prefix = 'pilot-bags-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A sink whose files fail with ENOSPC once `limit` bytes were written in total (a full disk). */
export class FullDiskSink implements BagSink {
  readonly inner = new MemoryBagFolder();
  written = 0;

  constructor(readonly limit: number) {}

  async createFile(name: string): Promise<BagOutputFile> {
    const file = await this.inner.createFile(name);
    return {
      write: async (bytes: Uint8Array) => {
        if (this.written + bytes.byteLength > this.limit) {
          // A partial write first, as a real full disk does.
          const room = Math.max(0, this.limit - this.written);
          await file.write(bytes.subarray(0, room));
          this.written += room;
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        this.written += bytes.byteLength;
        await file.write(bytes);
      },
      position: () => file.position(),
      close: () => file.close(),
    };
  }

  async replaceFile(name: string, bytes: Uint8Array): Promise<void> {
    await this.inner.replaceFile(name, bytes);
  }
}

/** rosbag2 db3 layouts by distro, as rosbag2_storage_sqlite3 creates them. */
export type Db3Layout = 'foxy' | 'humble' | 'jazzy';

export interface Db3Topic {
  readonly name: string;
  readonly type: string;
  readonly qos?: string;
}

export interface Db3Message {
  readonly topic: string;
  readonly timestamp: bigint;
  readonly data: Uint8Array;
}

/** Builds a .db3 the way rosbag2 lays it out for `layout`; `definitions` only for jazzy. */
export async function buildDb3(layout: Db3Layout, topics: readonly Db3Topic[], messages: readonly Db3Message[], definitions: readonly { type: string; text: string }[] = []): Promise<Uint8Array> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  if (layout !== 'foxy') {
    db.run('CREATE TABLE schema(schema_version INTEGER PRIMARY KEY,ros_distro TEXT NOT NULL);');
    db.run('CREATE TABLE metadata(id INTEGER PRIMARY KEY,metadata_version INTEGER NOT NULL,metadata TEXT NOT NULL);');
  }
  if (layout === 'jazzy') {
    db.run(
      'CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,serialization_format TEXT NOT NULL,' +
        'offered_qos_profiles TEXT NOT NULL,type_description_hash TEXT NOT NULL);',
    );
    db.run(
      'CREATE TABLE message_definitions(id INTEGER PRIMARY KEY,topic_type TEXT NOT NULL,encoding TEXT NOT NULL,' +
        'encoded_message_definition TEXT NOT NULL,type_description_hash TEXT NOT NULL);',
    );
  } else {
    db.run('CREATE TABLE topics(id INTEGER PRIMARY KEY,name TEXT NOT NULL,type TEXT NOT NULL,serialization_format TEXT NOT NULL,offered_qos_profiles TEXT NOT NULL);');
  }
  db.run('CREATE TABLE messages(id INTEGER PRIMARY KEY,topic_id INTEGER NOT NULL,timestamp INTEGER NOT NULL, data BLOB NOT NULL);');
  db.run('CREATE INDEX timestamp_idx ON messages (timestamp ASC);');
  if (layout !== 'foxy') db.run('INSERT INTO schema (schema_version, ros_distro) VALUES (?, ?)', [layout === 'jazzy' ? 4 : 3, layout]);
  const ids = new Map<string, number>();
  topics.forEach((t, i) => {
    const qos = t.qos ?? offeredQosFor(RELIABLE_QOS);
    if (layout === 'jazzy') {
      db.run('INSERT INTO topics(name, type, serialization_format, offered_qos_profiles, type_description_hash) VALUES (?, ?, ?, ?, ?)', [t.name, t.type, 'cdr', qos, 'RIHS01_' + '0'.repeat(64)]);
    } else {
      db.run('INSERT INTO topics(name, type, serialization_format, offered_qos_profiles) VALUES (?, ?, ?, ?)', [t.name, t.type, 'cdr', qos]);
    }
    ids.set(t.name, i + 1);
  });
  for (const d of definitions) {
    db.run('INSERT INTO message_definitions (topic_type, encoding, encoded_message_definition, type_description_hash) VALUES (?, ?, ?, ?)', [d.type, 'ros2msg', d.text, '']);
  }
  for (const m of messages) {
    db.run('INSERT INTO messages (timestamp, topic_id, data) VALUES (?, ?, ?)', [m.timestamp.toString(), ids.get(m.topic)!, m.data]);
  }
  const bytes = db.export();
  db.close();
  return bytes;
}

export const registry = MessageRegistry.builtin();

/**
 * A copy with large typed arrays replaced by their length and hash: vitest's deep equality walks
 * megabyte arrays element by element (and prints them all on a mismatch).
 */
export function comparable(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number> & ArrayBufferView;
    if (arr.length <= 256) return value;
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    return { [value.constructor.name]: arr.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}
