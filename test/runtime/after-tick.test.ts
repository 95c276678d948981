import { constants, PerformanceObserver } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.js';
import { ManualClock, WallClock, type TimerHandle } from '../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { DiagnosticArray, Image } from '../../src/core/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { InProcessTransport } from '../../src/transport/in-process.js';

/** A wall clock (so the runtime treats it as real time) whose time the test moves by hand. */
class SteppedWallClock extends WallClock {
  readonly manual = new ManualClock({ epochMs: 1_700_000_000_000 });
  override now(): number {
    return this.manual.now();
  }
  override stampMs(): number {
    return this.manual.stampMs();
  }
  override schedule(atMs: number, callback: () => void): TimerHandle {
    return this.manual.schedule(atMs, callback);
  }
  override cancel(handle: TimerHandle): void {
    this.manual.cancel(handle);
  }
}

const frame = (): Image => makeImage({ header: makeHeader({ frame_id: 'camera' }), height: 240, width: 320, encoding: 'rgb8', step: 960, data: new Uint8Array(320 * 240 * 3).fill(90) });

const open: { pilot: Pilot; transport: InProcessTransport }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.pilot.dispose();
    await o.transport.close();
  }
});

async function start(realtime: { gc_every_ticks?: number } = {}) {
  const clock = new SteppedWallClock();
  const transport = new InProcessTransport();
  const config = parseConfig(
    { model: { path: 'models/pilotnet-test.onnx', warmup_runs: 2 }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100 }, outputs: { diagnostics: { rate_hz: 3 } }, realtime },
    'test',
    process.cwd(),
  );
  const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
  open.push({ pilot, transport });
  const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
  const diags: number[] = [];
  transport.subscribe<DiagnosticArray>('/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray', () => diags.push(clock.now()));
  pilot.start(); // ticks at 0, 10, 20 … ms
  await pilot.loop.whenIdle();
  const advance = async (toMs: number) => {
    clock.manual.advanceTo(toMs);
    await pilot.loop.whenIdle();
  };
  return { pilot, camera, diags, advance };
}

describe('work that can wait is done right after a tick (timer loop on the wall clock)', () => {
  it('a frame arriving just before a tick is due is preprocessed after that tick; one arriving earlier, at once', async () => {
    const { pilot, camera, advance } = await start();
    await advance(5);
    camera.publish(frame()); // 5 ms before the tick at 10: taken in now
    expect(pilot.camera.received).toBe(1);
    expect(pilot.counters.framesDeferred).toBe(0);
    await advance(19.5);
    camera.publish(frame()); // 0.5 ms before the tick at 20: waits for it
    expect(pilot.camera.received).toBe(1);
    expect(pilot.counters.framesDeferred).toBe(1);
    await advance(20);
    expect(pilot.camera.received).toBe(2);
    expect(pilot.timeline.last.scheduledMs).toBe(20);
  });

  it('the diagnostics report falls due between ticks and goes out right after the next one', async () => {
    const { diags, advance } = await start();
    await advance(330);
    await advance(335); // due at 333.3, between the ticks at 330 and 340
    expect(diags).toEqual([]);
    await advance(340);
    expect(diags).toEqual([340]);
  });

  it('realtime.gc_every_ticks: a young-generation GC right after every Nth tick', async () => {
    const minor: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor.push(e.startTime);
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      const { advance } = await start({ gc_every_ticks: 2 });
      for (let t = 10; t <= 200; t += 10) await advance(t); // 20 more ticks
      await new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously
      expect(minor.length).toBeGreaterThanOrEqual(10);
    } finally {
      observer.disconnect();
    }
  });

  it('on a simulated clock nothing waits: frames are taken in on arrival', async () => {
    const clock = new ManualClock();
    const transport = new InProcessTransport();
    const config = parseConfig({ model: { path: 'models/pilotnet-test.onnx', warmup_runs: 2 }, transport: { kind: 'inprocess' }, loop: { rate_hz: 100 } }, 'test', process.cwd());
    const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
    open.push({ pilot, transport });
    const camera = transport.advertise<Image>('/camera/image_raw', 'sensor_msgs/msg/Image');
    pilot.start();
    await pilot.loop.whenIdle();
    clock.advanceTo(9.9);
    camera.publish(frame());
    expect(pilot.camera.received).toBe(1);
    expect(pilot.counters.framesDeferred).toBe(0);
  });
});
