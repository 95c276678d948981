import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BagReader, MemoryBagFolder, parseMetadataYaml, renderMetadataYaml } from '../../../src/data/bags/index.js';
import { collect, CUSTOM_TYPE, MS, T0, writeSampleBag } from './helpers.js';

/** Keys of rosbag2_bagfile_information in the order rosbag2_storage/yaml.hpp encodes them (version 5). */
const ROSBAG2_KEYS = [
  'version',
  'storage_identifier',
  'duration',
  'starting_time',
  'message_count',
  'topics_with_message_count',
  'compression_format',
  'compression_mode',
  'relative_file_paths',
  'files',
];

describe('split files', () => {
  it('splits by size into <name>_0.mcap, <name>_1.mcap … and reads all messages back in order', async () => {
    const folder = new MemoryBagFolder('split');
    const { status, written } = await writeSampleBag(folder, { seconds: 4, imageSize: [160, 120], maxBagSizeBytes: 200 * 1024, chunkSizeBytes: 32 * 1024 });
    expect(status.state).toBe('closed');
    const files = status.files.map((f) => f.path);
    expect(files.length).toBeGreaterThanOrEqual(3);
    expect(files).toEqual(files.map((_, i) => `sample_${i}.mcap`));
    expect((await folder.list()).filter((f) => f.endsWith('.mcap')).sort()).toEqual([...files].sort());
    expect(parseMetadataYaml(folder.text('metadata.yaml')!).relativeFilePaths).toEqual(files);
    for (const f of status.files.slice(0, -1)) expect(f.sizeBytes).toBeGreaterThanOrEqual(200 * 1024);
    expect(status.files.reduce((s, f) => s + f.messageCount, 0)).toBe(written.length);

    const reader = await BagReader.open(folder);
    expect(reader.warnings).toEqual([]);
    const got = await collect(reader.messages());
    expect(got.map((m) => [m.topic, m.logTimeNs])).toEqual(written.map((m) => [m.topic, m.logTimeNs]));
    expect(new Set(got.map((m) => m.file)).size).toBe(files.length);
    // Each file starts with its own schemas and channels: any one of them is readable alone.
    const last = await BagReader.open({ path: 'x', singleFile: true, list: async () => [files.at(-1)!], open: (n) => folder.open(n) }, { registry: null });
    const lastMessages = await collect(last.decoded());
    expect(lastMessages.length).toBe(status.files.at(-1)!.messageCount);
  });

  it('splits by duration', async () => {
    const folder = new MemoryBagFolder('split');
    const { status, written } = await writeSampleBag(folder, { seconds: 3, maxBagDurationS: 1 });
    expect(status.files.length).toBe(3);
    for (const f of status.files) expect(f.endNs - f.startNs).toBeLessThan(1_000_000_000n);
    const reader = await BagReader.open(folder);
    expect((await collect(reader.messages())).length).toBe(written.length);
  });

  it('rewrites metadata.yaml at each split, so a crash leaves the finished files listed', async () => {
    const folder = new MemoryBagFolder('split');
    const { BagWriter } = await import('../../../src/data/bags/index.js');
    const writer = await BagWriter.create(folder, { name: 'run', maxBagSizeBytes: 10_000, chunkSizeBytes: 2000 });
    expect(parseMetadataYaml(folder.text('metadata.yaml')!).relativeFilePaths).toEqual(['run_0.mcap']);
    writer.addTopic('/b', 'std_msgs/msg/Float64MultiArray');
    const msg = { layout: { dim: [], data_offset: 0 }, data: new Float64Array(200) };
    for (let i = 0; i < 12; i++) await writer.writeMessage('/b', msg, T0 + BigInt(i) * MS);
    const mid = parseMetadataYaml(folder.text('metadata.yaml')!);
    expect(mid.relativeFilePaths.length).toBeGreaterThan(1);
    expect(mid.files.slice(0, -1).every((f) => f.messageCount > 0)).toBe(true);
    await writer.close();
  });
});

