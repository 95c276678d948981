/**
 * What the simulator collectors (dagger.ts for the car, arm-collect.ts for the arm) share about who
 * drives: a runtime model, or the expert; with a model, the β mixture that executes the expert's
 * command instead of the policy's on a share of the steps (or of fixed-length segments).
 */
import { loadConfig } from '../../core/config/load.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';
import type { ModelContract } from '../../runtime/policy/contract.js';
import type { Policy } from '../../runtime/policy/policy-session.js';
import { readModelContract } from '../../runtime/policy/contract-file.js';
import { type ModelInputSampler } from './model-input.js';

/** DAgger: a runtime model drives; the expert takes over with probability `beta`. */
export interface ModelCollectDriver {
  kind: 'model';
  config: PilotConfig | string;
  modelPath?: string;
  /** Already created (a trainer that drives several runs per round); it stays open: the caller disposes it. */
  policy?: Policy;
  /** Probability per step that the expert's command is executed instead of the policy's. Default 0. */
  beta?: number;
}

/** The driver's β (0 for the expert), in [0, 1]; `code` is the collector's error code. */
export function mixtureBeta(driver: { kind: string; beta?: number }, code: string): number {
  const beta = driver.kind === 'model' ? (driver.beta ?? 0) : 0;
  if (!(beta >= 0 && beta <= 1)) throw new PilotError(code, `driver.beta: must be in [0, 1] (got ${beta})`);
  return beta;
}

/** A model driver's runtime config, and its model contract (the policy's, else the model file's) when asked. */
export function modelDriverSetup(d: ModelCollectDriver): { config: PilotConfig; modelPath: string; contract: () => ModelContract } {
  const config = typeof d.config === 'string' ? loadConfig(d.config) : d.config;
  const modelPath = d.modelPath ?? config.model.path;
  return { config, modelPath, contract: () => d.policy?.contract ?? readModelContract(modelPath) };
}

/**
 * The β mixture: per step, or drawn once per segment of `segmentS` seconds of sim time, the expert's
 * command runs instead of the driver's with probability β; counts the steps of each.
 */
export class BetaMixture {
  expertSteps = 0;
  driverSteps = 0;
  #segment = -1;
  #expertSegment = false;

  constructor(
    readonly beta: number,
    readonly random: () => number,
    readonly segmentS?: number,
  ) {}

  /** Whether the expert drives the step at `tMs`. */
  expertAt(tMs: number): boolean {
    let useExpert: boolean;
    if (this.segmentS === undefined) useExpert = this.random() < this.beta;
    else {
      const k = Math.floor(tMs / (this.segmentS * 1000));
      if (k !== this.#segment) {
        this.#segment = k;
        this.#expertSegment = this.random() < this.beta;
      }
      useExpert = this.#expertSegment;
    }
    if (useExpert) this.expertSteps++;
    else this.driverSteps++;
    return useExpert;
  }
}

/** A rendered frame must have the calibration's size (`calibration` names its file; `code` the collector's error). */
export function checkFrameSize(sampler: ModelInputSampler, width: number, height: number, calibration: string, code: string): void {
  if (width !== sampler.table.srcWidth || height !== sampler.table.srcHeight) {
    throw new PilotError(code, `camera frame is ${width}×${height}, the calibration ${calibration} says ${sampler.table.srcWidth}×${sampler.table.srcHeight}`);
  }
}
