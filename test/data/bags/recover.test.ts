import { spawn } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { describe, expect, it } from 'vitest';
import {
  applyRecovery,
  BagReader,
  createBagWriter,
  loadCompression,
  MemoryBagFolder,
  MemoryReadable,
  openBag,
  parseMetadataYaml,
  planMcapRecovery,
  recoverBag,
} from '../../../src/data/bags/index.js';
import { collect, MS, T0, tempDir, wheelState, writeSampleBag, CUSTOM_SCHEMA, CUSTOM_TYPE } from './helpers.js';

async function chunks(bytes: Uint8Array) {
  const r = await McapIndexedReader.Initialize({ readable: new MemoryReadable(bytes) });
  return r.chunkIndexes;
}

describe('recovery of a file cut short', () => {
  it('gets back everything up to the last complete chunk after a cut mid-chunk', async () => {
    const folder = new MemoryBagFolder('rec');
    const { written } = await writeSampleBag(folder, { seconds: 2, compression: 'lz4' });
    const full = folder.bytes('sample_0.mcap')!;
    const index = await chunks(full);
    const cut = index[5]!;
    const truncated = full.slice(0, Number(cut.chunkStartOffset + cut.chunkLength / 2n));
    const plan = await planMcapRecovery('sample_0.mcap', new MemoryReadable(truncated), await loadCompression());
    const expected = written.filter((w) => w.logTimeNs <= index[4]!.messageEndTime);
    expect(plan.report).toMatchObject({
      status: 'recovered',
      messageCount: expected.length,
      chunkCount: 5,
      stoppedAt: cut.chunkStartOffset,
      droppedBytes: BigInt(truncated.length) - cut.chunkStartOffset,
      skippedChunks: [],
    });
    expect(plan.report.reason).toBe(`file ends inside a chunk record (it needs ${cut.chunkLength} bytes, ${BigInt(truncated.length) - cut.chunkStartOffset} are left)`);
    expect(plan.report.topics).toEqual(new Map(['/camera', '/cmd', '/wheels'].map((t) => [t, expected.filter((w) => w.topic === t).length])));

    const recovered = applyRecovery(truncated, plan);
    // A whole, indexed MCAP file again: the official reader takes it.
    const mcap = await McapIndexedReader.Initialize({ readable: new MemoryReadable(recovered) });
    expect(mcap.statistics!.messageCount).toBe(BigInt(expected.length));
    expect(mcap.chunkIndexes.map((c) => c.chunkStartOffset)).toEqual(index.slice(0, 5).map((c) => c.chunkStartOffset));
    // Nothing before the cut was rewritten.
    expect(recovered.subarray(0, Number(cut.chunkStartOffset))).toEqual(full.subarray(0, Number(cut.chunkStartOffset)));
    folder.files.set('sample_0.mcap', recovered);
    const reader = await BagReader.open(folder, { registry: null });
    const decoded = await collect(reader.decoded());
    expect(decoded.map((m) => [m.topic, m.logTimeNs])).toEqual(expected.map((w) => [w.topic, w.logTimeNs]));
    expect(decoded.filter((m) => m.topic === '/wheels').map((m) => m.message)).toEqual(expected.filter((w) => w.topic === '/wheels').map((w) => w.message));
  });

  it('keeps the last chunk when only its message indexes were cut, writing them anew', async () => {
    const folder = new MemoryBagFolder('rec');
    const { written } = await writeSampleBag(folder, { seconds: 1 });
    const full = folder.bytes('sample_0.mcap')!;
    const index = await chunks(full);
    const last = index.at(-1)!;
    // Cut inside the message index records that follow the last chunk.
    const truncated = full.slice(0, Number(last.chunkStartOffset + last.chunkLength) + 20);
    const plan = await planMcapRecovery('sample_0.mcap', new MemoryReadable(truncated), await loadCompression());
    expect(plan.report.messageCount).toBe(written.length);
    expect(plan.keepBytes).toBe(last.chunkStartOffset + last.chunkLength);
    const recovered = applyRecovery(truncated, plan);
    const mcap = await McapIndexedReader.Initialize({ readable: new MemoryReadable(recovered) });
    expect((await collect(mcap.readMessages())).map((m) => m.logTime)).toEqual(written.map((w) => w.logTimeNs));
  });

  it('stops at zeros the OS allocated but never wrote (power loss)', async () => {
    const folder = new MemoryBagFolder('rec');
    await writeSampleBag(folder, { seconds: 1 });
    const full = folder.bytes('sample_0.mcap')!;
    const index = await chunks(full);
    const end = Number(index[2]!.chunkStartOffset);
    const withZeros = new Uint8Array(end + 8192);
    withZeros.set(full.subarray(0, end));
    const plan = await planMcapRecovery('sample_0.mcap', new MemoryReadable(withZeros), await loadCompression());
    expect(plan.report).toMatchObject({ chunkCount: 2, stoppedAt: BigInt(end), droppedBytes: 8192n });
    expect(plan.report.reason).toMatch(/zero bytes where a record should start/);
  });
});

