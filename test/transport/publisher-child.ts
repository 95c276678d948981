/**
 * Child process for the instance-ownership tests: a small publisher on the project's ZeroMQ transport
 * with its default ipc dir (so PILOT_IPC_DIR from the parent decides where). `node publisher-child.mjs
 * /a /b` advertises the topics in order, prints `ready <pid>`, then publishes `{ data: <pid> }` on each
 * every 20 ms. SIGTERM closes the transport and exits 0. A failure is printed the way the CLI prints
 * it (`pilot: <message>`) and exits 1 without closing anything: the exit hook must clean up.
 */
import { ZeroMqTransport } from '../../src/transport/zeromq.js';
import { RELIABLE_QOS } from '../../src/transport/transport.js';

const topics = process.argv.slice(2);
const transport = new ZeroMqTransport({ onError: () => {} });
try {
  const publishers = topics.map((t) => transport.advertise<{ data: number }>(t, 'std_msgs/msg/Int32', RELIABLE_QOS));
  process.stdout.write(`ready ${process.pid}\n`);
  const timer = setInterval(() => {
    for (const p of publishers) p.publish({ data: process.pid });
  }, 20);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void transport.close().then(() => process.exit(0));
  });
} catch (error) {
  console.error(`pilot: ${(error as Error).message}`);
  process.exit(1);
}
