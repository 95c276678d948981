/**
 * Child process for the SIGKILL recording test: `node crash-record-child.mjs <bag> <sent-log> <flush ms>`
 * records /cmd/ackermann (100 Hz) and /diagnostics (5 Hz) with the real Recorder and BagWriter into
 * <bag> (default 1 MiB chunks, so at these rates only the time-based flush writes chunks). Before each
 * publish it appends `<topic> <seq> <send time ns>` to <sent-log> synchronously, so the parent knows
 * what was sent up to the instant of the kill. Prints `recording` once the bag is open. Runs until killed.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createBagWriter } from '../../../src/data/bags/node-io.js';
import { Recorder, wallClockNs } from '../../../src/data/bags/recorder.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { CRASH_TOPICS, crashMessage } from './crash-messages.js';

const [bag, sentLog, flushMs] = process.argv.slice(2);
const clock = wallClockNs();
const transport = new InProcessTransport();
const writer = await createBagWriter(bag!, { compression: 'zstd' });
Recorder.start({
  transport,
  writer,
  clock,
  flushIntervalMs: Number(flushMs),
  topics: CRASH_TOPICS.map((t) => ({ topic: t.topic, type: t.type, qos: RELIABLE_QOS })),
  onError: (e) => console.error(e.message),
});
const log = openSync(sentLog!, 'a');
process.on('exit', () => closeSync(log));
for (const t of CRASH_TOPICS) {
  const pub = transport.advertise(t.topic, t.type, RELIABLE_QOS);
  let seq = 0;
  setInterval(() => {
    const tNs = clock();
    writeSync(log, `${t.topic} ${seq} ${tNs}\n`);
    pub.publish(crashMessage(t.topic, seq++, tNs));
  }, t.periodMs);
}
process.stdout.write('recording\n');
