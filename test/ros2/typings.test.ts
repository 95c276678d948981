/**
 * src/ros2/tsd/interfaces.d.ts (pilot's own typings of the ROS 2 interfaces it uses, independent of
 * what rclnodejs generated at install time) is generated from the vendored .msg/.srv files and must not
 * drift; the ROS-only definitions match ROS 2 Humble's; pilot's message shapes are those message types.
 */
import { readFileSync } from 'node:fs';
import { ros2humble } from '@foxglove/rosmsg-msgs-common';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { KnownTypeName, MessageDefinitionField, MessageTypeMap } from '../../src/core/messages/index.js';
import { parse } from '@foxglove/rosmsg';
import { readInterfaces, ros2DefinitionsDir, rosMessageRegistry } from '../../src/ros2/interfaces.js';
import type { RclnodejsApi, RosMessage, RosMessageTypeName, SetParametersResult } from '../../src/ros2/rclnodejs-api.js';
import type * as ros from '../../src/ros2/tsd/interfaces.js';
import { interfacesTsdPath, renderInterfacesTsd } from '../../src/ros2/tsd/render.js';
import { parseMsgSpec } from '../../src/ros2/tsd/msg-fields.js';
import { createStandIn } from './stand-in/rclnodejs-stand-in.js';

const humble = ros2humble as unknown as Record<string, { definitions: MessageDefinitionField[] } | undefined>;
const fields = (defs: readonly MessageDefinitionField[]) => defs.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));

describe('src/ros2/tsd/interfaces.d.ts', () => {
  const committed = readFileSync(interfacesTsdPath(), 'utf8');

  it('is exactly what the generator makes from the .msg/.srv definitions (regenerate: npx vite-node src/ros2/tsd/generate-interfaces.ts)', () => {
    expect(committed).toBe(renderInterfacesTsd());
  });

  it('maps every message and service the ROS 2 layer knows, and nothing else', () => {
    const map = (name: string) => {
      const block = committed.slice(committed.indexOf(`export type ${name} = {`), committed.indexOf('};', committed.indexOf(`export type ${name} = {`)));
      return [...block.matchAll(/^ {2}'([^']+)':/gm)].map((m) => m[1]!).filter((k) => !k.includes('/descriptor/'));
    };
    const set = readInterfaces();
    expect(map('MessagesMap').sort()).toEqual(set.messages.map((m) => `${m.pkg}/${m.subfolder}/${m.name}`).sort());
    expect(map('ServicesMap').sort()).toEqual(set.services.map((s) => `${s.pkg}/srv/${s.name}`).sort());
    expect(map('MessagesMap')).toEqual(expect.arrayContaining(rosMessageRegistry().types()));
  });

  it('has the rclnodejs shape for a message, its descriptor, constants and a service, as a module of its own', () => {
    expect(committed).not.toContain("declare module 'rclnodejs'");
    expect(committed).toContain(
      [
        '    export interface DiagnosticStatus {',
        '      level: number;',
        '      name: string;',
        '      message: string;',
        '      hardware_id: string;',
        '      values: diagnostic_msgs.msg.KeyValue[];',
        '    }',
        '    export interface DiagnosticStatusConstructor {',
        '      readonly OK: number;',
        '      readonly WARN: number;',
        '      readonly ERROR: number;',
        '      readonly STALE: number;',
        '      new(other?: DiagnosticStatus): DiagnosticStatus;',
        '    }',
      ].join('\n'),
    );
    expect(committed).toContain("        byte_array_value: 'byte[]';\n");
    expect(committed).toContain('      byte_array_value: number[] | Uint8Array;\n');
    expect(committed).toContain('      integer_array_value: bigint[];\n');
    expect(committed).toContain('      data: number[] | Uint8Array;\n');
    expect(committed).toContain('      covariance: number[] | Float64Array;\n');
    expect(committed).toContain("        covariance: 'float64[36]';\n");
    expect(committed).toContain('    export interface SetBoolConstructor {\n      readonly Request: SetBool_RequestConstructor;');
    expect(committed).toContain("  'std_srvs/srv/SetBool': std_srvs.srv.SetBoolConstructor,");
  });
});

