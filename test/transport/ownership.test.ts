/** Instance ownership of ZeroMQ ipc endpoints, with real processes: one live publisher per topic. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RELIABLE_QOS } from '../../src/transport/transport.js';
import { ZeroMqTransport } from '../../src/transport/zeromq.js';
import { bundleChild, startChild, type Child } from './child-process.js';
import { tempIpcDir, until } from './helpers.js';

let child: { script: string; remove: () => void };
let ipc: ReturnType<typeof tempIpcDir>;
let other: ReturnType<typeof tempIpcDir>;
const children: Child[] = [];
const transports: ZeroMqTransport[] = [];

beforeAll(async () => {
  child = await bundleChild('test/transport/publisher-child.ts');
}, 60_000);
afterAll(() => child.remove());

beforeEach(() => {
  ipc = tempIpcDir();
  other = tempIpcDir();
});

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.process.kill('SIGKILL');
    await c.exited();
  }
  for (const t of transports.splice(0)) await t.close();
  ipc.remove();
  other.remove();
});

function publisher(topics: string[], dir = ipc.dir): Child {
  const c = startChild(child.script, topics, { PILOT_IPC_DIR: dir });
  children.push(c);
  return c;
}

/** Resolves once a subscriber in this process hears `pid` on `topic` (the child publishes its pid). */
async function hears(topic: string, pid: number, dir = ipc.dir): Promise<void> {
  const t = new ZeroMqTransport({ ipcDir: dir, onError: () => {} });
  transports.push(t);
  let heard = false;
  t.subscribe<{ data: number }>(topic, 'std_msgs/msg/Int32', (m) => void (heard ||= m.data === pid), RELIABLE_QOS);
  await until(() => heard, undefined, `pid ${pid} on ${topic}`);
}

const lockOf = (topic: string, dir = ipc.dir) => JSON.parse(readFileSync(`${dir}/${topic.slice(1)}.lock`, 'utf8')) as { pid: number; nonce: string };

/** A pid that no process has any more: a child that ran and was reaped. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(done.stdout);
}

describe('ZeroMQ endpoint ownership between processes', () => {
  it('a second instance publishing a live topic fails at start with one line; the first keeps working; another ipc dir runs both', async () => {
    const first = publisher(['/cmd', '/diagnostics']);
    await first.line(/^ready /, 'the first publisher is ready');
    const socket = `${ipc.dir}/cmd`;
    const inode = statSync(socket).ino;

    // The second takes /status (free) and then fails on /cmd: it must leave the first's files alone
    // and remove its own /status endpoint on the way out.
    const second = publisher(['/status', '/cmd']);
    expect(await second.exited()).toBe(1);
    const lines = second.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^pilot: E_TOPIC_OWNED: topic '/cmd' is already published by pid ${first.pid} \\(publisher-child-\\d+\\.mjs /cmd /diagnostics, since [^)]+\\) ` +
          `on ipc://${ipc.dir}/cmd; to run both, start the second one \\(and its peers\\) with PILOT_IPC_DIR=<another dir>$`,
      ),
    );
    console.log(`second instance: ${lines[0]}`);
    expect(statSync(socket).ino).toBe(inode);
    expect(lockOf('/cmd').pid).toBe(first.pid);
    expect(existsSync(`${ipc.dir}/status`)).toBe(false);
    expect(existsSync(`${ipc.dir}/status.lock`)).toBe(false);
    await hears('/cmd', first.pid);

    // What the line advises: the second instance in its own ipc dir runs beside the first.
    const beside = publisher(['/status', '/cmd'], other.dir);
    await beside.line(/^ready /, 'the second publisher in another ipc dir');
    await hears('/cmd', beside.pid, other.dir);
    await hears('/cmd', first.pid);

    // On exit each removes only its own sockets and locks.
    first.process.kill('SIGTERM');
    expect(await first.exited()).toBe(0);
    expect(readdirSync(ipc.dir)).toEqual([]);
    expect(readdirSync(other.dir).sort()).toEqual(['cmd', 'cmd.lock', 'status', 'status.lock']);
  }, 60_000);

  it('reclaims the lock of a process that was SIGKILLed, and one with a dead or reused pid', async () => {
    const killed = publisher(['/cmd']);
    await killed.line(/^ready /, 'the publisher to kill');
    killed.process.kill('SIGKILL');
    await killed.exited();
    expect(lockOf('/cmd').pid).toBe(killed.pid); // left behind: nobody ran its exit hook

    const next = publisher(['/cmd']);
    await next.line(/^ready /, 'a publisher after the SIGKILL');
    expect(lockOf('/cmd').pid).toBe(next.pid);
    await hears('/cmd', next.pid);

    // Hand-made stale locks: a pid that exited, and a live pid (this test process) with another start time.
    writeFileSync(`${ipc.dir}/odom.lock`, JSON.stringify({ pid: deadPid(), nonce: 'dead', topic: '/odom', command: 'x', since: 'x' }));
    writeFileSync(`${ipc.dir}/imu.lock`, JSON.stringify({ pid: process.pid, start: '1', nonce: 'reused', topic: '/imu', command: 'x', since: 'x' }));
    writeFileSync(`${ipc.dir}/odom`, ''); // a socket file left behind too
    const third = publisher(['/odom', '/imu']);
    await third.line(/^ready /, 'a publisher over stale locks');
    expect(lockOf('/odom').pid).toBe(third.pid);
    expect(lockOf('/imu').pid).toBe(third.pid);
    await hears('/odom', third.pid);
  }, 60_000);
});

describe('ZeroMQ endpoint ownership inside one process', () => {
  it('refuses a second transport on a topic this process publishes, naming the setting when one is given', async () => {
    const a = new ZeroMqTransport({ ipcDir: ipc.dir, onError: () => {} });
    const b = new ZeroMqTransport({ ipcDir: ipc.dir, ipcDirSetting: '--ipc-dir <dir>', onError: () => {} });
    transports.push(a, b);
    const pub = a.advertise('/cmd', 'std_msgs/msg/Bool');
    expect(() => b.advertise('/cmd', 'std_msgs/msg/Bool')).toThrow(
      `E_TOPIC_OWNED: topic '/cmd' is already published by this process (pid ${process.pid}, another transport) on ipc://${ipc.dir}/cmd; ` +
        `to run both, give the second one (and its peers) an ipc dir other than '${ipc.dir}' (--ipc-dir <dir>)`,
    );
    pub.close();
    expect(readdirSync(ipc.dir)).toEqual([]);
    expect(() => b.advertise('/cmd', 'std_msgs/msg/Bool')).not.toThrow();
  });

  it('on close leaves a socket and lock that another owner holds now', async () => {
    const a = new ZeroMqTransport({ ipcDir: ipc.dir, onError: () => {} });
    transports.push(a);
    a.advertise('/cmd', 'std_msgs/msg/Bool');
    // Another process took the path meanwhile (its own lock, its own socket file).
    const theirs = JSON.stringify({ pid: 1, nonce: 'theirs', topic: '/cmd', command: 'x', since: 'x' });
    writeFileSync(`${ipc.dir}/cmd.lock`, theirs);
    await a.close();
    expect(readFileSync(`${ipc.dir}/cmd.lock`, 'utf8')).toBe(theirs);
    expect(existsSync(`${ipc.dir}/cmd`)).toBe(true);
  });
});
