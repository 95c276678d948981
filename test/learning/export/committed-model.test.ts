import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPilotNet } from '../../../src/learning/export/pilotnet.js';
import { modelCard, PILOTNET_TEST_CARD, PILOTNET_TEST_OPTIONS, PILOTNET_TEST_PATH, sha256 } from '../../../scripts/build-test-models.js';

// If these fail after a deliberate builder change: `npm run build && npm run models`, then commit both files.
describe('committed models/pilotnet-test.onnx', () => {
  const committed = readFileSync(PILOTNET_TEST_PATH);
  const card = readFileSync(PILOTNET_TEST_CARD, 'utf8');
  const built = buildPilotNet(PILOTNET_TEST_OPTIONS);

  it('is exactly what buildPilotNet produces with the script options', () => {
    expect(committed.length).toBe(built.bytes.length);
    expect(sha256(committed)).toBe(sha256(built.bytes));
  });

  it('matches the sha256 and parameter count in its model card', () => {
    expect(card).toContain(`sha256: \`${sha256(committed)}\``);
    expect(card).toContain(`Parameters: ${built.parameterCount.toLocaleString('en-US')}`);
    expect(card).toBe(modelCard(built, 'pilotnet-test.onnx'));
  });

  it('says it is untrained', () => {
    expect(card).toMatch(/untrained/i);
    expect(card).toMatch(/does not drive/i);
  });
});
