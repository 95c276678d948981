/**
 * Committed bags under test/fixtures/bags/: their bytes stay fixed when the writer changes, so the
 * readers keep reading what earlier versions (and rosbag2's layouts) wrote. See fixture-content.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBag } from '../../../src/data/bags/index.js';
import { content, FIXTURE_DIR as DIR } from './fixture-content.js';
import { collect, CUSTOM_TYPE } from './helpers.js';

describe('committed fixture bags', () => {
  it('are small', () => {
    let total = 0;
    for (const d of readdirSync(DIR)) for (const f of readdirSync(join(DIR, d))) total += statSync(join(DIR, d, f)).size;
    expect(total).toBeLessThan(200 * 1024);
  });

  for (const [name, fromBag] of [
    ['mcap_zstd', true],
    ['jazzy_db3', true],
    ['humble_db3', false],
  ] as const) {
    it(`${name} reads and decodes to the recorded values`, async () => {
      expect(existsSync(join(DIR, name, 'metadata.yaml'))).toBe(true);
      // The Humble db3 has no definitions: its known types decode with pilot's, the custom one not.
      const reader = await openBag(join(DIR, name), fromBag ? { registry: null } : {});
      const expected = content().filter((m) => fromBag || m.type !== CUSTOM_TYPE);
      const errors: unknown[] = [];
      const got = await collect(reader.decoded({ onError: (e) => errors.push(e) }));
      expect(got.map((m) => [m.topic, m.logTimeNs])).toEqual(expected.map((m) => [m.topic, m.t]));
      got.forEach((m, i) => expect(m.message).toEqual(expected[i]!.message));
      expect(errors.length).toBe(fromBag ? 0 : 10);
      const info = reader.info();
      expect(info.messageCount).toBe(25);
      expect(info.files.length).toBe(name === 'mcap_zstd' ? 2 : 1);
      expect(reader.warnings.length).toBe(fromBag ? 0 : 1);
      await reader.close();
    });
  }
});
