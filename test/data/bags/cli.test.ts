import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBagWriter, MemoryReadable, openBag, parseMetadataYaml } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import type { Image } from '../../../src/core/messages/types.js';
import { ZeroMqTransport } from '../../../src/transport/zeromq.js';
import { collect, CUSTOM_SCHEMA, CUSTOM_TYPE, MS, rgbImage, T0, tempDir, wheelState } from './helpers.js';
import { capture } from '../../helpers/capture-console.js';


afterEach(() => vi.restoreAllMocks());

/** /camera/image_raw 640×480 at 10 Hz and /wheels (a custom type) at 20 Hz for one second. */
async function diskBag(dir: string): Promise<string> {
  const bag = join(dir, 'drive');
  const writer = await createBagWriter(bag, { compression: 'zstd', chunkSizeBytes: 512 * 1024 });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
  for (let i = 0; i < 20; i++) {
    if (i % 2 === 0) await writer.writeMessage('/camera/image_raw', rgbImage(i), T0 + BigInt(i) * 50n * MS);
    await writer.writeMessage('/wheels', wheelState(i), T0 + BigInt(i) * 50n * MS + 1n);
  }
  await writer.close();
  return bag;
}

describe('pilot bag', () => {
  it('info prints the ros2 bag info layout, and --json the same for machines', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = await diskBag(dir);
      const { out } = capture();
      expect(await main(['bag', 'info', bag])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(/^Files: {13}drive_0.mcap \(\d+\.\d KiB, 30 messages, \d+ chunks\)$/m);
      expect(text).toMatch(/^Bag size: {10}\d+\.\d KiB$/m);
      expect(text).toMatch(/^Storage id: {8}mcap$/m);
      expect(text).toMatch(/^Compression: {7}zstd \(chunks\)$/m);
      expect(text).toMatch(/^Duration: {10}0\.950s$/m);
      expect(text).toMatch(/^Start: {13}[A-Z][a-z]{2} [ \d]\d \d{4} \d\d:\d\d:\d\d\.000 \(1763800000\.000\)$/m);
      expect(text).toMatch(/^Messages: {10}30$/m);
      expect(text).toMatch(/^Topic information: Topic: \/camera\/image_raw \| Type: sensor_msgs\/msg\/Image \| Count: 10 \| Serialization Format: cdr \| Rate: 10\.5 Hz$/m);
      expect(text).toMatch(/^ {19}Topic: \/wheels \| Type: my_robot_msgs\/msg\/WheelState \| Count: 20 \| Serialization Format: cdr/m);
      out.length = 0;
      expect(await main(['bag', 'info', bag, '--json'])).toBe(0);
      const json = JSON.parse(out.join('\n'));
      expect(json).toMatchObject({ storage: 'mcap', messageCount: 30, startNs: String(T0), durationNs: String(950n * MS + 1n), compression: 'zstd (chunks)' });
      expect(json.topics.map((t: { name: string; definition: string }) => [t.name, t.definition])).toEqual([
        ['/camera/image_raw', 'bag'],
        ['/wheels', 'bag'],
      ]);
    } finally {
      cleanup();
    }
  });

  it('cat prints JSON lines with image data summarised and bigints as strings', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = await diskBag(dir);
      const { out } = capture();
      expect(await main(['bag', 'cat', bag, '--topic', '/camera/image_raw', '--limit', '2'])).toBe(0);
      expect(out.length).toBe(2);
      const first = JSON.parse(out[0]!);
      expect(first).toMatchObject({ topic: '/camera/image_raw', type: 'sensor_msgs/msg/Image', logTimeNs: String(T0) });
      expect(first.message).toMatchObject({ width: 640, height: 480, encoding: 'rgb8', data: { bytes: 921600, sha256: expect.stringMatching(/^[0-9a-f]{16}$/) } });
      expect(out[0]!.length).toBeLessThan(400);
      out.length = 0;
      expect(await main(['bag', 'cat', bag, '--topic', '/wheels', '--limit', '1'])).toBe(0);
      expect(JSON.parse(out[0]!).message).toMatchObject({ odometer_mm: '9007199254740993', mode: 'manual', flags: [0, 1, 2, 3] });
    } finally {
      cleanup();
    }
  });

  it('cat names a missing topic; --skip-errors goes past a corrupt chunk and says what it skipped', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = await diskBag(dir);
      const { out, err } = capture();
      expect(await main(['bag', 'cat', bag, '--topic', '/nope'])).toBe(1);
      expect(err.join('\n')).toContain('E_BAG_TOPIC: ');
      expect(err.join('\n')).toContain('no topic /nope (topics: /camera/image_raw, /wheels)');
      const file = join(bag, 'drive_0.mcap');
      const bytes = new Uint8Array(readFileSync(file));
      const chunk = (await McapIndexedReader.Initialize({ readable: new MemoryReadable(bytes) })).chunkIndexes[1]!;
      bytes[Number(chunk.chunkStartOffset + chunk.chunkLength) - 40] ^= 0x55;
      writeFileSync(file, bytes);
      err.length = 0;
      expect(await main(['bag', 'cat', bag])).toBe(1);
      expect(err.join('\n')).toMatch(new RegExp(`E_BAG_CORRUPT: drive_0.mcap: chunk at offset ${chunk.chunkStartOffset}: `));
      err.length = 0;
      out.length = 0;
      expect(await main(['bag', 'cat', bag, '--skip-errors'])).toBe(0);
      expect(out.length).toBeGreaterThan(0);
      expect(out.length).toBeLessThan(30);
      expect(err.join('\n')).toMatch(new RegExp(`pilot: skipped: E_BAG_CORRUPT: drive_0.mcap: chunk at offset ${chunk.chunkStartOffset}: `));
      expect(err.at(-1)).toMatch(/^pilot: \d+ messages printed, 1 skipped$/);
    } finally {
      cleanup();
    }
  });

  it('recover --in-place rebuilds a truncated bag and says how much it got back and where it stopped', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = await diskBag(dir);
      const file = join(bag, 'drive_0.mcap');
      const index = (await McapIndexedReader.Initialize({ readable: new MemoryReadable(new Uint8Array(readFileSync(file))) })).chunkIndexes;
      const cut = index.at(-1)!;
      const keep = cut.chunkLength / 2n;
      truncateSync(file, Number(cut.chunkStartOffset + keep));
      const { out } = capture();
      expect(await main(['bag', 'recover', bag, '--in-place'])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(
        new RegExp(`^drive_0.mcap: recovered (\\d+) messages in ${index.length - 1} chunks; readable data stops at offset ${cut.chunkStartOffset}: file ends inside a chunk record \\(it needs ${cut.chunkLength} bytes, ${keep} are left\\); cut ${keep} trailing bytes$`, 'm'),
      );
      const count = Number(/recovered (\d+) messages/.exec(text)![1]);
      expect(text).toContain(`metadata.yaml rewritten: 1 file(s), ${count} messages`);
      expect(parseMetadataYaml(readFileSync(join(bag, 'metadata.yaml'), 'utf8')).messageCount).toBe(count);
      const reader = await openBag(bag);
      expect(reader.warnings).toEqual([]);
      expect((await collect(reader.decoded())).length).toBe(count);
      await reader.close();
    } finally {
      cleanup();
    }
  });

  it('record subscribes over ZeroMQ and writes a bag that reads back', async () => {
    const { dir, cleanup } = tempDir();
    const ipcDir = join(dir, 'ipc');
    mkdirSync(ipcDir);
    const camera = new ZeroMqTransport({ ipcDir });
    const pub = camera.advertise<Image>('/cam/record_test', 'sensor_msgs/msg/Image');
    const frame = rgbImage(1, 320, 240);
    const timer = setInterval(() => pub.publish(frame), 20);
    try {
      const out = join(dir, 'recorded');
      const { err } = capture();
      const code = await main(['bag', 'record', '-o', out, '--topic', '/cam/record_test:sensor_msgs/msg/Image', '--transport', 'zeromq', '--ipc-dir', ipcDir, '--compression', 'lz4', '--duration', '1.5']);
      expect(code, err.join('\n')).toBe(0);
      const summary = err.join('\n');
      expect(summary).toMatch(/\/cam\/record_test: (\d+) written, 0 dropped, 0 encode errors/);
      const written = Number(/record_test: (\d+) written/.exec(summary)![1]);
      expect(written).toBeGreaterThan(20);
      const reader = await openBag(out);
      expect(reader.warnings).toEqual([]);
      expect(reader.info().compression).toBe('lz4 (chunks)');
      const frames = await collect(reader.decoded<Image>());
      expect(frames.length).toBe(written);
      expect(frames.every((f) => f.message.width === 320 && f.message.data.length === 320 * 240 * 3)).toBe(true);
      await reader.close();
      // An output folder with files in it is refused.
      expect(await main(['bag', 'record', '-o', out, '--topic', '/x:std_msgs/msg/Bool', '--transport', 'inprocess', '--duration', '0.1'])).toBe(1);
      expect(err.join('\n')).toContain('E_BAG_EXISTS: ');
    } finally {
      clearInterval(timer);
      await camera.close();
      cleanup();
    }
  });

  it('rejects bad usage with exit 2', async () => {
    const { err } = capture();
    expect(await main(['bag'])).toBe(2);
    expect(err.join('\n')).toMatch(/bag: unknown subcommand '' \(known: info, cat, recover, record, play, import\)/);
    expect(await main(['bag', 'info'])).toBe(2);
    expect(await main(['bag', 'record', '--topic', '/a:std_msgs/msg/Bool'])).toBe(2);
    expect(await main(['bag', 'record', '-o', '/tmp/x', '--topic', 'camera'])).toBe(2);
    expect(err.join('\n')).toContain("--topic 'camera': expected /name:pkg/msg/Type");
    expect(await main(['bag', 'cat', 'x', '--limit', '-3'])).toBe(2);
    expect(await main(['bag', 'info', '/no/such/bag'])).toBe(1);
    expect(err.join('\n')).toContain('E_BAG_NOT_FOUND: /no/such/bag: no such bag folder or file');
  });
});
