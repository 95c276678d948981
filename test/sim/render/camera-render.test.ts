import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCameraCalibration } from '../../../src/core/calibration/camera.js';
import { parseCameraMount } from '../../../src/core/calibration/mount.js';
import { IntrinsicCamera, projectToPixel } from '../../../sim/render/camera-rig.js';
import { HeadlessRenderer } from '../../../sim/render/headless-renderer.js';
import { NOMINAL_LOOK } from '../../../sim/render/domain-look.js';
import { buildTrackScene, type SceneLook } from '../../../sim/render/scene-builder.js';
import type { Track } from '../../../sim/world/track.js';

/** A straight 40 m road along +x (only what the scene builder reads). */
function straightRoad(widthM: number): Track {
  const n = 801;
  const x = new Float64Array(n), y = new Float64Array(n), sM = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = -10 + i * 0.05;
    sM[i] = i * 0.05;
  }
  return {
    name: 'straight', description: '', split: 'generated', widthM, lengthM: 40, spacingM: 0.05,
    samples: { x, y, sM, headingRad: new Float64Array(n), curvature: new Float64Array(n) },
    scenery: { cones: [], obstacles: [], kerbs: [] },
    markings: { edgeLineWidthM: 0.05, centreLineWidthM: 0.04, centreDashM: 0.3, centreGapM: 0.3 },
  } as unknown as Track;
}

const calibration = parseCameraCalibration(
  {
    image_width: 320, image_height: 240,
    camera_matrix: { rows: 3, cols: 3, data: [160, 0, 150, 0, 150, 130, 0, 0, 1] },
    distortion_coefficients: { rows: 1, cols: 5, data: [0, 0, 0, 0, 0] },
  },
  'test camera',
);
const mount = parseCameraMount({ translation_m: [0.2, 0, 0.16], rotation_rpy_rad: [0, 0.35, 0] }, 'test mount');

// Flat colours, no texture noise, so a pixel is either road, ground, line or sky.
const look: SceneLook = { ...NOMINAL_LOOK, roadColour: 0x303030, groundColour: 0x30c030, skyColour: 0x3030f0, lineColour: 0xffffff, centreLineColour: 0xffff00, fogDensity: 0 };

describe('headless camera', () => {
  let renderer: HeadlessRenderer;
  beforeAll(async () => {
    renderer = await HeadlessRenderer.create({ width: 320, height: 240 });
  });
  afterAll(() => renderer?.dispose());

  it('shows the road exactly where the pinhole projection of the calibration puts it', async () => {
    const track = straightRoad(1.0);
    const world = buildTrackScene(track, look);
    const camera = new IntrinsicCamera(calibration, mount);
    const pose = { x: 0, y: 0.1, yawRad: 0.05 };
    camera.setVehiclePose(pose);
    const rgba = await renderer.render(world.scene, camera);
    expect(rgba.length).toBe(320 * 240 * 4);
    const pixel = (u: number, v: number) => {
      const i = 4 * (Math.round(v) * 320 + Math.round(u));
      return [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
    };
    const isRoad = ([r, g, b]: number[]) => Math.abs(r - g) < 25 && Math.abs(g - b) < 25 && r < 120;
    const isGround = ([r, g, b]: number[]) => g > r + 40 && g > b + 40;
    const isSky = ([r, g, b]: number[]) => b > r + 80 && b > g + 80;
    let checked = 0;
    for (const ahead of [1.0, 2.0, 4.0]) {
      for (const [lateral, want] of [
        [0.25, isRoad], [-0.25, isRoad], [0.8, isGround], [-0.8, isGround],
      ] as const) {
        const p = projectToPixel(calibration, mount, pose, { x: ahead, y: lateral, z: 0 });
        if (!p || p.u < 2 || p.u > 317 || p.v < 2 || p.v > 237) continue;
        expect(want(pixel(p.u, p.v)), `x=${ahead} y=${lateral} at (${p.u.toFixed(1)}, ${p.v.toFixed(1)}) = ${pixel(p.u, p.v)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
    // The road edge: the projected edge line pixel is bright, just outside it is ground.
    const edge = projectToPixel(calibration, mount, pose, { x: 1.2, y: 0.5 - 0.045, z: 0 })!;
    const [r, g, b] = pixel(edge.u, edge.v);
    expect(Math.min(r, g, b), `edge line at (${edge.u.toFixed(1)}, ${edge.v.toFixed(1)})`).toBeGreaterThan(150);
    // Far above the horizon is sky.
    expect(isSky(pixel(160, 3))).toBe(true);
    world.dispose();
  });

  it('moves the road in the image as projection predicts when the car moves sideways', async () => {
    const track = straightRoad(1.0);
    const world = buildTrackScene(track, look);
    const camera = new IntrinsicCamera(calibration, mount);
    const roadColumns = async (y: number) => {
      camera.setVehiclePose({ x: 0, y, yawRad: 0 });
      const rgba = await renderer.render(world.scene, camera);
      const v = Math.round(projectToPixel(calibration, mount, { x: 0, y: 0, yawRad: 0 }, { x: 3, y: 0, z: 0 })!.v);
      let sum = 0, n = 0;
      for (let u = 0; u < 320; u++) {
        const i = 4 * (v * 320 + u);
        if (Math.abs(rgba[i]! - rgba[i + 1]!) < 25 && rgba[i]! < 120) (sum += u), n++;
      }
      return sum / n;
    };
    for (const y of [0, 0.3, -0.2]) {
      const predicted = projectToPixel(calibration, mount, { x: 0, y, yawRad: 0 }, { x: 3, y: 0, z: 0 })!.u;
      // Centre of the dark road pixels in the row 3 m ahead, against the projected centreline.
      expect(Math.abs((await roadColumns(y)) - predicted), `car at y=${y}`).toBeLessThan(2);
    }
    world.dispose();
  });
});
