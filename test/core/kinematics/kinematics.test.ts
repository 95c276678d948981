import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadArmDescription, parseUrdf } from '../../../src/core/kinematics/index.js';

const arm = loadArmDescription('calibration/arm.yaml');

describe('arm description', () => {
  it('reads the bundled arm: joints base → tool, limits from URDF and joint_limits, home pose', () => {
    expect(arm.jointNames).toEqual(['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_pitch', 'wrist_roll']);
    expect(arm.limits[2]).toEqual({ name: 'elbow', lower: -0.2, upper: 2.6, maxVelocity: 1.5, maxAcceleration: 4 });
    expect(Array.from(arm.home)).toEqual([0, 0.3, 1.6, 1.2, 0]);
  });

  it('forward kinematics: straight up, and pan + lift by 90° lay the arm along +y', () => {
    const chain = arm.createChain();
    chain.solve([0, 0, 0, 0, 0]);
    expect(Array.from(chain.toolPosition()).map((v) => +v.toFixed(6))).toEqual([0, 0, 0.65]);
    chain.solve([Math.PI / 2, Math.PI / 2, 0, 0, 0]);
    const p = chain.toolPosition();
    expect(p[0]).toBeCloseTo(0, 9);
    expect(p[1]).toBeCloseTo(0.53, 9);
    expect(p[2]).toBeCloseTo(0.12, 9);
    // Elbow bent 90° from there points the forearm down (−z), wrist and tool with it.
    chain.solve([0, Math.PI / 2, Math.PI / 2, 0, 0]);
    expect(chain.toolPosition()[0]).toBeCloseTo(0.22, 9);
    expect(chain.toolPosition()[2]).toBeCloseTo(0.12 - 0.31, 9);
  });

  it('rejects bad descriptions with the file and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pilot-arm-'));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    write('arm.urdf', '<robot name="r"><link name="a"/><link name="b"/><joint name="j" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" velocity="1"/></joint></robot>');
    const base = 'urdf: arm.urdf\nbase_link: a\ntool_link: b\nworkspace: { min_m: [-1, -1, 0], max_m: [1, 1, 1] }\n';
    expect(loadArmDescription(write('ok.yaml', base + 'home_rad: { j: 0 }\n')).jointNames).toEqual(['j']);
    expect(() => loadArmDescription(write('home.yaml', base + 'home_rad: { j: 2 }\n'))).toThrow(/E_ARM_DESCRIPTION: .*home_rad\.j = 2 is outside its limits -1\.\.1/);
    expect(() => loadArmDescription(write('tool.yaml', base.replace('tool_link: b', 'tool_link: c') + 'home_rad: { j: 0 }\n'))).toThrow(/tool_link c is not a link/);
    expect(() => loadArmDescription(write('lim.yaml', base + 'home_rad: { j: 0 }\njoint_limits: { k: { has_velocity_limits: true, max_velocity: 1 } }\n'))).toThrow(/joint_limits\.k: not a movable joint/);
    expect(() => parseUrdf('<robot><link name="a"/><joint name="j" type="ball"><parent link="a"/><child link="a"/></joint></robot>', 'x.urdf')).toThrow(/E_URDF: x\.urdf: joint j: type "ball"/);
    expect(() => parseUrdf('<robot><link name="a"/><link name="b"/><joint name="j" type="revolute"><parent link="a"/><child link="b"/></joint></robot>', 'x.urdf')).toThrow(/joint j: a revolute joint needs <limit/);
  });

  it('solve allocates nothing per call (no young-generation GC over 300k calls)', async () => {
    const chain = arm.createChain();
    const q = new Float64Array(5);
    for (let i = 0; i < 50_000; i++) chain.solve(q); // warm up and optimise
    const minor: number[] = [];
    const obs = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor.push(entry.startTime);
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const from = performance.now();
    let sum = 0;
    for (let i = 0; i < 300_000; i++) {
      q[0] = i * 1e-5;
      sum += chain.solve(q)[3]!;
    }
    const to = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    expect(Number.isFinite(sum)).toBe(true);
    // One 16-element Float64Array per call (~144 B) would be ~40 MB: dozens of scavenges.
    expect(minor.filter((t) => t >= from && t <= to).length).toBeLessThanOrEqual(1);
  });
});
