// PolicySession.runOn: the policy server feeds a request's frames to the network without copying them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { buildChunkedPolicy } from '../../../src/learning/export/chunked-policy.js';
import { PolicyServer } from '../../../src/runtime/policy/policy-server.js';
import { PolicySession } from '../../../src/runtime/policy/policy-session.js';
import { RemotePolicy } from '../../../src/runtime/policy/remote-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-run-on-'));
const model = buildChunkedPolicy({ steps: 4, stepMs: 10, height: 6, width: 8, id: 'run-on' });
const path = join(dir, 'run-on.onnx');
writeFileSync(path, model.bytes);

describe('PolicySession.runOn', () => {
  let policy: PolicySession;
  afterAll(() => policy?.dispose());

  it('runs on the given buffers (a view into a larger buffer too), leaving inputs untouched', async () => {
    const created = await PolicySession.create({ model: parseConfig({ model: { path, warmup_runs: 1 } }, 't', '/').model, log: () => {} });
    expect(created).toBeInstanceOf(PolicySession);
    policy = created as PolicySession;
    const plane = 6 * 8;
    // A view at a 4-byte offset inside a bigger buffer, like a ZeroMQ frame's bytes.
    const backing = new ArrayBuffer(4 * (3 * plane + 1));
    const frame = new Float32Array(backing, 4, 3 * plane);
    frame.fill(0.8, 0, plane).fill(0.4, plane, 2 * plane).fill(0.1, 2 * plane);
    policy.inputs.get('image')!.fill(0.5);
    await policy.runOn(new Map([['image', frame]]));
    const expected = model.expectedRaw([0.8, 0.4, 0.1]);
    for (let i = 0; i < expected.length; i++) expect(policy.output[i]).toBeCloseTo(expected[i]!, 5);
    expect(policy.inputs.get('image')!.every((v) => v === 0.5)).toBe(true);
    // run() still reads `inputs`.
    await policy.run();
    const grey = model.expectedRaw([0.5, 0.5, 0.5]);
    for (let i = 0; i < grey.length; i++) expect(policy.output[i]).toBeCloseTo(grey[i]!, 5);
  });

  it('refuses a missing input or a wrong element count, naming the input', async () => {
    expect(() => policy.runOn(new Map())).toThrow(/runOn: input 'image' is missing/);
    expect(() => policy.runOn(new Map([['image', new Float32Array(5)]]))).toThrow(/runOn: input 'image' has 5 elements, expected 144/);
  });

  it('pilot serve reads a request’s frames in place, and answers what the network computes', async () => {
    const server = await PolicyServer.start({ endpoint: 'tcp://127.0.0.1:*', policy, modelBytes: model.bytes });
    const remote = await RemotePolicy.connect({ endpoint: server.endpoint, timeout_ms: 5000, connect_timeout_ms: 10_000, allow_remote: false });
    try {
      const image = remote.inputs.get('image')!;
      image.fill(0.3, 0, 48).fill(0.6, 48, 96).fill(0.9, 96);
      await remote.run();
      const expected = model.expectedRaw([0.3, 0.6, 0.9]);
      for (let i = 0; i < expected.length; i++) expect(remote.output[i]).toBeCloseTo(expected[i]!, 5);
      expect(server.stats).toMatchObject({ requests: 1, errors: 0, inPlace: 1 });
    } finally {
      await remote.dispose();
      await server.close();
    }
  });
});
