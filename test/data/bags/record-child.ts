/**
 * Child process for the SIGKILL test (run with vite-node): writes 64 KiB messages into a bag with
 * 32 KiB chunks, so each write finishes a chunk, and prints the index of every message once its
 * write resolved (the chunk is then with the OS). Runs until killed.
 */
import { createBagWriter } from '../../../src/data/bags/node-io.js';

const dir = process.argv[2]!;
const writer = await createBagWriter(dir, { chunkSizeBytes: 32 * 1024, compression: 'zstd' });
writer.addTopic('/blob', 'std_msgs/msg/Float64MultiArray');
for (let i = 0; ; i++) {
  const data = new Float64Array(8192).fill(i);
  if (!(await writer.writeMessage('/blob', { layout: { dim: [], data_offset: i }, data }, 1_763_800_000_000_000_000n + BigInt(i) * 1_000_000n))) {
    process.exit(3);
  }
  process.stdout.write(`${i}\n`);
}
