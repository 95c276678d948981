import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import type { RealtimeSettings } from '../../../src/core/config/schema.js';
import { main } from '../../../src/cli/main.js';
import { applyRealtime, startRealtime, youngGenerationMb } from '../../../src/runtime/realtime/apply-realtime.js';
import { commandOsCalls, type CallResult, type OsCalls } from '../../../src/runtime/realtime/os-calls.js';
import {
  formatCpuList,
  parseCpuList,
  parseFileMappings,
  parseStat,
  procThreads,
  type SchedPolicy,
  type ThreadReader,
  type ThreadState,
} from '../../../src/runtime/realtime/proc-threads.js';
import { formatRealtimeReport } from '../../../src/runtime/realtime/realtime-report.js';
import { capture } from '../../helpers/capture-console.js';

afterEach(() => vi.restoreAllMocks());

const settings = (over: Partial<RealtimeSettings>): RealtimeSettings => ({ priority: 0, cpu_affinity: [], inference_cpus: [], lock_memory: false, gc_every_ticks: 0, required: false, ...over });

/** A made-up machine: threads with state that the fake calls change, permissions as given. */
function fakeMachine(options: { cpus?: number[]; allowFifo?: boolean; allowLock?: boolean; lockLimit?: number; tids?: number[]; names?: Record<number, string> } = {}) {
  const cpus = options.cpus ?? [0, 1];
  const threads = new Map<number, { policy: SchedPolicy; priority: number; cpus: number[] }>();
  for (const tid of options.tids ?? [100, 101]) threads.set(tid, { policy: 'other', priority: 0, cpus: [...cpus] });
  const calls: string[] = [];
  let lockedKb = 0;
  const ok: CallResult = { ok: true };
  const eperm: CallResult = { ok: false, code: 'EPERM', message: 'Operation not permitted' };
  const os: OsCalls = {
    via: 'fake',
    setScheduler(tid, policy, priority) {
      calls.push(`sched ${tid} ${policy} ${priority}`);
      if (policy === 'fifo' && !options.allowFifo) return eperm;
      Object.assign(threads.get(tid)!, { policy, priority });
      return ok;
    },
    setAffinity(tid, list) {
      calls.push(`affinity ${tid} ${formatCpuList(list)}`);
      threads.get(tid)!.cpus = [...list];
      return ok;
    },
    lockRange(start, end) {
      calls.push(`mlock ${end - start}`);
      if (!options.allowLock) return eperm;
      if (options.lockLimit !== undefined && lockedKb + Number(end - start) / 1024 > options.lockLimit) return { ok: false, code: 'ENOMEM', message: 'Cannot allocate memory' };
      lockedKb += Number(end - start) / 1024;
      return ok;
    },
    unlockMemory() {
      calls.push('munlockall');
      lockedKb = 0;
      return ok;
    },
  };
  const reader: ThreadReader = {
    list: () => [...threads.keys()],
    read: (tid): ThreadState | undefined => {
      const t = threads.get(tid);
      return t ? { tid, name: options.names?.[tid] ?? 'node', policy: t.policy, priority: t.priority, cpus: [...t.cpus] } : undefined;
    },
    lockedKb: () => lockedKb,
    fileMappings: () => [
      { start: 0x1000n, end: 0x3000n, path: '/usr/bin/node' },
      { start: 0x8000n, end: 0x9000n, path: '/lib/libonnxruntime.so.1' },
    ],
    swapOn: () => false,
  };
  return { os, reader, calls, threads };
}

describe('realtime settings in the config', () => {
  it('default to changing nothing, and name a bad key and value', () => {
    const c = parseConfig({ model: { path: 'm.onnx' } }, 'p.yaml', '/');
    expect(c.realtime).toEqual(settings({}));
    const r = parseConfig({ model: { path: 'm.onnx' }, realtime: { priority: 80, cpu_affinity: [1], inference_cpus: [0], lock_memory: true } }, 'p.yaml', '/');
    expect(r.realtime).toMatchObject({ priority: 80, cpu_affinity: [1], inference_cpus: [0], lock_memory: true, required: false });
    expect(() => parseConfig({ model: { path: 'm.onnx' }, realtime: { priority: 120 } }, 'p.yaml', '/')).toThrow(/E_CONFIG: p.yaml: realtime.priority: .*99.* \(got 120\)/);
    expect(() => parseConfig({ model: { path: 'm.onnx' }, realtime: { cpu_affinity: [-1] } }, 'p.yaml', '/')).toThrow(/realtime.cpu_affinity.0: /);
    expect(() => parseConfig({ model: { path: 'm.onnx' }, realtime: { sched_fifo: true } }, 'p.yaml', '/')).toThrow(/sched_fifo/);
  });

  it('bench flags: a bad priority or CPU list is a usage error naming the flag', async () => {
    const { err } = capture();
    expect(await main(['bench', '--priority', '120'])).toBe(2);
    expect(err.join('\n')).toMatch(/--priority must be a SCHED_FIFO priority 1–99 \(0: normal scheduling\), got '120'/);
    expect(await main(['bench', '--cpu-affinity', 'one'])).toBe(2);
    expect(err.join('\n')).toMatch(/--cpu-affinity must be a CPU list like 1 or 0-1,3 .* got 'one'/);
    expect(await main(['bench', '--inference-cpus', ''])).toBe(2);
  });
});

