/**
 * Renders camera frames without a display: three.js WebGPURenderer on Dawn, read back to CPU memory.
 * One renderer per camera resolution; frames come back as RGBA8, top row first.
 */
import * as THREE from 'three/webgpu';
import { PilotError } from '../../src/core/util/errors.js';
import { installGpuEnvironment, type GpuBackend, type GpuEnvironment } from './gpu-environment.js';

export interface HeadlessRendererOptions {
  width: number;
  height: number;
  backend?: GpuBackend;
}

/** Stand-in for the HTMLCanvasElement three.js expects; we only ever render into render targets. */
function offscreenCanvas(width: number, height: number): object {
  return { width, height, style: {}, addEventListener() {}, removeEventListener() {}, getContext: () => null };
}

export class HeadlessRenderer {
  readonly width: number;
  readonly height: number;
  readonly environment: GpuEnvironment;
  readonly #renderer: THREE.WebGPURenderer;
  readonly #target: THREE.RenderTarget;
  #frames = 0;

  private constructor(renderer: THREE.WebGPURenderer, environment: GpuEnvironment, width: number, height: number) {
    this.#renderer = renderer;
    this.environment = environment;
    this.width = width;
    this.height = height;
    this.#target = new THREE.RenderTarget(width, height, { depthBuffer: true });
  }

  static async create(options: HeadlessRendererOptions): Promise<HeadlessRenderer> {
    const { width, height } = options;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 4096 && height <= 4096)) {
      throw new PilotError('E_RENDERER', `camera size must be whole pixels in 1..4096 (got ${width}×${height})`);
    }
    const environment = await installGpuEnvironment(options.backend);
    const renderer = new THREE.WebGPURenderer({
      antialias: false,
      canvas: offscreenCanvas(width, height) as HTMLCanvasElement,
    });
    renderer.setSize(width, height, false);
    try {
      await renderer.init();
    } catch (err) {
      throw new PilotError('E_RENDERER', `three.js WebGPURenderer did not start on ${environment.backend}: ${(err as Error).message}`);
    }
    if (!(renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend) {
      throw new PilotError('E_RENDERER', 'three.js fell back to WebGL, which does not exist in Node: the WebGPU adapter did not start');
    }
    return new HeadlessRenderer(renderer, environment, width, height);
  }

  get framesRendered(): number {
    return this.#frames;
  }

  /** Renders `scene` through `camera` and returns the RGBA8 pixels, top row first. */
  async render(scene: THREE.Scene, camera: THREE.Camera): Promise<Uint8Array> {
    this.#renderer.setRenderTarget(this.#target);
    this.#renderer.render(scene, camera);
    const pixels = (await this.#renderer.readRenderTargetPixelsAsync(this.#target, 0, 0, this.width, this.height)) as Uint8Array;
    this.#frames++;
    return pixels;
  }

  dispose(): void {
    this.#target.dispose();
    this.#renderer.dispose();
  }
}
