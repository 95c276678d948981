import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBag } from '../../../src/data/bags/node-io.js';

describe('a record that claims more bytes than the file has', () => {
  it('is reported as a truncated file, not a multi-gigabyte allocation that aborts the process', async () => {
    // MCAP magic, a header record claiming 0x80000000 bytes, 16 zero bytes, magic again: 41 bytes.
    const magic = Buffer.from('894d434150300d0a', 'hex');
    const bytes = Buffer.concat([magic, Buffer.from('010000008000000000', 'hex'), Buffer.alloc(16), magic]);
    expect(bytes.length).toBe(41);
    const dir = mkdtempSync(join(tmpdir(), 'pilot-claimed-length-'));
    writeFileSync(join(dir, 'x.mcap'), bytes);
    const reader = await openBag(join(dir, 'x.mcap'));
    try {
      expect(reader.files[0]!.problems.map((p) => p.code)).toEqual(['E_BAG_TRUNCATED']);
      expect(reader.files[0]!.problems[0]!.message).toMatch(/needs 2147483657 bytes, 33 are left/);
    } finally {
      await reader.close();
    }
  });
});
