import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBag } from '../../../src/data/bags/node-io.js';
import type { AckermannDriveStamped, Image } from '../../../src/core/messages/types.js';
import { parseSimConfig } from '../../../sim/config/sim-config.js';
import { runDriveSession } from '../../../sim/drive/drive-session.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('recording a test drive', () => {
  it('writes every sensor and command of an expert drive into a rosbag2 folder, on sim time', async () => {
    const bag = join(dir, 'expert_oval');
    const result = await runDriveSession({
      track: 'oval',
      laps: 1,
      driver: { kind: 'expert' },
      sim: parseSimConfig({}, 'test'),
      transport: 'inprocess',
      maxSimTimeS: 2,
      record: { dir: bag, compression: 'lz4' },
    });
    const reader = await openBag(bag);
    const info = reader.info();
    const count = (topic: string) => info.topics.find((t) => t.name === topic)?.messageCount;
    expect(count('/camera/image_raw')).toBe(result.samples);
    expect(count('/cmd/ackermann')).toBe(result.samples);
    expect(count('/clock')).toBe(result.samples);
    let frames = 0;
    let lastCommand: AckermannDriveStamped | undefined;
    for await (const m of reader.decoded<Image | AckermannDriveStamped>({ topics: ['/camera/image_raw', '/cmd/ackermann'] })) {
      if (m.topic === '/camera/image_raw') {
        const image = m.message as Image;
        expect([image.width, image.height, image.encoding, image.data.length]).toEqual([320, 240, 'rgb8', 320 * 240 * 3]);
        // Log time is the sim time the frame was taken at.
        expect(Number(m.logTimeNs) / 1e6).toBe(frames * 50);
        frames++;
      } else lastCommand = m.message as AckermannDriveStamped;
    }
    expect(frames).toBe(result.samples);
    expect(lastCommand!.drive.speed).toBeGreaterThan(0.5);
    await reader.close();
  }, 30_000);
});
