import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ros2humble } from '@foxglove/rosmsg-msgs-common';
import { describe, expect, it } from 'vitest';
import {
  KNOWN_TYPE_NAMES,
  MessageRegistry,
  SCHEMA_SEPARATOR,
  defaultDefinitionsDir,
  shortTypeName,
  splitTypeName,
  type MessageDefinitionField,
} from '../../../src/core/messages/index.js';

const registry = MessageRegistry.builtin();
const humble = ros2humble as unknown as Record<string, { definitions: MessageDefinitionField[] } | undefined>;

/** Field-by-field view: drop keys the parser leaves undefined so both sides compare on content. */
const fields = (defs: readonly MessageDefinitionField[]) =>
  defs.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));

const ACKERMANN = ['ackermann_msgs/msg/AckermannDrive', 'ackermann_msgs/msg/AckermannDriveStamped'];

describe('vendored .msg definitions', () => {
  it('are exactly the known types', () => {
    expect(registry.types()).toEqual([...KNOWN_TYPE_NAMES].sort());
  });

  it('live where the package root says', () => {
    const dir = defaultDefinitionsDir();
    expect(dir.endsWith(join('src', 'messages', 'definitions'))).toBe(true);
    expect(readFileSync(join(dir, 'std_msgs', 'msg', 'Header.msg'), 'utf8')).toContain('string frame_id');
  });

  it('only ackermann_msgs is missing from rosmsg-msgs-common ros2humble', () => {
    expect(KNOWN_TYPE_NAMES.filter((t) => !humble[shortTypeName(t)])).toEqual(ACKERMANN);
  });

  const inHumble = KNOWN_TYPE_NAMES.filter((t) => humble[shortTypeName(t)]);
  it.each(inHumble)('%s and its dependencies parse to the ros2humble definitions', (type) => {
    const defs = registry.definitionsFor(type);
    expect(defs[0]!.name).toBe(shortTypeName(type));
    for (const def of defs) {
      const ref = humble[def.name!];
      expect(ref, def.name).toBeDefined();
      expect(fields(def.definitions), def.name).toEqual(fields(ref!.definitions));
    }
  });

  // The texts themselves are Humble's: compare with the .msg files rosmsg-msgs-common ships.
  const msgdefs = join(dirname(createRequire(import.meta.url).resolve('@foxglove/rosmsg-msgs-common/package.json')), 'msgdefs', 'ros2humble');
  it.each(inHumble)('%s text is the Humble source text', (type) => {
    const { pkg, name } = splitTypeName(type);
    const shipped = readFileSync(join(msgdefs, pkg, 'msg', `${name}.msg`), 'utf8');
    // Those files are "text [\n=====\nMSG: ...]" plus one extra final newline.
    const sep = shipped.indexOf(`\n${SCHEMA_SEPARATOR}\n`);
    const upstream = sep >= 0 ? shipped.slice(0, sep) : shipped.slice(0, -1);
    expect(registry.msgText(type)).toBe(upstream);
  });

  it('AckermannDrive has the five float32 fields of ackermann_msgs', () => {
    const [root] = registry.definitionsFor('ackermann_msgs/msg/AckermannDrive');
    expect(fields(root!.definitions)).toEqual(
      ['steering_angle', 'steering_angle_velocity', 'speed', 'acceleration', 'jerk'].map((name) => ({
        name, type: 'float32', isComplex: false, isArray: false,
      })),
    );
  });

  it('AckermannDriveStamped is a Header and an AckermannDrive', () => {
    const defs = registry.definitionsFor('ackermann_msgs/AckermannDriveStamped');
    expect(fields(defs[0]!.definitions)).toEqual([
      { name: 'header', type: 'std_msgs/Header', isComplex: true, isArray: false },
      { name: 'drive', type: 'ackermann_msgs/AckermannDrive', isComplex: true, isArray: false },
    ]);
    expect(defs.map((d) => d.name)).toEqual([
      'ackermann_msgs/AckermannDriveStamped', 'ackermann_msgs/AckermannDrive', 'std_msgs/Header', 'builtin_interfaces/Time',
    ]);
  });

  it('keep the real comments and constants', () => {
    const status = registry.msgText('diagnostic_msgs/msg/DiagnosticStatus');
    expect(status).toContain('byte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n');
    expect(status).toContain('# Possible levels of operations.');
    expect(registry.msgText('ackermann_msgs/AckermannDrive')).toContain('#  $Id$');
    const [root] = registry.definitionsFor('diagnostic_msgs/msg/DiagnosticStatus');
    expect(root!.definitions.filter((f) => f.isConstant).map((f) => [f.name, f.value])).toEqual([
      ['OK', 0], ['WARN', 1], ['ERROR', 2], ['STALE', 3],
    ]);
  });
});