describe('metadata.yaml', () => {
  it('has the fields and values rosbag2 writes (version 5), readable by a plain YAML parser', async () => {
    const folder = new MemoryBagFolder('meta');
    const { written, status } = await writeSampleBag(folder, { seconds: 2, maxBagDurationS: 1 });
    const text = folder.text('metadata.yaml')!;
    const doc = parse(text, { intAsBigInt: true }) as { rosbag2_bagfile_information: Record<string, unknown> };
    const m = doc.rosbag2_bagfile_information;
    expect(Object.keys(doc)).toEqual(['rosbag2_bagfile_information']);
    expect(Object.keys(m)).toEqual(ROSBAG2_KEYS);
    expect(m['version']).toBe(5n);
    expect(m['storage_identifier']).toBe('mcap');
    const times = written.map((w) => w.logTimeNs);
    const start = times.reduce((a, b) => (a < b ? a : b));
    const end = times.reduce((a, b) => (a > b ? a : b));
    expect(m['starting_time']).toEqual({ nanoseconds_since_epoch: start });
    expect(m['duration']).toEqual({ nanoseconds: end - start });
    expect(m['message_count']).toBe(BigInt(written.length));
    expect(m['compression_format']).toBe('');
    expect(m['compression_mode']).toBe('');
    expect(m['relative_file_paths']).toEqual(['sample_0.mcap', 'sample_1.mcap']);
    const topics = m['topics_with_message_count'] as { topic_metadata: Record<string, unknown>; message_count: bigint }[];
    expect(topics.map((t) => Object.keys(t))).toEqual(topics.map(() => ['topic_metadata', 'message_count']));
    expect(topics.map((t) => Object.keys(t.topic_metadata))).toEqual(topics.map(() => ['name', 'type', 'serialization_format', 'offered_qos_profiles']));
    expect(topics.map((t) => [t.topic_metadata['name'], t.topic_metadata['type'], t.topic_metadata['serialization_format'], t.message_count])).toEqual([
      ['/camera', 'sensor_msgs/msg/Image', 'cdr', BigInt(written.filter((w) => w.topic === '/camera').length)],
      ['/cmd', 'geometry_msgs/msg/Twist', 'cdr', BigInt(written.filter((w) => w.topic === '/cmd').length)],
      ['/wheels', CUSTOM_TYPE, 'cdr', BigInt(written.filter((w) => w.topic === '/wheels').length)],
    ]);
    // offered_qos_profiles: a YAML string holding a list of rmw profiles with integer enums (≤ v8).
    const qos = topics.map((t) => parse(t.topic_metadata['offered_qos_profiles'] as string) as Record<string, unknown>[]);
    expect(Object.keys(qos[0]![0]!)).toEqual([
      'history',
      'depth',
      'reliability',
      'durability',
      'deadline',
      'lifespan',
      'liveliness',
      'liveliness_lease_duration',
      'avoid_ros_namespace_conventions',
    ]);
    expect(qos[0]).toEqual([
      {
        history: 1, // keep_last
        depth: 1,
        reliability: 2, // best_effort: our `sensor` hint
        durability: 2, // volatile
        deadline: { sec: 9223372036, nsec: 854775807 },
        lifespan: { sec: 9223372036, nsec: 854775807 },
        liveliness: 1, // automatic
        liveliness_lease_duration: { sec: 9223372036, nsec: 854775807 },
        avoid_ros_namespace_conventions: false,
      },
    ]);
    expect(qos[1]![0]).toMatchObject({ history: 1, depth: 10, reliability: 1, durability: 2 }); // `reliable`
    const files = m['files'] as Record<string, unknown>[];
    expect(files.map((f) => Object.keys(f))).toEqual(files.map(() => ['path', 'starting_time', 'duration', 'message_count']));
    expect(files.map((f) => f['path'])).toEqual(['sample_0.mcap', 'sample_1.mcap']);
    expect(files.map((f) => f['message_count'])).toEqual(status.files.map((f) => BigInt(f.messageCount)));
    expect(files[1]!['starting_time']).toEqual({ nanoseconds_since_epoch: status.files[1]!.startNs });
    expect(files[1]!['duration']).toEqual({ nanoseconds: status.files[1]!.endNs - status.files[1]!.startNs });
  });

  it('is laid out as yaml-cpp writes it (block style, quoted QoS string, "" for empty)', async () => {
    const folder = new MemoryBagFolder('meta');
    await writeSampleBag(folder, { seconds: 0.1 });
    const text = folder.text('metadata.yaml')!;
    expect(text).toMatch(/^rosbag2_bagfile_information:\n {2}version: 5\n {2}storage_identifier: mcap\n {2}duration:\n {4}nanoseconds: \d+\n {2}starting_time:\n {4}nanoseconds_since_epoch: \d+\n/);
    expect(text).toContain('  topics_with_message_count:\n    - topic_metadata:\n        name: /camera\n        type: sensor_msgs/msg/Image\n        serialization_format: cdr\n');
    expect(text).toContain('        offered_qos_profiles: "- history: 1\\n  depth: 1\\n  reliability: 2\\n  durability: 2\\n  deadline:\\n    sec: 9223372036\\n    nsec: 854775807\\n');
    expect(text).toContain('  compression_format: ""\n  compression_mode: ""\n  relative_file_paths:\n    - sample_0.mcap\n  files:\n    - path: sample_0.mcap\n');
  });

  it('reads metadata.yaml of other versions (v4 without files, v8 with custom_data and ros_distro)', () => {
    const v4 = parseMetadataYaml(`rosbag2_bagfile_information:
  version: 4
  storage_identifier: sqlite3
  relative_file_paths:
    - old/old_0.db3
  duration:
    nanoseconds: 5000000000
  starting_time:
    nanoseconds_since_epoch: 1600000000123456789
  message_count: 7
  topics_with_message_count:
    - topic_metadata:
        name: /chatter
        type: std_msgs/msg/String
        serialization_format: cdr
        offered_qos_profiles: ""
      message_count: 7
  compression_format: ""
  compression_mode: ""
`);
    expect(v4).toMatchObject({ version: 4, storageIdentifier: 'sqlite3', startingTimeNs: 1600000000123456789n, messageCount: 7, files: [] });
    const v8 = renderMetadataYaml({ ...v4, version: 8, customData: { driver: 'ada' }, rosDistro: 'jazzy', files: [] });
    expect(parseMetadataYaml(v8)).toMatchObject({ version: 8, customData: { driver: 'ada' }, rosDistro: 'jazzy', topics: [{ typeDescriptionHash: '' }] });
    expect(() => parseMetadataYaml('rosbag2_bagfile_information:\n  version: five\n', 'bag/metadata.yaml')).toThrow(
      /E_BAG_METADATA: bag\/metadata.yaml: version: expected an integer, got "five"/,
    );
    expect(() => parseMetadataYaml('foo: [', 'bag/metadata.yaml')).toThrow(/E_BAG_METADATA: bag\/metadata.yaml: not valid YAML/);
  });
});

