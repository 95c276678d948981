import { describe, expect, it } from 'vitest';
import { HeadlessRenderer } from '../../../sim/render/headless-renderer.js';

// Its own test file: Dawn's globals are per process, and vitest runs each file in its own fork.
describe('a renderer that cannot start', () => {
  it('says what to install when Mesa has no driver to offer', async () => {
    process.env.LIBGL_DRIVERS_PATH = '/nonexistent-mesa-drivers';
    await expect(HeadlessRenderer.create({ width: 320, height: 240 })).rejects.toThrow(
      /E_RENDERER: no WebGPU adapter for backend 'opengles'; headless rendering needs Mesa EGL: on Debian\/Ubuntu `apt-get install libegl1 libegl-dev libegl-mesa0 libgl1-mesa-dri`/,
    );
  });

  it('refuses a camera size that is not whole pixels before touching the GPU', async () => {
    await expect(HeadlessRenderer.create({ width: 320.5, height: 240 })).rejects.toThrow(/E_RENDERER: camera size must be whole pixels in 1..4096 \(got 320.5×240\)/);
  });
});
