/**
 * The viewer in a real headless Chromium: the page renders the track with three.js (WebGL2 here:
 * headless Chromium has no WebGPU), follows the car, shows metrics and the robot camera's frames.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewerPageStatus } from '../../../sim/viewer/client/browser.js';
import { ViewerServer } from '../../../sim/viewer/viewer-server.js';
import { buildViewerClient } from './build-viewer-client.js';
import { launchChromium } from './headless-chromium.js';
import { testState, testWorld } from './viewer-fixtures.js';

let appDir: string;
let server: ViewerServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function openPage(): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  p.on('pageerror', (err) => pageErrors.push(err.message));
  p.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await p.goto(server.url);
  return p;
}

function pageStatus(p: Page): Promise<ViewerPageStatus> {
  return p.evaluate(() => (globalThis as unknown as { pilotViewer: ViewerPageStatus }).pilotViewer);
}

/** Waits until the page has drawn everything it was sent (call after the state's metrics show). */
async function settled(p: Page): Promise<void> {
  await p.waitForFunction(() => (globalThis as unknown as { pilotViewer: ViewerPageStatus }).pilotViewer.idle);
}

interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** The 3D view where no panel covers it: the middle of the window below the panels' tops. */
const VIEW_CLIP = { x: 330, y: 290, width: 600, height: 420 };

async function shot(p: Page, clip = VIEW_CLIP): Promise<{ png: PNG; at(x: number, y: number): Rgb }> {
  const png = PNG.sync.read(await p.screenshot({ clip }));
  return {
    png,
    at(x, y) {
      const i = 4 * (y * png.width + x);
      return { r: png.data[i]!, g: png.data[i + 1]!, b: png.data[i + 2]! };
    },
  };
}

function pixels(png: PNG): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < png.data.length; i += 4) out.push({ r: png.data[i]!, g: png.data[i + 1]!, b: png.data[i + 2]! });
  return out;
}

/** The magenta road (MAGENTA_ROAD), lit or shaded: red and blue well above green. */
const isRoad = ({ r, g, b }: Rgb) => r > g + 40 && b > g + 30 && r > 60;
/** The car's blue body: unlike the pale sky, little red. */
const isCar = ({ r, g, b }: Rgb) => b > 120 && b > r + 90 && b > g + 30;

function meanAbsDiff(a: PNG, b: PNG): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / ((a.data.length / 4) * 3);
}

