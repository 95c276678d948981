/**
 * Replay throughput, × real time: a camera bag on disk replayed through the runtime as fast as
 * possible, (1) read and decoded only, (2) through the runtime with the network stubbed out (reading,
 * decoding, delivery, preprocessing, safety, commands), (3) through the runtime with the model.
 * Used by scripts/bench-replay.ts; kept here so the bag benchmark can call it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBagWriter, openBag } from '../bags/node-io.js';
import type { PilotConfig } from '../../core/config/schema.js';
import type { Image } from '../../core/messages/types.js';
import { PolicySession, type Policy } from '../../runtime/policy/policy-session.js';
import { runReplay } from './replay-session.js';

export interface ReplayBenchOptions {
  readonly config: PilotConfig;
  /** Bag length, s (default 20). */
  readonly seconds?: number;
  /** Camera rate in the bag (default 30 Hz). */
  readonly cameraHz?: number;
  /** Frame size (default: the config's camera calibration size is expected; 320×240). */
  readonly width?: number;
  readonly height?: number;
  /** Passes per variant; the best is kept (default 3). */
  readonly passes?: number;
  /** Where the bag is written (default a temporary folder, removed after). */
  readonly dir?: string;
}

export interface ReplayBenchResult {
  readonly variant: 'decode only' | 'runtime, no inference' | 'runtime + inference';
  readonly frames: number;
  readonly ticks: number;
  readonly bagS: number;
  readonly wallS: number;
  readonly realTime: number;
  /** Inference per tick (p50), ms; NaN without inference. */
  readonly inferenceP50Ms: number;
}

/** Camera-like frames: gradients with noise, a few in rotation. */
function frames(count: number, width: number, height: number): Image[] {
  let seed = 4242;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 24) & 15;
  };
  return Array.from({ length: count }, (_, k) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = (x + k * 9 + noise()) & 255;
        data[i + 1] = (y * 2 + noise()) & 255;
        data[i + 2] = ((x + y) / 3 + k * 20 + noise()) & 255;
      }
    }
    return { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' }, height, width, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data };
  });
}

/** The same network, not run: the tensor is filled, the output stays as it is. */
function withoutInference(policy: Policy): Policy {
  return {
    contract: policy.contract,
    modelPath: policy.modelPath,
    activeProvider: policy.activeProvider,
    attempts: policy.attempts,
    providerSummary: `${policy.providerSummary} (not run)`,
    startup: policy.startup,
    inputs: policy.inputs,
    output: policy.output,
    concurrent: false,
    run: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
  };
}

export async function benchReplayThroughput(options: ReplayBenchOptions): Promise<ReplayBenchResult[]> {
  const seconds = options.seconds ?? 20;
  const hz = options.cameraHz ?? 30;
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const passes = options.passes ?? 3;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'pilot-bench-replay-'));
  const bag = join(dir, `replay_runtime_${Date.now()}`);
  const images = frames(8, width, height);
  const count = Math.round(seconds * hz);
  const t0 = 1_763_800_000_000_000_000n;
  const writer = await createBagWriter(bag);
  writer.addTopic(options.config.inputs.camera.topic, 'sensor_msgs/msg/Image');
  for (let i = 0; i < count; i++) await writer.writeMessage(options.config.inputs.camera.topic, images[i % images.length]!, t0 + (BigInt(i) * 1_000_000_000n) / BigInt(hz));
  await writer.close();
  const bagS = (count - 1) / hz;
  const results: ReplayBenchResult[] = [];
  const policy = await PolicySession.create({ model: options.config.model, log: () => {} });
  try {
    const best = async (run: () => Promise<ReplayBenchResult>): Promise<ReplayBenchResult> => {
      let top: ReplayBenchResult | undefined;
      for (let p = 0; p < passes; p++) {
        const r = await run();
        if (!top || r.wallS < top.wallS) top = r;
      }
      return top!;
    };
    results.push(
      await best(async () => {
        const start = performance.now();
        const reader = await openBag(bag);
        let n = 0;
        let checksum = 0;
        for await (const m of reader.messages({ reuseBuffers: true })) {
          const image = reader.decode<Image>(m);
          checksum += image.data[n % 1000]!;
          n++;
        }
        await reader.close();
        if (n !== count || checksum < 0) throw new Error(`read ${n} of ${count} frames`);
        const wallS = (performance.now() - start) / 1000;
        return { variant: 'decode only', frames: n, ticks: 0, bagS, wallS, realTime: bagS / wallS, inferenceP50Ms: NaN };
      }),
    );
    for (const variant of ['runtime, no inference', 'runtime + inference'] as const) {
      results.push(
        await best(async () => {
          const start = performance.now();
          const reader = await openBag(bag);
          const result = await runReplay({
            reader,
            models: [{ label: 'bench', config: options.config, policy: variant === 'runtime + inference' ? policy : withoutInference(policy) }],
            referenceTopic: null,
            log: () => {},
          });
          await reader.close();
          const wallS = (performance.now() - start) / 1000;
          const run = result.runs[0]!;
          if (run.runtime.framesReceived !== count) throw new Error(`the runtime received ${run.runtime.framesReceived} of ${count} frames (${run.runtime.lastRejection})`);
          return {
            variant,
            frames: run.runtime.framesReceived,
            ticks: run.runtime.ticks,
            bagS,
            wallS,
            realTime: bagS / wallS,
            inferenceP50Ms: variant === 'runtime + inference' ? run.runtime.inferenceMs.p50 : NaN,
          };
        }),
      );
    }
  } finally {
    await policy.dispose();
    rmSync(bag, { recursive: true, force: true });
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
