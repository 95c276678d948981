/** The page's pure parts, in Node: chase camera maths, metrics text, the generated page, asset routes. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChaseCamera, SETTLED, wrapAngleRad } from '../../../sim/viewer/client/chase-camera.js';
import { formatMetrics, METRICS } from '../../../sim/viewer/client/metrics-view.js';
import { viewerPage } from '../../../sim/viewer/page.js';
import { resolveAsset, THREE_FILES } from '../../../sim/viewer/static-routes.js';
import type { ViewerState } from '../../../sim/viewer/protocol.js';
import { testState } from './viewer-fixtures.js';

describe('chase camera', () => {
  const options = { distanceM: 2, heightM: 1, lookAheadM: 1, targetHeightM: 0, positionTimeConstantS: 0.1, yawTimeConstantS: 0.3, snapDistanceM: 3 };

  it('snaps to the first pose: behind the car along its heading, looking ahead of it', () => {
    const chase = new ChaseCamera(options);
    expect(chase.update({ x: 1, y: 2, yawRad: Math.PI / 2 }, 0.016)).toBe(true);
    expect(chase.position.x).toBeCloseTo(1, 12);
    expect(chase.position.y).toBeCloseTo(0, 12);
    expect(chase.position.z).toBe(1);
    expect(chase.target.x).toBeCloseTo(1, 12);
    expect(chase.target.y).toBeCloseTo(3, 12);
  });

  it('follows with first-order lag, turns the short way across ±π, and settles', () => {
    const chase = new ChaseCamera(options);
    chase.snap({ x: 0, y: 0, yawRad: 3.0 });
    const pose = { x: 0.5, y: 0, yawRad: -3.0 }; // 0.28 rad away through π, not 6 rad back
    expect(chase.update(pose, 0.1)).toBe(true);
    // After one position time constant the followed point is 1 - 1/e of the way there.
    const followedX = (2 * chase.target.x + chase.position.x) / 3; // target = p + 1·dir, position = p - 2·dir
    expect(followedX).toBeCloseTo(0.5 * (1 - Math.exp(-1)), 6);
    const yaw = Math.atan2(chase.target.y - chase.position.y, chase.target.x - chase.position.x);
    expect(Math.abs(wrapAngleRad(yaw - 3.0))).toBeLessThan(0.28);
    expect(Math.abs(wrapAngleRad(yaw - 3.0))).toBeGreaterThan(0.05);
    let frames = 0;
    while (chase.update(pose, 1 / 60)) if (++frames > 10_000) break;
    expect(frames).toBeLessThan(600); // < 10 s of frames to settle
    expect(chase.position.x).toBeCloseTo(0.5 + 2 * Math.cos(Math.PI - 3.0), 2);
    expect(chase.update(pose, 1 / 60)).toBe(false);
    expect(SETTLED).toBeLessThan(1e-3);
  });

  it('snaps across a jump and ignores non-finite poses and steps', () => {
    const chase = new ChaseCamera(options);
    chase.snap({ x: 0, y: 0, yawRad: 0 });
    expect(chase.update({ x: 10, y: 0, yawRad: 0 }, 0.016)).toBe(true);
    expect(chase.position.x).toBeCloseTo(8, 12);
    expect(chase.update({ x: NaN, y: 0, yawRad: 0 }, 0.016)).toBe(false);
    expect(chase.update({ x: 10.5, y: 0, yawRad: 0 }, NaN)).toBe(false);
    expect(chase.position.x).toBeCloseTo(8, 12);
  });

  it('wraps angles into (-π, π]', () => {
    expect(wrapAngleRad(Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngleRad(-Math.PI)).toBeCloseTo(Math.PI, 12);
    expect(wrapAngleRad(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapAngleRad(-7)).toBeCloseTo(-7 + 2 * Math.PI, 12);
  });
});

describe('metrics text', () => {
  it('formats every row with units', () => {
    const { text, alert } = formatMetrics(testState());
    expect(text).toEqual({
      laps: '1 / 3',
      lapTimes: '11.25 s',
      crossTrack: '+0.050 m',
      speed: '1.50 m/s',
      steering: '+5.7°',
      interventions: '0',
      offRoad: '2',
      collisions: '0',
      realtime: '5.3×',
      latency: '1.2 / 3.4 ms',
      safety: 'ok',
      simTime: '12.5 s',
      driver: 'expert',
    });
    expect(alert.safety).toBe(false);
    expect(Object.keys(text).sort()).toEqual(METRICS.map((m) => m.id).sort());
  });

  it('shows the last lap times, the safety reason as an alert, and dashes for missing or non-finite values', () => {
    // NaN arrives as null through JSON.
    const fromJson = JSON.parse(JSON.stringify(testState({ speedMps: NaN, steeringRad: NaN, lapTimesS: [1, 2, 3, 4, 5, 6], safetyReason: 'stale camera', latencyP50Ms: undefined, latencyP99Ms: undefined }))) as ViewerState;
    const { text, alert } = formatMetrics(fromJson);
    expect(text.speed).toBe('—');
    expect(text.steering).toBe('—');
    expect(text.lapTimes).toBe('… 3.00 · 4.00 · 5.00 · 6.00 s');
    expect(text.latency).toBe('—');
    expect(text.safety).toBe('stale camera');
    expect(alert.safety).toBe(true);
    expect(formatMetrics(testState({ lapTimesS: [], crossTrackM: -0.1234 })).text).toMatchObject({ lapTimes: '—', crossTrack: '-0.123 m' });
  });
});

describe('page and asset routes', () => {
  it('has a row for every metric and maps three for the compiled modules', () => {
    const html = viewerPage();
    for (const m of METRICS) expect(html).toContain(`id="m-${m.id}"`);
    const importMap = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(html)![1]!) as { imports: Record<string, string> };
    for (const target of Object.values(importMap.imports)) expect(THREE_FILES.has(target.replace('/three/', ''))).toBe(true);
    expect(importMap.imports['three/webgpu']).toBe('/three/three.webgpu.js');
  });

  it('resolves only listed three builds and JavaScript under the client folders of dist', () => {
    const roots = { threeDir: '/x/node_modules/three/build', appDir: '/x/dist' };
    expect(resolveAsset('/three/three.webgpu.js', roots)?.file).toBe(path.join(roots.threeDir, 'three.webgpu.js'));
    expect(resolveAsset('/app/sim/viewer/client/main.js', roots)?.file).toBe(path.resolve('/x/dist/sim/viewer/client/main.js'));
    expect(resolveAsset('/app/sim/render/scene-builder.js.map', roots)?.contentType).toMatch(/json/);
    for (const bad of ['/three/../package.json', '/three/three.cjs', '/app/sim/../package.json.js', '/app/sim/render/../../../x.js', '/app/src/cli/main.js', '/app/sim/viewer/.hidden.js', '/app/sim/viewer/x.ts', '/app/sim\\..\\x.js', '/app/%2e%2e/x.js', '/app/%zz.js', '/other/x.js']) {
      expect(resolveAsset(bad, roots), bad).toBeNull();
    }
  });
});
