import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../../src/cli/args.js';
import { armCommand } from '../../../src/cli/arm-command.js';
import { main } from '../../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pilot arm', () => {
  let stderr: string[];
  let stdout: string[];
  beforeEach(() => {
    stderr = [];
    stdout = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void stderr.push(String(line)));
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void stdout.push(String(line)));
  });
  afterEach(() => vi.restoreAllMocks());

  it('runs expert episodes, prints each and the summary, writes the JSON report, exits 0 above --min-success', async () => {
    const json = join(dir, 'expert.json');
    const code = await armCommand(['--expert', '--task', 'reach', '--episodes', '4', '--seed', '5', '--unseen', '--randomize', '--transport', 'inprocess', '--json', json, '--min-success', '0.99']);
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.summary).toMatchObject({ kind: 'reach', split: 'unseen', driver: 'expert', episodes: 4, successes: 4, successRate: 1, jointLimitInterventions: 0 });
    expect(report.pass).toBe(true);
    expect(report.joint_names).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll']);
    expect(report.episodes.map((e: { seed: number }) => e.seed)).toEqual([1_000_005, 1_000_006, 1_000_007, 1_000_008]);
    expect(stderr.filter((l) => /^episode \d\/4 seed \d+: success in [\d.]+ s, final error [\d.]+ cm$/.test(l))).toHaveLength(4);
    // Progress (the episodes) on stderr, the summary (the result) on stdout.
    expect(stdout.join('\n')).toMatch(/arm reach \(unseen placements, expert\): 4\/4 succeeded \(100\.0 %\)[\s\S]*time to success: mean [\d.]+ s[\s\S]*final error: mean[\s\S]*joint-limit interventions: 0 steps/);
    expect(stdout.join('\n')).toContain('PASS: success rate 100.0 % ≥ 99.0 %');
  });

  it('exits 1 below --min-success (a time limit too short to reach anything)', async () => {
    const code = await armCommand(['--expert', '--episodes', '2', '--transport', 'inprocess', '--time-limit', '0.2', '--json', join(dir, 'short.json'), '--quiet']);
    expect(code).toBe(1);
    expect(stdout.join('\n')).toContain('FAIL: success rate 0.0 % < 90.0 %');
    expect(stderr.some((l) => l.startsWith('episode '))).toBe(false);
  });

  it('usage errors name the flag and the value', async () => {
    await expect(armCommand(['--task', 'pick', '--expert'])).rejects.toThrow(new CliError("--task: unknown arm task 'pick' (known: reach, push)"));
    await expect(armCommand(['--expert', '--model', 'x.onnx'])).rejects.toThrow(/--model <onnx> or --expert, not both/);
    await expect(armCommand(['--expert', '--episodes', '0'])).rejects.toThrow(/--episodes must be a whole number ≥ 1 \(got '0'\)/);
    await expect(armCommand(['--expert', '--randomize', '3'])).rejects.toThrow(/--randomize must be in \[0, 1\] \(got '3'\)/);
    await expect(armCommand(['--expert', '--unseen', '--train-split'])).rejects.toThrow(/--unseen or --train-split, not both/);
    await expect(armCommand(['--expert', '--bogus'])).rejects.toThrow(CliError);
    expect(await main(['arm', '--help'])).toBe(0);
    expect(stdout.join('\n')).toMatch(/Usage: pilot arm \[options\][\s\S]*-n, --episodes <n>\s+episodes to run\s+\(default:\s+100\)[\s\S]*Examples:/);
  });

  it('a missing runtime config or model is a clear error, not a crash', async () => {
    await expect(armCommand(['--config', join(dir, 'nope.yaml'), '--episodes', '1', '--transport', 'inprocess'])).rejects.toThrow(/nope\.yaml/);
  });
});
