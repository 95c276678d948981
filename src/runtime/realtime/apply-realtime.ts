/**
 * Applies the `realtime:` settings to this process: SCHED_FIFO for the loop thread and the inference
 * threads, CPU affinity for each, and memory locking; then reads back from /proc what was granted.
 * Nothing asked, nothing done. Whatever is refused is reported with the reason and what would allow it;
 * `restore()` puts every thread back as it was and unlocks memory.
 */
import type { RealtimeSettings } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';
import { defaultOsCalls, type CallResult, type OsCalls } from './os-calls.js';
import { formatCpuList, procThreads, type ThreadReader, type ThreadState } from './proc-threads.js';
import { formatRealtimeReport, type MemoryGrant, type RealtimeReport, type ThreadGrant } from './realtime-report.js';

export interface RealtimeGrant {
  readonly report: RealtimeReport;
  /** Threads back to their scheduling and CPUs from before, memory unlocked. */
  restore(): void;
}

export interface ApplyRealtimeDeps {
  readonly os?: OsCalls;
  readonly reader?: ThreadReader;
  /** The loop's thread id; default the main thread (its id is the process id). */
  readonly loopTid?: number;
  /** Threads that run inference beside the loop (created with the policy). */
  readonly inferenceTids?: readonly number[];
  /** Node's command-line flags; default process.execArgv. */
  readonly execArgv?: readonly string[];
  /** NODE_OPTIONS; default the environment's. */
  readonly nodeOptions?: string;
}

interface PlannedThread {
  readonly role: ThreadGrant['role'];
  readonly tid: number;
  readonly cpus: readonly number[];
  readonly priority: number;
  readonly before: ThreadState | undefined;
}

/**
 * ZeroMQ's I/O threads move every message the loop sends and receives, and the loop hands over to them
 * on each: at normal priority under load they would make a SCHED_FIFO loop wait (priority inversion), so
 * they get SCHED_FIFO one below the loop's. With the loop on CPUs of its own they run on the others, so
 * waking them does not take the loop's CPU.
 */
function transportThreads(reader: ThreadReader, loopPriority: number, cpus: readonly number[]): PlannedThread[] {
  if (loopPriority === 0 && cpus.length === 0) return [];
  const out: PlannedThread[] = [];
  for (const tid of reader.list()) {
    const state = reader.read(tid);
    if (state && /^ZMQbg\/IO\//.test(state.name)) out.push({ role: 'transport', tid, cpus, priority: loopPriority > 0 ? Math.max(1, loopPriority - 1) : 0, before: state });
  }
  return out;
}

/** The process's CPUs other than the loop's (none when the loop keeps them all or has no CPUs of its own). */
function otherCpus(allowed: readonly number[], loopCpus: readonly number[]): number[] {
  if (loopCpus.length === 0) return [];
  return allowed.filter((c) => !loopCpus.includes(c));
}

/**
 * V8's parallel GC hands work to helper threads at normal priority and waits for them: under load a
 * SCHED_FIFO loop stalls behind them (collections of 100 ms and more measured on a loaded 2-core machine,
 * 2.5 ms at most with --single-threaded-gc). V8 aborts when the flag is set after start, so it has to
 * be on node's command line.
 */
export function gcThreads(execArgv: readonly string[]): 'single-threaded' | 'parallel' {
  return execArgv.includes('--single-threaded-gc') ? 'single-threaded' : 'parallel';
}

/** --max-semi-space-size (MB) from node's flags or NODE_OPTIONS; undefined when not set (V8's default, 16 MB). */
export function youngGenerationMb(execArgv: readonly string[], nodeOptions: string): number | undefined {
  let mb: number | undefined;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = /^--max-semi-space-size=(\d+)$/.exec(arg);
    if (m) mb = Number(m[1]);
  }
  return mb;
}

/**
 * Measured: left to V8, the garbage of frames and messages (and their external buffers) fed a major GC
 * about every 2 s, each followed by a ~9 ms loss on the loop thread (inference p99.9 9.3 ms against
 * 1.8 ms for the bare model); a young-generation GC after every 20th tick kept every collection minor
 * (at most 1.7 ms, between ticks; p99.9 3.0 ms).
 */
const GC_EVERY_NOTE =
  'realtime.gc_every_ticks is 0: V8 lets garbage pile up into major collections that cost the loop ~9 ms each (measured); 20 collects it in small batches between ticks';

const GC_NOTE =
  "garbage collection uses V8's helper threads at normal priority, and the loop waits for them: start node with --single-threaded-gc (node --single-threaded-gc bin/pilot.js …)";

export function realtimeAsked(s: RealtimeSettings): boolean {
  return s.priority > 0 || s.cpu_affinity.length > 0 || s.inference_cpus.length > 0 || s.lock_memory;
}

