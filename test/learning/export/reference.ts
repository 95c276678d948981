/** Plain-JS reference kernels (NCHW, batch 1) the ORT results are checked against. Slow and obvious on purpose. */

export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export function conv2d(
  x: Tensor,
  w: Tensor,
  b: Float32Array | undefined,
  strides: [number, number],
  pads: [number, number, number, number],
): Tensor {
  const [, ci, h, wd] = x.dims as [number, number, number, number];
  const [co, wci, kh, kw] = w.dims as [number, number, number, number];
  if (wci !== ci) throw new Error('channel mismatch');
  const [pt, pl, pb, pr] = pads;
  const oh = Math.floor((h + pt + pb - kh) / strides[0]) + 1;
  const ow = Math.floor((wd + pl + pr - kw) / strides[1]) + 1;
  const out = new Float32Array(co * oh * ow);
  for (let o = 0; o < co; o++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let acc = b ? b[o]! : 0;
        for (let i = 0; i < ci; i++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = y * strides[0] + ky - pt;
              const ix = xx * strides[1] + kx - pl;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              acc += x.data[(i * h + iy) * wd + ix]! * w.data[((o * ci + i) * kh + ky) * kw + kx]!;
            }
        out[(o * oh + y) * ow + xx] = acc;
      }
  return { data: out, dims: [1, co, oh, ow] };
}

export function map(x: Tensor, f: (v: number) => number): Tensor {
  return { data: x.data.map(f), dims: [...x.dims] };
}

export const elu = (v: number) => (v >= 0 ? v : Math.exp(v) - 1);

/** y = x · Wᵀ + b with W stored [out, in] (Gemm transB=1). */
export function dense(x: Tensor, w: Float32Array, b: Float32Array, outputs: number): Tensor {
  const inputs = x.data.length;
  const out = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) {
    let acc = b[o]!;
    for (let i = 0; i < inputs; i++) acc += x.data[i]! * w[o * inputs + i]!;
    out[o] = acc;
  }
  return { data: out, dims: [1, outputs] };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
