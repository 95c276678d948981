/**
 * The tfjs training backend: tfjs-core on the wasm backend (XNNPack, SIMD build), plus the gradient
 * registrations and wasm kernels that training needs and the stock packages do not provide in Node.
 * Measured on the project's 2-core machine: stock tfjs CPU trains at ~1 sample/s, wasm at ~100× that;
 * @tensorflow/tfjs-node cannot install here (it downloads a native binary).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { PilotError } from '../../core/util/errors.js';
import { registerTrainingGradients } from './gradients.js';
import { registerWasmTrainingKernels, WASM } from './kernels.js';

export interface TrainingBackendInfo {
  readonly backend: string;
  readonly simd: boolean;
  readonly threads: boolean;
}

let ready: Promise<TrainingBackendInfo> | undefined;

/**
 * Selects the wasm backend and registers what training needs. Idempotent; every training entry point
 * awaits it. Threads stay off: the threaded build needs cross-origin isolation (browser) and gains
 * nothing in Node, where it does not start.
 */
export function initTrainingBackend(): Promise<TrainingBackendInfo> {
  ready ??= setUp().catch((err: unknown) => {
    ready = undefined;
    throw new PilotError('E_TRAIN_BACKEND', `cannot start the tfjs wasm backend: ${(err as Error).message}`);
  });
  return ready;
}

async function setUp(): Promise<TrainingBackendInfo> {
  const require = createRequire(import.meta.url);
  // setWasmPaths wants a prefix ending in '/': the folder holding tfjs-backend-wasm*.wasm.
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(dist + path.sep);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  registerTrainingGradients();
  registerWasmTrainingKernels();
  if (!(await tf.setBackend(WASM))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  return { backend: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT') as boolean, threads: false };
}
