/** A model's contract read from its ONNX file's metadata, without an inference session. */
import { readModelFile } from '../../core/onnx/model-file.js';
import { readOnnxInfo } from '../../core/onnx/onnx-read.js';
import { CONTRACT_METADATA_KEY, parseContract, type ModelContract } from './contract.js';

export function readModelContract(modelPath: string): ModelContract {
  return parseContract(readOnnxInfo(readModelFile(modelPath), modelPath).metadata[CONTRACT_METADATA_KEY], modelPath);
}