describe('log-time order', () => {
  it('sorts chunks written out of time order, and merges files whose time ranges overlap', async () => {
    const { BagWriter } = await import('../../../src/data/bags/index.js');
    const folder = new MemoryBagFolder('order');
    // Two recordings of the same span (e.g. two machines), and within each, chunks written backwards.
    for (const [name, phase] of [['a', 0n], ['b', 1n]] as const) {
      const other = new MemoryBagFolder();
      const writer = await BagWriter.create(other, { name, chunkSizeBytes: 64 });
      writer.addTopic(`/${name}`, 'std_msgs/msg/Bool');
      for (let i = 19; i >= 0; i--) await writer.writeMessage(`/${name}`, { data: i % 2 === 0 }, T0 + BigInt(i) * 2n * MS + phase * MS);
      await writer.close();
      folder.files.set(`${name}_0.mcap`, other.bytes(`${name}_0.mcap`)!);
    }
    const reader = await BagReader.open(folder);
    const got = await collect(reader.messages());
    expect(got.length).toBe(40);
    expect(got.map((m) => m.logTimeNs)).toEqual([...Array(40).keys()].map((i) => T0 + BigInt(i) * MS));
    expect(got.map((m) => m.topic)).toEqual([...Array(40).keys()].map((i) => (i % 2 === 0 ? '/a' : '/b')));
  });
});
