import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildTrack, loadTrack } from '../../../sim/world/track.js';
import { circlePoints, dogBonePoints } from './shapes.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-tracks-'));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const round = (pts: readonly (readonly [number, number])[]) => pts.map(([x, y]) => [+x.toFixed(4), +y.toFixed(4)]);
const good = { name: 'ring', description: 'a ring', split: 'train', width_m: 1.2, centreline: round(circlePoints(5, 32)) };
const yaml = (patch: Record<string, unknown>, drop: string[] = []) => {
  const doc: Record<string, unknown> = { ...good, ...patch };
  for (const k of drop) delete doc[k];
  return stringify(doc);
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('track files', () => {
  it('load a valid file with scenery, markings and surface hints', () => {
    const p = write(
      'ring.yaml',
      yaml({
        scenery: { cones: 'none', obstacles: [{ s_m: 2, length_m: 0.4, width_m: 0.3, height_m: 0.3 }] },
        markings: { centre_dash_m: 0.5 },
        surface: { road: 'worn', road_colour: '#404040' },
      }),
    );
    const t = loadTrack(p);
    expect(t.name).toBe('ring');
    expect(t.split).toBe('train');
    expect(t.scenery.cones).toEqual([]);
    expect(t.scenery.obstacles).toHaveLength(1);
    const o = t.scenery.obstacles[0]!;
    // Default obstacle offset: beside the road on the left, aligned with it.
    expect(t.project(o.x, o.y).crossTrackM).toBeCloseTo(0.6 + 0.35 + 0.15, 3);
    expect(o.yawRad).toBeCloseTo(t.poseAt(2).headingRad, 6);
    expect(t.markings.centreDashM).toBe(0.5);
    expect(t.markings.edgeLineWidthM).toBeGreaterThan(0);
    expect(t.surface).toMatchObject({ roadKind: 'worn', roadColour: 0x404040 });
  });

  const bad: [string, string, RegExp][] = [
    ['missing key', yaml({}, ['width_m']), /width_m: Invalid input: expected number, received undefined/],
    ['fewer than 4 points', yaml({ centreline: [[0, 0], [5, 0], [5, 5]] }), /centreline: a closed loop needs at least 4 control points \(got \[\[0,0\],\[5,0\],\[5,5\]\]\)/],
    ['non-numeric point', yaml({ centreline: [[0, 0], [5, 0], ['five', 5], [0, 5]] }), /centreline\.2\.0: Invalid input: expected number, received string \(got "five"\)/],
    ['width too large', yaml({ width_m: 3 }), /width_m: Too big: expected number to be <=2 \(got 3\)/],
    ['width too small', yaml({ width_m: 0.3 }), /width_m: Too small: expected number to be >=0.8 \(got 0.3\)/],
    ['unknown split', yaml({ split: 'test' }), /split: .*"train"\|"unseen".* \(got "test"\)/],
    ['misspelt key', yaml({ widht_m: 1 }), /widht_m/],
    ['bad colour', yaml({ surface: { road_colour: 'grey' } }), /surface\.road_colour: must be a colour "#rrggbb" \(got "grey"\)/],
    ['repeated point', yaml({ centreline: [[0, 0], [10, 0], [10, 0], [10, 10], [0, 10]] }), /centreline\.2: repeats the previous point .*\(got \[10,0\] after \[10,0\]\)/],
  ];
  for (const [what, text, error] of bad) {
    it(`name the file, key and value: ${what}`, () => {
      const p = write(`${what.replace(/ /g, '-')}.yaml`, text);
      expect(() => loadTrack(p)).toThrow(new RegExp(`^E_TRACK: ${esc(p)}: `));
      expect(() => loadTrack(p)).toThrow(error);
    });
  }

  it('refuse a self-intersecting centreline and say where', () => {
    const figure8: [number, number][] = [];
    for (let i = 0; i < 24; i++) {
      const a = (2 * Math.PI * i) / 24;
      figure8.push([+(10 * Math.sin(a)).toFixed(3), +(5 * Math.sin(2 * a)).toFixed(3)]);
    }
    const p = write('figure8.yaml', yaml({ centreline: figure8 }));
    expect(() => loadTrack(p)).toThrow(new RegExp(`${esc(p)}: centreline: self-intersecting: crosses itself near \\(-?0\\.00, -?0\\.00\\) \\(got crossing between s=`));
  });

  it('refuse a bend tighter than 1 m and name the spot', () => {
    const p = write('sharp.yaml', yaml({ centreline: [[0, 0], [6, 0], [6.5, 1.5], [6, 3], [0, 3], [-0.5, 1.5]] }));
    expect(() => loadTrack(p)).toThrow(/sharp\.yaml: centreline: radius of curvature below the 1 m minimum near \(.*\) at s=.* m, near centreline\.\d+ \(got 0\.\d\d m\)/);
  });

  it('refuse sections whose road edges overlap', () => {
    // Legs 1.4 m apart: radius is fine everywhere, but 1.2 m of road leaves 0.2 m between them.
    const p = write('bone.yaml', yaml({ centreline: round(dogBonePoints(0.7)) }));
    expect(() => loadTrack(p)).toThrow(/bone\.yaml: centreline: road edges of two sections overlap .* \(got centre distance 1\.\d\d m < width 1\.2 m \+ 0\.5 m\)/);
    // The same shape with legs 2.4 m apart is a valid track.
    expect(() => loadTrack(write('bone-ok.yaml', yaml({ centreline: round(dogBonePoints(1.2)) })))).not.toThrow();
  });

  it('refuse an obstacle on the road unless asked for', () => {
    const on = { s_m: 3, offset_m: 0.2, length_m: 0.4, width_m: 0.3, height_m: 0.3 };
    const p = write('blocked.yaml', yaml({ scenery: { obstacles: [on] } }));
    expect(() => loadTrack(p)).toThrow(/blocked\.yaml: scenery\.obstacles\.0\.offset_m: the obstacle reaches onto the road .*\(got 0\.20 m at s_m 3\)/);
    const ok = write('blocked-ok.yaml', yaml({ scenery: { obstacles: [{ ...on, on_road: true }] } }));
    expect(loadTrack(ok).scenery.obstacles).toHaveLength(1);
  });

  it('report unreadable files and bad YAML with the track code', () => {
    expect(() => loadTrack(join(dir, 'missing.yaml'))).toThrow(/^E_TRACK: cannot read track .*missing\.yaml: ENOENT/);
    const p = write('broken.yaml', 'name: [unclosed\n');
    expect(() => loadTrack(p)).toThrow(/^E_TRACK: .*broken\.yaml: not valid YAML/);
  });

  it('check programmatic definitions the same way', () => {
    const def = { name: 'x', description: 'x', split: 'generated' as const, widthM: 1.2, centreline: circlePoints(5, 32) };
    expect(buildTrack(def).split).toBe('generated');
    expect(() => buildTrack({ ...def, widthM: 5 }, 'src')).toThrow(/^E_TRACK: src: width_m: must be between 0.8 and 2 m \(got 5\)/);
    expect(() => buildTrack({ ...def, centreline: [[0, 0], [1, 0], [1, Number.NaN], [0, 1]] }, 'src')).toThrow(/src: centreline\.2: must be two finite numbers/);
    expect(() => buildTrack({ ...def, centreline: circlePoints(1.2, 12) }, 'src')).toThrow(/lap length must be between 10 and 500 m \(got 7\.\d\d m\)/);
  });
});
