import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBagWriter, openBag } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import { tempDir } from '../bags/helpers.js';
import { ackermann, frame, MS, T0 } from './helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) c();
});

function scratch(): string {
  const { dir, cleanup } = tempDir('pilot-replay-cli-');
  cleanups.push(cleanup);
  return dir;
}

/** 2 s of 20 Hz frames and 20 Hz commands that steer left then right. */
async function diskBag(dir: string): Promise<string> {
  const bag = join(dir, 'drive');
  const writer = await createBagWriter(bag, { chunkSizeBytes: 512 * 1024 });
  writer.addTopic('/camera/image_raw', 'sensor_msgs/msg/Image');
  writer.addTopic('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped');
  for (let i = 0; i < 40; i++) {
    const t = T0 + BigInt(i) * 50n * MS;
    await writer.writeMessage('/camera/image_raw', frame(i), t);
    await writer.writeMessage('/cmd/ackermann', ackermann(t + MS, i < 20 ? 0.2 : -0.2, 1), t + MS);
  }
  await writer.close();
  return bag;
}

describe('pilot replay (CLI)', () => {
  it('replays a bag on disk: summary, JSON, a self-contained HTML report and an output bag', async () => {
    const dir = scratch();
    const bag = await diskBag(dir);
    const json = join(dir, 'report.json');
    const html = join(dir, 'report.html');
    const out = join(dir, 'replayed');
    const { err } = capture();
    const code = await main(['replay', bag, '--model', 'models/pilotnet-test.onnx', '--json', json, '--html', html, '--out', out, '--segment', '1']);
    expect(err.join('\n')).not.toMatch(/^pilot: E_/m);
    expect(code).toBe(0);
    const text = err.join('\n');
    expect(text).toMatch(/^model pilotnet-test: pilotnet-test/m);
    expect(text).toMatch(/^ {4}steering_angle +39 +\d\.\d{4}/m); // the first tick comes before the first recorded command
    expect(text).toMatch(/worst moments, steering_angle \(rad\):/);
    expect(text).toMatch(/tick latency +p50 [\d.]+ +p90/);
    expect(text).toMatch(/report: .*report\.json, .*report\.html/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.schema).toBe('pilot.replay/1');
    expect(report.window.startNs).toBe(String(T0));
    expect(report.runs[0].evaluation.fields.map((f: { name: string }) => f.name)).toEqual(['steering_angle', 'speed']);
    expect(report.runs[0].evaluation.segments).toHaveLength(2);
    expect(report.runs[0].series.tS).toHaveLength(41);
    expect(report.runs[0].series.recorded.steering_angle[0]).toBeNull(); // the startup command is not compared
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toMatch(/<svg viewBox/);
    expect(page).toMatch(/steering_angle: predicted vs recorded/);
    expect(page).not.toMatch(/<script|https?:\/\//);
    const replayed = await openBag(out);
    expect(Object.fromEntries(replayed.topics().map((t) => [t.name, t.messageCount]))).toMatchObject({ '/camera/image_raw': 40, '/cmd/ackermann': 40, '/pilot/cmd': 41, '/pilot/timeline': 40 });
    await replayed.close();
  });

  it('--compare runs two models on the same bag (the same model agrees with itself exactly)', async () => {
    const dir = scratch();
    const bag = await diskBag(dir);
    const json = join(dir, 'compare.json');
    const { err } = capture();
    const code = await main(['replay', bag, '--compare', 'models/pilotnet-test.onnx', 'models/pilotnet-test.onnx', '--json', json, '--html', '-']);
    expect(code).toBe(0);
    expect(err.join('\n')).toMatch(/compare: b − a over 40 ticks/);
    expect(err.join('\n')).toMatch(/steering_angle: the models agree exactly/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.comparison.labels).toEqual(['a', 'b']);
    expect(report.comparison.fields[0].maxAbs).toBe(0);
  });

  it('says what is wrong with the arguments', async () => {
    const { err } = capture();
    expect(await main(['replay'])).toBe(2);
    expect(err.join('\n')).toMatch(/replay needs one bag folder or file/);
    expect(await main(['replay', 'some-bag'])).toBe(2);
    expect(err.join('\n')).toMatch(/replay needs --model <onnx>/);
    expect(await main(['replay', 'some-bag', '--compare', 'a.onnx'])).toBe(2);
    expect(err.join('\n')).toMatch(/--compare needs two models/);
    expect(await main(['replay', 'some-bag', '--model', 'a.onnx', '--rate', '2'])).toBe(2);
    expect(err.join('\n')).toMatch(/--rate applies to --realtime/);
    expect(await main(['replay', 'some-bag', '--model', 'a.onnx', '--remap', 'camera=/x'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_REMAP: --remap 'camera=\/x': expected \/from:=\/to/);
  });
});

describe('pilot bag play / import (CLI)', () => {
  it('plays a bag', async () => {
    const dir = scratch();
    const bag = await diskBag(dir);
    const { err } = capture();
    expect(await main(['bag', 'play', bag, '--transport', 'inprocess', '--rate', '100', '--topics', '/cmd/ackermann', '--clock'])).toBe(0);
    const text = err.join('\n');
    expect(text).toMatch(/\/cmd\/ackermann: 40 published/);
    expect(text).toMatch(/\/clock: \d+ published/);
    expect(text).toMatch(/done: 40 messages/);
  });

  it('imports a DonkeyCar tub and a Udacity log; a failed import leaves no bag behind', async () => {
    const dir = scratch();
    const { err } = capture();
    expect(await main(['bag', 'import', 'donkey', 'test/fixtures/import/donkey_v2_tub', '-o', join(dir, 'donkey')])).toBe(0);
    expect(err.join('\n')).toMatch(/imported 4 of 4 records .* steering ±1 → ±0\.4500 rad, positive source steering = right; throttle 1 → 4 m\/s/);
    expect(existsSync(join(dir, 'donkey', 'metadata.yaml'))).toBe(true);
    err.length = 0;
    expect(await main(['bag', 'import', 'udacity', 'test/fixtures/import/udacity/driving_log.csv', '-o', join(dir, 'udacity'), '--rate', '10', '--max-speed', '2'])).toBe(0);
    expect(err.join('\n')).toMatch(/imported 4 of 4 records .* ±0\.4363 rad/);
    const reader = await openBag(join(dir, 'udacity'));
    expect(reader.info().durationNs).toBe(300n * MS);
    expect(reader.topics().map((t) => t.name)).toEqual(['/camera/image_raw/compressed', '/cmd/ackermann', '/odom']);
    await reader.close();
    err.length = 0;
    expect(await main(['bag', 'import', 'donkey', 'test/fixtures/import/udacity', '-o', join(dir, 'bad')])).toBe(1);
    expect(err.join('\n')).toMatch(/E_IMPORT_FORMAT: .*not a DonkeyCar tub/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expect(await main(['bag', 'import', 'donkey', 'x', '-o', join(dir, 'y'), '--camera', 'left'])).toBe(2);
    expect(await main(['bag', 'import', 'csv', 'x', '-o', 'y'])).toBe(2);
    expect(err.join('\n')).toMatch(/unknown format 'csv' \(known: donkey, udacity\)/);
  });
});
