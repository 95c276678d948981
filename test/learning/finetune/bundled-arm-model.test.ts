import { describe, expect, it } from 'vitest';
import { runArmSession } from '../../../sim/arm/arm-session.js';
import { loadArmDescription } from '../../../src/core/kinematics/index.js';
import { checkArmContract } from '../../../src/learning/finetune/arm-setup.js';
import { readModelContract } from '../../../src/runtime/policy/contract-file.js';

describe('the bundled arm policy', () => {
  it('fits the arm it ships with', () => {
    const contract = readModelContract('models/pilot-arm.onnx');
    expect(contract.id).toBe('pilot-arm');
    expect(() => checkArmContract(contract, loadArmDescription('calibration/arm.yaml'), 'models/pilot-arm.onnx')).not.toThrow();
  });

  it('reaches the cube in unseen placements through the real runtime and safety layer', async () => {
    const { summary } = await runArmSession({ task: 'reach', episodes: 12, seed: 5, split: 'unseen', driver: { kind: 'model', config: 'launch/arm.yaml' } });
    // 96 % over 100 episodes (README); 12 episodes leave room for two misses.
    expect(summary.episodes).toBe(12);
    expect(summary.successes).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
