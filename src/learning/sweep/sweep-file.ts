/**
 * The sweep description (`pilot sweep`): which models drive which tracks with which seeds,
 * randomisation levels and fault profiles, which bags they replay, and the bars each run is held to.
 * YAML, snake_case like the other config files; every error names the file and the key.
 *
 * ```yaml
 * version: 1
 * name: nightly                      # names the Kubernetes Jobs: a-z, 0-9, -
 * config: launch/drive.yaml          # runtime config of the model drives and replays (default)
 * models: [expert, models/pilot-drive.onnx]
 * drives: { tracks: [lake], seeds: { from: 1, count: 100 }, levels: [0, 0.7], laps: 1 }
 * bags: { paths: [runs/heldout/lake], prefix: /data/bags }
 * gate: { drive: { max_mean_cte_m: 0.25 }, bags: { max_mae: { steering_angle: 0.08 } } }
 * ```
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssue } from '../../core/config/load.js';
import { PROVIDER_NAMES, type ProviderName } from '../../core/config/schema.js';
import { PilotError } from '../../core/util/errors.js';

/** A name that becomes one part of a work-item id (and of a file path): no slashes, no spaces. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const label = z.string().regex(LABEL, 'expected letters, digits, _ . - (it is part of work-item ids and file names)');
const count = z.number().int().min(0);

const ModelEntry = z.union([z.string().min(1), z.object({ name: label, path: z.string().min(1) }).strict()]);

const DrivesSchema = z
  .object({
    /** Names of the models that drive (default all). */
    models: z.array(label).min(1).optional(),
    tracks: z.array(label).min(1),
    seeds: z.union([z.array(count).min(1), z.object({ from: count, count: z.number().int().min(1) }).strict()]).default([1]),
    /** Domain randomisation strengths. */
    levels: z.array(z.number().min(0).max(1)).min(1).default([0]),
    /** Profile name → the simulator config's `faults:` section for it; null keeps the simulator config's own. */
    faults: z.record(label, z.record(z.string(), z.unknown()).nullable()).default({ none: null }),
    laps: z.number().int().min(1).default(1),
    /** Sim-time limit of one drive (default: 4 min per lap, as `pilot drive`). */
    max_time_s: z.number().positive().optional(),
  })
  .strict();

const BagsSchema = z
  .object({
    /** Names of the models that replay the bags (default every ONNX model). */
    models: z.array(label).min(1).optional(),
    paths: z.array(z.string().min(1)).default([]),
    /** Every bag directly under this folder (a mounted volume or object-store bucket). */
    prefix: z.string().min(1).optional(),
  })
  .strict();

const GateSchema = z
  .object({
    drive: z
      .object({
        /** Default: every lap asked for. */
        min_laps: z.number().int().min(0).optional(),
        max_mean_cte_m: z.number().positive().default(0.25),
        max_interventions: count.default(0),
        max_collisions: count.default(0),
      })
      .strict()
      .prefault({}),
    bags: z
      .object({
        max_mae: z.record(z.string(), z.number().positive()).default({ steering_angle: 0.08 }),
        min_improvement_over_constant: z.number().min(0).lt(1).default(0.2),
        min_frames_fraction: z.number().min(0).max(1).default(0.9),
      })
      .strict()
      .prefault({}),
    /** A group (model × track × level × fault, or model × bags) passes when this share of its runs pass. */
    min_pass_rate: z.number().min(0).max(1).default(1),
  })
  .strict();

const SweepSchema = z
  .object({
    version: z.literal(1),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, 'expected 1–40 characters a-z, 0-9 and - (it names the Kubernetes Jobs)'),
    config: z.string().min(1).default('launch/drive.yaml'),
    sim_config: z.string().min(1).optional(),
    /** Execution providers of the models (replaces the runtime config's model.providers). */
    providers: z.array(z.enum(PROVIDER_NAMES)).min(1).optional(),
    transport: z.enum(['inprocess', 'zeromq']).default('inprocess'),
    models: z.array(ModelEntry).min(1),
    drives: DrivesSchema.optional(),
    bags: BagsSchema.optional(),
    gate: GateSchema.prefault({}),
  })
  .strict();

export type SweepGate = z.infer<typeof GateSchema>;

export interface SweepModel {
  /** Part of the work-item ids. */
  readonly name: string;
  readonly kind: 'expert' | 'model';
  /** The ONNX file (kind model), as written in the sweep (relative to the working directory). */
  readonly path?: string;
}

export interface SweepDrives {
  readonly models: readonly string[];
  readonly tracks: readonly string[];
  readonly seeds: readonly number[];
  readonly levels: readonly number[];
  readonly faults: Readonly<Record<string, Record<string, unknown> | null>>;
  readonly laps: number;
  readonly maxTimeS?: number;
}

