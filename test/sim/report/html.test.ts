import { describe, expect, it } from 'vitest';
import { ERROR_COLOUR_CLASSES, errorColour, escapeHtml, renderHtmlReport } from '../../../sim/report/html.js';
import { fixtureResult } from './fixture.js';

/** The `d` attributes of the driven path's <path> elements. */
function drivePaths(html: string): string[] {
  const group = /<g id="drive-path" data-points="(\d+)" data-segments="(\d+)">([\s\S]*?)<\/g>/.exec(html);
  if (!group) throw new Error('no drive-path group');
  return [...group[3]!.matchAll(/<path class="drive" stroke="#[0-9a-f]{6}" d="([^"]*)"\/>/g)].map((m) => m[1]!);
}

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

describe('renderHtmlReport', () => {
  const clean = fixtureResult({ radiusM: 60, rateHz: 100 }); // 3 laps, 22,600 steps → 5000 path points
  const messy = fixtureResult({ resets: [1000, 3000], collisions: [2000] });

  it('draws the driven path with one segment per pair of consecutive decimated points', () => {
    expect(clean.path.tS.length).toBe(5000);
    const html = renderHtmlReport(clean);
    const ds = drivePaths(html);
    const segments = ds.reduce((n, d) => n + count(d, /L/g), 0);
    expect(segments).toBe(clean.path.tS.length - 1);
    expect(html).toContain(`data-points="5000" data-segments="4999"`);
    expect(ds.length).toBeGreaterThan(1); // coloured by error: more than one colour class
    expect(ds.length).toBeLessThanOrEqual(ERROR_COLOUR_CLASSES);
  });

  it("keeps the legend's scale labels inside the picture: the first starts at the bar, the last ends at it", () => {
    const legend = /<svg class="legend"[\s\S]*?<\/svg>/.exec(renderHtmlReport(clean))![0];
    const labels = [...legend.matchAll(/<text x="([\d.]+)" y="39" text-anchor="(\w+)">([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), anchor: m[2] }));
    expect(labels.length).toBeGreaterThan(2);
    expect(labels[0]).toEqual({ x: 10, anchor: 'start' });
    expect(labels.slice(1, -1).every((l) => l.anchor === 'middle')).toBe(true);
    // The scale's text begins at x = 316: a last label centred near 310 would run into it.
    const last = labels.at(-1)!;
    if (last.x > 290) expect(last.anchor).toBe('end');
  });

  it('leaves a gap at each reset and marks every incident', () => {
    const html = renderHtmlReport(messy);
    const segments = drivePaths(html).reduce((n, d) => n + count(d, /L/g), 0);
    expect(messy.path.breaks).toHaveLength(2);
    expect(segments).toBe(messy.path.tS.length - 1 - 2);
    const markers = /<g id="markers">([\s\S]*?)<\/g>/.exec(html)![1]!;
    expect(count(markers, /class="mk intervention"/g)).toBe(2);
    expect(count(markers, /class="mk collision"/g)).toBe(1);
    expect(count(markers, /class="mk off-road"/g)).toBe(messy.offRoadEvents);
  });

  it('shows the verdict, the key numbers, road edges, the start line, three time plots with lap lines and the lap table', () => {
    const html = renderHtmlReport(messy, { thresholds: { maxInterventions: 0 } });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<span class="verdict fail">FAIL</span>');
    expect(html).toContain('interventions 2 ≤ 0');
    expect(renderHtmlReport(clean)).toContain('<span class="verdict pass">PASS</span>');
    expect(count(html, /<path class="edge"/g)).toBe(2);
    expect(html).toContain('<line class="start"');
    for (const id of ['plot-cte', 'plot-speed', 'plot-steering']) expect(html).toContain(`<svg id="${id}" class="plot"`);
    expect(count(html, /<line class="lapline"/g)).toBe(3 * 3);
    expect(count(html, /<polyline class="series" points="/g)).toBe(3);
    expect(count(html, /<tr class="[^"]*"><td>\d+<\/td><td>/g)).toBe(3); // lap rows
    expect(html).toContain('<td>tick latency</td><td>1.93</td><td>2.40</td><td>4.59</td><td>8.52</td>');
  });

  it('is self-contained and stays under 1 MB for a 3-lap drive', () => {
    const html = renderHtmlReport(clean);
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000);
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(count(html, /<script\b/g)).toBe(2); // the data and the hover script
  });

  it('escapes a malicious track name, driver and reasons everywhere', () => {
    const evil = '<script>alert(1)</script>"\'&';
    const base = fixtureResult({ name: evil });
    const r = {
      ...base,
      domain: evil,
      driver: { kind: 'model' as const, model: evil },
      runtime: { ...base.runtime!, safetyReasons: { [evil]: 1 } },
      events: [...base.events, { tS: 1, kind: 'timeout' as const, x: 0, y: 0, detail: evil }],
    };
    const html = renderHtmlReport(r);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('</script>"');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
    expect(count(html, /<script\b/g)).toBe(2);
    expect(count(html, /<\/script>/g)).toBe(2);
  });

  it('renders a drive with no samples without failing', () => {
    const r = fixtureResult();
    const empty = { ...r, path: { tS: [], x: [], y: [], crossTrackM: [], speedMps: [], steeringRad: [], breaks: [] }, events: [], laps: [], lapTimesS: [] };
    const html = renderHtmlReport(empty);
    expect(html).toContain('data-points="0" data-segments="0"');
    expect(html).toContain('Too few samples to plot.');
  });
});

describe('helpers', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('runs the colour scale from green to red and clamps', () => {
    expect(errorColour(0)).toBe('#1a9850');
    expect(errorColour(1)).toBe('#d73027');
    expect(errorColour(5)).toBe('#d73027');
    expect(errorColour(-1)).toBe('#1a9850');
    expect(errorColour(0.5)).toBe('#fee08b');
  });
});
