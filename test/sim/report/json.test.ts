import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DRIVE_RESULT_KEY_ORDER, decimalsForKey, parseDriveResult, readDriveResultFile, serializeDriveResult, writeDriveResultFile } from '../../../sim/report/json.js';
import { fixtureResult } from './fixture.js';

describe('drive result JSON', () => {
  const r = fixtureResult();

  it('writes the top level in schema order and is independent of insertion order', () => {
    const text = serializeDriveResult(r);
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual(DRIVE_RESULT_KEY_ORDER.filter((k) => k in r));
    const shuffled = Object.fromEntries(Object.entries(r).reverse().map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v]));
    expect(serializeDriveResult(shuffled as typeof r)).toBe(text);
    expect(text.split('\n')[1]).toBe('  "schema": "pilot.drive/1",');
    expect(/^ {4}\{ "lap": 1, "collisions": 0, "complete": true, /m.test(text)).toBe(true);
    expect(/^ {4}\{ "tS": [\d.]+, "kind": "lap", "detail": "lap 1: /m.test(text)).toBe(true);
  });

  it('rounds numbers by the unit in their name and writes NaN as null', () => {
    const t = { ...r, crossTrack: { ...r.crossTrack, meanAbsM: 0.123456789, p95AbsM: NaN }, realtimeFactor: 12.3456, steeringSmoothness: { ...r.steeringSmoothness, meanAbsRateRadps: 0.0123456 } };
    const back = JSON.parse(serializeDriveResult(t)) as Record<string, any>;
    expect(back.crossTrack.meanAbsM).toBe(0.123);
    expect(back.crossTrack.p95AbsM).toBeNull();
    expect(back.realtimeFactor).toBe(12.35);
    expect(back.steeringSmoothness.meanAbsRateRadps).toBe(0.0123);
    expect(back.path.x.every((v: number) => Math.round(v * 1000) / 1000 === v)).toBe(true);
    expect(back.runtime.latencyMs.p50).toBe(1.93);
    expect([decimalsForKey('tS'), decimalsForKey('steeringRad'), decimalsForKey('speedMps'), decimalsForKey('seed')]).toEqual([3, 4, 3, undefined]);
  });

  it('keeps number arrays on one line so a 3-lap file stays small', () => {
    const text = serializeDriveResult(r);
    expect(/^ {4}"tS": \[0, [^\n]*\],?$/m.test(text)).toBe(true);
    expect(text.split('\n').length).toBeLessThan(200); // not one line per path point (3770 of them)
  });

  it('round-trips through a file, with null read back as NaN', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pilot-drive-'));
    try {
      const file = join(dir, 'out', 'drive.json');
      await writeDriveResultFile(file, { ...r, crossTrack: { ...r.crossTrack, p95AbsM: NaN } });
      const back = await readDriveResultFile(file);
      expect(back.crossTrack.p95AbsM).toBeNaN();
      expect(back.lapTimesS).toEqual(r.lapTimesS.map((t) => Math.round(t * 1000) / 1000));
      expect(back.path.tS.length).toBe(r.path.tS.length);
      expect(serializeDriveResult(back)).toBe(serializeDriveResult({ ...r, crossTrack: { ...r.crossTrack, p95AbsM: NaN } }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses another schema or a malformed file', () => {
    expect(() => parseDriveResult('{"schema":"pilot.drive/2"}', 'x.json')).toThrow(/E_DRIVE_SCHEMA: x.json: schema "pilot.drive\/2" is not supported/);
    expect(() => parseDriveResult('not json', 'x.json')).toThrow(/E_DRIVE_JSON: x.json: not JSON/);
    expect(() => parseDriveResult('{"schema":"pilot.drive/1","track":{}}', 'x.json')).toThrow(/E_DRIVE_JSON: x.json: driver: expected an object/);
  });
});
