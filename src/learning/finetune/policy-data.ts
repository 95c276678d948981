/**
 * `pilot train`'s data: bags → frames at the network's input → honest time-ordered splits (train,
 * validation, held out, per bag with gaps; see dataset/time-split.ts), plus the earlier bags rehearsed
 * for continual learning, split the same way so forgetting is measured on frames never trained on.
 */
import { concatDatasets, type ImageDataset } from '../dataset/dataset.js';
import { datasetFromBags, formatDatasetReport, type DatasetTargetSpec } from '../dataset/from-bags.js';
import { splitByTime } from '../dataset/time-split.js';
import { chunkReachMs } from '../dataset/chunk-labels.js';
import type { ChunkSpec } from '../export/chunk-fields.js';

export interface PolicyDataOptions {
  readonly data: readonly string[];
  readonly rehearse?: readonly string[];
  /** Earlier bags only measured (their held-out block), not trained on: forgetting without rehearsal. */
  readonly earlier?: readonly string[];
  readonly spec: DatasetTargetSpec;
  readonly validationFraction: number;
  readonly holdoutFraction: number;
  readonly gapFrames: number;
  readonly latencyMs?: number;
  readonly cameraTopic?: string;
  readonly commandTopic?: string;
  readonly wheelbaseM: number;
  /** Chunk labels: the commands at the frame's time + latency + i·step_ms (chunk-labels.ts). */
  readonly chunk?: ChunkSpec;
  readonly log: (line: string) => void;
}

export interface PolicyData {
  readonly train: ImageDataset | undefined;
  readonly validation: ImageDataset | undefined;
  /** The last `holdoutFraction` of each --data bag: never trained on, never used to pick an epoch. */
  readonly holdout: ImageDataset | undefined;
  /** Rehearsed bags' held-out frames (their validation frames without --holdout): the forgetting set. */
  readonly earlier: ImageDataset | undefined;
  readonly notes: string[];
}

export async function readPolicyData(o: PolicyDataOptions): Promise<PolicyData> {
  const read = async (bags: readonly string[], what: string): Promise<ImageDataset> => {
    const { dataset, report } = await datasetFromBags([...bags], {
      spec: o.spec,
      ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
      ...(o.cameraTopic ? { cameraTopic: o.cameraTopic } : {}),
      ...(o.commandTopic ? { commandTopic: o.commandTopic } : {}),
      wheelbaseM: o.wheelbaseM,
      ...(o.chunk ? { chunk: o.chunk } : {}),
    });
    o.log(`train: ${what}:\n${formatDatasetReport(report)}`);
    return dataset;
  };
  // The gap covers the label's latency shift and chunk horizon too (frames are ~50 ms apart in these logs).
  const reachMs = Math.max(Math.abs(o.latencyMs ?? 0), chunkReachMs(o.latencyMs ?? 0, o.chunk));
  const gapFrames = Math.max(o.gapFrames, reachMs ? Math.ceil(reachMs / 50) + 1 : 0);
  const split = (ds: ImageDataset) => splitByTime(ds, { validationFraction: o.validationFraction, holdoutFraction: o.holdoutFraction, gapFrames });
  const notes: string[] = [];
  let train: ImageDataset | undefined, validation: ImageDataset | undefined, holdout: ImageDataset | undefined, earlier: ImageDataset | undefined;
  if (o.data.length > 0) {
    const s = split(await read(o.data, 'data'));
    notes.push(`Split: ${s.note}`);
    ({ train, validation } = s);
    if (s.holdout.count > 0) holdout = s.holdout;
  }
  if (o.rehearse && o.rehearse.length > 0) {
    const s = split(await read(o.rehearse, 'rehearsal (earlier data)'));
    earlier = s.holdout.count > 0 ? s.holdout : s.validation;
    train = train ? concatDatasets([train, s.train]) : s.train;
    notes.push(`Rehearsal: ${s.train.count} earlier frames mixed into training (${o.rehearse.join(', ')}); forgetting measured on their ${earlier.count} ${s.holdout.count > 0 ? 'held-out' : 'validation'} frames.`);
  }
  if (!earlier && o.earlier && o.earlier.length > 0) {
    const s = split(await read(o.earlier, 'earlier data (measured, not trained on)'));
    earlier = s.holdout.count > 0 ? s.holdout : s.validation;
    notes.push(`Forgetting measured on ${earlier.count} ${s.holdout.count > 0 ? 'held-out' : 'validation'} frames of ${o.earlier.join(', ')} (not trained on).`);
  }
  return { train, validation, holdout, earlier, notes };
}
