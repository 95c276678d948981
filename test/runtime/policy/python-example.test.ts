// The Python example server and client (launch/policy-server/) against pilot's own client and
// `pilot serve`: the protocol description is enough to interoperate. Needs a python3 with pyzmq and
// msgpack (Debian: python3-zmq, python3-msgpack; .ci/run installs them); without them these tests are
// reported as skipped, with the reason printed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { spawnPolicyServer } from '../../../src/runtime/bench/policy-server-bench.js';
import { buildChunkedPolicy } from '../../../src/learning/export/chunked-policy.js';
import { RemotePolicy } from '../../../src/runtime/policy/remote-policy.js';

const SERVER_PY = 'launch/policy-server/example_server.py';
const CLIENT_PY = 'launch/policy-server/example_client.py';

/** The first python with zmq and msgpack: $PILOT_PYTHON, python3 on PATH, then the system's. */
function findPython(): { python?: string; why: string } {
  const candidates = [process.env.PILOT_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  const tried: string[] = [];
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import zmq, msgpack'], { encoding: 'utf8' });
    if (r.status === 0) return { python: c, why: '' };
    tried.push(`${c}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { why: tried.join('; ') };
}

const { python, why } = findPython();
if (!python) {
  console.warn(`python-example.test.ts: SKIPPED, no python3 with zmq and msgpack (apt-get install python3-zmq python3-msgpack): ${why}`);
}

const dir = mkdtempSync(join(tmpdir(), 'pilot-python-'));
const small = buildChunkedPolicy({ steps: 5, stepMs: 10, height: 6, width: 8, id: 'python-served' });
const smallPath = join(dir, 'python-served.onnx');
writeFileSync(smallPath, small.bytes);
const contractPath = join(dir, 'contract.json');
writeFileSync(contractPath, JSON.stringify({ path: smallPath, contract: small.contract }));

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Starts example_server.py on a free loopback port; resolves with the endpoint it printed. */
async function startPythonServer(): Promise<string> {
  const child = spawn(python!, [SERVER_PY, '--contract', contractPath, '--model-file', smallPath, '--endpoint', 'tcp://127.0.0.1:*'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.push(() => stop(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+),/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`example_server.py exited (${code}) before listening: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(python)('the Python example server (launch/policy-server/example_server.py) with pilot’s client', () => {
  it('passes the hello and contract check, and its chunks equal the ONNX network’s', async () => {
    const endpoint = await startPythonServer();
    const remote = await RemotePolicy.connect({ endpoint, timeout_ms: 5000, connect_timeout_ms: 10_000, allow_remote: false, expectModel: smallPath });
    cleanup.push(() => remote.dispose());
    expect(remote.contract.id).toBe('python-served');
    expect(remote.startup.notes[0]).toContain('example_server.py');
    for (const m of [[0.9, 0.5, 0.1], [0.2, 0.3, 0.7]] as const) {
      const image = remote.inputs.get('image')!;
      const plane = image.length / 3;
      image.fill(m[0], 0, plane).fill(m[1], plane, 2 * plane).fill(m[2], 2 * plane);
      await remote.run();
      const expected = small.expectedRaw(m);
      expect(remote.output.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) expect(remote.output[i]).toBeCloseTo(expected[i]!, 5);
    }
    expect(remote.stats).toMatchObject({ requests: 2, timeouts: 0, errors: 0 });
    expect(remote.serverMs.total).toBe(2);
  });

  it('answers a wrong protocol version, a wrong shape and garbage with error replies, and keeps serving', async () => {
    const endpoint = await startPythonServer();
    const sock = new zmq.Dealer({ linger: 0 });
    sock.connect(endpoint);
    cleanup.push(async () => sock.close());
    const ask = async (frames: Buffer[]) => {
      await sock.send(frames);
      const [head, ...rest] = await sock.receive();
      return { head: unpack(head!) as Record<string, unknown>, rest };
    };
    expect((await ask([pack({ protocol: 2, type: 'hello', client: 't' })])).head).toMatchObject({ type: 'error', code: 'E_POLICY_VERSION' });
    const shape = await ask([pack({ protocol: 1, type: 'infer', id: 3, inputs: [{ name: 'image', shape: [1, 3, 8, 6] }] }), Buffer.alloc(4 * 144)]);
    expect(shape.head).toMatchObject({ type: 'error', id: 3, code: 'E_POLICY_SHAPE' });
    expect(String(shape.head.message)).toContain("'image'");
    expect((await ask([Buffer.from([0xc1])])).head).toMatchObject({ type: 'error', code: 'E_POLICY_PROTOCOL' });
    const ok = await ask([pack({ protocol: 1, type: 'infer', id: 4, inputs: [{ name: 'image', shape: [1, 3, 6, 8] }] }), Buffer.alloc(4 * 144)]);
    expect(ok.head).toMatchObject({ type: 'result', id: 4, outputs: [{ name: 'actions', shape: [1, 5, 2] }] });
    expect(ok.rest[0]!.length).toBe(4 * 10);
  });
});

describe.runIf(python)('the Python example client (launch/policy-server/example_client.py) with pilot serve', () => {
  it('gets the hello and chunks equal to the ONNX network’s from pilot serve as its own process', async () => {
    const server = await spawnPolicyServer({
      modelPath: smallPath,
      projectDir: process.cwd(),
      command: [process.execPath, 'node_modules/vite-node/vite-node.mjs', 'test/runtime/policy/serve-child.ts', '--'],
      readyTimeoutMs: 280_000, // the child compiles pilot's sources on the fly: slow on a busy machine
    });
    cleanup.push(() => server.stop());
    const r = await runPython([CLIENT_PY, '--endpoint', server.endpoint, '--requests', '3', '--rgb', '0.9,0.5,0.1', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { server: string; model_id: string; requests: number; outputs: Record<string, number[]> };
    expect(summary).toMatchObject({ server: 'pilot serve', model_id: 'python-served', requests: 3 });
    const expected = small.expectedRaw([0.9, 0.5, 0.1]);
    expect(summary.outputs.actions!.length).toBe(expected.length);
    summary.outputs.actions!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  }, 360_000);

  it('says which server is missing instead of hanging', async () => {
    const r = await runPython([CLIENT_PY, '--endpoint', 'tcp://127.0.0.1:1', '--requests', '1', '--timeout-ms', '300']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('no reply from tcp://127.0.0.1:1 within 300 ms');
  });
});
