/**
 * The training-set means a model stores for its baselines (ONNX metadata `pilot.baselines`, written
 * by `pilot train`), read the way `pilot eval` reads model metadata.
 */
import { readFileSync } from 'node:fs';
import { BASELINES_METADATA_KEY, parseTrainingBaselines, type TrainingBaselines } from '../eval/baselines.js';
import { readOnnxInfo } from '../export/onnx-read.js';
import { PilotError } from '../util/errors.js';

/** The model's stored baselines; undefined when it carries none (a model trained before they were stored). */
export function readModelBaselines(modelPath: string): TrainingBaselines | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(modelPath);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${modelPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTrainingBaselines(readOnnxInfo(bytes, modelPath).metadata[BASELINES_METADATA_KEY], modelPath);
}