describe('/proc parsing', () => {
  it('reads name, real-time priority and policy from a stat line, also with spaces and parentheses in the name', () => {
    const tail = Array.from({ length: 50 }, (_, i) => String(i + 3));
    tail[40 - 3] = '80';
    tail[41 - 3] = '1';
    expect(parseStat(`1234 (ZMQbg/IO (0)) ${tail.join(' ')}`)).toEqual({ name: 'ZMQbg/IO (0)', policy: 'fifo', priority: 80 });
    tail[40 - 3] = '0';
    tail[41 - 3] = '0';
    expect(parseStat(`7 (node) ${tail.join(' ')}`)).toEqual({ name: 'node', policy: 'other', priority: 0 });
    expect(() => parseStat('garbage')).toThrow(/not a \/proc stat line/);
  });

  it('CPU lists both ways', () => {
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('3\n')).toEqual([3]);
    expect(formatCpuList([5, 0, 1, 2, 1])).toBe('0-2,5');
    expect(() => parseCpuList('a-b')).toThrow(/not a CPU list/);
  });

  it('file mappings from /proc/self/maps, without anonymous, deleted or inaccessible ones', () => {
    const maps = [
      '55d0c0000000-55d0c0200000 r-xp 00000000 08:01 1234    /usr/bin/node',
      '7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ',
      '7f0000002000-7f0000003000 rw-p 00000000 00:00 0       [heap]',
      '7f0000004000-7f0000005000 r--p 00000000 08:01 99      /tmp/gone (deleted)',
      '7f0000006000-7f0000007000 ---p 00010000 08:01 77      /usr/lib/libonnxruntime.so.1',
    ].join('\n');
    expect(parseFileMappings(maps)).toEqual([{ start: 0x55d0c0000000n, end: 0x55d0c0200000n, path: '/usr/bin/node' }]);
  });

  it('reads this process: the main thread is listed with a policy and CPUs', () => {
    if (process.platform !== 'linux') return;
    expect(procThreads.list()).toContain(process.pid);
    const main = procThreads.read(process.pid)!;
    expect(main.tid).toBe(process.pid);
    expect(main.cpus.length).toBeGreaterThan(0);
  });
});

