/**
 * Makes three.js's WebGPURenderer work in Node: Dawn (npm `webgpu`) provides `navigator.gpu`.
 * On a CPU-only Linux machine Dawn's OpenGL ES backend runs on Mesa llvmpipe through EGL with the
 * surfaceless platform; on a GPU machine Vulkan is preferred.
 */
import { PilotError } from '../../src/core/util/errors.js';
import { nativeDiagnosticsShown } from '../../src/core/util/native-diagnostics.js';
import { withNativeStderrMuted } from './native-stderr.js';

export type GpuBackend = 'opengles' | 'vulkan' | 'auto';

export interface GpuEnvironment {
  readonly backend: string;
  readonly adapter: string;
}

let installed: Promise<GpuEnvironment> | undefined;
/**
 * Dawn's own messages on stderr are shown only with `--verbose` (src/core/util/native-diagnostics.ts):
 * requesting an adapter prints "maxDynamic…PerPipelineLayout artificially reduced" warnings that concern
 * no user. Set before the first render.
 */
export { showNativeDiagnostics } from '../../src/core/util/native-diagnostics.js';

const INSTALL_HINT =
  'headless rendering needs Mesa EGL: on Debian/Ubuntu `apt-get install libegl1 libegl-dev libegl-mesa0 libgl1-mesa-dri`' +
  ' (Dawn loads the unversioned libEGL.so, which only libegl-dev ships); on a GPU machine the Vulkan loader (libvulkan1) and driver';

/**
 * Installs the WebGPU globals once per process; later calls return the first result (Dawn's globals
 * are process-wide). `opengles` works on any Linux with Mesa; `vulkan` needs a Vulkan driver (GPU).
 */
export function installGpuEnvironment(backend: GpuBackend = 'opengles'): Promise<GpuEnvironment> {
  installed ??= install(backend);
  return installed;
}

async function install(backend: GpuBackend): Promise<GpuEnvironment> {
  // Read by libEGL when Dawn first opens a display: no X11/Wayland needed.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (err) {
    throw new PilotError('E_RENDERER', `cannot load the npm package 'webgpu' (Dawn): ${firstLine(err)}; ${INSTALL_HINT}`);
  }
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, webgpu.globals);
  // three.js looks for `self` (animation loop, shader stage flags); we never run its animation loop.
  g.self ??= globalThis;
  g.requestAnimationFrame ??= () => 0;
  g.cancelAnimationFrame ??= () => undefined;
  const options = backend === 'auto' ? [] : [`backend=${backend}`];
  const gpu = webgpu.create(options);
  if (!nativeDiagnosticsShown()) {
    // Dawn prints its limit warnings synchronously inside requestAdapter (three.js calls it again).
    const request = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = (o?: GPURequestAdapterOptions) => withNativeStderrMuted(() => request(o));
  }
  // Dawn's GL backends only offer compatibility-mode adapters (three.js asks for the same level).
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions).catch((err: unknown) => {
    throw new PilotError('E_RENDERER', `no WebGPU adapter (backend ${backend}): ${firstLine(err)}; ${INSTALL_HINT}`);
  });
  if (!adapter) throw new PilotError('E_RENDERER', `no WebGPU adapter for backend '${backend}'; ${INSTALL_HINT}`);
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu, userAgent: 'node', language: 'en' },
    configurable: true,
    writable: true,
  });
  const info = (adapter as { info?: { description?: string; vendor?: string; architecture?: string } }).info;
  return { backend, adapter: info?.description || info?.vendor || info?.architecture || 'unknown' };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}
