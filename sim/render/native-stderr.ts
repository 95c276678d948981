/**
 * Runs a synchronous function with file descriptor 2 pointed at /dev/null, for native code that
 * prints to stderr itself (Dawn's "artificially reduced" limit warnings when an adapter is
 * requested), then puts stderr back. JavaScript cannot write in between: the call is synchronous.
 * Linux only (it reopens stderr through /proc, which works for a terminal, a file and a pipe);
 * elsewhere, or when stderr cannot be reopened (a socket, as Node's own child-process 'pipe' stdio
 * is), the function runs unmuted.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';

const STDERR = 2;

/** Whether descriptors 0 and 1 are open, so that a freed 2 is the lowest free one. */
function lowerOpen(): boolean {
  try {
    fstatSync(0);
    fstatSync(1);
    return true;
  } catch {
    return false;
  }
}

export function withNativeStderrMuted<T>(fn: () => T): T {
  if (process.platform !== 'linux' || !lowerOpen()) return fn();
  let saved: number;
  try {
    saved = openSync(`/proc/self/fd/${STDERR}`, 'a');
  } catch {
    return fn();
  }
  closeSync(STDERR);
  // The lowest free descriptor: 2 again, now /dev/null.
  const nul = openSync('/dev/null', 'w');
  try {
    return fn();
  } finally {
    closeSync(nul);
    const back = openSync(`/proc/self/fd/${saved}`, 'a');
    closeSync(saved);
    if (back !== STDERR) throw new Error(`stderr came back as descriptor ${back}, not ${STDERR}`);
  }
}
