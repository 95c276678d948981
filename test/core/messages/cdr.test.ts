import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CdrCodec,
  KNOWN_TYPE_NAMES,
  MessageError,
  MessageRegistry,
  SCHEMA_SEPARATOR,
  makeImage,
  makeMessage,
  type CameraInfo,
  type Image,
} from '../../../src/core/messages/index.js';
import { samples } from './samples.js';

const codec = new CdrCodec();

/** Large byte arrays become a digest: element-wise deep equality on 921,600 bytes takes seconds. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array && value.length > 4096) {
    return `Uint8Array(${value.length}) sha256 ${createHash('sha256').update(value).digest('hex')}`;
  }
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  }
  return value;
}
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));

function codeOf(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MessageError);
    return e as MessageError;
  }
  throw new Error('expected a MessageError');
}

describe('CdrCodec round trip', () => {
  it.each(KNOWN_TYPE_NAMES)('%s: sample values survive encode → decode', (type) => {
    const msg = samples[type];
    const bytes = codec.encode(type, msg);
    expect(bytes[0]).toBe(0x00);
    expect(bytes[1]).toBe(0x01); // CDR little-endian
    expect(comparable(codec.decode(type, bytes))).toEqual(comparable(msg));
  });

  it.each(KNOWN_TYPE_NAMES)('%s: factory default survives encode → decode', (type) => {
    const msg = makeMessage(type);
    expect(codec.decode(type, codec.encode(type, msg))).toEqual(msg);
  });

  it('640×480 rgb8 Image keeps every byte and decodes data as Uint8Array', () => {
    const img = samples['sensor_msgs/msg/Image'];
    const bytes = codec.encode('sensor_msgs/msg/Image', img);
    // 4 header + stamp 8 + frame_id (4+15, padded to 4) + 3×uint32/uint8 fields + 4 length + data.
    expect(bytes.byteLength).toBeGreaterThan(640 * 480 * 3);
    const out = codec.decode('sensor_msgs/msg/Image', bytes);
    expect(out.data).toBeInstanceOf(Uint8Array);
    expect(out.data.length).toBe(921_600);
    expect(Buffer.from(out.data).equals(Buffer.from(img.data))).toBe(true);
    expect(out.header.stamp).toStrictEqual({ sec: 1_700_000_000, nanosec: 123_456_789 });
  });

  it('CameraInfo: d is a float64 sequence, k/r/p fixed float64 arrays', () => {
    const out = codec.decode<CameraInfo>('sensor_msgs/CameraInfo', codec.encode('sensor_msgs/msg/CameraInfo', samples['sensor_msgs/msg/CameraInfo']));
    expect(out.d).toBeInstanceOf(Float64Array);
    expect(Array.from(out.d)).toEqual([-0.28, 0.07, 0.0002, -0.0001, 0]);
    expect(out.k).toBeInstanceOf(Float64Array);
    expect([out.k.length, out.r.length, out.p.length]).toEqual([9, 9, 12]);
    expect(out.roi.do_rectify).toBe(true);
  });

  it('JointTrajectory keeps points and their durations as {sec, nanosec}', () => {
    const out = codec.decode('trajectory_msgs/msg/JointTrajectory', codec.encode('trajectory_msgs/msg/JointTrajectory', samples['trajectory_msgs/msg/JointTrajectory']));
    expect(out.points.map((p) => p.time_from_start)).toStrictEqual([
      { sec: 1, nanosec: 250_000_000 }, { sec: 2, nanosec: 500_000_000 }, { sec: 3, nanosec: 750_000_000 },
    ]);
    expect(Array.from(out.points[1]!.positions)).toEqual([0.2, -0.4, 0.3]);
  });

  it('decoded arrays do not alias the input buffer unless copy: false', () => {
    const bytes = codec.encode('sensor_msgs/msg/Image', makeImage({ height: 1, width: 4, step: 4, encoding: 'mono8', data: Uint8Array.from([1, 2, 3, 4]) }));
    const safe = codec.decode<Image>('sensor_msgs/msg/Image', bytes);
    const aliased = codec.decode<Image>('sensor_msgs/msg/Image', bytes, { copy: false });
    bytes.fill(9, bytes.length - 4);
    expect(Array.from(safe.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(aliased.data)).toEqual([9, 9, 9, 9]);
  });
});

describe('CdrCodec known bytes (derived by hand from the CDR spec)', () => {
  it('std_msgs/Bool true: encapsulation 00 01 00 00, then one byte', () => {
    expect(codec.encode('std_msgs/msg/Bool', { data: true })).toEqual(hex('00010000 01'));
  });

  it('std_msgs/Header {sec 1, nanosec 2, frame_id "a"}', () => {
    // int32 sec | uint32 nanosec | uint32 length incl. NUL = 2 | 'a' NUL
    const bytes = hex('00010000 01000000 02000000 02000000 6100');
    expect(codec.encode('std_msgs/msg/Header', { stamp: { sec: 1, nanosec: 2 }, frame_id: 'a' })).toEqual(bytes);
    expect(codec.decode('std_msgs/Header', bytes)).toStrictEqual({ stamp: { sec: 1, nanosec: 2 }, frame_id: 'a' });
  });

  it('TwistStamped pads the string to an 8-byte boundary before float64s', () => {
    // Alignment counts from the end of the 4-byte encapsulation header: the string ends at
    // payload offset 14, so two pad bytes put linear.x at offset 16.
    const bytes = hex(`00010000 01000000 02000000 02000000 6100 0000
      000000000000f03f 0000000000000000 0000000000000000
      0000000000000000 0000000000000000 000000000000e0bf`);
    const msg = { header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'a' }, twist: { linear: { x: 1, y: 0, z: 0 }, angular: { x: 0, y: 0, z: -0.5 } } };
    expect(codec.encode('geometry_msgs/msg/TwistStamped', msg)).toEqual(bytes);
    expect(codec.decode('geometry_msgs/msg/TwistStamped', bytes)).toStrictEqual(msg);
  });

  it('AckermannDriveStamped pads the string to 4 before float32s', () => {
    const bytes = hex(`00010000 01000000 02000000 03000000 616200 00
      0000003f 00000000 00000040 00000000 00000000`);
    const msg = {
      header: { stamp: { sec: 1, nanosec: 2 }, frame_id: 'ab' },
      drive: { steering_angle: 0.5, steering_angle_velocity: 0, speed: 2, acceleration: 0, jerk: 0 },
    };
    expect(codec.encode('ackermann_msgs/msg/AckermannDriveStamped', msg)).toEqual(bytes);
  });
});

describe('CdrCodec errors', () => {
  const image = codec.encode('sensor_msgs/msg/Image', samples['sensor_msgs/msg/Image']);

  it('truncated bytes → E_CDR_DECODE naming the type and length', () => {
    const err = codeOf(() => codec.decode('sensor_msgs/msg/Image', image.subarray(0, 1000)));
    expect(err.code).toBe('E_CDR_DECODE');
    expect(err.message).toContain('sensor_msgs/msg/Image');
    expect(err.message).toContain('1000 bytes');
    expect(codeOf(() => codec.decode('std_msgs/msg/Header', hex('00010000 01000000'))).code).toBe('E_CDR_DECODE');
    expect(codeOf(() => codec.decode('std_msgs/msg/Bool', new Uint8Array(0))).code).toBe('E_CDR_DECODE');
  });

  it('a truncated view of a larger buffer is caught even without copying', () => {
    // Typed-array reads are bounded by the ArrayBuffer, so this would "decode" past the view.
    const big = new Uint8Array(image.length + 64);
    big.set(image);
    const view = big.subarray(0, image.length - 10);
    expect(codeOf(() => codec.decode('sensor_msgs/msg/Image', view, { copy: false })).code).toBe('E_CDR_DECODE');
    expect(codeOf(() => codec.decode('sensor_msgs/msg/Image', view)).code).toBe('E_CDR_DECODE');
  });

  it('non-ASCII strings → E_CDR_ENCODE naming the field (the CDR writer would truncate them)', () => {
    const msg = structuredClone(samples['diagnostic_msgs/msg/DiagnosticArray']);
    msg.status[2]!.values[0]!.value = '85 °C';
    const err = codeOf(() => codec.encode('diagnostic_msgs/msg/DiagnosticArray', msg));
    expect(err.code).toBe('E_CDR_ENCODE');
    expect(err.message).toContain('status[2].values[0].value');
    expect(codeOf(() => codec.encode('sensor_msgs/msg/JointState', { ...samples['sensor_msgs/msg/JointState'], name: ['a', 'ß'] })).message).toContain('name[1]');
  });

  it('wrong fixed-array length → E_CDR_ENCODE', () => {
    const info = { ...samples['sensor_msgs/msg/CameraInfo'], k: new Float64Array(8) };
    expect(codeOf(() => codec.encode('sensor_msgs/msg/CameraInfo', info)).code).toBe('E_CDR_ENCODE');
  });

  it('unknown type → E_UNKNOWN_TYPE', () => {
    const err = codeOf(() => codec.encode('foo_msgs/msg/Bar', {}));
    expect(err.code).toBe('E_UNKNOWN_TYPE');
    expect(err.message).toContain('foo_msgs/msg/Bar');
    expect(codec.knows('sensor_msgs/Image')).toBe(true);
    expect(codec.knows('foo_msgs/msg/Bar')).toBe(false);
  });
});

describe('CdrCodec from schema text', () => {
  const registry = MessageRegistry.builtin();
  const sep = `\n${SCHEMA_SEPARATOR}\n`;

  it('decodes what the built-in codec encodes, from the rosbag2 schema alone', () => {
    const bagCodec = CdrCodec.fromSchemaText('sensor_msgs/msg/CameraInfo', registry.schemaText('sensor_msgs/msg/CameraInfo'));
    const msg = samples['sensor_msgs/msg/CameraInfo'];
    expect(bagCodec.decode('sensor_msgs/msg/CameraInfo', codec.encode('sensor_msgs/msg/CameraInfo', msg))).toEqual(msg);
    expect(bagCodec.knows('sensor_msgs/msg/Image')).toBe(false);
  });

  it('handles a type the registry lacks, with pkg/msg/Name section names', () => {
    const schema =
      'std_msgs/Header header\nfloat32[] values\nstring label\nPart[] parts\n' +
      `${sep}MSG: my_msgs/msg/Part\nint64 id\nuint16[3] rgb\n` +
      `${sep}MSG: std_msgs/msg/Header\n${registry.msgText('std_msgs/Header')}` +
      `${sep}MSG: builtin_interfaces/msg/Time\n${registry.msgText('builtin_interfaces/Time')}`;
    const custom = CdrCodec.fromSchemaText('my_msgs/msg/Custom', schema);
    const msg = {
      header: { stamp: { sec: 3, nanosec: 4 }, frame_id: 'f' }, values: Float32Array.from([1.5, -2]), label: 'x',
      parts: [{ id: 9007199254740993n, rgb: Uint16Array.from([1, 2, 65535]) }],
    };
    expect(custom.decode('my_msgs/Custom', custom.encode('my_msgs/Custom', msg))).toEqual(msg);
  });

  it('bad schema text → E_SCHEMA_PARSE at add time', () => {
    expect(codeOf(() => CdrCodec.fromSchemaText('a_msgs/msg/A', 'float64 x\nNotDefined y\n')).code).toBe('E_SCHEMA_PARSE');
    expect(codeOf(() => CdrCodec.fromSchemaText('a_msgs/msg/A', 'float64[ x\n')).code).toBe('E_SCHEMA_PARSE');
  });
});
