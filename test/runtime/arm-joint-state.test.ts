/** JointStateReader (joints by name) and the arm: config section, including launch/arm.yaml. */
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/core/config/load.js';
import { JointStateReader } from '../../src/runtime/input/joint-state-reader.js';

const JOINTS = ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll'];
const msg = (name: string[], position: ArrayLike<number> | unknown) => ({ header: {}, name, position, velocity: [], effort: [] });

describe('JointStateReader', () => {
  it('maps joints by name into the arm order, ignoring extra joints, from arrays or typed arrays', () => {
    const r = new JointStateReader(JOINTS);
    expect(r.hasPositions).toBe(false);
    expect(r.read(msg(['wrist_roll', 'gripper', 'elbow', 'shoulder_pan', 'wrist_pitch', 'shoulder_lift'], [5, 99, 3, 1, 4, 2]))).toBe('');
    expect(Array.from(r.positions)).toEqual([1, 2, 3, 4, 5]);
    expect(r.read(msg(JOINTS, Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5])))).toBe('');
    expect(Array.from(r.positions)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(r.accepted).toBe(2);
    expect(r.hasPositions).toBe(true);
  });

  it('rebuilds the mapping only when the name list changes (also when a sender reuses its array)', () => {
    const r = new JointStateReader(JOINTS);
    const names = [...JOINTS];
    for (let i = 0; i < 5; i++) expect(r.read(msg(names, [i, 0, 0, 0, 0]))).toBe('');
    expect(r.remaps).toBe(1);
    names.reverse(); // same array object, new order
    expect(r.read(msg(names, [5, 4, 3, 2, 1]))).toBe('');
    expect(r.remaps).toBe(2);
    expect(Array.from(r.positions)).toEqual([1, 2, 3, 4, 5]);
  });

  it('rejects the whole message, naming what is wrong, and keeps the last positions', () => {
    const r = new JointStateReader(JOINTS);
    r.read(msg(JOINTS, [1, 2, 3, 4, 5]));
    const cases: [unknown, RegExp][] = [
      [msg(['shoulder_pan', 'shoulder_lift', 'wrist_pitch'], [0, 0, 0]), /JointState lacks joints 'elbow', 'wrist_roll' \(names \[shoulder_pan, shoulder_lift, wrist_pitch\], the arm has \[shoulder_pan, .*wrist_roll\]\)/],
      [msg([...JOINTS, 'elbow'], [0, 0, 0, 0, 0, 0]), /joint 'elbow' appears twice in the JointState names/],
      [msg(JOINTS, [0, 0, Number.NaN, 0, 0]), /joint 'elbow' position NaN is not a finite number/],
      [msg(JOINTS, [0, 0, 0, Infinity, 0]), /joint 'wrist_pitch' position Infinity is not a finite number/],
      [msg(JOINTS, [0, 0, 0]), /JointState has 5 names but 3 positions/],
      [msg(JOINTS, undefined), /JointState has no position array/],
      [{ position: [] }, /JointState has no name list/],
      [null, /not a JointState message/],
    ];
    for (const [m, why] of cases) expect(r.read(m)).toMatch(why);
    expect(Array.from(r.positions)).toEqual([1, 2, 3, 4, 5]);
    expect(r.accepted).toBe(1);
    // A good message after a bad name list is mapped afresh.
    expect(r.read(msg(JOINTS, [6, 7, 8, 9, 10]))).toBe('');
    expect(Array.from(r.positions)).toEqual([6, 7, 8, 9, 10]);
  });
});

describe('arm: config section', () => {
  it('is absent for a vehicle, has defaults, and resolves the description path', () => {
    expect(parseConfig({ model: { path: 'm.onnx' } }, 'test', '/proj').arm).toBeUndefined();
    const c = parseConfig({ model: { path: 'm.onnx' }, arm: {} }, 'test', '/proj');
    expect(c.arm).toEqual({ description: '/proj/calibration/arm.yaml', joint_states: { topic: '/joint_states', max_age_ms: 100 }, workspace_check: true });
    expect(() => parseConfig({ model: { path: 'm.onnx' }, arm: { joint_states: { topic: 'joint_states' } } }, 'p.yaml', '/')).toThrow(/p.yaml: arm.joint_states.topic: .*\(got "joint_states"\)/);
    expect(() => parseConfig({ model: { path: 'm.onnx' }, arm: { urdf: 'x' } }, 'p.yaml', '/')).toThrow(/urdf/);
  });

  it('launch/arm.yaml is a valid arm config: joint trajectory commands from the camera and /joint_states', () => {
    const c = loadConfig('launch/arm.yaml');
    expect(c.arm).toMatchObject({ description: `${process.cwd()}/calibration/arm.yaml`, joint_states: { topic: '/joint_states' }, workspace_check: true });
    expect(c.outputs.command).toEqual({ topic: '/arm_controller/joint_trajectory', type: 'joint_trajectory' });
    expect(c.inputs.camera.topic).toBe('/arm_camera/image_raw');
    expect(c.inputs.state).toEqual([]);
    expect(c.calibration.camera).toBe(`${process.cwd()}/calibration/arm_camera.yaml`);
    expect(c.ros2?.camera_mount).toBe('calibration/arm_camera_mount.yaml');
  });
});
