/**
 * Fuzz: ZeroMQ frames as a subscriber receives them, through the transport's decodeMessage (what
 * ZeroMqTransport's receive loop calls for every multipart message; no sockets here). Mutated frames
 * of real messages (header, bulk frames, frame count) and random frames either decode or throw
 * TransportError E_WIRE_DECODE. Then the loop level: whatever decodes is handed to a running runtime
 * on the topics it subscribes, as the receive loop would; its handlers never throw (the transport would
 * count handlerErrors), bad frames are counted as rejected input, ticks go on, and every command is
 * finite and within the safety limits.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config/load.js';
import { ManualClock } from '../../src/runtime/loop/clock.js';
import { makeHeader, makeImage } from '../../src/core/messages/factories.js';
import type { AckermannDriveStamped, Bool, Image } from '../../src/core/messages/types.js';
import { Pilot } from '../../src/runtime/pilot.js';
import { InProcessTransport } from '../../src/transport/in-process.js';
import { RELIABLE_QOS, SENSOR_QOS, type Publisher } from '../../src/transport/transport.js';
import { decodeMessage, encodeMessage, type WireMessage } from '../../src/transport/wire.js';
import { expectTyped, fuzzParams, mutatedFrom, Outcomes, typedCode } from './fuzz.js';

const CAMERA = '/camera/image_raw';
const ESTOP = '/pilot/estop';
const outcomes = new Outcomes();
const loop = { runs: 0, delivered: 0, rejectedFrames: 0, mismatched: 0, ticks: 0, commands: 0 };
afterAll(() => {
  console.info(outcomes.summary('ZeroMQ frames (decodeMessage)'));
  console.info(`fuzz ZeroMQ frames into the runtime: ${loop.runs} runs, ${loop.delivered} delivered (${loop.rejectedFrames} rejected as camera input), ${loop.mismatched} wrong topic/type, ${loop.ticks} ticks, ${loop.commands} commands`);
});

function image(width: number, height: number, value: number): Image {
  return makeImage({ header: makeHeader({ frame_id: 'camera' }), width, height, encoding: 'rgb8', step: width * 3, data: new Uint8Array(width * height * 3).fill(value) });
}

/** Frames as a subscriber receives them: fresh Buffers (the bulk frame of an image included). */
const frameSets: Buffer[][] = [
  encodeMessage({ topic: CAMERA, type: 'sensor_msgs/msg/Image', seq: 7, sentAtMs: 1_700_000_000_000 }, image(320, 240, 90)),
  encodeMessage({ topic: CAMERA, type: 'sensor_msgs/msg/Image', seq: 8, sentAtMs: 1_700_000_000_050 }, image(16, 12, 200)),
  encodeMessage({ topic: ESTOP, type: 'std_msgs/msg/Bool', seq: 0, sentAtMs: 1 }, { data: false }),
].map((set) => set.map((f) => Buffer.from(f)));

/** One frame of a real message mutated, a frame dropped or added, or random frames. */
const frames: fc.Arbitrary<Buffer[]> = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(...frameSets.flatMap((set) => set.map((f, i) => mutatedFrom([f]).map((m) => set.map((x, j) => (j === i ? Buffer.from(m) : x)))))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...frameSets), fc.nat()).map(([set, n]) => set.filter((_, j) => j !== n % set.length)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...frameSets), fc.uint8Array({ maxLength: 64 })).map(([set, extra]) => [...set, Buffer.from(extra)]) },
  { weight: 1, arbitrary: fc.array(fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)), { maxLength: 4 }) },
);

function decodeOrCode(f: Buffer[]): WireMessage | string {
  try {
    return decodeMessage(f);
  } catch (err) {
    return typedCode(err);
  }
}

describe('fuzz: ZeroMQ frames', () => {
  it('decodeMessage returns or throws E_WIRE_DECODE', () => {
    for (const set of frameSets) expect(() => decodeMessage(set)).not.toThrow();
    fc.assert(
      fc.property(frames, (f) => {
        expectTyped(outcomes, () => decodeMessage(f));
      }),
      fuzzParams(3000),
    );
    expect([...outcomes.errors.keys()]).toEqual(['E_WIRE_DECODE']);
  });

  it('the runtime takes whatever decodes without a handler error, counts bad frames, and publishes only safe commands', async () => {
    const file = loadConfig('launch/drive.yaml');
    const config = { ...file, model: { ...file.model, warmup_runs: 1 }, transport: { ...file.transport, kind: 'inprocess' as const } };
    const clock = new ManualClock({ epochMs: 1_700_000_000_000 });
    const transport = new InProcessTransport({ onError: () => {} });
    const pilot = await Pilot.create(config, { transport, clock, log: () => {} });
    const commands: { steering: number; speed: number }[] = [];
    transport.subscribe<AckermannDriveStamped>('/cmd/ackermann', 'ackermann_msgs/msg/AckermannDriveStamped', (m) => commands.push({ steering: m.drive.steering_angle, speed: m.drive.speed }), RELIABLE_QOS);
    const publishers = new Map<string, Publisher>([
      [`${CAMERA} sensor_msgs/msg/Image`, transport.advertise<Image>(CAMERA, 'sensor_msgs/msg/Image', SENSOR_QOS)],
      [`${ESTOP} std_msgs/msg/Bool`, transport.advertise<Bool>(ESTOP, 'std_msgs/msg/Bool', RELIABLE_QOS)],
    ]);
    pilot.start();
    const periodMs = 1000 / config.loop.rate_hz;
    try {
      await fc.assert(
        fc.asyncProperty(frames, async (f) => {
          loop.runs++;
          const decoded = decodeOrCode(f);
          const publisher = typeof decoded === 'string' ? undefined : publishers.get(`${decoded.topic} ${decoded.type}`);
          if (typeof decoded !== 'string' && !publisher) loop.mismatched++; // the receive loop counts these as decode errors
          if (publisher && typeof decoded !== 'string') {
            const rejectedBefore = pilot.camera.rejected;
            publisher.publish(decoded.message);
            loop.delivered++;
            loop.rejectedFrames += pilot.camera.rejected - rejectedBefore;
          }
          clock.advanceBy(periodMs);
          await pilot.loop.whenIdle();
        }),
        fuzzParams(300),
      );
    } finally {
      await pilot.dispose();
      await transport.close();
    }
    loop.ticks = pilot.loop.stats.ticks;
    loop.commands = commands.length;
    for (const stats of transport.stats().values()) expect(stats.handlerErrors).toBe(0);
    expect(pilot.counters.policyErrors).toBe(0);
    const steering = pilot.safety.limitsOf('steering_angle');
    const speed = pilot.safety.limitsOf('speed');
    for (const c of commands) {
      expect(Number.isFinite(c.steering) && c.steering >= steering.min && c.steering <= steering.max, JSON.stringify(c)).toBe(true);
      expect(Number.isFinite(c.speed) && c.speed >= speed.min && c.speed <= speed.max, JSON.stringify(c)).toBe(true);
    }
    expect(loop.ticks).toBeGreaterThanOrEqual(300);
    expect(loop.delivered).toBeGreaterThan(0);
  });
});
