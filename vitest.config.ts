import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file gets its own default ZeroMQ ipc dir (PILOT_IPC_DIR): one live owner per endpoint.
    setupFiles: ['test/transport/isolated-ipc-dir.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // ZeroMQ sockets and ORT sessions hold native handles: forks isolate them cleanly.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
