/**
 * Every command of `pilot`, in the order `pilot --help` lists them, each loaded only when needed: a
 * process runs one command, and `pilot serve` or `pilot run` should not carry the simulator, the
 * trainer and the rest in its heap (30 MB more to mark at every major GC).
 */
import type { AnyCommand } from './command.js';

interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<AnyCommand>;
}

export const COMMAND_ENTRIES: readonly CommandEntry[] = [
  { name: 'run', load: async () => (await import('./run-command.js')).RUN },
  { name: 'drive', load: async () => (await import('./drive-command.js')).DRIVE },
  { name: 'sim', load: async () => (await import('./sim-command.js')).SIM },
  { name: 'replay', load: async () => (await import('./replay-command.js')).REPLAY },
  { name: 'bag', load: async () => (await import('./bag-command.js')).BAG },
  { name: 'model', load: async () => (await import('./model-command.js')).MODEL },
  { name: 'bench', load: async () => (await import('./bench-command.js')).BENCH },
  { name: 'serve', load: async () => (await import('./serve-command.js')).SERVE },
  { name: 'eval', load: async () => (await import('./eval-command.js')).EVAL },
  { name: 'sweep', load: async () => (await import('./sweep-command.js')).SWEEP },
  { name: 'pretrain', load: async () => (await import('./train-command.js')).PRETRAIN },
  { name: 'train', load: async () => (await import('./train-command.js')).TRAIN },
  { name: 'arm', load: async () => (await import('./arm-command.js')).ARM },
  { name: 'node', load: async () => (await import('./node-command.js')).NODE },
  { name: 'bridge', load: async () => (await import('./bridge-command.js')).BRIDGE },
];

/** Every command (help, suggestions, the tests that check them all). */
export function loadAllCommands(): Promise<AnyCommand[]> {
  return Promise.all(COMMAND_ENTRIES.map((e) => e.load()));
}

/** The command `argv` starts with, alone; every command when it names none (help, version, a typo). */
export async function commandsFor(argv: readonly string[]): Promise<AnyCommand[]> {
  const entry = COMMAND_ENTRIES.find((e) => e.name === argv[0]);
  return entry ? [await entry.load()] : loadAllCommands();
}
