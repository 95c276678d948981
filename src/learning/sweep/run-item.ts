/**
 * Runs one work item through the one-machine code paths (`runDriveSession` as `pilot drive` and
 * `pilot eval` do, `runReplay` as `pilot replay` does) and writes its result and timing files.
 * A failure of the item itself (a bag that cannot be read, a model that does not load) becomes an
 * error result naming it; the shard goes on with the next item.
 */
import { loadSimConfig, type SimConfig } from '../../../sim/index.js';
import { runDriveSession, type DriveSessionOptions } from '../../../sim/index.js';
import { serializeDriveResult } from '../../../sim/index.js';
import { openBag } from '../../data/bags/node-io.js';
import { loadConfig } from '../../core/config/load.js';
import type { PilotConfig } from '../../core/config/schema.js';
import { runReplay } from '../../data/replay/replay-session.js';
import { replayJson } from '../../data/replay/report-json.js';
import { PilotError } from '../../core/util/errors.js';
import { bagVerdict, driveVerdict, type ItemCheck } from './item-verdict.js';
import type { BagItem, DriveItem, PlannedItem } from './plan.js';
import { itemPath, timingPath, writeAtomic } from './results-dir.js';
import type { Sweep, SweepModel } from './sweep-file.js';
import { splitDriveResult, splitReplayJson, type ItemTiming } from './wall-clock.js';

/** The `sweep` key of an item's result file. */
export interface ItemEnvelope {
  readonly id: string;
  readonly kind: 'drive' | 'bag';
  readonly digest: string;
  readonly status: 'ok' | 'error';
  readonly pass: boolean;
  readonly checks: readonly ItemCheck[];
  readonly summary: unknown;
  /** status error: what went wrong. */
  readonly error?: string;
}

export interface ItemOutcome {
  readonly id: string;
  readonly status: 'ok' | 'error';
  readonly pass: boolean;
  readonly wallS: number;
  readonly error?: string;
}

/** Settings loaded once per process and shared by its items. */
export class ItemContext {
  #sim: SimConfig | undefined;
  #runtime: PilotConfig | undefined;

  constructor(
    readonly sweep: Sweep,
    readonly out: string,
    readonly log: (line: string) => void,
  ) {}

  get sim(): SimConfig {
    return (this.#sim ??= loadSimConfig(this.sweep.simConfig));
  }

  /** The runtime config of the model runs, with the sweep's providers; its model.path is set per model. */
  runtime(model: SweepModel): PilotConfig {
    const base = (this.#runtime ??= loadConfig(this.sweep.config));
    const providers = this.sweep.providers ? [...this.sweep.providers] : base.model.providers;
    return { ...base, model: { ...base.model, path: model.path!, providers, require_eval: false } };
  }

  model(name: string): SweepModel {
    const m = this.sweep.models.find((x) => x.name === name);
    if (!m) throw new PilotError('E_SWEEP', `${this.sweep.source}: no model named ${name}`);
    return m;
  }
}

/** Runs the item, writes its files, and says how it went. Never throws for a failure of the item itself. */
export async function runItem(ctx: ItemContext, planned: PlannedItem, signal?: AbortSignal): Promise<ItemOutcome> {
  const { item, digest } = planned;
  const started = performance.now();
  try {
    const done = item.kind === 'drive' ? await runDrive(ctx, item, digest, signal) : await runBag(ctx, item, digest, signal);
    writeAtomic(itemPath(ctx.out, item.id), done.text);
    writeAtomic(timingPath(ctx.out, item.id), `${JSON.stringify(done.timing, null, 2)}\n`);
    return { id: item.id, status: 'ok', pass: done.pass, wallS: (performance.now() - started) / 1000 };
  } catch (err) {
    if (signal?.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const envelope: ItemEnvelope = { id: item.id, kind: item.kind, digest, status: 'error', pass: false, checks: [], summary: null, error: message };
    writeAtomic(itemPath(ctx.out, item.id), `${JSON.stringify({ sweep: envelope }, null, 2)}\n`);
    return { id: item.id, status: 'error', pass: false, wallS: (performance.now() - started) / 1000, error: message };
  }
}

interface Done {
  readonly text: string;
  readonly timing: ItemTiming;
  readonly pass: boolean;
}

async function runDrive(ctx: ItemContext, item: DriveItem, digest: string, signal?: AbortSignal): Promise<Done> {
  const d = ctx.sweep.drives!;
  const model = ctx.model(item.model);
  const profile = d.faults[item.fault];
  const driver: DriveSessionOptions['driver'] = model.kind === 'expert' ? { kind: 'expert' } : { kind: 'model', config: ctx.runtime(model), modelPath: model.path! };
  const result = await runDriveSession({
    track: item.track,
    laps: d.laps,
    driver,
    sim: profile ? { ...ctx.sim, faults: profile } : ctx.sim,
    seed: item.seed,
    randomize: item.level,
    mode: 'lockstep',
    transport: ctx.sweep.transport,
    ...(d.maxTimeS ? { maxSimTimeS: d.maxTimeS } : {}),
    ...(signal ? { signal } : {}),
    log: (line) => ctx.log(`${item.id}: ${line}`),
  });
  if (result.endReason === 'interrupted') throw new PilotError('E_SWEEP_INTERRUPTED', `${item.id}: interrupted`);
  const { result: kept, timing } = splitDriveResult(item.id, result);
  const verdict = driveVerdict(result, ctx.sweep.gate.drive);
  const envelope: ItemEnvelope = { id: item.id, kind: 'drive', digest, status: 'ok', pass: verdict.pass, checks: verdict.checks, summary: verdict.summary };
  // The drive JSON as `pilot drive` writes it, with the envelope as one more top-level key.
  return { text: serializeDriveResult({ ...kept, sweep: envelope } as typeof kept), timing, pass: verdict.pass };
}

async function runBag(ctx: ItemContext, item: BagItem, digest: string, signal?: AbortSignal): Promise<Done> {
  const model = ctx.model(item.model);
  const config = ctx.runtime(model);
  const reader = await openBag(item.path, { warn: (m) => ctx.log(`${item.id}: warning: ${m}`) });
  let result;
  try {
    result = await runReplay({ reader, models: [{ label: model.name, config }], mode: 'fast', ...(signal ? { signal } : {}), log: (line) => ctx.log(`${item.id}: ${line}`) });
  } finally {
    await reader.close();
  }
  if (result.interrupted) throw new PilotError('E_SWEEP_INTERRUPTED', `${item.id}: interrupted`);
  const run = result.runs[0]!;
  if (!run.evaluation) throw new PilotError('E_SWEEP_BAG', `${item.path}: no recorded commands on ${config.outputs.command.topic} to compare with`);
  const { result: kept, timing } = splitReplayJson(item.id, replayJson(result) as Record<string, unknown>);
  const verdict = bagVerdict(run, ctx.sweep.gate.bags);
  const envelope: ItemEnvelope = { id: item.id, kind: 'bag', digest, status: 'ok', pass: verdict.pass, checks: verdict.checks, summary: verdict.summary };
  return { text: `${JSON.stringify(jsonSafe({ ...kept, sweep: envelope }), null, 2)}\n`, timing, pass: verdict.pass };
}

/** Non-finite numbers as null, as the replay JSON writes them. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}
