/**
 * DAgger for the arm: the policy runs reach episodes on training placements (the expert's goal is
 * executed instead with probability β, halving each round), the expert labels every frame the policy
 * saw with its goal, the frames are aggregated, and the policy is retrained on the demonstrations plus
 * everything aggregated so far. The cure for behaviour cloning's drift: states the expert never
 * visits (the arm off its path, the hand over the cube) get labels too.
 */
import { collectArmEpisodes, type ArmDataset } from '../sim-data/arm-collect.js';
import { concatDatasets } from '../dataset/dataset.js';
import type { ArmDescription } from '../../core/kinematics/index.js';
import type { TrainProgress } from '../train/index.js';
import { runTrainArmPolicy, type TrainArmPolicySummary } from './train-arm-policy.js';

export interface ArmDaggerOptions {
  /** The policy to improve; overwritten by each round's retrained policy. */
  readonly policy: string;
  readonly arm: string | ArmDescription;
  /** Demonstration bags, kept in every round's training set. */
  readonly data: readonly string[];
  readonly rounds: number;
  readonly episodes: number;
  readonly beta: number;
  readonly epochs: number;
  readonly seed: number;
  readonly runtimeConfig?: string;
  readonly randomize?: number;
  readonly command: string;
  readonly log?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress, stage: string) => void;
  readonly signal?: AbortSignal;
}

export async function runArmDagger(o: ArmDaggerOptions): Promise<TrainArmPolicySummary | undefined> {
  const log = o.log ?? (() => {});
  let aggregated: ArmDataset | undefined;
  let summary: TrainArmPolicySummary | undefined;
  for (let round = 1; round <= o.rounds; round++) {
    const beta = o.beta * 0.5 ** (round - 1);
    const c = await collectArmEpisodes({
      task: 'reach',
      episodes: o.episodes,
      // Training placements only, and other seeds than the demonstrations.
      seed: 100_000 + o.seed * 10_000 + round * 1_000,
      split: 'train',
      driver: { kind: 'model', config: o.runtimeConfig ?? 'launch/arm.yaml', modelPath: o.policy, beta },
      randomize: o.randomize ?? 0.5,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    log(`train: arm DAgger round ${round} (β ${beta.toFixed(2)}): policy succeeded in ${c.run.summary.successes}/${c.run.summary.episodes} episodes; ${c.dataset.count} frames labelled with the expert's goal`);
    aggregated = aggregated ? (concatDatasets([aggregated, c.dataset]) as ArmDataset) : c.dataset;
    summary = await runTrainArmPolicy({
      out: o.policy,
      arm: o.arm,
      base: o.policy,
      mode: 'full',
      data: o.data,
      dataset: aggregated,
      epochs: o.epochs,
      seed: o.seed + round,
      command: `${o.command} (DAgger round ${round})`,
      log,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }
  return summary;
}
