/**
 * `pilot drive --chunked` / `--policy-server`: the runtime config a drive uses with a chunked or remote
 * policy. A single-step model given with --chunked is made chunked first (its action repeated over the
 * chunk, export/chunkify.ts) into a temporary file. The inference delay becomes
 * `chunking.min_inference_ms`: in lockstep it is simulated time, so the drive stays deterministic.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLEND_MODES, type BlendMode } from '../runtime/chunking/action-queue.js';
import { loadConfig } from '../core/config/load.js';
import type { PilotConfig } from '../core/config/schema.js';
import { chunkifyModel } from '../learning/export/chunkify.js';
import { chunkOf } from '../runtime/policy/contract.js';
import { peekContract } from '../runtime/policy/create-policy.js';
import { CliError } from './args.js';
import { flag, text } from './options.js';

/** The options, checked here (with the model in hand) rather than by the parser. */
export const DRIVE_CHUNK_OPTIONS = {
  chunked: flag('--chunked', 'drive a chunked policy (a single-step model is made chunked, its action repeated)'),
  'chunk-steps': text('--chunk-steps <n>', 'actions per chunk when making a model chunked', { defaultLabel: '10' }),
  'chunk-step-ms': text('--chunk-step-ms <ms>', 'time between the actions of a chunk', { defaultLabel: 'the loop period' }),
  'inference-delay-ms': text('--inference-delay-ms <ms>', 'extra inference time, simulated in lockstep (needs a chunked model)'),
  blend: text('--blend <mode>', `how overlapping chunks combine: ${BLEND_MODES.join(', ')} (needs a chunked model)`, { defaultLabel: "the config's chunking.blend" }),
  'policy-server': text('--policy-server <endpoint>', 'infer on a policy server (pilot serve) instead of in process'),
} as const;

export interface DriveChunkValues {
  readonly chunked?: boolean | undefined;
  readonly 'chunk-steps'?: string | undefined;
  readonly 'chunk-step-ms'?: string | undefined;
  readonly 'inference-delay-ms'?: string | undefined;
  readonly blend?: string | undefined;
  readonly 'policy-server'?: string | undefined;
}

/** Whether any of the flags was given. */
export function wantsChunking(v: DriveChunkValues): boolean {
  return Object.keys(DRIVE_CHUNK_OPTIONS).some((k) => v[k as keyof DriveChunkValues] !== undefined && v[k as keyof DriveChunkValues] !== false);
}

/** A simulated run's driver as `pilot drive` and `pilot arm` take it: the expert, or a model with its runtime config. */
type ExpertOrModel = { readonly kind: 'expert' } | { readonly kind: 'model'; readonly config: PilotConfig | string; readonly modelPath?: string };

/**
 * `driver` with the chunking / policy-server flags applied (unchanged when none was given). The expert
 * takes none of them; `note` gets applyDriveChunking's note (e.g. a model made chunked).
 */
export function withDriveChunking<D extends ExpertOrModel>(driver: D, v: DriveChunkValues & { readonly realtime?: boolean }, note: (line: string) => void): D {
  const chunking: DriveChunkValues = { ...v, chunked: v.chunked || undefined };
  if (!wantsChunking(chunking)) return driver;
  if (driver.kind !== 'model') throw new CliError('--chunked, --inference-delay-ms, --blend and --policy-server apply to a model, not the expert');
  const model = driver as D & { readonly kind: 'model'; readonly config: PilotConfig | string; readonly modelPath?: string };
  const applied = applyDriveChunking(model.config, model.modelPath, chunking, !v.realtime);
  if (applied.note) note(applied.note);
  return { ...model, config: applied.config, ...(applied.modelPath ? { modelPath: applied.modelPath } : {}) };
}

/**
 * The config with the flags applied, and the model path to use. `lockstep`: a chunked model always gets
 * min_inference_ms (0 without a delay: its chunk is waited for in the tick that asked, as a plain loop does).
 */
export function applyDriveChunking(config: PilotConfig | string, modelPath: string | undefined, v: DriveChunkValues, lockstep: boolean): { config: PilotConfig; modelPath?: string; note?: string } {
  let c = typeof config === 'string' ? loadConfig(config) : config;
  if (v['policy-server']) {
    // The endpoint from the flag; the rest (allow_remote among it) from the config's policy_server, if any.
    c = { ...c, policy_server: { timeout_ms: 1000, connect_timeout_ms: 10_000, allow_remote: false, ...c.policy_server, endpoint: v['policy-server'] } };
  }
  const path = modelPath ?? c.model.path;
  const contract = peekContract(path);
  let out = path;
  let note: string | undefined;
  const periodMs = 1000 / c.loop.rate_hz;
  if (v.chunked && contract && !chunkOf(contract)) {
    const steps = whole(v['chunk-steps'], '--chunk-steps', 10);
    const stepMs = number(v['chunk-step-ms'], '--chunk-step-ms', periodMs);
    const bytes = readFileSync(path);
    const { bytes: chunked, contract: cc } = chunkifyModel(bytes, path, { steps, stepMs });
    const dir = join(tmpdir(), `pilot-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    out = join(dir, `${cc.id}-${createHash('sha256').update(chunked).digest('hex').slice(0, 12)}.onnx`);
    writeFileSync(out, chunked);
    note = `pilot: --chunked: ${path} made chunked (${steps} × ${stepMs} ms, its action repeated) into ${out}`;
  } else if (v.chunked && contract && (v['chunk-steps'] || v['chunk-step-ms'])) {
    throw new CliError(`--chunk-steps/--chunk-step-ms apply to a single-step model; ${path} is chunked already`);
  }
  const chunked = v.chunked || (contract !== undefined && chunkOf(contract) !== undefined);
  if (!chunked) {
    if (v['inference-delay-ms'] !== undefined || v.blend !== undefined) throw new CliError('--inference-delay-ms and --blend need a chunked model (--chunked)');
    return { config: c, ...(modelPath ? { modelPath } : {}) };
  }
  const delayMs = v['inference-delay-ms'] === undefined ? undefined : number(v['inference-delay-ms'], '--inference-delay-ms', 0, true);
  const blend = v.blend === undefined ? (out !== path ? 'latest' : c.chunking.blend) : blendMode(v.blend);
  const horizonMs = out !== path ? whole(v['chunk-steps'], '--chunk-steps', 10) * number(v['chunk-step-ms'], '--chunk-step-ms', periodMs) : undefined;
  c = {
    ...c,
    chunking: {
      ...c.chunking,
      enabled: true,
      blend,
      // A repeated action gains nothing from waiting: infer again as soon as the last one is back.
      ...(horizonMs !== undefined && c.chunking.refill_below_ms === undefined ? { refill_below_ms: horizonMs - periodMs / 2 } : {}),
      ...(delayMs !== undefined || lockstep ? { min_inference_ms: delayMs ?? 0 } : {}),
    },
  };
  return { config: c, modelPath: out, ...(note ? { note } : {}) };
}

function whole(value: string | undefined, flag: string, fallback: number): number {
  const n = number(value, flag, fallback);
  if (!Number.isInteger(n)) throw new CliError(`${flag} must be a whole number (got '${value}')`);
  return n;
}

function number(value: string | undefined, flag: string, fallback: number, zeroOk = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new CliError(`${flag} must be a ${zeroOk ? 'number ≥ 0' : 'positive number'} (got '${value}')`);
  return n;
}

function blendMode(value: string): BlendMode {
  if (!(BLEND_MODES as readonly string[]).includes(value)) throw new CliError(`--blend must be one of ${BLEND_MODES.join(', ')}, got '${value}'`);
  return value as BlendMode;
}
