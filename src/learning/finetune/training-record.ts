/**
 * What a trained model records about how it was made (ONNX metadata provenance and its model card):
 * data, stages, losses, hashes. Plain JSON.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus } from 'node:os';
import type { TrainLoss, TrainMode, TrainResult } from '../train/index.js';

export interface StageRecord {
  readonly stage: string;
  readonly mode: TrainMode;
  /** The per-element training loss (absent in records written before it was recorded: mse). */
  readonly loss?: TrainLoss;
  readonly epochsRun: number;
  readonly bestEpoch: number;
  readonly trainLoss: number;
  readonly valLoss: number | null;
  readonly trainFrames: number;
  readonly validationFrames: number;
  readonly trainRows: number;
  readonly trainableParameters: number;
  readonly durationS: number;
  readonly history: readonly { epoch: number; trainLoss: number; valLoss: number | null }[];
}

export interface DataRecord {
  readonly description: string;
  readonly trainFrames: number;
  readonly validationFrames: number;
  readonly trainEpisodes: readonly string[];
  readonly validationEpisodes: readonly string[];
  readonly sources: readonly { readonly path: string; readonly sha256?: string }[];
  /** Bags only measured (forgetting), not trained on. */
  readonly measuredOnly?: readonly string[];
  readonly targets: readonly string[];
  readonly notes: readonly string[];
}

export interface TrainingRecord {
  readonly tool: string;
  readonly command: string;
  readonly createdAt: string;
  readonly codeVersion: string;
  readonly machine: string;
  readonly seed: number;
  readonly data: DataRecord;
  readonly stages: readonly StageRecord[];
  readonly augmentation: string;
  readonly base?: { readonly path: string; readonly sha256: string; readonly kind: string };
  /** Held-out numbers in physical units (e.g. validation steering MAE, rad). */
  readonly metrics: Record<string, number>;
  readonly extra: Record<string, unknown>;
}

/** The fields every training record starts with: which tool, how it was called, when, on what. */
export function recordHeader(tool: string, command: string, seed: number): Pick<TrainingRecord, 'tool' | 'command' | 'createdAt' | 'codeVersion' | 'machine' | 'seed'> {
  return { tool, command, createdAt: new Date().toISOString(), codeVersion: codeVersion(), machine: machineName(), seed };
}

export function stageRecord(stage: string, r: TrainResult, loss?: TrainLoss): StageRecord {
  const best = r.history.find((h) => h.epoch === r.bestEpoch) ?? r.history.at(-1);
  return {
    stage,
    mode: r.mode,
    ...(loss ? { loss } : {}),
    epochsRun: r.history.length,
    bestEpoch: r.bestEpoch,
    trainLoss: best?.trainLoss ?? NaN,
    valLoss: best?.valLoss ?? null,
    trainFrames: r.trainFrames,
    validationFrames: r.validationFrames,
    trainRows: r.trainRows,
    trainableParameters: r.trainableParameters,
    durationS: (r.featureMs + r.trainMs) / 1000,
    history: r.history.map((h) => ({ epoch: h.epoch, trainLoss: h.trainLoss, valLoss: h.valLoss ?? null })),
  };
}

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `git describe` of the checkout, or `unknown` outside one. */
export function codeVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function machineName(): string {
  return `${cpus().length}× ${cpus()[0]?.model?.trim() ?? 'cpu'}, Node ${process.versions.node}`;
}
