/** Time-based chunk flushing in the writer and the recorder, on fake timers (no wall-clock assertions). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BagWriter, loadCompression, MemoryBagFolder, MemoryReadable, planMcapRecovery, Recorder } from '../../../src/data/bags/index.js';
import { InProcessTransport } from '../../../src/transport/in-process.js';
import { RELIABLE_QOS } from '../../../src/transport/transport.js';
import { MS, T0 } from './helpers.js';

afterEach(() => vi.useRealTimers());

/** Messages a recovery would get back from the file as it is now (what a SIGKILL would leave). */
async function recoverable(folder: MemoryBagFolder, file = 'f_0.mcap'): Promise<number> {
  const plan = await planMcapRecovery(file, new MemoryReadable(folder.bytes(file)!.slice()), await loadCompression());
  return plan.report.messageCount;
}

const bool = (data: boolean) => ({ data });

describe('time-based chunk flushing', () => {
  it('hands a chunk to the file once its first message has waited flushIntervalMs, long before it is full', async () => {
    vi.useFakeTimers();
    const folder = new MemoryBagFolder();
    const writer = await BagWriter.create(folder, { name: 'f', flushIntervalMs: 200 });
    writer.addTopic('/estop', 'std_msgs/msg/Bool', { qos: RELIABLE_QOS });
    await writer.writeMessage('/estop', bool(true), T0);
    await vi.advanceTimersByTimeAsync(150);
    await writer.writeMessage('/estop', bool(false), T0 + 150n * MS);
    expect(await recoverable(folder)).toBe(0);
    await vi.advanceTimersByTimeAsync(50); // 200 ms after the chunk's first message
    expect(await recoverable(folder)).toBe(2);
    // The next chunk's timer starts with its own first message.
    await vi.advanceTimersByTimeAsync(1000);
    await writer.writeMessage('/estop', bool(true), T0 + 1200n * MS);
    await vi.advanceTimersByTimeAsync(199);
    expect(await recoverable(folder)).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(await recoverable(folder)).toBe(3);
    const status = await writer.close();
    expect(status).toMatchObject({ state: 'closed', messageCount: 3 });
  });

  it('defaults to 1 s; 0 writes only full chunks; a bad interval names the option', async () => {
    vi.useFakeTimers();
    const folder = new MemoryBagFolder();
    const writer = await BagWriter.create(folder, { name: 'f' });
    expect(writer.flushIntervalMs).toBe(1000);
    writer.addTopic('/estop', 'std_msgs/msg/Bool');
    await writer.writeMessage('/estop', bool(true), T0);
    await vi.advanceTimersByTimeAsync(999);
    expect(await recoverable(folder)).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await recoverable(folder)).toBe(1);

    writer.setFlushInterval(0);
    await writer.writeMessage('/estop', bool(false), T0 + MS);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await recoverable(folder)).toBe(1);
    expect(await writer.flush()).toBe(true); // an explicit flush still works
    expect(await recoverable(folder)).toBe(2);
    await writer.close();
    expect(await writer.flush()).toBe(false);

    expect(() => writer.setFlushInterval(-5)).toThrow('E_BAG_WRITE: flushIntervalMs must be a number ≥ 0, got -5');
    await expect(BagWriter.create(new MemoryBagFolder(), { flushIntervalMs: Number.NaN })).rejects.toThrow('flushIntervalMs must be a number ≥ 0, got NaN');
  });

  it('the recorder option sets the interval of the writer it records into', async () => {
    vi.useFakeTimers();
    const transport = new InProcessTransport();
    const folder = new MemoryBagFolder();
    const writer = await BagWriter.create(folder, { name: 'f' });
    const recorder = Recorder.start({ transport, writer, flushIntervalMs: 100, topics: [{ topic: '/estop', type: 'std_msgs/msg/Bool', qos: RELIABLE_QOS }] });
    expect(writer.flushIntervalMs).toBe(100);
    transport.advertise('/estop', 'std_msgs/msg/Bool', RELIABLE_QOS).publish(bool(true));
    await vi.advanceTimersByTimeAsync(100);
    expect(await recoverable(folder)).toBe(1);
    expect((await recorder.stop()).written).toBe(1);
  });
});
