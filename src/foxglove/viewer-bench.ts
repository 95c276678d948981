/**
 * `pilot bench --foxglove`: the loop benchmark twice in one run, the same way (timeline published in
 * both), first with nobody watching, then with the Foxglove live view serving a connected viewer every
 * topic (camera frames, commands, diagnostics, timeline): the tick latency beside each other shows
 * what serving a viewer costs the control loop.
 */
import { blackBoxTopics } from '../data/bags/black-box.js';
import { LiveView } from './live-view.js';
import { ViewerProbe, type ProbeCounts } from './viewer-probe.js';
import { benchLoop, type LoopBenchOptions, type LoopBenchResult, type Percentiles } from '../runtime/bench/loop-bench.js';

export interface ViewerBenchResult {
  readonly withoutViewer: LoopBenchResult;
  readonly withViewer: LoopBenchResult;
  /** What the viewer received, and what the server sent and dropped for it. */
  readonly viewer: ProbeCounts & { readonly sent: number; readonly dropped: number };
}

export async function benchWithViewer(options: LoopBenchOptions): Promise<ViewerBenchResult> {
  const withoutViewer = await benchLoop({ ...options, publishTimeline: true });
  const live = await LiveView.start({ port: 0 });
  let probe: ViewerProbe | undefined;
  let counts: ProbeCounts | undefined;
  try {
    const withViewer = await benchLoop({
      ...options,
      publishTimeline: true,
      onTransport: async (transport, config) => {
        live.tapTransport(transport, blackBoxTopics(config));
        probe = await ViewerProbe.start(live.url, live.channels.channels().length);
      },
    });
    counts = await probe!.stop();
    probe = undefined;
    const stats = live.stats();
    return { withoutViewer, withViewer, viewer: { ...counts, sent: stats.sent, dropped: stats.dropped } };
  } finally {
    await probe?.stop();
    await live.close();
  }
}

export function formatViewerBench(r: ViewerBenchResult): string {
  const p = (x: Percentiles) => `p50 ${x.p50.toFixed(3)}  p99 ${x.p99.toFixed(3)}  p99.9 ${x.p999.toFixed(3)}  max ${x.max.toFixed(3)} ms`;
  const row = (label: string, l: LoopBenchResult) => `${label} ${p(l.tickLatencyMs)}   deadline misses ${l.deadlineMisses}, ${l.ticks} ticks`;
  const v = r.viewer;
  return [
    `tick latency with and without a Foxglove viewer (${r.withoutViewer.transport}, loop ${r.withoutViewer.rateHz} Hz, model ${r.withoutViewer.model}, provider ${r.withoutViewer.provider})`,
    row('  no viewer     ', r.withoutViewer),
    row('  viewer        ', r.withViewer),
    `  viewer got ${v.messages} messages (${(v.bytes / 1e6).toFixed(1)} MB) on ${v.channels} channels; the server sent ${v.sent}, dropped ${v.dropped} for backpressure`,
  ].join('\n');
}
