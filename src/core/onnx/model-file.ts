/** Reading an ONNX model file, with the one error every command gives for a file it cannot read. */
import { readFileSync } from 'node:fs';
import { PilotError } from '../util/errors.js';
import { fileProblem } from '../util/file-problem.js';

/** The file's bytes; `E_MODEL_FILE` naming the path and what was wrong (`ENOENT (file not found)`). */
export function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${path}: ${fileProblem(err)}`);
  }
}
