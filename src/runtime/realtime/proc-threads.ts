/**
 * This process's threads as Linux shows them under /proc/self/task: ids, names, scheduling policy and
 * priority, allowed CPUs, and the memory locked. Read-only; the parsers are pure for tests.
 */
import { readdirSync, readFileSync } from 'node:fs';

export const SCHED_POLICIES = ['other', 'fifo', 'rr', 'batch', 'iso', 'idle', 'deadline'] as const;
export type SchedPolicy = (typeof SCHED_POLICIES)[number];

export interface ThreadState {
  readonly tid: number;
  /** /proc comm: `node` for most of Node's threads, `ZMQbg/IO/0` for ZeroMQ's I/O thread. */
  readonly name: string;
  readonly policy: SchedPolicy;
  /** Real-time priority (1–99) under fifo/rr, 0 otherwise. */
  readonly priority: number;
  readonly cpus: readonly number[];
}

/** Where thread state comes from: /proc on Linux; tests pass a made-up one. */
export interface ThreadReader {
  /** Thread ids of this process, or [] where /proc is not there. */
  list(): number[];
  read(tid: number): ThreadState | undefined;
  /** Memory locked in RAM (VmLck), kB; undefined where unknown. */
  lockedKb(): number | undefined;
  /** This process's file-backed mappings (code and data of node, the native libraries, mapped files). */
  fileMappings(): FileMapping[];
  /** Whether any swap is on (/proc/swaps); undefined where unknown. */
  swapOn(): boolean | undefined;
}

export interface FileMapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly path: string;
}

export const procThreads: ThreadReader = {
  list() {
    try {
      return readdirSync('/proc/self/task').map(Number).filter(Number.isInteger);
    } catch {
      return [];
    }
  },
  read(tid) {
    try {
      const dir = `/proc/self/task/${tid}`;
      const stat = parseStat(readFileSync(`${dir}/stat`, 'utf8'));
      const cpus = parseCpuList(/^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync(`${dir}/status`, 'utf8'))?.[1] ?? '');
      return { tid, name: stat.name, policy: stat.policy, priority: stat.priority, cpus };
    } catch {
      return undefined;
    }
  },
  lockedKb() {
    try {
      const m = /^VmLck:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  },
  fileMappings() {
    try {
      return parseFileMappings(readFileSync('/proc/self/maps', 'utf8'));
    } catch {
      return [];
    }
  },
  swapOn() {
    try {
      return readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
    } catch {
      return undefined;
    }
  },
};

/**
 * The file-backed lines of /proc/<pid>/maps (`start-end perms offset dev inode /path`), without the
 * inaccessible ones (`---p`: guard gaps between a library's segments, which mlock refuses).
 */
export function parseFileMappings(text: string): FileMapping[] {
  const out: FileMapping[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s+(\/.*)$/.exec(line);
    if (m && !m[3]!.startsWith('---') && !m[4]!.endsWith(' (deleted)')) out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), path: m[4]! });
  }
  return out;
}

/** Name, policy and real-time priority from a /proc/<pid>/task/<tid>/stat line (fields 2, 41 and 40). */
export function parseStat(text: string): { name: string; policy: SchedPolicy; priority: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: '${text.slice(0, 60)}'`);
  // Fields after the name start at field 3 (state).
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const priority = Number(rest[40 - 3]);
  const policyIndex = Number(rest[41 - 3]);
  return { name: text.slice(open + 1, close), policy: SCHED_POLICIES[policyIndex] ?? 'other', priority: Number.isFinite(priority) ? priority : 0 };
}

/** `0-2,5` → [0, 1, 2, 5] (Linux's cpu list format). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: '${text}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** [0, 1, 2, 5] → `0-2,5`. */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Threads of this process that appeared while `fn` ran (e.g. ONNX Runtime's pool, an inference worker). */
export async function threadsStartedDuring<T>(fn: () => Promise<T>, reader: ThreadReader = procThreads): Promise<{ value: T; tids: number[] }> {
  const before = new Set(reader.list());
  const value = await fn();
  return { value, tids: reader.list().filter((t) => !before.has(t)) };
}
