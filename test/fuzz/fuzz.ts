/**
 * Shared pieces of the decoder fuzz tests (fast-check): a fixed seed (printed by fast-check with the
 * counterexample when a property fails; FUZZ_SEED overrides it to replay, FUZZ_RUNS scales the run
 * counts), byte mutations of valid encodings, and the rule every decoder must follow: return, or
 * throw its module's typed error with an `E_…` code, never anything else.
 */
import fc from 'fast-check';
import { PilotError } from '../../src/core/util/errors.js';
import { TransportError } from '../../src/transport/transport.js';

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_207);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

/** fast-check parameters: the fixed seed and `runs` (scaled by FUZZ_RUNS). */
export function fuzzParams(runs: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * SCALE)), endOnFailure: true };
}

/** What the decoders did over a fuzz run: how many inputs went through without error, and the errors by code. */
export class Outcomes {
  runs = 0;
  decoded = 0;
  readonly errors = new Map<string, number>();

  error(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  summary(name: string): string {
    const errors = [...this.errors].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`);
    return `fuzz ${name}: ${this.runs} runs, ${this.decoded} without error${errors.length ? `; errors ${errors.join(', ')}` : ''}`;
  }
}

/**
 * The typed error's code, or rethrows anything else (a bug: a library error that escaped, a TypeError,
 * a RangeError) so fast-check shrinks and reports the input.
 */
export function typedCode(err: unknown): string {
  if ((err instanceof PilotError || err instanceof TransportError) && /^E_[A-Z0-9_]+$/.test(err.code)) return err.code;
  throw err;
}

/** Runs `decode`, counting its result or its typed error in `outcomes`; anything else propagates. */
export function expectTyped(outcomes: Outcomes, decode: () => unknown): void {
  outcomes.runs++;
  try {
    decode();
    outcomes.decoded++;
  } catch (err) {
    outcomes.error(typedCode(err));
  }
}

/** The async form of {@link expectTyped}. */
export async function expectTypedAsync(outcomes: Outcomes, decode: () => Promise<unknown>): Promise<void> {
  outcomes.runs++;
  try {
    await decode();
    outcomes.decoded++;
  } catch (err) {
    outcomes.error(typedCode(err));
  }
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

/** Lengths and counts that break readers: 0, just past the end, sign bits, all ones. */
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING_U32) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

function apply(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  if (n === 0) return m.kind === 'insert' ? m.bytes.slice() : bytes;
  const at = m.at % n;
  switch (m.kind) {
    case 'flip':
      bytes[at] = bytes[at]! ^ (1 << m.bit);
      return bytes;
    case 'set':
      bytes[at] = m.value;
      return bytes;
    case 'u32': {
      // Little-endian on a 4-byte boundary, where CDR and MCAP keep their lengths.
      const aligned = at - (at % 4);
      for (let i = 0; i < 4 && aligned + i < n; i++) bytes[aligned + i] = (m.value >>> (8 * i)) & 0xff;
      return bytes;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert': {
      const out = new Uint8Array(n + m.bytes.length);
      out.set(bytes.subarray(0, at));
      out.set(m.bytes, at);
      out.set(bytes.subarray(at), at + m.bytes.length);
      return out;
    }
    case 'delete': {
      const end = Math.min(n, at + m.count);
      const out = new Uint8Array(n - (end - at));
      out.set(bytes.subarray(0, at));
      out.set(bytes.subarray(end), at);
      return out;
    }
  }
}

/** A copy of one of `seeds` with 1 to `maxMutations` mutations (sizes stay bounded by seed + 16·max). */
export function mutatedFrom(seeds: readonly Uint8Array[], maxMutations = 6): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: maxMutations }))
    // Uint8Array.from copies (Buffer#slice would share the seed's memory).
    .map(([i, ms]) => ms.reduce<Uint8Array>((b, m) => apply(b, m), Uint8Array.from(seeds[i]!)));
}

/** Mutated seeds most of the time, plain random bytes (up to `maxRandom`) otherwise. */
export function bytesFrom(seeds: readonly Uint8Array[], maxRandom = 256): fc.Arbitrary<Uint8Array> {
  return fc.oneof({ weight: 4, arbitrary: mutatedFrom(seeds) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandom }) });
}
