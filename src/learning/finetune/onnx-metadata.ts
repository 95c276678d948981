/** Adds or replaces metadata entries of an ONNX file (e.g. the evaluation gate after export). */
import { onnx } from '../../core/onnx/onnx-proto.js';

export function withMetadata(bytes: Uint8Array, entries: Record<string, string>): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const props = (model.metadataProps ?? []).filter((p) => !(p.key! in entries));
  for (const [key, value] of Object.entries(entries)) props.push(onnx.StringStringEntryProto.create({ key, value }));
  model.metadataProps = props;
  return onnx.ModelProto.encode(model).finish();
}
