/**
 * onnx-proto is CommonJS (`module.exports = { onnx }`): Node's ESM loader exposes it only as a default
 * export, so named imports fail at run time. Every module here imports `onnx` from this file instead.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
// Re-export the namespace's types under the same name as the value.
export type { onnx as OnnxTypes } from 'onnx-proto';
