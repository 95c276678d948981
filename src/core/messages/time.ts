import { MessageError } from './errors.js';
import type { Time } from './types.js';

const NS_PER_SEC = 1_000_000_000n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function checkSec(sec: number, from: string): void {
  // builtin_interfaces/Time.sec is int32: past 2038 it cannot be represented.
  if (sec < INT32_MIN || sec > INT32_MAX) {
    throw new MessageError('E_TIME_RANGE', `${from} gives sec=${sec}, outside int32`);
  }
}

/** Milliseconds (e.g. since the epoch) → Time; negative times keep nanosec in [0, 1e9). */
export function timeFromMs(ms: number): Time {
  return writeTimeFromMs({ sec: 0, nanosec: 0 }, ms);
}

/** timeFromMs into an existing Time (reused messages are stamped without allocating). */
export function writeTimeFromMs(out: Time, ms: number): Time {
  if (!Number.isFinite(ms)) throw new MessageError('E_TIME_RANGE', `timeFromMs(${ms})`);
  let sec = Math.floor(ms / 1000);
  let nanosec = Math.round((ms - sec * 1000) * 1e6);
  if (nanosec >= 1e9) {
    sec += 1;
    nanosec -= 1e9;
  }
  checkSec(sec, `timeFromMs(${ms})`);
  out.sec = sec;
  out.nanosec = nanosec;
  return out;
}

/** Time → milliseconds (fractional: keeps sub-ms precision up to float64 limits). */
export function msFromTime(t: Time): number {
  return t.sec * 1000 + t.nanosec / 1e6;
}

/** Nanoseconds → Time, exact. */
export function timeFromNs(ns: bigint): Time {
  let sec = ns / NS_PER_SEC;
  let rem = ns % NS_PER_SEC;
  if (rem < 0n) {
    // BigInt division truncates toward zero; Time wants floor with a non-negative nanosec.
    sec -= 1n;
    rem += NS_PER_SEC;
  }
  const secNum = Number(sec);
  checkSec(secNum, `timeFromNs(${ns})`);
  return { sec: secNum, nanosec: Number(rem) };
}

/** Time → nanoseconds, exact. */
export function nsFromTime(t: Time): bigint {
  return BigInt(t.sec) * NS_PER_SEC + BigInt(t.nanosec);
}
