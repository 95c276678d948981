// A process of its own for native-stderr.test.ts: asks Dawn for adapters (as pilot drive does) with
// its diagnostics shown or not (DAWN_CHILD_VERBOSE), and writes to descriptor 2 inside and after a
// muted call.
import { writeSync } from 'node:fs';
import { installGpuEnvironment, showNativeDiagnostics } from '../../../sim/render/gpu-environment.js';
import { withNativeStderrMuted } from '../../../sim/render/native-stderr.js';

showNativeDiagnostics(process.env.DAWN_CHILD_VERBOSE === '1');
await installGpuEnvironment('opengles');
// three.js asks again when it builds its renderer.
await (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
withNativeStderrMuted(() => writeSync(2, 'written while muted\n'));
writeSync(2, 'descriptor 2 after\n');
console.error('console.error after');
