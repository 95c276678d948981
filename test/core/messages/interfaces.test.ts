/**
 * Type names and definitions of what rosbag2 records besides plain messages: service events
 * (`pkg/srv/Name_Event`, defined by the .srv text), action types, messages without fields, and the
 * standard per-distro definitions from @foxglove/rosmsg-msgs-common.
 */
import { describe, expect, it } from 'vitest';
import {
  CdrCodec,
  fullTypeName,
  interfaceBaseType,
  interfaceSchemaText,
  MessageRegistry,
  parseSchema,
  shortTypeName,
  splitTypeName,
  standardDistroFor,
} from '../../../src/core/messages/index.js';
import { TYPE_NAME } from '../../../src/core/messages/type-names.js';

const SEP = '='.repeat(80);
const ADD_TWO_INTS = 'int64 a\nint64 b\n---\nint64 sum\n';
/** A service whose request and response use a same-package type and a standard one. */
const SET_GOAL = `Target target # same package: my_srvs/Target
geometry_msgs/Point hint
---
bool accepted
string message
${SEP}
MSG: geometry_msgs/Point
float64 x
float64 y
float64 z
${SEP}
MSG: my_srvs/Target
string name
float32 radius
`;

describe('type names', () => {
  it('accepts service and action types and keeps their kind in the full name', () => {
    expect(splitTypeName('test_msgs/srv/BasicTypes_Event')).toEqual({ pkg: 'test_msgs', kind: 'srv', name: 'BasicTypes_Event' });
    expect(fullTypeName('test_msgs/srv/BasicTypes_Event')).toBe('test_msgs/srv/BasicTypes_Event');
    expect(fullTypeName('my_act/action/Fib_FeedbackMessage')).toBe('my_act/action/Fib_FeedbackMessage');
    expect(fullTypeName('std_msgs/String')).toBe('std_msgs/msg/String');
    expect(shortTypeName('test_msgs/srv/BasicTypes_Event')).toBe('test_msgs/BasicTypes_Event');
    expect(() => splitTypeName('test_msgs/idl/X')).toThrow("E_UNKNOWN_TYPE: not a message type name: 'test_msgs/idl/X'");
    // The message-only pattern (the ROS 2 layer's) is unchanged.
    expect(TYPE_NAME.test('test_msgs/srv/BasicTypes_Event')).toBe(false);
  });

  it('names the service or action a generated type belongs to', () => {
    expect(interfaceBaseType('test_msgs/srv/BasicTypes_Event')).toBe('test_msgs/srv/BasicTypes');
    expect(interfaceBaseType('a/srv/X_Request')).toBe('a/srv/X');
    expect(interfaceBaseType('a/action/Fib_FeedbackMessage')).toBe('a/action/Fib');
    expect(interfaceBaseType('a/srv/X')).toBeUndefined();
    expect(interfaceBaseType('std_msgs/msg/String')).toBeUndefined();
  });
});

