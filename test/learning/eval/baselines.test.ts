import { describe, expect, it } from 'vitest';
import {
  beatsConstantBaseline,
  compareWithBaselines,
  constantMae,
  formatComparison,
  mean,
  meanAbsError,
  parseTrainingBaselines,
  pearson,
} from '../../../src/data/replay/baselines.js';

describe('baseline statistics', () => {
  it('mean: (1 + 2 + 3 + 6) / 4 = 3; NaN for no values', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean(new Float32Array([0.5, -0.5]))).toBe(0);
    expect(mean([])).toBeNaN();
  });

  it('constantMae: |1 − 0| + |1 − 2| + |1 − 4| over 3 = 5/3; NaN for no values', () => {
    expect(constantMae(1, [0, 2, 4])).toBeCloseTo(5 / 3, 12);
    expect(constantMae(0, [-0.2, 0.2])).toBeCloseTo(0.2, 12);
    expect(constantMae(0, [])).toBeNaN();
  });

  it('meanAbsError over the shorter of the two series; NaN for none', () => {
    expect(meanAbsError([1, 2], [0, 4])).toBe(1.5);
    expect(meanAbsError([1, 2, 99], [0, 4])).toBe(1.5);
    expect(meanAbsError([], [1])).toBeNaN();
  });

  it('pearson: ±1 for linear series, 0.8 by hand, NaN for constant or too-short series', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // Deviations (−1.5, −0.5, 0.5, 1.5) and (−1.5, 0.5, −0.5, 1.5): Σab = 4, Σa² = Σb² = 5.
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([2, 2, 2], [1, 2, 3])).toBeNaN();
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(pearson([1], [1])).toBeNaN();
    expect(pearson([], [])).toBeNaN();
    // Float noise on a constant is not a signal.
    expect(pearson([0.1 * 3, 0.3, 0.30000000000000004], [1, 2, 3])).toBeNaN();
  });
});

describe('compareWithBaselines', () => {
  it('model, constant-mean and zero MAE by hand; the constant is the better baseline here', () => {
    // |errors| 0.1, 0, 0.1, 0.2 → 0.1; zero: 0, 0.2, 0.4, 0.6 → 0.3; constant 0.25: 0.25, 0.05, 0.15, 0.35 → 0.2.
    const c = compareWithBaselines('steering_angle', [0.1, 0.2, 0.3, 0.4], [0, 0.2, 0.4, 0.6], 0.25);
    expect(c.name).toBe('steering_angle');
    expect(c.n).toBe(4);
    expect(c.mae).toBeCloseTo(0.1, 12);
    expect(c.corr).toBeCloseTo(1, 12);
    expect(c.baselines.zero.mae).toBeCloseTo(0.3, 12);
    expect(c.baselines.constant_mean!.value).toBe(0.25);
    expect(c.baselines.constant_mean!.mae).toBeCloseTo(0.2, 12);
    expect(c.bestBaseline.name).toBe('constant_mean');
    expect(c.bestBaseline.mae).toBeCloseTo(0.2, 12);
    expect(c.improvement).toBeCloseTo(0.5, 12);
  });

  it('picks the zero baseline when it has the lower error', () => {
    // constant 0.5: 0.6, 0.4, 0.6, 0.4 → 0.5; zero: 0.1 each.
    const c = compareWithBaselines('steering_angle', [0, 0, 0, 0.2], [-0.1, 0.1, -0.1, 0.1], 0.5);
    expect(c.baselines.constant_mean!.mae).toBeCloseTo(0.5, 12);
    expect(c.baselines.zero.mae).toBeCloseTo(0.1, 12);
    expect(c.bestBaseline).toEqual({ name: 'zero', mae: c.baselines.zero.mae });
    // Model MAE (0.1 + 0.1 + 0.1 + 0.1) / 4 = 0.1: exactly the zero baseline, no improvement.
    expect(c.improvement).toBeCloseTo(0, 12);
  });

  it('without a (finite) training mean: no constant baseline, held to zero', () => {
    for (const missing of [undefined, NaN]) {
      const c = compareWithBaselines('speed', [1, 2], [1, 3], missing);
      expect(c.baselines.constant_mean).toBeUndefined();
      expect('constant_mean' in c.baselines).toBe(false);
      expect(c.bestBaseline).toEqual({ name: 'zero', mae: 2 });
      expect(c.improvement).toBeCloseTo(1 - 0.5 / 2, 12);
    }
  });

  it('a constant predictor has no correlation (null), and only as many ticks as both series have count', () => {
    const c = compareWithBaselines('steering_angle', [0.1, 0.1, 0.1], [0, 0.2, 0.4, 5], 0.1);
    expect(c.n).toBe(3);
    expect(c.corr).toBeNull();
    // The constant model that predicts the training mean is the constant-mean baseline.
    expect(c.mae).toBeCloseTo(c.baselines.constant_mean!.mae, 12);
    expect(c.baselines.zero.mae).toBeCloseTo(0.2, 12);
  });

  it('improvement with a perfect baseline: 0 for a perfect model, −∞ otherwise; no data: NaN errors', () => {
    expect(compareWithBaselines('x', [0, 0], [0, 0], undefined).improvement).toBe(0);
    expect(compareWithBaselines('x', [0.1, 0], [0, 0], undefined).improvement).toBe(-Infinity);
    const empty = compareWithBaselines('x', [], [], 0.1);
    expect(empty.n).toBe(0);
    expect(empty.mae).toBeNaN();
    expect(empty.baselines.zero.mae).toBeNaN();
    expect(empty.corr).toBeNull();
  });

  it('formats one line with the model, both baselines and the verdict', () => {
    const better = compareWithBaselines('steering_angle', [0.1, 0.2, 0.3, 0.4], [0, 0.2, 0.4, 0.6], 0.25);
    expect(formatComparison(better)).toBe(
      'steering_angle: model MAE 0.1000 (corr 1.00) | constant 0.2500 → MAE 0.2000 | zero MAE 0.3000 | 50 % below the best baseline (constant_mean)',
    );
    const worse = compareWithBaselines('steering_angle', [0.5, 0.5], [0, 0.2], undefined);
    expect(formatComparison(worse)).toMatch(/constant: no training mean in the model \| zero MAE 0\.1000 \| 300 % WORSE than the zero baseline$/);
  });
});

