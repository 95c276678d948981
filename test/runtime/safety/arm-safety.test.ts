/**
 * The safety layer's arm behaviour (position-controlled joints): limits from the arm description,
 * velocity and acceleration limits relative to the last command, braking onto the target, holding the
 * measured position on stop, no command before a measurement, and the FK workspace check.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/config/load.js';
import { loadArmDescription } from '../../../src/core/kinematics/arm-description.js';
import { SafetyLayer, type SafetyFieldSpec } from '../../../src/runtime/safety/safety-layer.js';
import { buildSafetyFields } from '../../../src/runtime/safety/safety-spec.js';
import { WorkspaceCheck } from '../../../src/runtime/safety/workspace-check.js';

const ARM = loadArmDescription('calibration/arm.yaml');
const JOINTS = ARM.jointNames;
const PERIOD_MS = 50;
const DT = PERIOD_MS / 1000;

function safetyConfig(safety: Record<string, unknown> = {}) {
  return parseConfig({ model: { path: 'm.onnx' }, safety }, 'test', '/').safety;
}

function armLayer(options: { workspace?: boolean; fields?: SafetyFieldSpec[] } = {}) {
  const workspace = options.workspace ? new WorkspaceCheck(ARM) : undefined;
  const layer = new SafetyLayer({
    fields: options.fields ?? buildSafetyFields(JOINTS, 'arm', safetyConfig(), undefined, ARM),
    periodMs: PERIOD_MS,
    onDeadlineMiss: 'hold',
    maxConsecutiveMisses: 2,
    holdMeasured: true,
    ...(workspace ? { commandCheck: workspace } : {}),
  });
  return { layer, workspace };
}

const home = () => Float64Array.from(ARM.home);

describe('arm safety fields from the arm description', () => {
  it('takes position, velocity and acceleration limits per joint; the config can only tighten them', () => {
    const fields = buildSafetyFields(JOINTS, 'arm', safetyConfig({ limits: { elbow: [0, 2] }, max_rate: { shoulder_pan: 0.5, wrist_roll: 9 } }), undefined, ARM);
    expect(fields.map((f) => f.name)).toEqual([...JOINTS]);
    expect(fields[0]).toMatchObject({ min: -2.6, max: 2.6, maxRatePerS: 0.5, maxAccelPerS2: 4, stop: undefined, initial: 0 });
    expect(fields[2]).toMatchObject({ min: 0, max: 2, maxRatePerS: 1.5, maxAccelPerS2: 4, initial: 1.6 });
    expect(fields[4]).toMatchObject({ maxRatePerS: 2.5 }); // 9 rad/s is looser than the arm: ignored
  });

  it('refuses what would not fit the arm', () => {
    expect(() => buildSafetyFields(JOINTS, 'arm', safetyConfig({ limits: { elbow: [3, 4] } }), undefined, ARM)).toThrow(
      /E_SAFETY_CONFIG: safety.limits.elbow \[3, 4\] does not overlap the joint limits \[-0.2, 2.6\] of .*arm.yaml/,
    );
    expect(() => buildSafetyFields(JOINTS, 'arm', safetyConfig({ stop: { elbow: 1 } }), undefined, ARM)).toThrow(/safety.stop.elbow: an arm holds its measured position on stop/);
    expect(() => buildSafetyFields([...JOINTS.slice(0, 4), 'gripper'], 'arm', safetyConfig(), undefined, ARM)).toThrow(/action 'gripper' is not a joint of the arm/);
  });
});

describe('SafetyLayer for an arm', () => {
  it('sends nothing before a measured position, then starts from it', () => {
    const { layer } = armLayer();
    expect(layer.update('startup', null)).toBe('startup');
    expect(layer.commandValid).toBe(false);
    // Even an 'ok' tick has nothing to start from without a measurement.
    expect(layer.update('ok', home())).toBe('stale_input');
    expect(layer.commandValid).toBe(false);
    const measured = home();
    measured[0] = 0.4;
    layer.setMeasured(measured);
    const target = home();
    target[0] = 0.4;
    expect(layer.update('ok', target)).toBe('ok');
    expect(layer.commandValid).toBe(true);
    expect(Array.from(layer.command)).toEqual(Array.from(measured)); // already there: no motion
  });

  it('moves at most at the velocity limit, changes velocity at most by the acceleration limit, and stops on the target', () => {
    const { layer } = armLayer();
    layer.setMeasured(home());
    const target = home();
    target[0] = 2.0; // 2 rad at 1.5 rad/s, 4 rad/s²
    target[1] = -1.0; // 1.3 rad back at 1.2 rad/s, 3 rad/s²
    const trace: Float64Array[] = [home()];
    for (let i = 0; i < 80; i++) {
      layer.update('ok', target);
      trace.push(Float64Array.from(layer.command));
    }
    const rates = trace.slice(1).map((q, k) => q.map((v, j) => (v - trace[k]![j]!) / DT));
    rates.forEach((r, k) => {
      ARM.limits.forEach((l, j) => {
        expect(Math.abs(r[j]!)).toBeLessThanOrEqual(l.maxVelocity + 1e-9);
        const prev = k === 0 ? 0 : rates[k - 1]![j]!;
        expect(Math.abs(r[j]! - prev)).toBeLessThanOrEqual(l.maxAcceleration * DT + 1e-9);
      });
    });
    // Monotonic onto the target, no overshoot, reached exactly.
    for (let k = 1; k < trace.length; k++) {
      expect(trace[k]![0]!).toBeGreaterThanOrEqual(trace[k - 1]![0]! - 1e-12);
      expect(trace[k]![1]!).toBeLessThanOrEqual(trace[k - 1]![1]! + 1e-12);
    }
    expect(trace.at(-1)![0]).toBeCloseTo(2.0, 12);
    expect(trace.at(-1)![1]).toBeCloseTo(-1.0, 12);
    // Close to the time-optimal trapezoid: d/v + v/a = 2/1.5 + 1.5/4 ≈ 1.71 s ≈ 35 periods.
    const arrived = trace.findIndex((q) => Math.abs(q[0]! - 2.0) < 1e-9);
    expect(arrived).toBeGreaterThanOrEqual(34);
    expect(arrived).toBeLessThanOrEqual(38);
    expect(layer.counters.slewLimited).toBeGreaterThan(0);
    expect(layer.counters.accelerationLimited).toBeGreaterThan(0);
  });

  it('reverses within the acceleration limit when the target jumps behind a moving joint', () => {
    const { layer } = armLayer();
    layer.setMeasured(home());
    const ahead = home();
    ahead[0] = 2;
    for (let i = 0; i < 20; i++) layer.update('ok', ahead);
    const behind = home();
    behind[0] = -2;
    let prevQ = layer.command[0]!;
    let prevRate = 1.5;
    let overshoot = prevQ;
    for (let i = 0; i < 80; i++) {
      layer.update('ok', behind);
      const q = layer.command[0]!;
      const rate = (q - prevQ) / DT;
      expect(Math.abs(rate - prevRate)).toBeLessThanOrEqual(4 * DT + 1e-9);
      overshoot = Math.max(overshoot, q);
      prevQ = q;
      prevRate = rate;
    }
    expect(overshoot).toBeGreaterThan(1); // it had to brake first
    expect(layer.command[0]).toBeCloseTo(-2, 12);
  });

  it('clamps targets outside the joint limits', () => {
    const { layer } = armLayer();
    layer.setMeasured(home());
    const target = home();
    target[2] = 9;
    target[3] = -9;
    for (let i = 0; i < 200; i++) layer.update('ok', target);
    expect(layer.command[2]).toBe(2.6);
    expect(layer.command[3]).toBe(-1.9);
    expect(layer.counters.clamped).toBe(400);
  });

  it('holds the measured position on stale input and e-stop; a short run of bad ticks holds the last command first', () => {
    const { layer } = armLayer();
    layer.setMeasured(home());
    const target = home();
    target[0] = 1;
    for (let i = 0; i < 10; i++) layer.update('ok', target);
    const last = Float64Array.from(layer.command);
    const measured = home();
    measured[0] = 0.2;
    layer.setMeasured(measured);
    expect(layer.update('deadline_miss', null)).toBe('deadline_miss');
    expect(Array.from(layer.command)).toEqual(Array.from(last));
    layer.update('nonfinite', null);
    layer.update('bad_input', null); // third in a row > max 2: hold the measured position
    expect(Array.from(layer.command)).toEqual(Array.from(measured));
    layer.update('ok', target);
    layer.update('stale_input', null);
    expect(Array.from(layer.command)).toEqual(Array.from(measured));
    layer.setEstop(true);
    expect(layer.update('ok', target)).toBe('estop');
    expect(Array.from(layer.command)).toEqual(Array.from(measured));
    layer.setMeasured([Number.NaN, 0, 0, 0, 0]); // ignored: the last good measurement stays
    layer.update('estop', null);
    expect(Array.from(layer.command)).toEqual(Array.from(measured));
  });

  it('holds the measured position clamped into the joint limits', () => {
    const { layer } = armLayer();
    const measured = home();
    measured[2] = 2.7; // a little past the elbow's 2.6
    layer.setMeasured(measured);
    layer.update('stale_input', null);
    expect(layer.command[2]).toBe(2.6);
  });

  it('never sends a NaN target: the last command holds', () => {
    const { layer } = armLayer();
    layer.setMeasured(home());
    layer.update('ok', home());
    const before = Float64Array.from(layer.command);
    const bad = home();
    bad[1] = Number.NaN;
    expect(layer.update('ok', bad)).toBe('nonfinite');
    expect(Array.from(layer.command)).toEqual(Array.from(before));
  });
});

describe('workspace check (forward kinematics of the tool point)', () => {
  it('finds the home pose inside and a pose below the table top outside, by the distance to the box', () => {
    const ws = new WorkspaceCheck(ARM);
    expect(ws.violation(home())).toBe(0);
    expect(ws.lastPoint[0]).toBeCloseTo(0.259, 2);
    const low = home();
    low[1] = 1.6;
    const out = ws.violation(low);
    expect(ws.lastOutsidePoint[2]).toBeLessThan(0.01);
    expect(out).toBeCloseTo(0.01 - ws.lastOutsidePoint[2]!, 12); // only z is outside
    expect(ws.outside).toBe(1);
  });

  it('holds the last command when the target leaves the box, and moves on when it comes back', () => {
    const { layer, workspace } = armLayer({ workspace: true });
    layer.setMeasured(home());
    for (let i = 0; i < 3; i++) layer.update('ok', home());
    const reach = home();
    reach[0] = 0.5;
    for (let i = 0; i < 5; i++) expect(layer.update('ok', reach)).toBe('ok');
    const held = Float64Array.from(layer.command);
    const low = home();
    low[1] = 1.6;
    expect(layer.update('ok', low)).toBe('workspace');
    expect(layer.update('ok', low)).toBe('workspace');
    expect(Array.from(layer.command)).toEqual(Array.from(held));
    expect(layer.counters.byReason.workspace).toBe(2);
    expect(workspace!.outside).toBe(2);
    // Back inside: it moves again, from rest (the hold stopped it).
    expect(layer.update('ok', reach)).toBe('ok');
    expect(Math.abs(layer.command[0]! - held[0]!)).toBeLessThanOrEqual(4 * DT * DT + 1e-12);
  });

  it('refuses a command on the way that leaves the box, but lets an arm outside move back in', () => {
    // A stand-in check: shoulder_pan above 0.1 rad is outside, by how much.
    const check = { name: 'test', violation: (q: Float64Array) => Math.max(0, q[0]! - 0.1) };
    const layer = new SafetyLayer({
      fields: buildSafetyFields(JOINTS, 'arm', safetyConfig(), undefined, ARM),
      periodMs: PERIOD_MS,
      onDeadlineMiss: 'hold',
      maxConsecutiveMisses: 2,
      holdMeasured: true,
      commandCheck: check,
    });
    layer.setMeasured(home());
    const target = home();
    target[0] = 0.05;
    for (let i = 0; i < 40; i++) expect(layer.update('ok', target)).toBe('ok');
    expect(layer.command[0]).toBeCloseTo(0.05, 12);
    // A target inside whose path is not: a bent path, simulated by a check that refuses 0.015 < q < 0.045.
    const bent = { name: 'bent', violation: (q: Float64Array) => (q[0]! > 0.015 && q[0]! < 0.045 ? 1 : 0) };
    const bentLayer = new SafetyLayer({ ...layer.options, commandCheck: bent });
    bentLayer.setMeasured(home());
    for (let i = 0; i < 40; i++) bentLayer.update('ok', target);
    expect(bentLayer.lastReason).toBe('workspace');
    expect(bentLayer.command[0]).toBeCloseTo(0.01, 12); // stopped before the refused stretch

    // Measured outside (0.14): the target 0.15 is refused, a target inside is reached, moving back in.
    const outside = home();
    outside[0] = 0.14;
    const back = new SafetyLayer({ ...layer.options });
    back.setMeasured(outside);
    target[0] = 0.15;
    expect(back.update('ok', target)).toBe('workspace');
    expect(back.command[0]).toBe(0.14);
    target[0] = 0.0;
    for (let i = 0; i < 40; i++) expect(back.update('ok', target)).toBe('ok');
    expect(back.command[0]).toBeCloseTo(0, 12);
  });
});

describe('SafetyLayer reasons', () => {
  it('lists workspace only where a check exists (vehicle diagnostics unchanged)', () => {
    const vehicle = new SafetyLayer({
      fields: [{ name: 'speed', min: 0, max: 1, maxRatePerS: Infinity, stop: 0, initial: 0 }],
      periodMs: 10,
      onDeadlineMiss: 'hold',
      maxConsecutiveMisses: 3,
    });
    expect(vehicle.reasons).not.toContain('workspace');
    expect(vehicle.commandValid).toBe(true);
    expect(armLayer({ workspace: true }).layer.reasons).toContain('workspace');
  });

  it('refuses an acceleration limit without a velocity limit', () => {
    expect(
      () =>
        new SafetyLayer({
          fields: [{ name: 'j', min: 0, max: 1, maxRatePerS: Infinity, maxAccelPerS2: 2, stop: undefined, initial: 0 }],
          periodMs: 10,
          onDeadlineMiss: 'hold',
          maxConsecutiveMisses: 3,
        }),
    ).toThrow(/'j' has an acceleration limit but no rate \(velocity\) limit/);
  });
});
