/**
 * Image latency over each transport: `node dist/scripts/bench-transport.js [--transport zeromq|inprocess]
 * [--count 1000]`. The bar: ZeroMQ over ipc, 640×480 rgb8, p50 under 1 ms, no drops.
 */
import { parseArgs } from 'node:util';
import { benchTransportLatency } from '../src/runtime/bench/transport-bench.js';

const { values } = parseArgs({ options: { transport: { type: 'string' }, count: { type: 'string', default: '1000' } } });
const kinds = values.transport ? [values.transport] : ['inprocess', 'zeromq'];
for (const kind of kinds) {
  if (kind !== 'zeromq' && kind !== 'inprocess') throw new Error(`--transport must be zeromq or inprocess, got '${kind}'`);
  const r = await benchTransportLatency({ transport: kind, count: Number(values.count), width: 640, height: 480 });
  console.log(
    `${kind.padEnd(9)} 640×480 rgb8  p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms  max ${r.maxMs.toFixed(3)} ms  ` +
      `received ${r.received}/${r.sent}  drops ${r.drops}`,
  );
}
