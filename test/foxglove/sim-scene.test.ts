import { describe, expect, it } from 'vitest';
import { loadCameraMount } from '../../src/core/calibration/mount.js';
import { cameraTransforms, poseTransforms, rpyQuaternion, trackScene, yawQuaternion } from '../../src/foxglove/sim-scene.js';
import { loadTrack } from '../../sim/world/track.js';

/** Rotates vector v by unit quaternion q. */
function rotate(q: { x: number; y: number; z: number; w: number }, v: [number, number, number]): [number, number, number] {
  const { x, y, z, w } = q;
  const [vx, vy, vz] = v;
  const tx = 2 * (y * vz - z * vy);
  const ty = 2 * (z * vx - x * vz);
  const tz = 2 * (x * vy - y * vx);
  return [vx + w * tx + (y * tz - z * ty), vy + w * ty + (z * tx - x * tz), vz + w * tz + (x * ty - y * tx)];
}

describe('the simulator scene for Foxglove', () => {
  it('camera_link → optical frame is the REP-103 optical rotation: z forward, x right, y down', () => {
    const mount = loadCameraMount('calibration/camera_mount.yaml');
    const [body, optical] = cameraTransforms(mount, 'camera_optical_frame', 0n);
    expect(body).toMatchObject({ parent_frame_id: 'base_link', child_frame_id: 'camera_link', translation: { x: 0.2, y: 0, z: 0.16 } });
    const q = optical!.rotation;
    expect([q.x, q.y, q.z, q.w].map((v) => Number(v.toFixed(9)))).toEqual([-0.5, 0.5, -0.5, 0.5]);
    // The optical z axis points along the body's x (forward), the optical x along the body's −y (right).
    expect(rotate(q, [0, 0, 1]).map((v) => Number(v.toFixed(9)))).toEqual([1, 0, 0]);
    expect(rotate(q, [1, 0, 0]).map((v) => Number(v.toFixed(9)))).toEqual([0, -1, 0]);
    // Positive pitch tilts the camera down: its forward axis gets a negative z.
    expect(rotate(rpyQuaternion(0, mount.pitchRad, 0), [1, 0, 0])[2]).toBeLessThan(0);
    expect(cameraTransforms(mount, 'camera_link', 0n)).toHaveLength(1);
  });

  it('world → base_link follows the car pose; the road is two triangles per centreline sample', () => {
    const tf = poseTransforms(2, -1, Math.PI / 2, 1_500_000_000n, []);
    expect(tf.transforms[0]).toMatchObject({ parent_frame_id: 'world', child_frame_id: 'base_link', translation: { x: 2, y: -1, z: 0 }, timestamp: { sec: 1, nsec: 500_000_000 } });
    expect(rotate(yawQuaternion(Math.PI / 2), [1, 0, 0]).map((v) => Number(v.toFixed(9)))).toEqual([0, 1, 0]);
    const track = loadTrack('oval');
    const entity = trackScene(track, 0n).entities[0]!;
    const n = track.samples.x.length;
    expect(entity.triangles[0]!.points).toHaveLength(2 * n);
    expect(entity.triangles[0]!.indices).toHaveLength(6 * n);
    expect(Math.max(...entity.triangles[0]!.indices)).toBe(2 * n - 1);
    expect(entity.lines.map((l) => l.points.length)).toEqual([n, n, n]);
  });
});
