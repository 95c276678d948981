/**
 * Stamping in place. Same arithmetic as timeFromMs (src/messages/time.ts), but writes into an
 * existing Time so a sensor's reused message is stamped without allocating each step.
 */
import { timeFromMs } from '../../src/messages/time.js';
import type { Time } from '../../src/messages/types.js';

const INT32_MAX_MS = (2 ** 31 - 1) * 1000;

export function stampFromMs(out: Time, simTimeMs: number): Time {
  // Out-of-range or non-finite: let timeFromMs throw its usual error (cold path).
  if (!(simTimeMs >= 0 && simTimeMs < INT32_MAX_MS)) {
    const t = timeFromMs(simTimeMs);
    out.sec = t.sec;
    out.nanosec = t.nanosec;
    return out;
  }
  let sec = Math.floor(simTimeMs / 1000);
  let nanosec = Math.round((simTimeMs - sec * 1000) * 1e6);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  out.sec = sec;
  out.nanosec = nanosec;
  return out;
}
