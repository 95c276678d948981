/** Track files (`sim/world/tracks/*.yaml`): schema, loading by name or path, listing. */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { readYamlFile } from '../../src/core/calibration/camera.js';
import { describeIssue } from '../../src/core/config/load.js';
import { PilotError } from '../../src/core/util/errors.js';
import { packageRoot } from '../../src/core/util/package-root.js';
import { TRACK_LIMITS } from './limits.js';
import { buildTrack } from './sampled-track.js';
import type { Track, TrackDefinition } from './track.js';

const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: 'must be a colour "#rrggbb"' });

const Obstacle = z
  .object({
    s_m: z.number().min(0),
    offset_m: z.number().optional(),
    length_m: z.number().positive().max(5),
    width_m: z.number().positive().max(5),
    height_m: z.number().positive().max(5),
    yaw_rad: z.number().optional(),
    on_road: z.boolean().optional(),
  })
  .strict();

const TrackFile = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'must be lower-case letters, digits, - or _' }),
    description: z.string().min(1),
    split: z.enum(['train', 'unseen']),
    width_m: z.number().min(TRACK_LIMITS.minWidthM).max(TRACK_LIMITS.maxWidthM),
    spacing_m: z.number().min(0.01).max(0.2).optional(),
    centreline: z.array(z.tuple([z.number(), z.number()])).min(4, { message: 'a closed loop needs at least 4 control points' }),
    scenery: z
      .object({
        cones: z.enum(['auto', 'none']).optional(),
        kerbs: z.enum(['auto', 'none']).optional(),
        obstacles: z.array(Obstacle).optional(),
      })
      .strict()
      .optional(),
    markings: z
      .object({
        edge_line_width_m: z.number().positive().max(0.2),
        centre_line_width_m: z.number().positive().max(0.2),
        centre_dash_m: z.number().positive(),
        centre_gap_m: z.number().min(0),
      })
      .strict()
      .partial()
      .optional(),
    surface: z
      .object({
        road: z.enum(['asphalt', 'concrete', 'worn']),
        ground: z.enum(['grass', 'sand', 'dirt']),
        road_colour: Colour,
        ground_colour: Colour,
        line_colour: Colour,
      })
      .strict()
      .partial()
      .optional(),
  })
  .strict();

/** The bundled tracks: under the package root, since YAML data is not copied into dist/. */
export function tracksDir(): string {
  return join(packageRoot(), 'sim', 'world', 'tracks');
}

const hex = (c: string | undefined) => (c === undefined ? undefined : parseInt(c.slice(1), 16));

/** Validate a parsed track file and build the track. `source` names the file in errors. */
export function parseTrackFile(raw: unknown, source: string): Track {
  const parsed = TrackFile.safeParse(raw);
  if (!parsed.success) throw new PilotError('E_TRACK', describeIssue(source, parsed.error.issues, raw));
  const f = parsed.data;
  const def: TrackDefinition = {
    name: f.name,
    description: f.description,
    split: f.split,
    widthM: f.width_m,
    centreline: f.centreline,
    spacingM: f.spacing_m,
    scenery: {
      cones: f.scenery?.cones,
      kerbs: f.scenery?.kerbs,
      obstacles: (f.scenery?.obstacles ?? []).map((o) => ({
        sM: o.s_m,
        offsetM: o.offset_m,
        lengthM: o.length_m,
        widthM: o.width_m,
        heightM: o.height_m,
        yawRad: o.yaw_rad,
        onRoad: o.on_road,
      })),
    },
    markings: {
      ...(f.markings?.edge_line_width_m !== undefined && { edgeLineWidthM: f.markings.edge_line_width_m }),
      ...(f.markings?.centre_line_width_m !== undefined && { centreLineWidthM: f.markings.centre_line_width_m }),
      ...(f.markings?.centre_dash_m !== undefined && { centreDashM: f.markings.centre_dash_m }),
      ...(f.markings?.centre_gap_m !== undefined && { centreGapM: f.markings.centre_gap_m }),
    },
    surface: {
      roadKind: f.surface?.road,
      groundKind: f.surface?.ground,
      roadColour: hex(f.surface?.road_colour),
      groundColour: hex(f.surface?.ground_colour),
      lineColour: hex(f.surface?.line_colour),
    },
  };
  return buildTrack(def, source);
}

function isPath(nameOrPath: string): boolean {
  return /[\\/]/.test(nameOrPath) || /\.ya?ml$/i.test(nameOrPath);
}

/** Load a bundled track by name (file in sim/world/tracks without .yaml) or any track file by path. */
export function loadTrack(nameOrPath: string): Track {
  let path = nameOrPath;
  if (!isPath(nameOrPath)) {
    const known = bundledNames();
    if (!known.includes(nameOrPath)) {
      throw new PilotError('E_TRACK', `tracks: unknown track name; bundled: ${known.join(', ')} (got ${JSON.stringify(nameOrPath)})`);
    }
    path = join(tracksDir(), `${nameOrPath}.yaml`);
  }
  let raw: unknown;
  try {
    raw = readYamlFile(path, 'track');
  } catch (err) {
    // readYamlFile speaks for calibration files; a track's read error gets the track code.
    if (err instanceof PilotError) throw new PilotError('E_TRACK', err.message.replace(/^E_[A-Z_]+: /, ''));
    throw err;
  }
  return parseTrackFile(raw, path);
}

function bundledNames(): string[] {
  return readdirSync(tracksDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Every bundled track, sorted by name (each file is loaded and validated). */
export function listTracks(): { name: string; split: string; lengthM: number; description: string }[] {
  return bundledNames().map((file) => {
    const t = loadTrack(file);
    return { name: t.name, split: t.split, lengthM: t.lengthM, description: t.description };
  });
}
