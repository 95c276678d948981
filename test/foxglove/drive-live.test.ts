import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FrameTransforms, SceneUpdate } from '@foxglove/schemas';
import { main } from '../../src/cli/main.js';
import { LiveView } from '../../src/foxglove/live-view.js';
import { SCENE_TOPIC, TF_TOPIC, withLiveView } from '../../src/foxglove/sim-live.js';
import type { AckermannDriveStamped, Image } from '../../src/core/messages/types.js';
import { parseSimConfig } from '../../sim/config/sim-config.js';
import { runDriveSession } from '../../sim/drive/drive-session.js';
import { capture } from '../helpers/capture-console.js';
import { FoxgloveViewer } from './foxglove-viewer.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a drive watched live through the Foxglove protocol', () => {
  it('a viewer gets the camera, commands, diagnostics, timeline, scene and /tf of a lockstep model drive, in sim time', async () => {
    const live = await LiveView.start({ port: 0 });
    closers.push(() => live.close());
    const viewer = await FoxgloveViewer.connect(live.url, 'foxglove.sdk.v1');
    closers.push(() => viewer.close());
    const wanted = ['/camera/image_raw', '/cmd/ackermann', '/diagnostics', '/pilot/timeline', '/clock', SCENE_TOPIC, TF_TOPIC];
    const subscribed = new Set<number>();
    live.server.onSubscription((id, on) => void (on ? subscribed.add(id) : subscribed.delete(id)));
    const sim = parseSimConfig({}, 'test sim config');
    const result = await runDriveSession(
      withLiveView(
        {
          track: 'oval',
          laps: 1,
          driver: { kind: 'model', config: 'launch/drive.yaml' },
          sim,
          seed: 3,
          transport: 'inprocess',
          maxSimTimeS: 3,
          // Start the drive once the viewer watches every channel it wants (lockstep runs faster than real time).
          onTransport: async () => {
            await viewer.until(() => wanted.every((t) => [...viewer.channels.values()].some((c) => c.topic === t)));
            viewer.subscribeAll();
            await viewer.until(() => subscribed.size >= viewer.channels.size);
          },
        },
        live,
      ),
    );
    expect(result.samples).toBe(60);
    await viewer.until(() => viewer.on(TF_TOPIC).length >= 60 && viewer.on('/pilot/timeline').length >= 55);
    expect(viewer.errors).toEqual([]);

    const frames = viewer.on('/camera/image_raw');
    expect(frames.length).toBeGreaterThanOrEqual(55);
    const frame = frames[0]!.message as Image;
    expect(frame).toMatchObject({ width: 320, height: 240, encoding: 'rgb8', step: 960 });
    // A rendered view (sky, ground, road), not a blank frame.
    expect(new Set(frame.data).size).toBeGreaterThan(20);
    const commands = viewer.on('/cmd/ackermann');
    expect(commands.length).toBeGreaterThanOrEqual(55);
    expect(commands.some((c) => (c.message as AckermannDriveStamped).drive.speed > 0)).toBe(true);
    expect(viewer.on('/diagnostics').length).toBeGreaterThanOrEqual(2);
    expect(viewer.on('/pilot/timeline')[5]!.message).toMatchObject({ reason: 'ok' });

    // Log times are sim time: 0 to 3 s, step by step, whatever the wall clock did.
    const tfTimes = viewer.on(TF_TOPIC).map((r) => Number(r.logTimeNs) / 1e9);
    expect(tfTimes[0]).toBeCloseTo(0.05, 6);
    expect(tfTimes.at(-1)).toBeCloseTo(3, 6);
    const tf = viewer.on(TF_TOPIC).at(-1)!.message as FrameTransforms;
    expect(tf.transforms.map((t) => `${t.parent_frame_id}>${t.child_frame_id}`)).toEqual(['world>base_link', 'base_link>camera_link', 'camera_link>camera_optical_frame']);
    const lastPath = result.path;
    expect(tf.transforms[0]!.translation.x).toBeCloseTo(lastPath.x.at(-1)!, 6);
    expect(tf.transforms[0]!.translation.y).toBeCloseTo(lastPath.y.at(-1)!, 6);

    const scenes = viewer.on(SCENE_TOPIC).map((r) => r.message as SceneUpdate);
    const ids = new Set(scenes.flatMap((s) => s.entities.map((e) => e.id)));
    expect(ids).toEqual(new Set(['track/oval', 'vehicle']));
    const track = scenes.find((s) => s.entities[0]!.id === 'track/oval')!.entities[0]!;
    expect(track.frame_id).toBe('world');
    expect(track.lines).toHaveLength(3);
    expect(track.triangles[0]!.indices.length % 3).toBe(0);
    expect(live.stats().dropped).toBe(0);
  }, 120_000);

  it('pilot drive --foxglove 0 serves the live view and reports what viewers got', async () => {
    const { err } = capture();
    const code = await main(['drive', '--expert', '--foxglove', '0', '--track', 'oval', '--max-time', '1', '--transport', 'inprocess', '--json', join(mkdtempSync(join(tmpdir(), 'pilot-fox-')), 'd.json'), '--html', '-']);
    expect(code).toBe(1); // 1 s is not a lap: the drive misses its bar, the live view is what is tested
    const text = err.join('\n');
    expect(text).toMatch(/foxglove: live view at ws:\/\/127\.0\.0\.1:\d+ \(loopback only\)/);
    expect(text).toMatch(/foxglove: 0 viewer connections, 0 messages sent \(0\.0 MB\), 0 dropped for slow viewers/);
    expect(await main(['drive', '--expert', '--foxglove=99999'])).toBe(2);
    expect(err.join('\n')).toMatch(/--foxglove takes a port in 0\.\.65535 \(0 = any free port\), got '99999'/);
  }, 60_000);
});
