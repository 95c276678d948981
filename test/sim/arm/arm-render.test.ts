import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCameraCalibration } from '../../../src/core/calibration/camera.js';
import { loadCameraMount } from '../../../src/core/calibration/mount.js';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { ArmCameraView } from '../../../sim/arm/arm-camera.js';
import { NOMINAL_ARM_LOOK, sampleArmLook, type ArmLook } from '../../../sim/arm/arm-look.js';
import { customEpisode, sampleEpisode, TARGET_COLOUR, type ArmObject } from '../../../sim/arm/arm-task.js';
import { ArmWorld, TOOL_RADIUS_M } from '../../../sim/arm/arm-world.js';

const arm = loadArmDescription('calibration/arm.yaml');
const calibration = loadCameraCalibration('calibration/arm_camera.yaml');
const mount = loadCameraMount('calibration/arm_camera_mount.yaml');
// Flat, well separated colours: a pixel is table, arm, tool or object.
const look: ArmLook = { ...NOMINAL_ARM_LOOK, tableColour: 0x806040, armColour: 0x202020, toolColour: 0xffffff, floorColour: 0x000080, backgroundColour: 0x000080 };

const isTool = ([r, g, b]: number[]) => Math.min(r!, g!, b!) > 170;
const isRed = ([r, g, b]: number[]) => r! > 120 && r! > 2.5 * g! && r! > 2.5 * b!;
const isTable = ([r, g, b]: number[]) => r! > g! && g! > b! && r! > 60 && r! < 170 && !isRed([r!, g!, b!]);