describe('recoverBag on disk', () => {
  it('recovers a bag whose writer was never closed and rewrites metadata.yaml with the real counts', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = join(dir, 'drive');
      const writer = await createBagWriter(bag, { chunkSizeBytes: 4096, maxBagSizeBytes: 40_000 });
      writer.addTopic('/wheels', CUSTOM_TYPE, { schemaText: CUSTOM_SCHEMA });
      for (let i = 0; i < 400; i++) await writer.writeMessage('/wheels', wheelState(i), T0 + BigInt(i) * MS);
      // No close(): the process "died" here. Finished files are whole, the last has no summary.
      const status = writer.status();
      expect(status.files.length).toBeGreaterThan(1);
      const lastFile = status.files.at(-1)!.path;
      const before = await openBag(bag);
      expect(before.warnings.join('\n')).toMatch(/metadata.yaml counts \d+ messages but the files hold \d+/);
      const inLastFile = before.files.at(-1)!.messageCount;
      await before.close();

      const result = await recoverBag(bag);
      expect(result.files.filter((f) => f.status === 'intact').length).toBe(status.files.length - 1);
      const recovered = result.files.find((f) => f.file === lastFile)!;
      expect(recovered).toMatchObject({ status: 'recovered', messageCount: inLastFile, stoppedAt: undefined, droppedBytes: 0n });
      expect(result.metadataWritten).toBe(true);
      const meta = parseMetadataYaml(readFileSync(join(bag, 'metadata.yaml'), 'utf8'));
      const total = result.files.reduce((s, f) => s + f.messageCount, 0);
      expect(meta.messageCount).toBe(total);
      expect(meta.relativeFilePaths).toEqual(status.files.map((f) => f.path));
      expect(meta.topics).toMatchObject([{ name: '/wheels', type: CUSTOM_TYPE, messageCount: total }]);

      const after = await openBag(bag, { registry: null });
      expect(after.warnings).toEqual([]);
      const got = await collect(after.decoded());
      expect(got.map((m) => m.message)).toEqual([...Array(total).keys()].map(wheelState));
      await after.close();
      // A second run finds nothing to do.
      expect((await recoverBag(bag)).files.every((f) => f.status === 'intact')).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('recovers a single truncated .mcap file in place', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const folder = new MemoryBagFolder('x');
      await writeSampleBag(folder, { seconds: 1 });
      const file = join(dir, 'cut.mcap');
      writeFileSync(file, folder.bytes('sample_0.mcap')!);
      const index = await chunks(folder.bytes('sample_0.mcap')!);
      truncateSync(file, Number(index[3]!.chunkStartOffset) + 7);
      const result = await recoverBag(file);
      expect(result.files[0]).toMatchObject({ status: 'recovered', chunkCount: 3, stoppedAt: index[3]!.chunkStartOffset });
      const reader = await openBag(file);
      expect(reader.info().files[0]!.indexed).toBe(true);
      expect(reader.info().messageCount).toBe(result.files[0]!.messageCount);
      await reader.close();
    } finally {
      cleanup();
    }
  });

  it('after a real SIGKILL, gets back at least every message whose write had completed', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const bag = join(dir, 'killed');
      const child = spawn(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/data/bags/record-child.ts', bag], { stdio: ['ignore', 'pipe', 'pipe'] });
      let confirmed = -1;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`child did not record in time: ${stderr}`)), 25_000);
        child.stdout.on('data', (d: Buffer) => {
          for (const line of d.toString().split('\n')) if (line.trim() !== '') confirmed = Math.max(confirmed, Number(line));
          if (confirmed >= 30) {
            clearTimeout(timer);
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', (code) => code !== null && reject(new Error(`child exited ${code}: ${stderr}`)));
      });
      await new Promise((r) => child.once('close', r));
      const result = await recoverBag(bag);
      const report = result.files[0]!;
      expect(report.status).toBe('recovered');
      expect(report.messageCount).toBeGreaterThanOrEqual(confirmed + 1);
      const reader = await openBag(bag);
      expect(reader.warnings).toEqual([]);
      const got = await collect(reader.decoded<{ layout: { data_offset: number } }>());
      expect(got.map((m) => m.message.layout.data_offset)).toEqual([...Array(report.messageCount).keys()]);
      await reader.close();
    } finally {
      cleanup();
    }
  }, 40_000);
});
