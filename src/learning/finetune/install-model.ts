/**
 * The last step of `pilot pretrain` and `pilot train`: a trained model goes to a temporary file beside
 * its destination, a policy is loaded by the runtime's own loader (contract check included), and only
 * then is it moved into place, with its model card beside it. A model that would fail the runtime is
 * never written; a crash leaves the previous model intact.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PilotConfig } from '../../core/config/schema.js';
import { PolicySession } from '../../runtime/policy/policy-session.js';
import { renderModelCard, type ModelCard } from './model-card.js';
import { sha256Bytes } from './training-record.js';

export interface InstalledModel {
  readonly sha256: string;
  /** Path of the model card written beside the model. */
  readonly card: string;
}

export async function installModel(
  bytes: Uint8Array,
  out: string,
  card: Omit<ModelCard, 'file' | 'bytes' | 'sha256'>,
  options: { readonly verifyWithRuntime: boolean },
): Promise<InstalledModel> {
  mkdirSync(dirname(out) || '.', { recursive: true });
  // Beside the destination, so the rename stays on one file system.
  const tmp = `${out}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  try {
    if (options.verifyWithRuntime) {
      const check = await PolicySession.create({ model: PilotConfig.shape.model.parse({ path: tmp, warmup_runs: 1 }), log: () => {} });
      await check.dispose();
    }
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const sha256 = sha256Bytes(bytes);
  const cardPath = out.replace(/\.onnx$/i, '') + '.md';
  writeFileSync(cardPath, renderModelCard({ ...card, file: basename(out), bytes: bytes.length, sha256 }));
  return { sha256, card: cardPath };
}