describe('beatsConstantBaseline', () => {
  const c = compareWithBaselines('steering_angle', [0.1, 0.2, 0.3, 0.4], [0, 0.2, 0.4, 0.6], 0.25);

  it('passes when the model MAE is at least the margin below the constant-mean MAE', () => {
    // Model 0.1 against constant 0.2: 50 % lower.
    const v = beatsConstantBaseline(c, 0.2);
    expect(v.pass).toBe(true);
    expect(v.limit).toBeCloseTo(0.16, 12);
    expect(v.against).toBe('constant-mean baseline');
    expect(beatsConstantBaseline(c, 0.5).pass).toBe(true);
  });

  it('fails when it is not', () => {
    const v = beatsConstantBaseline(c, 0.6);
    expect(v.pass).toBe(false);
    expect(v.limit).toBeCloseTo(0.08, 12);
  });

  it('is held to the constant-mean baseline even when zero is better', () => {
    const zeroBetter = compareWithBaselines('steering_angle', [0, 0, 0, 0.2], [-0.1, 0.1, -0.1, 0.1], 0.5);
    // Model 0.1 against constant 0.5: 80 % lower.
    expect(beatsConstantBaseline(zeroBetter, 0.2)).toEqual({ pass: true, limit: expect.closeTo(0.4, 12), against: 'constant-mean baseline' });
  });

  it('without a training mean it is held to the zero baseline and says so', () => {
    const noMean = compareWithBaselines('steering_angle', [0.1, 0.2, 0.3, 0.4], [0, 0.2, 0.4, 0.6], undefined);
    const v = beatsConstantBaseline(noMean, 0.2);
    expect(v.against).toBe('zero baseline (the model stores no training mean)');
    expect(v.limit).toBeCloseTo(0.24, 12);
    expect(v.pass).toBe(true);
    expect(beatsConstantBaseline(noMean, 0.7).pass).toBe(false);
  });

  it('an unmeasured model MAE fails', () => {
    expect(beatsConstantBaseline(compareWithBaselines('x', [], [], 0.1), 0.2).pass).toBe(false);
  });
});

describe('parseTrainingBaselines', () => {
  const good = { version: 1, train_frames: 5634, constant_mean: { steering_angle: 0.0123, speed: 1.9 } };

  it('accepts what pilot train stores; undefined when the model carries none', () => {
    expect(parseTrainingBaselines(JSON.stringify(good), 'm.onnx')).toEqual(good);
    expect(parseTrainingBaselines(undefined, 'm.onnx')).toBeUndefined();
  });

  it('rejects text that is not JSON, naming the model and the key', () => {
    expect(() => parseTrainingBaselines('{', 'models/m.onnx')).toThrow(/^E_BASELINES: models\/m\.onnx: metadata pilot\.baselines is not JSON/);
  });

  it('rejects a bad schema with E_BASELINES naming the model and the offending path', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...good, version: 2 }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: version: /],
      [{ ...good, train_frames: -1 }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: train_frames: /],
      [{ ...good, train_frames: 1.5 }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: train_frames: /],
      [{ ...good, constant_mean: { steering_angle: '0.1' } }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: constant_mean\.steering_angle: /],
      [{ version: 1, train_frames: 3 }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: constant_mean: /],
      [{ ...good, extra: true }, /E_BASELINES: m\.onnx: metadata pilot\.baselines: \(root\): .*extra/],
      [[1, 2], /E_BASELINES: m\.onnx: metadata pilot\.baselines: \(root\): /],
    ];
    for (const [value, message] of cases) expect(() => parseTrainingBaselines(JSON.stringify(value), 'm.onnx')).toThrow(message);
  });
});