beforeAll(async () => {
  appDir = await mkdtemp(path.join(tmpdir(), 'pilot-viewer-app-'));
  await buildViewerClient(appDir);
  server = await ViewerServer.start({ appDir, stateHz: 1000 });
  server.setWorld(testWorld());
  browser = await launchChromium();
  page = await openPage();
  await page.waitForFunction(() => {
    const s = (globalThis as unknown as { pilotViewer?: ViewerPageStatus }).pilotViewer;
    return !!s && s.worldName === 'test-ellipse' && s.framesRendered > 0 && s.idle;
  }, undefined, { timeout: 15_000 });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

describe('viewer page in headless Chromium', () => {
  it('draws the track: a varied picture in which the road colour is where the chase camera looks', async () => {
    const status = await pageStatus(page);
    expect(status.backend).toBe('WebGL2');
    expect(status.connected).toBe(true);
    expect(status.error).toBeNull();
    expect(await page.textContent('#title')).toBe('pilot sim · test-ellipse');
    const { png, at } = await shot(page);
    const all = pixels(png);
    const distinct = new Set(all.map(({ r, g, b }) => (r >> 3) * 1024 + (g >> 3) * 32 + (b >> 3)));
    expect(distinct.size).toBeGreaterThan(50); // not blank, not one flat colour
    const roadShare = all.filter(isRoad).length / all.length;
    expect(roadShare).toBeGreaterThan(0.05);
    // The car sits on the road in the middle of the view: straight below it in the picture is road.
    const column = Array.from({ length: 20 }, (_, k) => at(640 - VIEW_CLIP.x, 500 + 10 * k - VIEW_CLIP.y));
    expect(column.filter(isRoad).length, JSON.stringify(column)).toBeGreaterThanOrEqual(12);
    expect(pageErrors).toEqual([]);
  });

  it('updates the metrics and follows the car when states arrive', async () => {
    const before = await shot(page);
    server.publishState(testState({ x: 6, y: 0, yawRad: Math.PI / 2, lap: 1, lapsRequested: 3, crossTrackM: 0.05, speedMps: 1.5 }));
    await expect.poll(() => page.textContent('#m-laps')).toBe('1 / 3');
    const text = async (id: string) => page.textContent(`#m-${id}`);
    expect(await text('crossTrack')).toBe('+0.050 m');
    expect(await text('speed')).toBe('1.50 m/s');
    expect(await text('steering')).toBe('+5.7°');
    expect(await text('lapTimes')).toBe('11.25 s');
    expect(await text('offRoad')).toBe('2');
    expect(await text('realtime')).toBe('5.3×');
    expect(await text('latency')).toBe('1.2 / 3.4 ms');
    expect(await text('safety')).toBe('ok');
    expect(await text('driver')).toBe('expert');
    // The car is seen from behind in the middle of the view.
    await settled(page);
    const start = await shot(page);
    expect(pixels(start.png).filter(isCar).length).toBeGreaterThan(200);

    // Half a lap on, turned 60° off the road's heading, with the safety layer holding.
    server.publishState(
      testState({ x: -6, y: 0, yawRad: -Math.PI / 2 + 1.05, steeringRad: -0.2, lap: 2, lapTimesS: [11.25, 10.5], crossTrackM: -0.3, interventions: 1, safetyReason: 'deadline miss: hold' }),
    );
    await expect.poll(() => page.textContent('#m-laps')).toBe('2 / 3');
    expect(await text('lapTimes')).toBe('11.25 · 10.50 s');
    expect(await text('crossTrack')).toBe('-0.300 m');
    expect(await text('interventions')).toBe('1');
    expect(await text('safety')).toBe('deadline miss: hold');
    expect(await page.getAttribute('#m-safety', 'class')).toBe('alert');
    await settled(page); // the camera snaps on a jump, then settles
    const moved = await shot(page);
    expect(meanAbsDiff(start.png, moved.png)).toBeGreaterThan(8);
    expect(meanAbsDiff(before.png, moved.png)).toBeGreaterThan(8);
    expect(pixels(moved.png).filter(isCar).length).toBeGreaterThan(200); // still behind the car
    expect(pageErrors).toEqual([]);
  });

  it('shows the robot camera frames', async () => {
    const width = 160;
    const height = 120;
    const rgb = new Uint8Array(width * height * 3);
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const i = 3 * (v * width + u);
        const [r, g, b] = u < width / 2 ? [220, 30, 30] : [30, 200, 60];
        rgb[i] = r;
        rgb[i + 1] = g;
        rgb[i + 2] = b;
      }
    }
    expect(server.publishCameraFrame(rgb, width, height)).toBe(true);
    await expect.poll(() => page.$eval('#camera', (img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(160);
    expect(await page.textContent('#camera-caption')).toBe('robot camera · 160×120');
    const img = PNG.sync.read(await page.locator('#camera').screenshot());
    const at = (fx: number, fy: number): Rgb => {
      const i = 4 * (Math.round(fy * (img.height - 1)) * img.width + Math.round(fx * (img.width - 1)));
      return { r: img.data[i]!, g: img.data[i + 1]!, b: img.data[i + 2]! };
    };
    const close = (a: Rgb, b: Rgb) => Math.abs(a.r - b.r) < 25 && Math.abs(a.g - b.g) < 25 && Math.abs(a.b - b.b) < 25;
    expect(close(at(0.25, 0.5), { r: 220, g: 30, b: 30 }), JSON.stringify(at(0.25, 0.5))).toBe(true);
    expect(close(at(0.75, 0.5), { r: 30, g: 200, b: 60 }), JSON.stringify(at(0.75, 0.5))).toBe(true);
    expect((await pageStatus(page)).cameraFramesReceived).toBe(1);
  });

  it('keeps serving when a page goes away; a new page gets the world and the newest state at once', async () => {
    expect(server.clients).toBe(1);
    const second = await openPage();
    await expect.poll(() => second.textContent('#m-laps')).toBe('2 / 3');
    await expect.poll(async () => {
      const s = await pageStatus(second);
      return [s.worldName, s.cameraFramesReceived];
    }).toEqual(['test-ellipse', 1]);
    expect(server.clients).toBe(2);
    await second.close();
    await expect.poll(() => server.clients).toBe(1);
    server.publishState(testState({ lap: 3, lapTimesS: [11.25, 10.5, 10.75] }));
    await expect.poll(() => page.textContent('#m-laps')).toBe('3 / 3');
    expect(await page.textContent('#m-safety')).toBe('ok');
    expect(await page.getAttribute('#m-safety', 'class')).toBe('');
    expect(pageErrors).toEqual([]);
  });
});