describe('service and action definitions', () => {
  it('builds the Event message from the .srv text rosbag2 stores', () => {
    const text = interfaceSchemaText('example_interfaces/srv/AddTwoInts_Event', ADD_TWO_INTS);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'service_msgs/ServiceEventInfo info',
      'example_interfaces/AddTwoInts_Request[<=1] request',
      'example_interfaces/AddTwoInts_Response[<=1] response',
    ]);
    const defs = parseSchema('example_interfaces/srv/AddTwoInts_Event', ADD_TWO_INTS);
    expect(defs.map((d) => d.name)).toEqual([
      'example_interfaces/AddTwoInts_Event',
      'example_interfaces/AddTwoInts_Request',
      'example_interfaces/AddTwoInts_Response',
      'service_msgs/ServiceEventInfo',
    ]);
    expect(defs[0]!.definitions.map((f) => [f.name, f.type, f.arrayUpperBound])).toEqual([
      ['info', 'service_msgs/ServiceEventInfo', undefined],
      ['request', 'example_interfaces/AddTwoInts_Request', 1],
      ['response', 'example_interfaces/AddTwoInts_Response', 1],
    ]);
  });

  it('resolves same-package and other types inside a .srv, with or without the SRV: delimiter newer rosbag2 writes', () => {
    const codec = CdrCodec.fromSchemaText('my_srvs/srv/SetGoal_Event', SET_GOAL);
    const newer = CdrCodec.fromSchemaText('my_srvs/srv/SetGoal_Event', `${SEP}\nSRV: my_srvs/srv/SetGoal\n${SET_GOAL}`);
    const event = {
      info: { event_type: 0, stamp: { sec: 5, nanosec: 6 }, client_gid: Uint8Array.from({ length: 16 }, (_, i) => i), sequence_number: 9n },
      request: [{ target: { name: 'dock', radius: 0.5 }, hint: { x: 1, y: 2, z: 3 } }],
      response: [],
    };
    const bytes = codec.encode('my_srvs/srv/SetGoal_Event', event);
    expect(codec.decode('my_srvs/srv/SetGoal_Event', bytes)).toEqual(event);
    expect(newer.decode('my_srvs/srv/SetGoal_Event', bytes)).toEqual(event);
    // Request and response alone, as their own types.
    const request = CdrCodec.fromSchemaText('my_srvs/srv/SetGoal_Request', SET_GOAL);
    expect(request.decode('my_srvs/srv/SetGoal_Request', request.encode('my_srvs/srv/SetGoal_Request', event.request[0]))).toEqual(event.request[0]);
  });

  it('builds an action FeedbackMessage (goal_id + feedback) from the .action text', () => {
    const fib = 'int32 order\n---\nint32[] sequence\n---\nint32[] partial_sequence\n';
    const codec = CdrCodec.fromSchemaText('my_act/action/Fib_FeedbackMessage', fib);
    const msg = { goal_id: { uuid: Uint8Array.from({ length: 16 }, (_, i) => 255 - i) }, feedback: { partial_sequence: Int32Array.from([0, 1, 1, 2]) } };
    expect(codec.decode('my_act/action/Fib_FeedbackMessage', codec.encode('my_act/action/Fib_FeedbackMessage', msg))).toEqual(msg);
    expect(parseSchema('my_act/action/Fib_Goal', fib)[0]!.definitions.map((f) => f.name)).toEqual(['order']);
  });

  it('uses a definition that already is a message text as it is, and names a text that fits no part', () => {
    const eventText = `service_msgs/ServiceEventInfo info\nAddTwoInts_Request[<=1] request\nAddTwoInts_Response[<=1] response\n${SEP}\nMSG: service_msgs/ServiceEventInfo\nuint8 event_type\nbuiltin_interfaces/Time stamp\nuint8[16] client_gid\nint64 sequence_number\n${SEP}\nMSG: example_interfaces/srv/AddTwoInts_Request\nint64 a\nint64 b\n${SEP}\nMSG: example_interfaces/srv/AddTwoInts_Response\nint64 sum\n`;
    expect(interfaceSchemaText('example_interfaces/srv/AddTwoInts_Event', eventText)).toBe(eventText);
    expect(parseSchema('example_interfaces/srv/AddTwoInts_Event', eventText)[0]!.definitions[1]!.type).toBe('example_interfaces/AddTwoInts_Request');
    expect(() => parseSchema('example_interfaces/srv/AddTwoInts', ADD_TWO_INTS)).toThrow(
      'E_SCHEMA_PARSE: example_interfaces/srv/AddTwoInts: a .srv definition describes no single message of this name (expected a name ending in _Event, _Request, _Response)',
    );
    expect(() => parseSchema('a/srv/X_Event', 'int8 a\n---\nint8 b\n---\nint8 c\n')).toThrow("E_SCHEMA_PARSE: a/srv/X_Event: the definition has 3 sections split by '---' lines; a .srv has 2");
  });

  it('an empty definition is a message without fields', () => {
    const codec = CdrCodec.fromSchemaText('test_msgs/msg/Empty', '');
    // ROS 2 serialises an empty struct as one padding byte after the encapsulation header.
    expect(codec.decode('test_msgs/msg/Empty', Uint8Array.of(0, 1, 0, 0, 0))).toEqual({});
    expect(codec.decode('test_msgs/msg/Empty', codec.encode('test_msgs/msg/Empty', {}))).toEqual({});
  });
});

describe('standard definitions per distro', () => {
  it('loads humble, iron and jazzy from @foxglove/rosmsg-msgs-common, with their differences', () => {
    const humble = MessageRegistry.standard('humble');
    expect(humble).toBe(MessageRegistry.standard('humble'));
    expect(humble.has('std_msgs/msg/String')).toBe(true);
    expect(humble.has('rcl_interfaces/msg/Log')).toBe(true);
    expect(humble.has('geometry_msgs/msg/VelocityStamped')).toBe(false);
    expect(MessageRegistry.standard('jazzy').has('geometry_msgs/msg/VelocityStamped')).toBe(true);
    expect(MessageRegistry.standard('iron').has('sensor_msgs/msg/Image')).toBe(true);
    const hello = Uint8Array.of(0, 1, 0, 0, 6, 0, 0, 0, ...new TextEncoder().encode('hello'), 0);
    expect(new CdrCodec(humble).decode('std_msgs/msg/String', hello)).toEqual({ data: 'hello' });
  });

  it('layers registries: the first that defines a type wins', () => {
    const mine = new MessageRegistry([['std_msgs/msg/String', 'string data\nint8 extra\n']]);
    const both = MessageRegistry.layered(mine, MessageRegistry.standard('humble'));
    expect(both.msgText('std_msgs/msg/String')).toBe('string data\nint8 extra\n');
    expect(both.has('sensor_msgs/msg/Imu')).toBe(true);
  });

  it('maps the distro a bag names to a shipped set', () => {
    expect(standardDistroFor('jazzy')).toEqual({ distro: 'jazzy', exact: true });
    expect(standardDistroFor(' Iron ')).toEqual({ distro: 'iron', exact: true });
    expect(standardDistroFor('rolling')).toEqual({ distro: 'jazzy', exact: false });
    expect(standardDistroFor('foxy')).toEqual({ distro: 'humble', exact: false });
    expect(standardDistroFor('dashing-ish')).toBeUndefined();
  });
});