describe('vendored ROS-only definitions (src/ros2/definitions)', () => {
  const own = readInterfaces([ros2DefinitionsDir()]).messages.filter((m) => m.subfolder === 'msg');
  it.each(own.map((m) => [`${m.pkg}/msg/${m.name}`, m] as const))('%s matches ROS 2 Humble field by field', (type, m) => {
    const ref = humble[`${m.pkg}/${m.name}`];
    expect(ref, type).toBeDefined();
    const defs = rosMessageRegistry().definitionsFor(type);
    expect(fields(defs[0]!.definitions)).toEqual(fields(ref!.definitions));
  });

  it('std_srvs/srv/SetBool and action_msgs/srv/CancelGoal split into their request and response', () => {
    const set = readInterfaces([ros2DefinitionsDir()]);
    const spec = (name: string) => {
      const m = set.messages.find((x) => `${x.pkg}/${x.subfolder}/${x.name}` === name)!;
      return parseMsgSpec(m.pkg, m.text, name);
    };
    expect(spec('std_srvs/srv/SetBool_Request').fields.map((f) => `${f.type.type} ${f.name}`)).toEqual(['bool data']);
    expect(spec('std_srvs/srv/SetBool_Response').fields.map((f) => `${f.type.type} ${f.name}`)).toEqual(['bool success', 'string message']);
    const cancel = spec('action_msgs/srv/CancelGoal_Response');
    expect(cancel.constants.map((c) => `${c.name}=${c.valueText}`)).toEqual(['ERROR_NONE=0', 'ERROR_REJECTED=1', 'ERROR_UNKNOWN_GOAL_ID=2', 'ERROR_GOAL_TERMINATED=3']);
    expect(cancel.fields.map((f) => `${f.type.pkgName}/${f.type.type}${f.type.isArray ? '[]' : ''} ${f.name}`)).toEqual(['undefined/int8 return_code', 'action_msgs/GoalInfo[] goals_canceling']);
  });
});

describe('the two .msg parsers agree', () => {
  // The generator's rosidl-style parser vs @foxglove/rosmsg (used by the CDR codec and the publish checks).
  const all = readInterfaces().messages;
  it.each(all.map((m) => [`${m.pkg}/${m.subfolder}/${m.name}`, m] as const))('%s', (name, m) => {
    const spec = parseMsgSpec(m.pkg, m.text, name);
    const foxglove = parse(m.text, { ros2: true, skipTypeFixup: true })[0]!.definitions;
    expect(spec.fields.map((f) => [f.name, f.type.isArray, f.type.arraySize ?? undefined])).toEqual(
      foxglove.filter((f) => !f.isConstant).map((f) => [f.name, f.isArray === true, f.arrayLength ?? f.arrayUpperBound]),
    );
    expect(spec.constants.map((c) => c.name)).toEqual(foxglove.filter((f) => f.isConstant).map((f) => f.name));
  });
});

// ---- compile-time checks (they fail `tsc -p tsconfig.test.json`, which `npm test` runs first)

/** Every pilot message shape is assignable to the generated message type of the same name. */
type Conforms = { [K in KnownTypeName]: MessageTypeMap[K] extends RosMessage<K> ? true : K };
type AllTrue<T> = T[keyof T] extends true ? true : Exclude<T[keyof T], true>;

describe('compile-time: pilot’s shapes and the generated typings', () => {
  it('pilot’s message types are the generated message types (so publishing them type-checks)', () => {
    expectTypeOf<AllTrue<Conforms>>().toEqualTypeOf<true>();
    expectTypeOf<KnownTypeName>().toMatchTypeOf<RosMessageTypeName>();
  });

  it('the SetBool service and parameter results have the shapes the node uses', () => {
    expectTypeOf<ros.ServiceRequestMessage<'std_srvs/srv/SetBool'>>().toEqualTypeOf<ros.std_srvs.srv.SetBool_Request>();
    expectTypeOf<ros.std_srvs.srv.SetBool_Request>().toEqualTypeOf<{ data: boolean }>();
    expectTypeOf<SetParametersResult>().toEqualTypeOf<{ successful: boolean; reason: string }>();
  });

  it('the stand-in provides every member of the API at run time too', () => {
    const { api } = createStandIn();
    const keys: (keyof RclnodejsApi)[] = ['init', 'shutdown', 'isShutdown', 'removeSignalHandlers', 'QoS', 'Parameter', 'ParameterDescriptor', 'FloatingPointRange', 'IntegerRange', 'Node', 'lifecycle'];
    for (const k of keys) expect(api[k], k).toBeDefined();
    expect(Object.keys(api).sort()).toEqual([...keys].sort());
  });
});
