/**
 * Vitest setup file (vitest.config.ts `test.setupFiles`): every test file gets its own default ipc dir.
 * Test files run in parallel forks, and tests that use the ZeroMQ transport with its default dir
 * (drive and arm sessions) publish the same topics (/clock, /diagnostics); one live publisher per ipc
 * endpoint is enforced, so without this the second fork fails with E_TOPIC_OWNED (before the check,
 * the two silently stole each other's endpoints).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

if (!process.env.PILOT_IPC_DIR) {
  const dir = mkdtempSync(join(tmpdir(), 'pt-ipc-'));
  process.env.PILOT_IPC_DIR = dir;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
}
