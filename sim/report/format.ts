/** Number formatting and axis helpers shared by the terminal and HTML reports. */

/** Fixed decimals, or `—` for a metric that was not measured (NaN, null, undefined, ±Infinity). */
export function fmt(value: number | null | undefined, decimals: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const s = value.toFixed(decimals);
  return s === `-${(0).toFixed(decimals)}` ? s.slice(1) : s;
}

/** Like `fmt`, with an explicit `+` on positive values. */
export function fmtSigned(value: number | null | undefined, decimals: number): string {
  const s = fmt(value, decimals);
  return s !== '—' && !s.startsWith('-') && Number(s) !== 0 ? `+${s}` : s;
}

/** An integer count, or `—`. */
export function fmtCount(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : String(Math.round(value));
}

/** Wall-clock style duration: `1:02.345` for ≥ 60 s, else `12.345 s`. */
export function fmtDurationS(value: number | null | undefined, decimals = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) < 60) return `${value.toFixed(decimals)} s`;
  const m = Math.floor(value / 60);
  const s = value - m * 60;
  return `${m}:${s.toFixed(decimals).padStart(decimals + 3, '0')}`;
}

/** The smallest 1, 2, 2.5 or 5 × 10^k that is ≥ value (value > 0). */
export function niceCeil(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const m of [1, 2, 2.5, 5, 10]) {
    const v = m * base;
    if (v >= value * (1 - 1e-12)) return v;
  }
  return 10 * base;
}

/** A round axis limit ≥ value (value > 0), finer than `niceCeil`: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k. */
export function niceLimit(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const v = Number((m * base).toPrecision(12));
    if (v >= value * (1 - 1e-12)) return v;
  }
  return 10 * base;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [min];
  const step = niceCeil((max - min) / Math.max(1, count));
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

/** Decimals enough to tell ticks `step` apart. */
export function decimalsForStep(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9) + (Number((step / 10 ** Math.floor(Math.log10(step))).toPrecision(3)) === 2.5 ? 1 : 0)));
}
