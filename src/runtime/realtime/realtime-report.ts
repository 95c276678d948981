/** The start-up lines that say which real-time settings were granted (`realtime:` in the config). */
import type { RealtimeSettings } from '../../core/config/schema.js';
import { formatCpuList, type ThreadState } from './proc-threads.js';

export interface ThreadGrant {
  readonly role: 'loop' | 'inference' | 'transport';
  readonly tid: number;
  /** As it was before, and as it is after (read back from /proc). */
  readonly before: ThreadState | undefined;
  readonly after: ThreadState | undefined;
}

export interface MemoryGrant {
  readonly lockedMappings: number;
  readonly lockedKb: number | undefined;
  readonly swapOn: boolean | undefined;
}

export interface RealtimeReport {
  /** How the calls were made: `native (koffi)` or `chrt/taskset`. */
  readonly via: string;
  readonly asked: RealtimeSettings;
  readonly threads: readonly ThreadGrant[];
  /** Garbage collection on the loop's thread only (node --single-threaded-gc), or with V8's helper threads. */
  readonly gc: 'single-threaded' | 'parallel';
  /** node --max-semi-space-size, MB; absent when left at V8's default. */
  readonly youngGenerationMb?: number;
  /** lock_memory: file mappings locked, VmLck after, and whether swap is on (undefined: unknown). */
  readonly memory?: MemoryGrant;
  /** One line per refusal: what, why, and what would allow it. Empty when everything was granted. */
  readonly refusals: readonly string[];
  /** Advice that is not a refusal (e.g. how GC is run). */
  readonly notes: readonly string[];
}

export function formatRealtimeReport(r: RealtimeReport): string[] {
  const lines = [`realtime (${r.via}): asked ${describeAsked(r)}`];
  const byRole = (role: ThreadGrant['role']) => r.threads.filter((t) => t.role === role);
  for (const role of ['loop', 'inference', 'transport'] as const) {
    const threads = byRole(role);
    if (threads.length === 0) continue;
    lines.push(`  ${role} thread${threads.length > 1 ? 's' : ''} ${threads.map((t) => `${t.tid}: ${describeState(t.after)}`).join('; ')}`);
  }
  const young = r.youngGenerationMb === undefined ? 'young generation at the default size' : `young generation up to ${r.youngGenerationMb} MB (--max-semi-space-size)`;
  const every = r.asked.gc_every_ticks > 0 ? `, a young-generation GC after every ${r.asked.gc_every_ticks} ticks` : '';
  lines.push(`  gc ${r.gc === 'single-threaded' ? 'single-threaded, on the loop thread (node --single-threaded-gc)' : "with V8's helper threads"}, ${young}${every}`);
  if (r.memory) lines.push(`  memory ${describeMemory(r.memory)}`);
  for (const refusal of r.refusals) lines.push(`  NOT granted: ${refusal}`);
  for (const note of r.notes) lines.push(`  note: ${note}`);
  if (r.refusals.length === 0) lines.push('  all granted');
  return lines;
}

/** What lock_memory did, and what it leaves to the system (swap). */
export function describeMemory(m: MemoryGrant): string {
  const locked = m.lockedMappings > 0 ? `${m.lockedMappings} file mappings locked (code of node and its native libraries${m.lockedKb === undefined ? '' : `, VmLck ${m.lockedKb} kB`})` : 'nothing locked';
  const swap =
    m.swapOn === undefined ? 'swap state unknown' : m.swapOn ? 'swap is ON: the JS heap can be paged out (swapoff -a on a robot computer)' : 'swap is off, so the JS heap stays in RAM';
  return `${locked}; ${swap}`;
}

/** `SCHED_FIFO 80 on CPUs 1` or `SCHED_OTHER on CPUs 0-1`. */
export function describeState(s: ThreadState | undefined): string {
  if (!s) return 'gone';
  const policy = `SCHED_${s.policy.toUpperCase()}${s.policy === 'fifo' || s.policy === 'rr' ? ` ${s.priority}` : ''}`;
  return `${policy} on CPUs ${formatCpuList(s.cpus)}`;
}

function describeAsked(r: RealtimeReport): string {
  const a = r.asked;
  const parts = [
    a.priority > 0 ? `priority ${a.priority} (SCHED_FIFO)` : '',
    a.cpu_affinity.length ? `cpu_affinity ${formatCpuList(a.cpu_affinity)}` : '',
    a.inference_cpus.length ? `inference_cpus ${formatCpuList(a.inference_cpus)}` : '',
    a.lock_memory ? 'lock_memory' : '',
  ];
  return parts.filter(Boolean).join(', ');
}
