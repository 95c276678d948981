/** RosTimeClock: time from /clock for use_sim_time. */
import { describe, expect, it } from 'vitest';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { RosTimeClock } from '../../src/ros2/ros-clock.js';
import type { ClockMsg } from '../../src/core/messages/types.js';

function rig() {
  const transport = new InProcessTransport();
  const jumps: [number, number][] = [];
  const clock = new RosTimeClock(transport, { onJumpBack: (from, to) => jumps.push([from, to]) });
  const pub = transport.advertise<ClockMsg>('/clock', 'rosgraph_msgs/msg/Clock');
  const tick = (ms: number) => pub.publish({ clock: { sec: Math.floor(ms / 1000), nanosec: Math.round((ms % 1000) * 1e6) } });
  return { clock, tick, jumps };
}

describe('RosTimeClock', () => {
  it('is not ready and fires nothing before the first /clock; then takes its time for now() and stamps', async () => {
    const { clock, tick } = rig();
    expect(clock.ready).toBe(false);
    const ready = clock.whenReady();
    tick(1_700_000_000_250);
    await ready;
    expect(clock.ready).toBe(true);
    expect(clock.now()).toBe(1_700_000_000_250);
    expect(clock.stampMs()).toBe(1_700_000_000_250);
  });

  it('fires timers in order, each at its own due time, when /clock jumps past several', () => {
    const { clock, tick } = rig();
    tick(1000);
    const fired: [string, number][] = [];
    clock.schedule(1030, () => fired.push(['c', clock.now()]));
    clock.schedule(1010, () => fired.push(['a', clock.now()]));
    const h = clock.schedule(1020, () => fired.push(['b', clock.now()]));
    clock.schedule(1020, () => fired.push(['b2', clock.now()]));
    clock.cancel(h);
    tick(1025);
    expect(fired).toEqual([['a', 1010], ['b2', 1020]]);
    expect(clock.now()).toBe(1025);
    tick(1030);
    expect(fired.at(-1)).toEqual(['c', 1030]);
  });

  it('ignores time going backwards (a looping bag), says so once, and counts', () => {
    const { clock, tick, jumps } = rig();
    tick(5000);
    tick(1000);
    tick(2000);
    expect(clock.now()).toBe(5000);
    expect(clock.jumpsBack).toBe(2);
    expect(jumps).toEqual([[5000, 1000]]);
  });
});
