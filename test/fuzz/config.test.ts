/**
 * Fuzz: the runtime config from outside (`--config <yaml>`): loadConfig on files holding random text,
 * YAML made of YAML's own syntax (anchors, aliases, tags, merges, flow and block collections),
 * mutated real configs, and random objects over the config's keys (also straight into parseConfig).
 * Every one loads, or throws PilotError E_CONFIG naming the file.
 *
 * An alias that makes a cycle (`model: &m {path: *m}`) once threw a TypeError from JSON.stringify in
 * describeIssue instead of E_CONFIG; the last test pins the fix.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../src/core/config/load.js';
import { expectTyped, fuzzParams, mutatedFrom, Outcomes } from './fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'pilot-fuzz-config-'));
const path = join(dir, 'pilot.yaml');
const outcomes = new Outcomes();
// The yaml library reports unresolved tags and the like as process warnings: thousands of lines here.
beforeAll(() => void vi.spyOn(process, 'emitWarning').mockImplementation(() => {}));
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  console.info(outcomes.summary('config YAML (loadConfig, parseConfig)'));
});

/** loadConfig on `text`: it loads or throws E_CONFIG. */
function load(text: string): void {
  writeFileSync(path, text);
  expectTyped(outcomes, () => loadConfig(path, dir));
}

const YAML_TOKENS = [
  'model', 'path', 'providers', 'loop', 'rate_hz', 'safety', 'limits', 'speed', 'inputs', 'camera', 'arm', 'x',
  ': ', ':', '- ', '\n', '\n  ', '\n    ', '  ', '{', '}', '[', ']', ', ', '&a ', '*a', '&b ', '*b', '<<: ', '? ',
  '|\n  ', '>\n  ', '"', "'", '#', '!!str ', '!!int ', '!!float ', '!!map ', '!!seq ', '!!binary ', '!!set ', '!custom ',
  '%YAML 1.2\n---\n', '---\n', '...\n', '~', 'null', 'true', '0x1F', '0o17', '1e309', '-.inf', '.nan', '-0', '12345678901234567890',
  '\t', '\\u0000', '\u0000', '\uFEFF', 'é', '/camera/image_raw', 'models/pilot-drive.onnx', '[0, 2]', '{}', '[]',
];

const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.double(),
  fc.string({ maxLength: 24 }),
  fc.constantFrom('cpu', 'cuda', 'worker', 'main', 'timer', 'camera', 'zeromq', 'inprocess', 'ros2', 'hold', 'stop', 'ackermann', 'twist', '/cmd', '', 'models/pilot-drive.onnx'),
);
const SECTIONS: Readonly<Record<string, readonly string[]>> = {
  model: ['path', 'providers', 'intra_op_threads', 'inference_thread', 'warmup_runs', 'require_eval', 'allow_nonfinite', 'device_outputs', 'ort_log_level', 'cuda', 'tensorrt'],
  transport: ['kind', 'ipc_dir', 'endpoints'],
  calibration: ['camera', 'vehicle'],
  loop: ['rate_hz', 'deadline_ms', 'trigger'],
  inputs: ['camera', 'state'],
  outputs: ['command', 'diagnostics', 'timeline', 'frame_id'],
  safety: ['estop_topic', 'limits', 'max_rate', 'on_deadline_miss', 'max_consecutive_misses', 'stop'],
  arm: ['description', 'joint_states', 'workspace_check'],
  ros2: ['remap', 'namespaced_topics', 'camera_mount', 'publish_tf', 'camera_info_topic', 'estop_service'],
};
const section = (keys: readonly string[]) =>
  fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), fc.oneof(leaf, fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 3 })), { maxKeys: 6 });
const configObject = fc.record(Object.fromEntries(Object.entries(SECTIONS).map(([k, keys]) => [k, section(keys)])), { requiredKeys: [] });

const seeds = ['launch/drive.yaml', 'launch/pilot.yaml', 'launch/arm.yaml'].map((p) => Uint8Array.from(readFileSync(p)));
const text = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...YAML_TOKENS), { maxLength: 60 }).map((t) => t.join('')) },
  { weight: 2, arbitrary: mutatedFrom(seeds, 4).map((b) => new TextDecoder().decode(b)) },
  { weight: 2, arbitrary: configObject.map((o) => stringify(o)) },
);

describe('fuzz: config YAML', () => {
  it('every text loads or throws E_CONFIG', () => {
    fc.assert(fc.property(text, load), fuzzParams(800));
    expect([...outcomes.errors.keys()]).toEqual(['E_CONFIG']);
  });

  it('every object over the config keys parses or throws E_CONFIG', () => {
    fc.assert(
      fc.property(configObject, (o) => expectTyped(outcomes, () => parseConfig(o, 'fuzz', dir))),
      fuzzParams(1000),
    );
    expect([...outcomes.errors.keys()]).toEqual(['E_CONFIG']);
  });

  it('an alias bomb is refused with E_CONFIG, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');
    writeFileSync(path, bomb);
    expect(() => loadConfig(path, dir)).toThrow(/^E_CONFIG: .*pilot\.yaml: not valid YAML: .*alias/i);
  });

  it('an alias cycle is E_CONFIG naming the file, not a TypeError', () => {
    writeFileSync(path, 'model: &m\n  path: *m\n');
    expect(() => loadConfig(path, dir)).toThrow(/^E_CONFIG: /);
  });
});