export interface Sweep {
  /** The file it was read from (error messages). */
  readonly source: string;
  readonly name: string;
  readonly config: string;
  readonly simConfig?: string;
  readonly providers?: readonly ProviderName[];
  readonly transport: 'inprocess' | 'zeromq';
  readonly models: readonly SweepModel[];
  readonly drives?: SweepDrives;
  readonly bags: { readonly models: readonly string[]; readonly paths: readonly string[]; readonly prefix?: string };
  readonly gate: SweepGate;
}

export function sweepError(source: string, key: string, message: string): PilotError {
  return new PilotError('E_SWEEP', `${source}: ${key}: ${message}`);
}

/** Reads and validates a sweep file. */
export function loadSweep(path: string): Sweep {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PilotError('E_SWEEP', `cannot read sweep file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PilotError('E_SWEEP', `${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseSweep(raw, path);
}

/** Validates a parsed sweep description; `source` names it in errors. */
export function parseSweep(raw: unknown, source: string): Sweep {
  const parsed = SweepSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new PilotError('E_SWEEP', describeIssue(source, parsed.error.issues, raw));
  const s = parsed.data;
  const models = s.models.map((m, i) => sweepModel(m, source, i));
  unique(models.map((m) => m.name), source, 'models', 'model names (give one { name, path })');
  const drives = s.drives ? sweepDrives(s.drives, models, source) : undefined;
  const bags = {
    models: modelNames(s.bags?.models, models, source, 'bags.models', true),
    paths: s.bags?.paths ?? [],
    ...(s.bags?.prefix ? { prefix: s.bags.prefix } : {}),
  };
  const wantsBags = bags.paths.length > 0 || bags.prefix !== undefined;
  if (!drives && !wantsBags) throw sweepError(source, '(root)', 'nothing to run: give drives: and/or bags:');
  if (wantsBags && bags.models.length === 0) throw sweepError(source, 'models', 'the expert replays no bags: name an ONNX model');
  return {
    source,
    name: s.name,
    config: s.config,
    ...(s.sim_config ? { simConfig: s.sim_config } : {}),
    ...(s.providers ? { providers: s.providers } : {}),
    transport: s.transport,
    models,
    ...(drives ? { drives } : {}),
    bags,
    gate: s.gate,
  };
}

function sweepModel(entry: z.infer<typeof ModelEntry>, source: string, i: number): SweepModel {
  if (typeof entry !== 'string') return { name: entry.name, kind: 'model', path: entry.path };
  if (entry === 'expert') return { name: 'expert', kind: 'expert' };
  const name = basename(entry).replace(/\.onnx$/, '');
  if (!LABEL.test(name)) throw sweepError(source, `models.${i}`, `the file name ${JSON.stringify(name)} cannot name the model: give { name, path }`);
  return { name, kind: 'model', path: entry };
}

/** The names given under `key` (each a model of the sweep), or by default every model (every ONNX model for bags). */
function modelNames(names: readonly string[] | undefined, models: readonly SweepModel[], source: string, key: string, onnxOnly: boolean): string[] {
  if (names === undefined) return models.filter((m) => !onnxOnly || m.kind === 'model').map((m) => m.name);
  unique(names, source, key, 'model names');
  names.forEach((name, i) => {
    const m = models.find((x) => x.name === name);
    if (!m) throw sweepError(source, `${key}.${i}`, `no model named ${JSON.stringify(name)} (models: ${models.map((x) => x.name).join(', ')})`);
    if (onnxOnly && m.kind === 'expert') throw sweepError(source, `${key}.${i}`, 'the expert replays no bags (it drives on ground truth)');
  });
  return [...names];
}

function sweepDrives(d: z.infer<typeof DrivesSchema>, models: readonly SweepModel[], source: string): SweepDrives {
  const seeds = Array.isArray(d.seeds) ? d.seeds : Array.from({ length: d.seeds.count }, (_, i) => (d.seeds as { from: number }).from + i);
  unique(d.tracks, source, 'drives.tracks', 'tracks');
  unique(seeds.map(String), source, 'drives.seeds', 'seeds');
  unique(d.levels.map(String), source, 'drives.levels', 'levels');
  if (Object.keys(d.faults).length === 0) throw sweepError(source, 'drives.faults', 'expected at least one profile (none: null runs without faults)');
  return { models: modelNames(d.models, models, source, 'drives.models', false), tracks: d.tracks, seeds, levels: d.levels, faults: d.faults, laps: d.laps, ...(d.max_time_s ? { maxTimeS: d.max_time_s } : {}) };
}

function unique(values: readonly string[], source: string, key: string, what: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) throw sweepError(source, key, `${what} must be distinct (${JSON.stringify(v)} is there twice)`);
    seen.add(v);
  }
}
