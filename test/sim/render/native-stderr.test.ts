/** Dawn's limit warnings stay off stderr unless asked for (--verbose), and stderr works afterwards. */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'pilot-native-stderr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The child's stderr is a file, as with `pilot drive 2> log` (a terminal and a shell pipe behave the
 * same; a socket, which Node's own 'pipe' stdio is, cannot be reopened, and there the warnings pass).
 */
function child(verbose: boolean): { status: number | null; stderr: string } {
  const path = join(dir, verbose ? 'verbose.txt' : 'quiet.txt');
  const fd = openSync(path, 'w');
  try {
    const r = spawnSync(process.execPath, ['node_modules/vite-node/vite-node.mjs', 'test/sim/render/dawn-child.ts'], {
      env: { ...process.env, DAWN_CHILD_VERBOSE: verbose ? '1' : '0' },
      stdio: ['ignore', 'ignore', fd],
      timeout: 60_000,
    });
    return { status: r.status, stderr: readFileSync(path, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

describe("Dawn's native warnings", () => {
  it('are muted by default; what the process writes to stderr afterwards still arrives', () => {
    const { status, stderr } = child(false);
    expect(status, stderr).toBe(0);
    expect(stderr).not.toMatch(/artificially reduced/);
    expect(stderr).not.toMatch(/written while muted/);
    expect(stderr).toMatch(/^descriptor 2 after$/m);
    expect(stderr).toMatch(/^console\.error after$/m);
  }, 60_000);

  it('are shown with native diagnostics on (pilot --verbose)', () => {
    const { status, stderr } = child(true);
    expect(status, stderr).toBe(0);
    // Once per adapter request: installGpuEnvironment's and the second one.
    expect(stderr.match(/Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced/g)?.length).toBe(2);
    expect(stderr).toMatch(/^console\.error after$/m);
  }, 60_000);
});
