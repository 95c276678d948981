/** Seeded, platform-independent random numbers, so exported test weights are byte-identical across runs. */

/** mulberry32: a 32-bit state PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [-limit, limit). */
export function uniform(random: () => number, n: number, limit: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (random() * 2 - 1) * limit;
  return out;
}

/** He-uniform (Kaiming) init for ReLU/ELU layers: limit = sqrt(6 / fanIn). */
export function heUniform(random: () => number, n: number, fanIn: number): Float32Array {
  return uniform(random, n, Math.sqrt(6 / fanIn));
}

/** Glorot-uniform init, for layers followed by tanh: limit = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(random: () => number, n: number, fanIn: number, fanOut: number): Float32Array {
  return uniform(random, n, Math.sqrt(6 / (fanIn + fanOut)));
}

/** A shuffled copy of `items` (Fisher–Yates), as random as `random`; the input is left as it was. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