/** Undefined when nothing is asked. */
export async function applyRealtime(settings: RealtimeSettings, deps: ApplyRealtimeDeps = {}): Promise<RealtimeGrant | undefined> {
  if (!realtimeAsked(settings)) return undefined;
  const os = deps.os ?? (await defaultOsCalls());
  const reader = deps.reader ?? procThreads;
  const refusals: string[] = [];
  const undo: (() => void)[] = [];
  const loopTid = deps.loopTid ?? process.pid;
  const threads: PlannedThread[] = [
    { role: 'loop', tid: loopTid, cpus: settings.cpu_affinity, priority: settings.priority, before: reader.read(loopTid) },
    ...(deps.inferenceTids ?? []).map((tid) => ({ role: 'inference' as const, tid, cpus: settings.inference_cpus, priority: settings.priority, before: reader.read(tid) })),
    ...transportThreads(reader, settings.priority, otherCpus(reader.read(loopTid)?.cpus ?? [], settings.cpu_affinity)),
  ];
  for (const t of threads) {
    if (!t.before) {
      refusals.push(`${t.role} thread ${t.tid}: not found under /proc/self/task (not Linux, or the thread ended)`);
      continue;
    }
    applyThread(t.role, t.before, t.priority, t.cpus, os, refusals, undo);
  }
  const execArgv = deps.execArgv ?? process.execArgv;
  const gc = gcThreads(execArgv);
  const youngMb = youngGenerationMb(execArgv, deps.nodeOptions ?? process.env.NODE_OPTIONS ?? '');
  const notes = settings.priority > 0 ? [...(gc === 'parallel' ? [GC_NOTE] : []), ...(settings.gc_every_ticks === 0 ? [GC_EVERY_NOTE] : [])] : [];
  if (settings.inference_cpus.length > 0 && !deps.inferenceTids?.length) {
    refusals.push('inference_cpus: no inference threads besides the loop thread (model.intra_op_threads is 1 and inference runs on the main thread), so nothing to place');
  }
  const memory = settings.lock_memory ? lockFileMappings(os, reader, refusals, undo) : undefined;
  const report: RealtimeReport = {
    via: os.via,
    asked: settings,
    threads: threads.map((t) => ({ role: t.role, tid: t.tid, before: t.before, after: reader.read(t.tid) })),
    ...(memory ? { memory } : {}),
    gc,
    ...(youngMb !== undefined ? { youngGenerationMb: youngMb } : {}),
    refusals,
    notes,
  };
  let restored = false;
  return {
    report,
    restore() {
      if (restored) return;
      restored = true;
      for (const u of undo.reverse()) u();
    },
  };
}

function applyThread(
  role: ThreadGrant['role'],
  before: ThreadState,
  priority: number,
  cpus: readonly number[],
  os: OsCalls,
  refusals: string[],
  undo: (() => void)[],
): void {
  const label = `${role} thread ${before.tid}`;
  if (cpus.length > 0) {
    const missing = cpus.filter((c) => !before.cpus.includes(c));
    if (missing.length) {
      refusals.push(`${label}: CPU ${formatCpuList(missing)} is not among this process's CPUs (${formatCpuList(before.cpus)})`);
    } else {
      const r = os.setAffinity(before.tid, cpus);
      if (r.ok) undo.push(() => void os.setAffinity(before.tid, before.cpus));
      else refusals.push(`${label}: CPUs ${formatCpuList(cpus)}: ${explain(r)}`);
    }
  }
  if (priority > 0) {
    const r = os.setScheduler(before.tid, 'fifo', priority);
    if (r.ok) undo.push(() => void os.setScheduler(before.tid, before.policy === 'fifo' ? 'fifo' : 'other', before.priority));
    else refusals.push(`${label}: SCHED_FIFO ${priority}: ${explain(r)}${adviceFor('priority', r)}`);
  }
}

/**
 * Locks the file-backed mappings (node's, ONNX Runtime's and ZeroMQ's code, which the kernel may drop
 * and read back in under memory pressure, swap or not). The JS heap is left alone: V8 aborts when it
 * releases locked pages; with swap off (reported) it is never paged out anyway.
 */
function lockFileMappings(os: OsCalls, reader: ThreadReader, refusals: string[], undo: (() => void)[]): MemoryGrant {
  let lockedMappings = 0;
  let failed = 0;
  let failure: CallResult | undefined;
  for (const m of reader.fileMappings()) {
    const r = os.lockRange(m.start, m.end);
    if (r.ok) lockedMappings++;
    else {
      failed++;
      failure ??= r;
    }
  }
  if (lockedMappings > 0) undo.push(() => void os.unlockMemory());
  if (failure) refusals.push(`lock_memory: ${failed} of ${failed + lockedMappings} file mappings not locked: ${explain(failure)}${adviceFor('memory', failure)}`);
  return { lockedMappings, lockedKb: reader.lockedKb(), swapOn: reader.swapOn() };
}

function explain(r: CallResult): string {
  return r.ok ? 'ok' : `${r.message} (${r.code})`;
}

function adviceFor(what: 'priority' | 'memory', r: CallResult): string {
  // mlock beyond the memlock limit is ENOMEM (EAGAIN on some kernels); without the right at all, EPERM.
  if (r.ok || !(r.code === 'EPERM' || (what === 'memory' && (r.code === 'ENOMEM' || r.code === 'EAGAIN')))) return '';
  return what === 'priority'
    ? ' — run as root, or give node CAP_SYS_NICE (setcap cap_sys_nice+ep on the node binary; in a container --cap-add SYS_NICE), or allow the user a real-time priority (rtprio in /etc/security/limits.conf)'
    : ' — run as root, or give node CAP_IPC_LOCK, or raise the user\'s memlock limit (ulimit -l unlimited; LimitMEMLOCK=infinity in a systemd unit)';
}

/**
 * At start-up: applies the settings, logs what was granted, and with `required` refuses to go on
 * (E_REALTIME, everything restored) when anything was not.
 */
export async function startRealtime(
  settings: RealtimeSettings,
  inferenceTids: readonly number[],
  log: (line: string) => void,
  deps: Omit<ApplyRealtimeDeps, 'inferenceTids'> = {},
): Promise<RealtimeGrant | undefined> {
  const grant = await applyRealtime(settings, { ...deps, inferenceTids });
  if (!grant) return undefined;
  for (const line of formatRealtimeReport(grant.report)) log(line);
  if (settings.required && grant.report.refusals.length > 0) {
    grant.restore();
    throw new PilotError('E_REALTIME', `realtime.required is set and ${grant.report.refusals.length} setting(s) were not granted: ${grant.report.refusals[0]}`);
  }
  return grant;
}