describe('applying the realtime settings (a made-up machine)', () => {
  it('nothing asked: nothing done', async () => {
    const m = fakeMachine();
    expect(await applyRealtime(settings({}), { os: m.os, reader: m.reader, loopTid: 100 })).toBeUndefined();
    expect(m.calls).toEqual([]);
  });

  it('granted: FIFO and CPUs for the loop and inference threads, file mappings locked, all read back; restore undoes it', async () => {
    const m = fakeMachine({ allowFifo: true, allowLock: true });
    const grant = (await applyRealtime(settings({ priority: 80, cpu_affinity: [1], inference_cpus: [0], lock_memory: true, gc_every_ticks: 20 }), {
      os: m.os,
      reader: m.reader,
      loopTid: 100,
      inferenceTids: [101],
      execArgv: ['--single-threaded-gc', '--max-semi-space-size=64'],
      nodeOptions: '',
    }))!;
    const r = grant.report;
    expect(r.refusals).toEqual([]);
    expect(r.gc).toBe('single-threaded');
    expect(r.youngGenerationMb).toBe(64);
    expect(r.notes).toEqual([]);
    expect(r.threads.map((t) => [t.role, t.tid, t.after!.policy, t.after!.priority, t.after!.cpus])).toEqual([
      ['loop', 100, 'fifo', 80, [1]],
      ['inference', 101, 'fifo', 80, [0]],
    ]);
    expect(r.memory).toEqual({ lockedMappings: 2, lockedKb: 12, swapOn: false });
    const text = formatRealtimeReport(r).join('\n');
    expect(text).toMatch(/realtime \(fake\): asked priority 80 \(SCHED_FIFO\), cpu_affinity 1, inference_cpus 0, lock_memory/);
    expect(text).toMatch(/loop thread 100: SCHED_FIFO 80 on CPUs 1/);
    expect(text).toMatch(/inference thread 101: SCHED_FIFO 80 on CPUs 0/);
    expect(text).toMatch(/2 file mappings locked .*VmLck 12 kB.*swap is off/);
    expect(text).toMatch(/all granted/);
    expect(text).toMatch(/gc single-threaded, on the loop thread \(node --single-threaded-gc\), young generation up to 64 MB \(--max-semi-space-size\), a young-generation GC after every 20 ticks/);
    grant.restore();
    grant.restore(); // once only
    expect(m.threads.get(100)).toEqual({ policy: 'other', priority: 0, cpus: [0, 1] });
    expect(m.threads.get(101)).toEqual({ policy: 'other', priority: 0, cpus: [0, 1] });
    expect(m.calls.filter((c) => c === 'munlockall')).toHaveLength(1);
  });

  it("with a priority, ZeroMQ's I/O thread gets SCHED_FIFO one below the loop (its reaper is left alone)", async () => {
    const m = fakeMachine({ allowFifo: true, tids: [100, 102, 103], names: { 102: 'ZMQbg/IO/0', 103: 'ZMQbg/Reaper' } });
    const grant = (await applyRealtime(settings({ priority: 80 }), { os: m.os, reader: m.reader, loopTid: 100, execArgv: [], nodeOptions: '' }))!;
    expect(grant.report.threads.map((t) => [t.role, t.tid, t.after!.policy, t.after!.priority])).toEqual([
      ['loop', 100, 'fifo', 80],
      ['transport', 102, 'fifo', 79],
    ]);
    expect(m.threads.get(103)!.policy).toBe('other');
    expect(formatRealtimeReport(grant.report).join('\n')).toMatch(/transport thread 102: SCHED_FIFO 79 on CPUs 0-1/);
    grant.restore();
    expect(m.threads.get(102)!.policy).toBe('other');
  });

  it("with the loop on CPUs of its own, ZeroMQ's I/O thread moves to the others (no priority needed)", async () => {
    const m = fakeMachine({ cpus: [0, 1, 2, 3], tids: [100, 102], names: { 102: 'ZMQbg/IO/0' } });
    const grant = (await applyRealtime(settings({ cpu_affinity: [3] }), { os: m.os, reader: m.reader, loopTid: 100, execArgv: [], nodeOptions: '' }))!;
    expect(grant.report.refusals).toEqual([]);
    expect(grant.report.threads.map((t) => [t.role, t.after!.policy, t.after!.cpus])).toEqual([
      ['loop', 'other', [3]],
      ['transport', 'other', [0, 1, 2]],
    ]);
    expect(m.calls.some((c) => c.startsWith('sched'))).toBe(false);
  });

  it('refused: each refusal says why and what would allow it; the rest is still applied', async () => {
    const m = fakeMachine({ allowFifo: false, allowLock: false });
    const grant = (await applyRealtime(settings({ priority: 50, cpu_affinity: [1, 3], lock_memory: true, inference_cpus: [0] }), { os: m.os, reader: m.reader, loopTid: 100, execArgv: [], nodeOptions: '' }))!;
    // Parallel GC with a priority: advice, not a refusal.
    expect(grant.report.gc).toBe('parallel');
    expect(grant.report.notes.join('\n')).toMatch(/start node with --single-threaded-gc/);
    expect(grant.report.notes.join('\n')).toMatch(/realtime.gc_every_ticks is 0: .* 20 collects it in small batches between ticks/);
    expect(youngGenerationMb(['--max-semi-space-size=32'], '--max-semi-space-size=8')).toBe(32);
    expect(youngGenerationMb([], '--max-old-space-size=4096 --max-semi-space-size=48')).toBe(48);
    const refusals = grant.report.refusals.join('\n');
    expect(refusals).toMatch(/loop thread 100: CPU 3 is not among this process's CPUs \(0-1\)/);
    expect(refusals).toMatch(/loop thread 100: SCHED_FIFO 50: Operation not permitted \(EPERM\) — run as root, or give node CAP_SYS_NICE/);
    expect(refusals).toMatch(/lock_memory: 2 of 2 file mappings not locked: Operation not permitted \(EPERM\) — .*CAP_IPC_LOCK/);
    expect(refusals).toMatch(/inference_cpus: no inference threads besides the loop thread/);
    expect(grant.report.threads[0]!.after).toMatchObject({ policy: 'other', cpus: [0, 1] });
    expect(formatRealtimeReport(grant.report).join('\n')).toMatch(/NOT granted: loop thread 100: SCHED_FIFO 50/);
  });

  it('lock_memory past the memlock limit: what was locked stays, the rest is refused with the limit named', async () => {
    const m = fakeMachine({ allowLock: true, lockLimit: 10 });
    const grant = (await applyRealtime(settings({ lock_memory: true }), { os: m.os, reader: m.reader, loopTid: 100, execArgv: [], nodeOptions: '' }))!;
    expect(grant.report.memory).toMatchObject({ lockedMappings: 1, lockedKb: 8 });
    expect(grant.report.refusals).toEqual([
      "lock_memory: 1 of 2 file mappings not locked: Cannot allocate memory (ENOMEM) — run as root, or give node CAP_IPC_LOCK, or raise the user's memlock limit (ulimit -l unlimited; LimitMEMLOCK=infinity in a systemd unit)",
    ]);
  });

  it('required: a refusal stops the start (E_REALTIME) with everything put back', async () => {
    const m = fakeMachine({ allowFifo: false });
    const lines: string[] = [];
    await expect(startRealtime(settings({ priority: 50, cpu_affinity: [1], required: true }), [], (l) => lines.push(l), { os: m.os, reader: m.reader, loopTid: 100 })).rejects.toThrow(
      /E_REALTIME: realtime.required is set and 1 setting\(s\) were not granted: loop thread 100: SCHED_FIFO 50/,
    );
    expect(lines.join('\n')).toMatch(/NOT granted/);
    expect(m.threads.get(100)!.cpus).toEqual([0, 1]);
    // Not required: the same refusal is a warning and the run goes on.
    const grant = await startRealtime(settings({ priority: 50 }), [], (l) => lines.push(l), { os: m.os, reader: m.reader, loopTid: 100 });
    expect(grant!.report.refusals).toHaveLength(1);
  });

  it('chrt/taskset: the commands per thread, and their failures as errors', () => {
    const runs: string[] = [];
    const os = commandOsCalls((file, args) => {
      runs.push(`${file} ${args.join(' ')}`);
      if (file === 'chrt' && args[0] === '-f') throw Object.assign(new Error('failed'), { stderr: "chrt: failed to set pid 7's policy: Operation not permitted\n" });
    });
    expect(os.setAffinity(7, [0, 1, 3])).toEqual({ ok: true });
    expect(os.setScheduler(7, 'fifo', 80)).toEqual({ ok: false, code: 'EPERM', message: "chrt: failed to set pid 7's policy: Operation not permitted" });
    expect(os.setScheduler(7, 'other', 0)).toEqual({ ok: true });
    expect(runs).toEqual(['taskset -p -c 0-1,3 7', 'chrt -f -p 80 7', 'chrt -o -p 0 7']);
    expect(os.lockRange(0n, 4096n)).toMatchObject({ ok: false, code: 'ENOSYS' });
    const missing = commandOsCalls(() => {
      throw Object.assign(new Error('spawn chrt ENOENT'), { code: 'ENOENT' });
    });
    expect(missing.setScheduler(7, 'fifo', 1)).toMatchObject({ ok: false, code: 'ENOENT', message: 'chrt is not installed (util-linux)' });
  });
});

describe('applying the realtime settings (this machine, root or not)', () => {
  it('asks for SCHED_FIFO 1 and this process\'s own CPUs: what the report says is what /proc says; restore puts it back', async () => {
    if (process.platform !== 'linux') return;
    const before = procThreads.read(process.pid)!;
    const grant = (await applyRealtime(settings({ priority: 1, cpu_affinity: [...before.cpus] })))!;
    try {
      const loop = grant.report.threads[0]!;
      const now = procThreads.read(process.pid)!;
      expect(loop.after).toEqual(now);
      expect(now.cpus).toEqual(before.cpus);
      const refused = grant.report.refusals.some((r) => /SCHED_FIFO 1/.test(r));
      // Granted (root, CAP_SYS_NICE or an rtprio limit) or refused with the reason: never both, never neither.
      expect(now.policy === 'fifo' && now.priority === 1).toBe(!refused);
      if (refused) expect(grant.report.refusals.join('\n')).toMatch(/SCHED_FIFO 1: .*\((EPERM|EINVAL|ENOENT|EFAIL)\)/);
    } finally {
      grant.restore();
    }
    expect(procThreads.read(process.pid)).toMatchObject({ policy: before.policy, priority: before.priority, cpus: before.cpus });
  });
});
