/** `pilot replay` exits non-zero when the model saw fewer than 90 % of the camera frames, saying why. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBagWriter } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import { tempDir } from '../bags/helpers.js';
import { ackermann, frame, MS, T0 } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) c();
});

function capture(): string[] {
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return err;
}

/** 2 s of 20 Hz frames of the given size, with recorded commands. */
async function diskBag(width: number, height: number): Promise<{ dir: string; bag: string }> {
  const { dir, cleanup } = tempDir('pilot-replay-input-');
  cleanups.push(cleanup);
  const bag = join(dir, 'drive');
  const writer = await createBagWriter(bag, { chunkSizeBytes: 512 * 1024 });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
  for (let i = 0; i < 40; i++) {
    const t = T0 + BigInt(i) * 50n * MS;
    await writer.writeMessage('/camera/image_raw', frame(i, width, height), t);
    await writer.writeMessage('/cmd/ackermann', ackermann(t, 0.2 * Math.sin(i / 4), 1), t);
  }
  await writer.close();
  return { dir, bag };
}

describe('pilot replay: input checks', () => {
  it('exits 1 when every frame is rejected, naming the reason and count; the MAE is labelled not meaningful', async () => {
    const { dir, bag } = await diskBag(160, 80);
    const json = join(dir, 'report.json');
    const err = capture();
    const code = await main(['replay', bag, '--model', 'models/pilotnet-test.onnx', '--json', json, '--html', '-']);
    const text = err.join('\n');
    expect(code).toBe(1);
    expect(text).toMatch(/NOT MEANINGFUL: the model saw 0 of 40 camera frames \(0\.0 %\), fewer than 90 %/);
    expect(text).toMatch(/field +n +MAE \(not meaningful\)/);
    expect(text).toMatch(
      /^pilot: E_REPLAY_INPUT: pilotnet-test: the model saw 0 of 40 camera frames \(0\.0 %\), fewer than 90 %: rejected 40 × image 160x80 but calibration says 320x240 .*aspect ratio 2\.000 vs 1\.333.*; the MAE above is not meaningful$/m,
    );
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.runs[0].input).toMatchObject({ cameraFrames: 40, framesAccepted: 0, fraction: 0, sufficient: false });
    expect(report.runs[0].input.rejections[0].count).toBe(40);
    // Only the zero command went out: no correlation, and the zero baseline equals the "model".
    const steering = report.runs[0].evaluation.fields[0];
    expect(steering.corr).toBeNull();
    expect(steering.mae).toBeCloseTo(steering.baselines.zero.mae, 9);
  });

  it('accepts a 160×120 stream with the 320×240 calibration, prints the notice once and exits 0', async () => {
    const { dir, bag } = await diskBag(160, 120);
    const err = capture();
    const code = await main(['replay', bag, '--model', 'models/pilotnet-test.onnx', '--json', join(dir, 'r.json'), '--html', '-']);
    const text = err.join('\n');
    expect(code).toBe(0);
    expect(text.match(/camera frames are 160×120, calibration\/camera\.yaml is 320×240: intrinsics scaled by 0\.5/g)?.length).toBe(2); // the log line, and the note
    expect(text).toMatch(/the model saw 40 of 40 camera frames \(100\.0 %\); 0 rejected; 40 sampled with scaled intrinsics/);
    expect(text).not.toMatch(/E_REPLAY_INPUT|not meaningful/i);
  });
});
