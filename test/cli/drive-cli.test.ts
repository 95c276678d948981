import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'pilot-drive-cli-'));

describe('pilot drive', () => {
  it('drives the expert, writes the JSON and HTML reports and passes its checks (exit 0)', async () => {
    const { out } = capture();
    const json = join(dir, 'oval.json');
    expect(await main(['drive', '--expert', '--track', 'oval', '--laps', '1', '--transport', 'inprocess', '--json', json])).toBe(0);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result).toMatchObject({ schema: 'pilot.drive/1', lapsCompleted: 1, interventions: 0, driver: { kind: 'expert' } });
    expect(readFileSync(join(dir, 'oval.html'), 'utf8')).toMatch(/<title>[^<]*oval[\s\S]*<svg/);
    // The summary is the result: stdout.
    expect(out.join('\n')).toMatch(/verdict\s+PASS/);
  });

  it('exits 1 when the drive misses its bars', async () => {
    const { out } = capture();
    const json = join(dir, 'short.json');
    // 30 s is not even one lap of the 65 m chicane at 2 m/s: the laps check fails.
    expect(await main(['drive', '--expert', '--track', 'chicane', '--laps', '3', '--max-time', '30', '--transport', 'inprocess', '--json', json, '--html', '-'])).toBe(1);
    expect(out.join('\n')).toMatch(/FAIL\s+laps completed\s+0 ≥ 3/);
    expect(existsSync(json)).toBe(true);
  });

  it('rejects bad flags and bad files with a message naming them', async () => {
    const { err } = capture();
    expect(await main(['drive', '--expert', '--model', 'models/pilotnet-test.onnx'])).toBe(2);
    expect(err.join('\n')).toMatch(/--model <onnx> or --expert, not both/);
    expect(await main(['drive', '--expert', '--randomize', '2'])).toBe(2);
    expect(err.join('\n')).toMatch(/--randomize strength must be in \[0, 1\] \(got '2'\)/);
    expect(await main(['drive', '--expert', '--track', 'nowhere'])).toBe(1);
    expect(err.join('\n')).toMatch(/E_TRACK.*nowhere/);
    const bad = join(dir, 'bad-sim.yaml');
    writeFileSync(bad, 'camera:\n  rate_hz: -5\n');
    expect(await main(['drive', '--expert', '--sim-config', bad])).toBe(1);
    expect(err.join('\n')).toMatch(/E_SIM_CONFIG: .*bad-sim.yaml: camera.rate_hz: .*(-5)/);
  });

  it('lists the tracks with their split', async () => {
    const { out } = capture();
    expect(await main(['drive', '--list-tracks'])).toBe(0);
    expect(out.join('\n')).toMatch(/lake\s+unseen/);
    expect(out.join('\n')).toMatch(/oval\s+train/);
  });
});
