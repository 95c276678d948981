/** `pilot bench`'s real-time flags: the runtime config's `realtime:` settings for one run. */
import type { RealtimeSettings } from '../core/config/schema.js';
import { parseCpuList } from '../runtime/realtime/proc-threads.js';
import { CliError } from './args.js';
import { custom, flag, number } from './options.js';

function cpuList(value: string, flag: string): number[] {
  try {
    const cpus = parseCpuList(value);
    if (cpus.length === 0 || cpus.some((c) => c > 1023)) throw new Error('empty or beyond CPU 1023');
    return cpus;
  } catch {
    throw new CliError(`${flag} must be a CPU list like 1 or 0-1,3 (CPU ids as in /proc/cpuinfo), got '${value}'`);
  }
}

export const REALTIME_OPTIONS = {
  priority: number('--priority <0-99>', 'SCHED_FIFO priority of the loop and inference threads (realtime.priority; 0: normal scheduling)', {
    integer: true,
    min: 0,
    max: 99,
    defaultLabel: "the config's",
    message: (flag, raw) => `${flag} must be a SCHED_FIFO priority 1–99 (0: normal scheduling), got '${raw}'`,
  }),
  'cpu-affinity': custom('--cpu-affinity <cpus>', 'CPUs of the loop thread, e.g. 1 or 0-1,3 (realtime.cpu_affinity)', cpuList),
  'inference-cpus': custom('--inference-cpus <cpus>', 'CPUs of the inference threads (realtime.inference_cpus)', cpuList),
  'lock-memory': flag('--lock-memory', 'lock the code of node and its native libraries in RAM (realtime.lock_memory)'),
  'gc-every-ticks': number('--gc-every-ticks <n>', 'a young-generation GC right after every Nth tick (realtime.gc_every_ticks)', { integer: true, positive: true }),
} as const;

interface RealtimeValues {
  readonly priority: number | undefined;
  readonly 'cpu-affinity': number[] | undefined;
  readonly 'inference-cpus': number[] | undefined;
  readonly 'lock-memory': boolean;
  readonly 'gc-every-ticks': number | undefined;
}

/** The flags given, as the `realtime:` of this run's config; none given: nothing. */
export function realtimeOptions(values: RealtimeValues): { realtime?: Partial<RealtimeSettings> } {
  const realtime: Partial<RealtimeSettings> = {
    ...(values.priority !== undefined ? { priority: values.priority } : {}),
    ...(values['cpu-affinity'] !== undefined ? { cpu_affinity: values['cpu-affinity'] } : {}),
    ...(values['inference-cpus'] !== undefined ? { inference_cpus: values['inference-cpus'] } : {}),
    ...(values['lock-memory'] ? { lock_memory: true } : {}),
    ...(values['gc-every-ticks'] !== undefined ? { gc_every_ticks: values['gc-every-ticks'] } : {}),
  };
  return Object.keys(realtime).length ? { realtime } : {};
}
