/**
 * The system calls behind the real-time options, for one thread at a time: scheduling policy and
 * priority (sched_setscheduler), CPU affinity (sched_setaffinity) and memory locking (mlock of a range).
 * Native calls through koffi (an FFI package) where it loads; otherwise `chrt` and `taskset` (util-linux)
 * for priority and affinity, and no memory locking. Every call answers ok or the errno with its text.
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { formatCpuList } from './proc-threads.js';

export type CallResult = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly message: string };

export interface OsCalls {
  /** How the calls are made, for the report: `native (koffi)` or `chrt/taskset`. */
  readonly via: string;
  /** SCHED_FIFO at `priority` (1–99), or back to SCHED_OTHER with priority 0. */
  setScheduler(tid: number, policy: 'fifo' | 'other', priority: number): CallResult;
  setAffinity(tid: number, cpus: readonly number[]): CallResult;
  /**
   * mlock of one address range. Not mlockall: V8 releases heap pages with madvise(MADV_DONTNEED), which
   * Linux refuses on locked pages, and V8 then aborts the process; so only file mappings are locked.
   */
  lockRange(start: bigint, end: bigint): CallResult;
  /** munlockall. */
  unlockMemory(): CallResult;
}

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const CPU_SET_BYTES = 128; // glibc's cpu_set_t: 1024 CPUs

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function failed(code: string, message: string): CallResult {
  return { ok: false, code, message };
}

const OK: CallResult = { ok: true };

let native: Promise<OsCalls | undefined> | undefined;

/** Native calls through koffi; undefined when koffi or libc cannot be loaded (another OS, no prebuilt binary). */
export function nativeOsCalls(): Promise<OsCalls | undefined> {
  native ??= loadNative();
  return native;
}

async function loadNative(): Promise<OsCalls | undefined> {
  if (process.platform !== 'linux') return undefined;
  let koffi: typeof import('koffi').default;
  try {
    koffi = (await import('koffi')).default;
  } catch {
    return undefined;
  }
  try {
    const libc = koffi.load('libc.so.6');
    koffi.struct('pilot_sched_param', { sched_priority: 'int' });
    const setscheduler = libc.func('int sched_setscheduler(int pid, int policy, const pilot_sched_param *param)');
    const setaffinity = libc.func('int sched_setaffinity(int pid, size_t cpusetsize, const uint8_t *mask)');
    const mlock = libc.func('int mlock(uintptr_t addr, size_t len)');
    const munlockall = libc.func('int munlockall()');
    const result = (ret: number): CallResult => {
      if (ret === 0) return OK;
      const errno = koffi.errno();
      const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
      return failed(code, errnoText(code));
    };
    return {
      via: 'native (koffi)',
      setScheduler: (tid, policy, priority) => result(setscheduler(tid, policy === 'fifo' ? SCHED_FIFO : SCHED_OTHER, { sched_priority: policy === 'fifo' ? priority : 0 })),
      setAffinity: (tid, cpus) => {
        const mask = new Uint8Array(CPU_SET_BYTES);
        for (const c of cpus) if (c >= 0 && c < CPU_SET_BYTES * 8) mask[c >> 3]! |= 1 << (c & 7);
        return result(setaffinity(tid, CPU_SET_BYTES, mask));
      },
      lockRange: (start, end) => result(mlock(start, end - start)),
      unlockMemory: () => result(munlockall()),
    };
  } catch {
    return undefined;
  }
}

/** `chrt` and `taskset` per thread id; memory cannot be locked this way. */
export function commandOsCalls(run: (file: string, args: string[]) => void = runQuietly): OsCalls {
  const attempt = (file: string, args: string[]): CallResult => {
    try {
      run(file, args);
      return OK;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer | string };
      if (e.code === 'ENOENT') return failed('ENOENT', `${file} is not installed (util-linux)`);
      const text = String(e.stderr ?? e.message).trim().split('\n')[0] ?? '';
      return failed(/not permitted/i.test(text) ? 'EPERM' : /invalid argument/i.test(text) ? 'EINVAL' : 'EFAIL', text || `${file} failed`);
    }
  };
  return {
    via: 'chrt/taskset',
    setScheduler: (tid, policy, priority) => attempt('chrt', policy === 'fifo' ? ['-f', '-p', String(priority), String(tid)] : ['-o', '-p', '0', String(tid)]),
    setAffinity: (tid, cpus) => attempt('taskset', ['-p', '-c', formatCpuList(cpus), String(tid)]),
    lockRange: () => failed('ENOSYS', 'locking memory needs the native binding (the koffi package), which did not load'),
    unlockMemory: () => OK,
  };
}

function runQuietly(file: string, args: string[]): void {
  execFileSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function errnoText(code: string): string {
  switch (code) {
    case 'EPERM':
      return 'Operation not permitted';
    case 'EINVAL':
      return 'Invalid argument';
    case 'ENOMEM':
      return 'Cannot allocate memory';
    case 'EAGAIN':
      return 'Resource temporarily unavailable';
    case 'ESRCH':
      return 'No such thread';
    default:
      return code;
  }
}

/** Native calls where koffi loads, else the commands. */
export async function defaultOsCalls(): Promise<OsCalls> {
  return (await nativeOsCalls()) ?? commandOsCalls();
}
