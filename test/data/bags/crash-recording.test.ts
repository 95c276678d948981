/**
 * Crash-safe recording, with real processes: a recorder child is killed with SIGKILL at random points,
 * many times; `pilot bag recover` must give back exactly what was sent, in order and field by field, up
 * to a point at most the flush interval (plus a margin) before the last message sent. Loss is measured
 * on the messages' own send times (and counts), not on how long the test took.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openBag } from '../../../src/data/bags/index.js';
import { main } from '../../../src/cli/main.js';
import { bundleChild, startChild } from '../../transport/child-process.js';
import { CRASH_TOPICS, crashMessage, type CrashTopic } from './crash-messages.js';
import { collect, comparable, tempDir } from './helpers.js';

/** Beyond the interval: the flush timer firing late on a busy machine, and the chunk's write still in flight. */
const MARGIN_S = 0.75;
/** PILOT_CRASH_TRIALS=50 for a longer run; three run at a time (each child mostly waits on its timers). */
const TRIALS = Number(process.env.PILOT_CRASH_TRIALS ?? 24);
const AT_ONCE = 3;
const CMD_PERIOD_MS = CRASH_TOPICS[0].periodMs;

interface Sent {
  readonly topic: CrashTopic;
  readonly seq: number;
  readonly tNs: bigint;
}

interface Trial {
  readonly flushMs: number;
  readonly killAfterMs: number;
  readonly sent: number;
  readonly recovered: number;
  /** From the last recovered message to the last one sent, on the send clock. */
  readonly lossS: number;
  readonly lostCmd: number;
}

let child: { script: string; remove: () => void };
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  child = await bundleChild('test/data/bags/crash-record-child.ts');
  work = tempDir('pilot-crash-');
  // `bag recover` reports on stdout; the trials check the bags themselves.
  vi.spyOn(console, 'log').mockImplementation(() => {});
}, 60_000);

afterAll(() => {
  vi.restoreAllMocks();
  child.remove();
  work.cleanup();
});

/** The sent log, complete lines only (the kill may cut the last one). */
function readSent(path: string): Sent[] {
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [topic, seq, tNs] = l.split(' ');
      return { topic: topic as CrashTopic, seq: Number(seq), tNs: BigInt(tNs!) };
    });
}

/** Size and hash of every file in a bag folder: the original must not change when a copy is recovered. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) out[name] = createHash('sha1').update(readFileSync(join(dir, name))).digest('hex');
  return out;
}

async function runTrial(i: number, flushMs: number, killAfterMs: number): Promise<Trial> {
  const bag = join(work.dir, `bag-${i}`);
  const log = join(work.dir, `sent-${i}.log`);
  const c = startChild(child.script, [bag, log, String(flushMs)]);
  await c.line(/^recording$/, 'the recorder to start');
  await sleep(killAfterMs);
  c.process.kill('SIGKILL');
  expect(await c.exited()).toBe('SIGKILL');
  const sent = readSent(log);

  const before = fingerprint(bag);
  expect(await main(['bag', 'recover', bag])).toBe(0);
  expect(fingerprint(bag), 'the original bag is left as it was').toEqual(before);

  const reader = await openBag(`${bag}-recovered`);
  expect(reader.warnings).toEqual([]);
  const got = await collect(reader.decoded());
  await reader.close();
  // Message by message: exactly the first got.length messages sent, in order, every field.
  expect(got.length).toBeLessThanOrEqual(sent.length);
  expect(got.map((m) => [m.topic, comparable(m.message)])).toEqual(
    sent.slice(0, got.length).map((s) => [s.topic, comparable(crashMessage(s.topic, s.seq, s.tNs))]),
  );
  const lastKept = got.length > 0 ? sent[got.length - 1]!.tNs : sent[0]?.tNs ?? 0n;
  const lossS = sent.length > 0 ? Number(sent.at(-1)!.tNs - lastKept) / 1e9 : 0;
  const lostCmd = sent.slice(got.length).filter((s) => s.topic === '/cmd/ackermann').length;
  return { flushMs, killAfterMs, sent: sent.length, recovered: got.length, lossS, lostCmd };
}

describe('recording killed with SIGKILL', () => {
  it(`loses at most the flush interval (+${MARGIN_S} s) in ${TRIALS} kills at random points, and recover restores the rest exactly`, async () => {
    // Most trials at 250 ms, so a kill lands before, during and after several flushes; every fourth at the 1 s default.
    const plan = Array.from({ length: TRIALS }, (_, i) => {
      const flushMs = i % 4 === 3 ? 1000 : 250;
      const killAfterMs = Math.round(flushMs === 1000 ? 500 + Math.random() * 2200 : 100 + Math.random() * 1200);
      return { i, flushMs, killAfterMs };
    });
    const trials: Trial[] = [];
    for (let k = 0; k < plan.length; k += AT_ONCE) {
      trials.push(...(await Promise.all(plan.slice(k, k + AT_ONCE).map((p) => runTrial(p.i, p.flushMs, p.killAfterMs)))));
    }
    const sent = trials.reduce((s, t) => s + t.sent, 0);
    const recovered = trials.reduce((s, t) => s + t.recovered, 0);
    const worst = trials.reduce((w, t) => (t.lossS - t.flushMs / 1000 > w.lossS - w.flushMs / 1000 ? t : w));
    console.info(
      `SIGKILL trials: ${trials.length}, messages sent ${sent}, recovered ${recovered}; worst loss ${worst.lossS.toFixed(3)} s ` +
        `(flush interval ${worst.flushMs} ms, ${worst.lostCmd} /cmd messages, killed after ${worst.killAfterMs} ms); ` +
        `max loss at 250 ms: ${Math.max(...trials.filter((t) => t.flushMs === 250).map((t) => t.lossS)).toFixed(3)} s, ` +
        `at 1000 ms: ${Math.max(...trials.filter((t) => t.flushMs === 1000).map((t) => t.lossS)).toFixed(3)} s`,
    );
    for (const t of trials) {
      const what = JSON.stringify(t);
      expect(t.lossS, what).toBeLessThanOrEqual(t.flushMs / 1000 + MARGIN_S);
      expect(t.lostCmd, what).toBeLessThanOrEqual(Math.ceil((t.flushMs + MARGIN_S * 1000) / CMD_PERIOD_MS) + 1);
    }
    // The bound is not vacuous: kills later than interval + margin kept data.
    for (const t of trials.filter((t) => t.killAfterMs > t.flushMs + MARGIN_S * 1000 + 200)) expect(t.recovered, JSON.stringify(t)).toBeGreaterThan(0);
  }, 180_000);

  it('without the time-based flush (--flush-interval-ms 0), slow topics lose everything: what the interval fixes', async () => {
    const t = await runTrial(1000, 0, 1500);
    expect(t.sent).toBeGreaterThan(50);
    expect(t.recovered).toBe(0);
  }, 60_000);
});
