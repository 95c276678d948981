import { describe, expect, it } from 'vitest';
import { MessageError, MessageRegistry, SCHEMA_SEPARATOR, buildSchemaText, msgDependencies } from '../../../src/core/messages/index.js';

const registry = MessageRegistry.builtin();
const sectionNames = (schema: string) => [...schema.matchAll(/^MSG: (.+)$/gm)].map((m) => m[1]);

describe('schemaText (rosbag2 ros2msg layout)', () => {
  it('Image: text, then Header, then builtin_interfaces/Time, each after an 80-= line', () => {
    const text = (t: string) => registry.msgText(t);
    expect(SCHEMA_SEPARATOR).toBe('='.repeat(80));
    expect(registry.schemaText('sensor_msgs/msg/Image')).toBe(
      text('sensor_msgs/Image') +
        `\n${'='.repeat(80)}\nMSG: std_msgs/Header\n` + text('std_msgs/Header') +
        `\n${'='.repeat(80)}\nMSG: builtin_interfaces/Time\n` + text('builtin_interfaces/Time'),
    );
  });

  it('accepts pkg/Name and pkg/msg/Name alike', () => {
    expect(registry.schemaText('sensor_msgs/Image')).toBe(registry.schemaText('sensor_msgs/msg/Image'));
  });

  it('orders dependencies depth-first, each level sorted, each type once', () => {
    expect(sectionNames(registry.schemaText('nav_msgs/msg/Odometry'))).toEqual([
      'geometry_msgs/PoseWithCovariance', 'geometry_msgs/Pose', 'geometry_msgs/Point', 'geometry_msgs/Quaternion',
      'geometry_msgs/TwistWithCovariance', 'geometry_msgs/Twist', 'geometry_msgs/Vector3',
      'std_msgs/Header', 'builtin_interfaces/Time',
    ]);
    expect(sectionNames(registry.schemaText('trajectory_msgs/msg/JointTrajectory'))).toEqual([
      'std_msgs/Header', 'builtin_interfaces/Time', 'trajectory_msgs/JointTrajectoryPoint', 'builtin_interfaces/Duration',
    ]);
    // `DiagnosticStatus[] status` is a same-package short name: it gets the package prefix.
    expect(sectionNames(registry.schemaText('diagnostic_msgs/msg/DiagnosticArray'))).toEqual([
      'diagnostic_msgs/DiagnosticStatus', 'diagnostic_msgs/KeyValue', 'std_msgs/Header', 'builtin_interfaces/Time',
    ]);
    expect(sectionNames(registry.schemaText('std_msgs/msg/Bool'))).toEqual([]);
  });

  it('finds dependencies the way rosbag2 does: first word per line, comments and primitives skipped', () => {
    const text = '# a comment naming foo_msgs/Thing\nuint8[] data\nHeader[<=3] h # x\n  other_msgs/B[4] b\nbyte K=1\n';
    expect(msgDependencies(text, 'my_msgs')).toEqual(['my_msgs/Header', 'other_msgs/B']);
  });

  it('names a missing dependency', () => {
    const lookup = (t: string) => (t === 'a_msgs/msg/A' ? 'b_msgs/B b\n' : undefined);
    expect(() => buildSchemaText('a_msgs/msg/A', lookup)).toThrow(/E_UNKNOWN_TYPE.*b_msgs\/B.*a_msgs\/msg\/A/);
  });

  it('unknown type: E_UNKNOWN_TYPE naming it and listing the known ones', () => {
    let err: unknown;
    try {
      registry.schemaText('foo_msgs/msg/Bar');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MessageError);
    expect((err as MessageError).code).toBe('E_UNKNOWN_TYPE');
    expect((err as MessageError).message).toContain("'foo_msgs/msg/Bar'");
    expect((err as MessageError).message).toContain('sensor_msgs/msg/Image');
    expect(() => registry.definitionsFor('Image')).toThrow(/E_UNKNOWN_TYPE: unknown message type 'Image'/);
    expect(() => registry.msgText('sensor_msgs/srv/Image')).toThrow(/E_UNKNOWN_TYPE/);
    expect(registry.has('sensor_msgs/Image')).toBe(true);
    expect(registry.has('nope')).toBe(false);
  });

  it('a registry built from texts resolves short names within the package', () => {
    const r = new MessageRegistry([
      ['a_msgs/msg/Outer', 'Inner inner\nb_msgs/Inner other\n'],
      ['a_msgs/Inner', 'int32 x\n'],
      ['b_msgs/msg/Inner', 'string s\n'],
    ]);
    expect(sectionNames(r.schemaText('a_msgs/Outer'))).toEqual(['a_msgs/Inner', 'b_msgs/Inner']);
    // Two packages define Inner: the root's short name must still resolve to its own package.
    const [root] = r.definitionsFor('a_msgs/Outer');
    expect(root!.definitions.map((f) => f.type)).toEqual(['a_msgs/Inner', 'b_msgs/Inner']);
  });
});
