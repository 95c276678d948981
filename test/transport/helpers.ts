import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import type { TopicStats, Transport } from '../../src/transport/transport.js';
import { emptyTopicStats } from '../../src/transport/transport.js';

export { tick };

/** Short path: unix socket paths are limited to 107 bytes. */
export function tempIpcDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pt-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Polls until `done()`; the bound only guards against a hang, it is not what a test asserts.
 * `step` (e.g. publishing a probe) runs before each poll, which is how we get past ZeroMQ's slow joiner.
 */
export async function until(done: () => boolean, step: () => void = () => {}, what = 'condition'): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (done()) return;
    step();
    await sleep(i < 20 ? 1 : 10);
    if (done()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Counters of a topic summed over the transports involved (publisher side and subscriber side). */
export function statsOf(topic: string, ...transports: Transport[]): TopicStats {
  const sum = emptyTopicStats();
  for (const t of new Set(transports)) {
    const s = t.stats().get(topic);
    if (!s) continue;
    for (const k of Object.keys(sum) as (keyof TopicStats)[]) sum[k] += s[k];
  }
  return sum;
}
