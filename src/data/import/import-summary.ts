/**
 * The summary that ends each `pilot bag import`: a plain object (printed as JSON with `--json`) and
 * the lines for stderr: records read, imported, skipped by reason, deleted and missing indexes,
 * timestamp gaps, the controls' range and mean, the image size and the first problems.
 */
import type { ImportStats, ValueStats } from './bag-import.js';
import type { TimeGap } from './driving-log.js';

export interface ImportSummary {
  readonly format: 'donkey' | 'udacity';
  readonly input: string;
  readonly output: string;
  /** What the reader recognised (`DonkeyCar catalog tub with sessions (…)`). */
  readonly source: string | null;
  /** Every record in the log: imported + skipped + deleted. */
  readonly recordsRead: number;
  readonly imported: number;
  readonly skipped: number;
  readonly skippedByReason: Readonly<Record<string, number>>;
  readonly deletedIndexes: number;
  readonly missingIndexes: number;
  /** Where they should have been (`the catalogs`). */
  readonly missingFrom: string | null;
  readonly missingRanges: readonly (readonly [number, number])[];
  readonly timestampGaps: { readonly clock: string | null; readonly thresholdS: number; readonly count: number; readonly largest: readonly TimeGap[] };
  /** Source units; throttle after `--invert-throttle`. */
  readonly steering: ValueStats | null;
  readonly throttle: ValueStats | null;
  readonly throttleInverted: boolean;
  readonly image: { readonly width: number; readonly height: number; readonly format: string; readonly otherSizes: number } | null;
  /** Unix seconds of the first and last imported record. */
  readonly startTimeS: number | null;
  readonly endTimeS: number | null;
  readonly bagBytes: number;
  readonly topics: readonly string[];
  readonly outOfRange: number;
  readonly timeReversals: number;
  readonly firstProblems: readonly string[];
}

export interface SummaryContext {
  readonly format: 'donkey' | 'udacity';
  readonly input: string;
  readonly output: string;
  readonly bagBytes: number;
  readonly throttleInverted: boolean;
}

const round = (v: number, digits = 6): number => Number(v.toFixed(digits));
const roundStats = (s: ValueStats | undefined): ValueStats | null => (s ? { min: round(s.min), max: round(s.max), mean: round(s.mean) } : null);

export function importSummary(stats: ImportStats, context: SummaryContext): ImportSummary {
  const log = stats.log;
  const deleted = log?.deletedIndexes ?? 0;
  return {
    ...context,
    source: log?.description ?? null,
    recordsRead: stats.records + deleted,
    imported: stats.written,
    skipped: stats.skipped,
    skippedByReason: { ...stats.skippedByReason },
    deletedIndexes: deleted,
    missingIndexes: log?.missingIndexes ?? 0,
    missingFrom: log?.missingFrom ?? null,
    missingRanges: log?.missingRanges ?? [],
    timestampGaps: {
      clock: log?.clock ?? null,
      thresholdS: log?.gapThresholdS ?? 1,
      count: log?.gapCount ?? 0,
      largest: (log?.largestGaps ?? []).map((g) => ({ ...g, seconds: round(g.seconds, 3) })),
    },
    steering: roundStats(stats.steering),
    throttle: roundStats(stats.throttle),
    image: stats.imageWidth !== undefined ? { width: stats.imageWidth, height: stats.imageHeight!, format: stats.imageFormat!, otherSizes: stats.otherImageSizes } : null,
    startTimeS: stats.startNs !== undefined ? Number(stats.startNs) / 1e9 : null,
    endTimeS: stats.endNs !== undefined ? Number(stats.endNs) / 1e9 : null,
    topics: [...stats.topics],
    outOfRange: stats.outOfRange,
    timeReversals: stats.timeReversals,
    firstProblems: [...stats.issues],
  };
}

/** `0–900, 1200, 3000–3010 and 4 more ranges`. */
export function formatRanges(ranges: readonly (readonly [number, number])[], shown = 5): string {
  const text = ranges.slice(0, shown).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(', ');
  return ranges.length > shown ? `${text} and ${ranges.length - shown} more range(s)` : text;
}

export function formatGap(g: TimeGap): string {
  return `${g.seconds.toFixed(2)} s between ${g.after} and ${g.before.replace(/^(_index|line|record_) ?/, '')}`;
}

const num = (v: number): string => String(round(v, 3));
const spread = (s: ValueStats): string => `${num(s.min)} … ${num(s.max)}, mean ${num(s.mean)}`;

function gapLine(s: ImportSummary): string {
  const g = s.timestampGaps;
  if (g.clock === null) return `  timestamp gaps > ${g.thresholdS} s: not checked (the log has no timestamps)`;
  if (g.count === 0) return `  timestamp gaps > ${g.thresholdS} s: none (${g.clock})`;
  const largest = g.largest.map(formatGap).join('; ');
  return `  timestamp gaps > ${g.thresholdS} s: ${g.count} (${g.clock})${g.count > g.largest.length ? `, largest ${g.largest.length}` : ''}: ${largest}`;
}

/** The summary lines for stderr (after the `imported N of M` line). */
export function summaryLines(s: ImportSummary, maxProblems = 5): string[] {
  const lines: string[] = [];
  if (s.source) lines.push(`  source: ${s.source}`);
  const deleted = s.deletedIndexes > 0 ? `, ${s.deletedIndexes} deleted` : '';
  lines.push(`  records: ${s.recordsRead} read, ${s.imported} imported, ${s.skipped} skipped${deleted}`);
  const reasons = Object.entries(s.skippedByReason).map(([reason, n]) => `${n} ${reason}`);
  if (reasons.length > 0) lines.push(`  skipped by reason: ${reasons.join(', ')}`);
  if (s.deletedIndexes > 0) lines.push(`  ${s.deletedIndexes} deleted indexes skipped, as the tub's manifest says`);
  if (s.missingIndexes > 0) lines.push(`  ${s.missingIndexes} indexes missing from ${s.missingFrom ?? 'the log'} (ranges ${formatRanges(s.missingRanges)})`);
  lines.push(gapLine(s));
  if (s.steering && s.throttle) {
    lines.push(`  steering ${spread(s.steering)}; throttle${s.throttleInverted ? ' (inverted)' : ''} ${spread(s.throttle)} (source units)`);
  }
  if (s.image) lines.push(`  image size ${s.image.width}×${s.image.height} ${s.image.format}${s.image.otherSizes > 0 ? ` (${s.image.otherSizes} image(s) of another size)` : ''}`);
  if (s.throttle && s.throttle.mean < 0) {
    lines.push(
      s.throttleInverted
        ? `  warning: after --invert-throttle the throttle is mostly negative (mean ${s.throttle.mean.toFixed(3)}): drop --invert-throttle?`
        : `  warning: the throttle is mostly negative (mean ${s.throttle.mean.toFixed(3)}): a car driving forward with an inverted throttle axis? --invert-throttle flips it`,
    );
  }
  if (s.outOfRange > 0) lines.push(`  warning: ${s.outOfRange} record(s) had steering or throttle outside [-1, 1] (mapped as they are)`);
  if (s.timeReversals > 0) lines.push(`  warning: ${s.timeReversals} record(s) are earlier than the record before them`);
  if (s.skipped > 0) {
    const shown = s.firstProblems.slice(0, maxProblems);
    lines.push(`  first problems (${shown.length} of ${s.skipped}):`);
    for (const p of shown) lines.push(`    ${p}`);
  }
  return lines;
}
