import { describe, expect, it } from 'vitest';
import { outOfLimitNotes } from '../../../src/data/replay/limit-notes.js';
import type { Evaluation } from '../../../src/data/replay/evaluate.js';

const evaluation = (recorded: number[][]): Evaluation => ({ names: ['steering_angle', 'speed'], recorded } as unknown as Evaluation);

describe('outOfLimitNotes', () => {
  it('counts evaluated ticks whose recorded value lies outside the config limits, per field', () => {
    const notes = outOfLimitNotes(
      evaluation([
        [0.1, -0.1, NaN, 0.2],
        [1.5, 3, NaN, -0.5],
      ]),
      { safety: { limits: { speed: [0, 2], steering_angle: [-0.4, 0.4] } } } as never,
      'model',
      'launch/drive.yaml',
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('recorded speed lies outside safety.limits.speed [0, 2] of launch/drive.yaml on 2 of 3 evaluated ticks (67 %)');
  });

  it('says nothing when the recorded commands fit, or the field has no limit in the config', () => {
    const e = evaluation([[0.1, 0.2], [1, 1.9]]);
    expect(outOfLimitNotes(e, { safety: { limits: { speed: [0, 2] } } } as never, 'm', 'c.yaml')).toEqual([]);
    expect(outOfLimitNotes(e, { safety: { limits: {} } } as never, 'm', 'c.yaml')).toEqual([]);
  });
});
