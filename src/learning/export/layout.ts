/**
 * Weight layout conversions for exporting networks trained with channels-last frameworks
 * (TensorFlow/Keras store conv kernels HWIO; ONNX Conv wants OIHW).
 */

/** Conv kernel [kH, kW, in, out] → [out, in, kH, kW]. */
export function hwioToOihw(data: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [kh, kw, ci, co] = dims;
  if (data.length !== kh * kw * ci * co) throw new Error(`hwioToOihw: ${data.length} values for dims [${dims.join(',')}]`);
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < ci; i++)
        for (let o = 0; o < co; o++) out[((o * ci + i) * kh + y) * kw + x] = data[((y * kw + x) * ci + i) * co + o]!;
  return out;
}

/** Row-major [rows, cols] → [cols, rows], e.g. a dense kernel [in, out] → [out, in] for Gemm with transB. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  if (data.length !== rows * cols) throw new Error(`transpose2d: ${data.length} values for [${rows},${cols}]`);
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