describe('arm camera', () => {
  let view: ArmCameraView;
  let pixel: (rgba: Uint8Array, u: number, v: number) => number[];
  beforeAll(async () => {
    view = await ArmCameraView.create({ calibration, mount, description: arm });
    view.setLook(look);
    pixel = (rgba, u, v) => {
      const i = 4 * (Math.round(v) * calibration.width + Math.round(u));
      return [rgba[i]!, rgba[i + 1]!, rgba[i + 2]!];
    };
  });
  afterAll(() => view?.dispose());

  it('calibration: 160×120, overhead: +x of the arm is up in the image, +y is left, the reach area is in view', () => {
    expect([calibration.width, calibration.height]).toEqual([160, 120]);
    const centre = view.project({ x: 0.2, y: 0, z: 0 })!;
    expect(centre.u).toBeCloseTo(79.5, 6);
    expect(centre.v).toBeCloseTo(59.5, 6);
    expect(centre.depthM).toBeCloseTo(1.0, 6);
    const far = view.project({ x: 0.3, y: 0, z: 0 })!;
    const left = view.project({ x: 0.2, y: 0.1, z: 0 })!;
    expect(far.v).toBeLessThan(centre.v - 15);
    expect(left.u).toBeLessThan(centre.u - 15);
    // Every placement a task can draw (and its target point) lands inside the image.
    for (const az of [-70, 0, 70]) {
      for (const r of [0.15, 0.32]) {
        const p = view.project({ x: r * Math.cos((az * Math.PI) / 180), y: r * Math.sin((az * Math.PI) / 180), z: 0.09 })!;
        expect(p.u).toBeGreaterThan(3);
        expect(p.u).toBeLessThan(156);
        expect(p.v).toBeGreaterThan(3);
        expect(p.v).toBeLessThan(116);
      }
    }
  });

  it('draws the tool tip where forward kinematics and the pinhole model put it', async () => {
    // Tool pointing sideways (horizontal) so its tip is seen from above; several postures.
    const postures = [
      [0.0, 0.2, 1.8, -0.43, 0],
      [0.6, 0.0, 1.9, -0.33, 0],
      [-0.8, 0.3, 1.5, -0.23, 0.5],
    ];
    for (const q of postures) {
      const world = new ArmWorld(arm, customEpisode({ kind: 'reach', objects: [], target: [0.3, 0, 0.1], startQ: q }));
      view.setEpisode(world.spec);
      const rgba = await view.renderRgba(world);
      const tool = world.chain.toolPose;
      const tip = { x: tool[3]!, y: tool[7]!, z: tool[11]! };
      // The tool axis (tool z) in the image: from the tip back along the finger, and beyond the tip.
      const axis = { x: tool[2]!, y: tool[6]!, z: tool[10]! };
      expect(Math.abs(axis.z), `posture ${q}: tool should be near horizontal`).toBeLessThan(0.5);
      const at = (d: number) => view.project({ x: tip.x + d * axis.x, y: tip.y + d * axis.y, z: tip.z + d * axis.z })!;
      const inside = at(-0.025);
      const beyond = at(0.03);
      expect(isTool(pixel(rgba, inside.u, inside.v)), `posture ${q}: finger at (${inside.u.toFixed(1)}, ${inside.v.toFixed(1)}) = ${pixel(rgba, inside.u, inside.v)}`).toBe(true);
      expect(isTool(pixel(rgba, beyond.u, beyond.v)), `posture ${q}: past the tip at (${beyond.u.toFixed(1)}, ${beyond.v.toFixed(1)}) = ${pixel(rgba, beyond.u, beyond.v)}`).toBe(false);
      // Walking along the finger's image, the tool colour ends where the rounded tip (radius 1 cm past
      // the tool point) projects, to within a pixel.
      const end = at(TOOL_RADIUS_M);
      let lastTool = inside;
      for (let f = 0; f <= 1; f += 0.005) {
        const u = inside.u + f * (beyond.u - inside.u);
        const v = inside.v + f * (beyond.v - inside.v);
        if (isTool(pixel(rgba, u, v))) lastTool = { u, v, depthM: 0 };
      }
      expect(Math.hypot(lastTool.u - end.u, lastTool.v - end.v), `posture ${q}: finger ends at (${lastTool.u.toFixed(1)}, ${lastTool.v.toFixed(1)}), tip projects to (${end.u.toFixed(1)}, ${end.v.toFixed(1)})`).toBeLessThan(1.2);
    }
  });

  it('draws objects at their projected positions, and the arm moves in the image as its joints move', async () => {
    const cube: ArmObject = { role: 'target', shape: 'box', colour: TARGET_COLOUR, x: 0.25, y: -0.15, yawRad: 0.3, sizeM: 0.04, heightM: 0.04 };
    const world = new ArmWorld(arm, customEpisode({ kind: 'reach', objects: [cube], target: [0.25, -0.15, 0.09], startQ: [1.2, 0.3, 1.6, 1.2, 0] }));
    view.setEpisode(world.spec);
    let rgba = await view.renderRgba(world);
    const top = view.project({ x: cube.x, y: cube.y, z: cube.heightM })!;
    expect(isRed(pixel(rgba, top.u, top.v)), `cube top at (${top.u.toFixed(1)}, ${top.v.toFixed(1)}) = ${pixel(rgba, top.u, top.v)}`).toBe(true);
    const beside = view.project({ x: cube.x, y: cube.y - 0.05, z: 0 })!;
    expect(isTable(pixel(rgba, beside.u, beside.v)), `table beside the cube = ${pixel(rgba, beside.u, beside.v)}`).toBe(true);
    // The wrist over the table at pan 1.2 rad; turned to pan −1.2 rad it is gone from there and appears mirrored.
    world.chain.solve(world.q);
    const wristPose = world.chain.linkPoses[3]!;
    const wrist = view.project({ x: wristPose[3]!, y: wristPose[7]!, z: wristPose[11]! })!;
    expect(isTable(pixel(rgba, wrist.u, wrist.v))).toBe(false);
    const mirrored = view.project({ x: wristPose[3]!, y: -wristPose[7]!, z: wristPose[11]! })!;
    expect(isTable(pixel(rgba, mirrored.u, mirrored.v))).toBe(true);
    world.setPosture([-1.2, 0.3, 1.6, 1.2, 0]);
    rgba = await view.renderRgba(world);
    expect(isTable(pixel(rgba, wrist.u, wrist.v))).toBe(true);
    expect(isTable(pixel(rgba, mirrored.u, mirrored.v))).toBe(false);
  });

  it('randomised looks change colours and light but keep the target red', async () => {
    const spec = sampleEpisode('reach', 11, 'any', arm.home, { distractors: 0 });
    const world = new ArmWorld(arm, spec);
    view.setEpisode(spec);
    const target = spec.objects[0]!;
    const top = view.project({ x: target.x, y: target.y, z: target.heightM })!;
    const means: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      view.setLook(sampleArmLook(seed, 1));
      const rgba = await view.renderRgba(world);
      expect(isRed(pixel(rgba, top.u, top.v)), `look ${seed}: ${pixel(rgba, top.u, top.v)}`).toBe(true);
      let sum = 0;
      for (let i = 0; i < rgba.length; i += 4) sum += rgba[i]! + rgba[i + 1]! + rgba[i + 2]!;
      means.push(sum / (rgba.length / 4) / 3);
    }
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(5);
    view.setLook(look);
  });
});
