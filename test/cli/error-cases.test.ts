/** The errors issue 21 found misleading, as a user meets them now. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadSimConfig } from '../../sim/index.js';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/core/config/load.js';
import { ZeroMqTransport } from '../../src/transport/zeromq.js';
import { capture } from '../helpers/capture-console.js';

afterEach(() => vi.restoreAllMocks());
const dir = mkdtempSync(join(tmpdir(), 'pilot-error-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** launch/pilot.yaml (model.require_eval: true) with changes, in process unless told otherwise. */
function pilotYaml(name: string, change: (c: Record<string, Record<string, unknown>>) => void): string {
  const config = parse(readFileSync('launch/pilot.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
  config.model = { ...config.model, warmup_runs: 1, providers: ['cpu'] };
  config.transport = { kind: 'inprocess' };
  change(config);
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

describe('a missing model file with launch/pilot.yaml', () => {
  it('is "file not found", naming the path, not "not evaluated"', async () => {
    const { err } = capture();
    const missing = join(dir, 'missing.onnx');
    const config = pilotYaml('missing-model.yaml', (c) => (c.model!.path = missing));
    expect(await main(['run', '--config', config, '--duration', '0.1'])).toBe(1);
    expect(err.join('\n')).toContain(`E_MODEL_FILE: cannot read model ${missing}: ENOENT (file not found)`);
    expect(err.join('\n')).not.toMatch(/E_MODEL_NOT_EVALUATED/);
  });
});

describe('transport.allow_remote', () => {
  it('is a key the config schema accepts (default false)', () => {
    expect(parseConfig({ model: { path: 'm.onnx' }, transport: { allow_remote: true } }, 'test', process.cwd()).transport.allow_remote).toBe(true);
    expect(parseConfig({ model: { path: 'm.onnx' } }, 'test', process.cwd()).transport.allow_remote).toBe(false);
  });

  it('subscribing to a non-loopback tcp endpoint is refused like binding one, naming the key; allowed with it', () => {
    const refuse = new ZeroMqTransport({ endpoints: { '/cmd': 'tcp://10.255.0.1:5601' } });
    expect(() => refuse.subscribe('/cmd', 'std_msgs/msg/Bool', () => {})).toThrow(
      /E_NOT_LOOPBACK: refusing to subscribe to 'tcp:\/\/10\.255\.0\.1:5601': not a loopback or ipc endpoint \(set transport\.allow_remote: true in the runtime config to receive from another machine\)/,
    );
    expect(() => refuse.advertise('/cmd', 'std_msgs/msg/Bool')).toThrow(/E_NOT_LOOPBACK: refusing to bind .*set transport\.allow_remote: true in the runtime config/);
    const allow = new ZeroMqTransport({ endpoints: { '/cmd': 'tcp://10.255.0.1:5601' }, allowRemote: true });
    const sub = allow.subscribe('/cmd', 'std_msgs/msg/Bool', () => {});
    sub.close();
    return Promise.all([refuse.close(), allow.close()]);
  });

  it('pilot run honours it from the config, and its error names the config file', async () => {
    const { err } = capture();
    const remote = (allow: boolean) => (c: Record<string, Record<string, unknown>>) => {
      c.model!.path = 'models/pilotnet-test.onnx';
      c.model!.require_eval = false;
      c.transport = { kind: 'zeromq', allow_remote: allow, endpoints: { '/camera/image_raw': 'tcp://10.255.0.1:5602' } };
    };
    const refused = pilotYaml('remote-refused.yaml', remote(false));
    expect(await main(['run', '--config', refused, '--duration', '0.2'])).toBe(1);
    expect(err.join('\n')).toContain(`refusing to subscribe to 'tcp://10.255.0.1:5602': not a loopback or ipc endpoint (set transport.allow_remote: true in ${refused}`);
    process.env.PILOT_IPC_DIR ??= mkdtempSync(join(tmpdir(), 'pilot-ipc-'));
    const code = await main(['run', '--config', pilotYaml('remote-allowed.yaml', remote(true)), '--duration', '0.2']);
    expect(code, err.join('\n')).toBe(0);
  });
});

describe('E_SIM_CONFIG', () => {
  it('names the file once, without a doubled prefix', () => {
    const path = join(dir, 'sim.yaml');
    writeFileSync(path, 'faults:\n  camera:\n    drop_probability: 2\n');
    expect(() => loadSimConfig(path)).toThrow(`E_SIM_CONFIG: ${path}: faults.camera.drop_probability: expected number in [0, 1] (got 2)`);
  });
});
