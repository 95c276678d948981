/**
 * Publish → callback latency of a camera-sized `sensor_msgs/msg/Image` over a transport. One message in
 * flight at a time (publish, await its arrival, next), so this is latency, not throughput.
 */
import type { Image } from '../../core/messages/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport } from '../../transport/index.js';
import { SENSOR_QOS, type Transport } from '../../transport/transport.js';

export interface TransportLatencyOptions {
  readonly transport: 'zeromq' | 'inprocess';
  readonly count: number;
  readonly width: number;
  readonly height: number;
  /** Unmeasured messages first (JIT, socket buffers); default 50. */
  readonly warmup?: number;
}

export interface TransportLatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  received: number;
  sent: number;
  /** Send drops + receive gaps + decode errors during the measured run, plus messages that never arrived. */
  drops: number;
}

const TOPIC = `/bench/image_latency_${process.pid}`;
const TYPE = 'sensor_msgs/msg/Image';
/** A message not back by then counts as lost; generous so a GC pause is measured, not called a loss. */
const ARRIVAL_TIMEOUT_MS = 1000;

export async function benchTransportLatency(opts: TransportLatencyOptions): Promise<TransportLatencyResult> {
  // A private ipc dir: no clash with a running pilot, nothing left behind.
  const ipcDir = opts.transport === 'zeromq' ? mkdtempSync(join(tmpdir(), 'pilot-bench-')) : undefined;
  const quiet = { ipcDir, onError: () => {} };
  const pubT = createTransport(opts.transport, quiet);
  // Two ZeroMQ transports, as between two processes; in-process needs both ends in one.
  const subT = opts.transport === 'zeromq' ? createTransport('zeromq', quiet) : pubT;
  try {
    return await measure(pubT, subT, opts);
  } finally {
    await pubT.close();
    if (subT !== pubT) await subT.close();
    if (ipcDir) rmSync(ipcDir, { recursive: true, force: true });
  }
}

async function measure(pubT: Transport, subT: Transport, opts: TransportLatencyOptions): Promise<TransportLatencyResult> {
  let arrived: ((sentNs: bigint, nowNs: bigint) => void) | undefined;
  subT.subscribe<Image>(
    TOPIC,
    TYPE,
    (msg) => {
      const sentNs = BigInt(msg.header.stamp.sec) * 1_000_000_000n + BigInt(msg.header.stamp.nanosec);
      arrived?.(sentNs, process.hrtime.bigint());
    },
    SENSOR_QOS,
  );
  const pub = pubT.advertise<Image>(TOPIC, TYPE, SENSOR_QOS);
  const image: Image = {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'bench_camera' },
    height: opts.height,
    width: opts.width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: opts.width * 3,
    // Reused: safe because the previous frame has arrived before the next publish.
    data: new Uint8Array(opts.width * opts.height * 3).map((_, i) => i & 0xff),
  };
  const roundTrip = (): Promise<number | undefined> =>
    new Promise((resolve) => {
      const now = process.hrtime.bigint();
      const finish = (latency: number | undefined): void => {
        clearTimeout(timer);
        arrived = undefined;
        resolve(latency);
      };
      const timer = setTimeout(() => finish(undefined), ARRIVAL_TIMEOUT_MS);
      // A straggler from a timed-out round must not be taken for this one.
      arrived = (sentNs, nowNs) => {
        if (sentNs === now) finish(Number(nowNs - now) / 1e6);
      };
      // Monotonic clock in the stamp: sender and receiver share this process.
      image.header.stamp = { sec: Number(now / 1_000_000_000n), nanosec: Number(now % 1_000_000_000n) };
      pub.publish(image);
    });

  // ZeroMQ's slow joiner: the first messages go nowhere until the subscriber has connected.
  let live = false;
  for (let i = 0; i < 50 && !live; i++) live = (await roundTrip()) !== undefined;
  if (!live) throw new Error(`bench: no image arrived over ${pubT.name}`);
  for (let i = 0; i < (opts.warmup ?? 50); i++) await roundTrip();

  const base = countLosses(pubT, subT);
  const latencies: number[] = [];
  for (let i = 0; i < opts.count; i++) {
    const latency = await roundTrip();
    if (latency !== undefined) latencies.push(latency);
  }
  const lost = opts.count - latencies.length;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] : NaN);
  return {
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : NaN,
    received: latencies.length,
    sent: opts.count,
    drops: Math.max(countLosses(pubT, subT) - base, lost),
  };
}

function countLosses(...transports: Transport[]): number {
  let n = 0;
  for (const t of new Set(transports)) {
    const s = t.stats().get(TOPIC);
    if (s) n += s.sendDrops + s.receiveGaps + s.decodeErrors;
  }
  return n;
}
