/**
 * Replay as the determinism harness (style item 9): a table of recorded cases, each replayed twice
 * through the runtime. Predictions must be identical (tolerance 0), and so must the output bag's
 * inputs, recorded commands and predicted commands, byte for byte. Timings are ignored: the
 * /pilot/timeline and /diagnostics topics carry wall-clock latencies.
 */
import { describe, expect, it } from 'vitest';
import { BagReader, BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import type { PilotConfig } from '../../../src/core/config/schema.js';
import { runReplay, type ReplayOptions, type ReplayResult } from '../../../src/data/replay/replay-session.js';
import { MS, T0, openMemoryBag, quiet, replayConfig, writeDriveBag, type DriveBagOptions } from './helpers.js';

interface Case {
  readonly name: string;
  readonly bag: DriveBagOptions;
  readonly config?: () => PilotConfig;
  readonly options?: Partial<ReplayOptions>;
  /** Topics of the output bag that carry timings (wall clock) and are not compared. */
  readonly ignore?: readonly string[];
}

const commands = (seconds: number) =>
  Array.from({ length: seconds * 20 }, (_, i) => ({ logTimeNs: T0 + BigInt(i * 50 + 3) * MS, steeringRad: Math.sin(i / 5) * 0.3, speedMps: 1 + (i % 7) / 10 }));

const TIMINGS = ['/pilot/timeline', '/diagnostics'];

const CASES: readonly Case[] = [
  { name: 'MCAP, rgb8 Image camera, 20 Hz loop', bag: { seconds: 2, commands: commands(2) } },
  { name: 'MCAP with zstd chunks', bag: { seconds: 2, commands: commands(2), compression: 'zstd', chunkSizeBytes: 128 * 1024 } },
  { name: 'JPEG CompressedImage camera', bag: { seconds: 1, commands: commands(1), jpeg: true } },
  { name: 'a window (0.5–1.5 s)', bag: { seconds: 2, commands: commands(2) }, options: { startS: 0.5, endS: 1.5 } },
  { name: 'frames 7 ms after the tick times, 30 Hz camera', bag: { seconds: 2, cameraHz: 30, frameDelayNs: 7n * MS, commands: commands(2) } },
  { name: 'inference on a worker thread', bag: { seconds: 1, commands: commands(1) }, config: () => replayConfig({ model: { path: 'models/pilotnet-test.onnx', warmup_runs: 1, inference_thread: 'worker' } }) },
  { name: 'camera-triggered loop', bag: { seconds: 1, commands: commands(1) }, config: () => replayConfig({ loop: { rate_hz: 20, trigger: 'camera' } }) },
];

async function once(c: Case, bag: MemoryBagFolder): Promise<{ result: ReplayResult; out: MemoryBagFolder }> {
  const out = new MemoryBagFolder('out');
  const writer = await BagWriter.create(out, { name: 'out' });
  const reader = await openMemoryBag(bag);
  try {
    const result = await runReplay({ reader, models: [{ label: 'm', config: c.config?.() ?? replayConfig() }], log: quiet, output: writer, ...c.options });
    return { result, out };
  } finally {
    await reader.close();
    await writer.close();
  }
}

/** topic → [log time, CDR bytes as hex] of every message. */
async function contents(folder: MemoryBagFolder, ignore: readonly string[]): Promise<Map<string, [string, string][]>> {
  const reader = await BagReader.open(folder);
  const by = new Map<string, [string, string][]>();
  for await (const m of reader.messages()) {
    if (ignore.includes(m.topic)) continue;
    const list = by.get(m.topic) ?? [];
    list.push([String(m.logTimeNs), Buffer.from(m.data).toString('hex')]);
    by.set(m.topic, list);
  }
  await reader.close();
  return by;
}

describe('replay determinism: each recorded case twice, identical', () => {
  it.each(CASES)('$name', async (c) => {
    const bag = await writeDriveBag(c.bag);
    const a = await once(c, bag);
    const b = await once(c, bag);
    const pa = a.result.runs[0]!.predictions;
    const pb = b.result.runs[0]!.predictions;
    expect(pa.tMs.length).toBeGreaterThan(10);
    expect(pa.reasons.filter((r) => r === 'ok').length).toBeGreaterThan(pa.tMs.length / 2);
    expect(pb.tMs).toEqual(pa.tMs);
    expect(pb.values).toEqual(pa.values);
    expect(pb.reasons).toEqual(pa.reasons);
    expect(b.result.runs[0]!.evaluation!.fields).toEqual(a.result.runs[0]!.evaluation!.fields);
    const ignore = [...TIMINGS, ...(c.ignore ?? [])];
    const ca = await contents(a.out, ignore);
    const cb = await contents(b.out, ignore);
    expect([...ca.keys()].sort()).toEqual(['/camera/image_raw' + (c.bag.jpeg ? '/compressed' : ''), '/cmd/ackermann', '/pilot/cmd'].sort());
    for (const [topic, list] of ca) expect(cb.get(topic), topic).toEqual(list);
  });
});
