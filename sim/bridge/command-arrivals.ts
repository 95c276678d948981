/**
 * Bookkeeping every simulator command listener shares (the car's and the arm's): how many valid
 * commands arrived, the newest one's stamp, rejections, and waiting for the next command with a
 * wall-time timeout (lockstep).
 */
import type { CommandArrivals } from '../drive/lockstep.js';

export class CommandArrivalCounter implements CommandArrivals {
  /** Header stamp of the newest command in ms (NaN when the message type has no header). */
  latestStampMs = NaN;
  received = 0;
  rejected = 0;
  lastRejection = '';
  readonly #waiters = new Set<() => void>();

  protected reject(why: string): void {
    this.rejected++;
    this.lastRejection = why;
  }

  protected accept(stampMs: number): void {
    this.latestStampMs = stampMs;
    this.received++;
    for (const wake of this.#waiters) wake();
  }

  /**
   * Resolves true once a command with `received > after` arrives (and, for stamped commands, a stamp
   * ≥ `minStampMs`), or false after `timeoutMs` of wall time.
   */
  waitFor(after: number, minStampMs: number, timeoutMs: number): Promise<boolean> {
    const satisfied = () => this.received > after && !(this.latestStampMs < minStampMs);
    if (satisfied()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (satisfied()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(check);
    });
  }

  protected clearWaiters(): void {
    this.#waiters.clear();
  }
}
