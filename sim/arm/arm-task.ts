/**
 * Arm tasks as data: an episode's layout (objects on the table, the target point or goal, start
 * posture, success rule) drawn from a seed, and the split that decides which placements training may
 * see. Pure: no rendering, no transport.
 *
 * - reach: reach the point `hoverM` above the red cube's top with the tool point, within
 *   `toleranceM`, held for `holdSteps` control steps, within `timeLimitS`. Distractor cubes of other
 *   colours stand elsewhere on the table; objects do not move.
 * - push: push the red puck (a cylinder) into the goal disc on the table: puck centre within
 *   `toleranceM` of the goal centre, held for `holdSteps` steps, within `timeLimitS`. Planar,
 *   quasi-static pushing by the tool point (see ArmWorld).
 *
 * "Unseen placements" (the evaluation split): the task object's azimuth around the arm's base lies
 * in one of the held-out bands (UNSEEN_PLACEMENTS.bandsDeg ± halfWidthDeg), which training placements
 * never enter, and the episode seeds are ≥ UNSEEN_PLACEMENTS.seedBase (training seeds are below it).
 */
import { PilotError } from '../../src/core/util/errors.js';
import { mulberry32, shuffled } from '../../src/core/util/prng.js';

export const ARM_TASKS = ['reach', 'push'] as const;
export type ArmTaskKind = (typeof ARM_TASKS)[number];

/** Which placements an episode may draw: training, the held-out evaluation set, or anything. */
export type PlacementSplit = 'train' | 'unseen' | 'any';

export const UNSEEN_PLACEMENTS = Object.freeze({
  /** Episode seeds of the unseen split start here; training seeds stay below. */
  seedBase: 1_000_000,
  /** Centres of the held-out azimuth bands of the task object, degrees from the arm's +x. */
  bandsDeg: Object.freeze([-60, -36, -12, 12, 36, 60]),
  halfWidthDeg: 3,
});

/** Where task objects are placed: an annulus sector in front of the arm, on the table (z = 0). */
export const REACH_REGION = Object.freeze({ minRadiusM: 0.15, maxRadiusM: 0.32, maxAzimuthDeg: 70 });
export const PUSH_REGION = Object.freeze({ minRadiusM: 0.17, maxRadiusM: 0.27, maxAzimuthDeg: 55 });

export type ObjectRole = 'target' | 'distractor' | 'puck';

export interface ArmObject {
  readonly role: ObjectRole;
  readonly shape: 'box' | 'cylinder';
  /** Display colour 0xRRGGBB (before lighting). */
  readonly colour: number;
  /** Centre on the table, base_link frame. */
  x: number;
  y: number;
  yawRad: number;
  /** Box edge or cylinder diameter. */
  readonly sizeM: number;
  readonly heightM: number;
}

export interface ArmTaskOptions {
  /** Tool-point (reach) or puck (push) distance that counts as there. Default reach 0.02, push 0.03 m. */
  toleranceM?: number;
  /** Control steps the condition must hold. Default 5 (reach), 3 (push). */
  holdSteps?: number;
  /** Default reach 8 s, push 20 s. */
  timeLimitS?: number;
  /** reach: height of the target point above the cube's top. Default 0.05 m. */
  hoverM?: number;
  /** reach: distractor cubes. Default 2. */
  distractors?: number;
  /** Uniform jitter of each joint of the start posture around home (rad). Default 0. */
  startJitterRad?: number;
}

/** One episode's task, fully determined by (kind, seed, split, options). */
export interface ArmEpisodeSpec {
  readonly kind: ArmTaskKind;
  readonly seed: number;
  readonly split: PlacementSplit;
  /** Objects as placed at the start (the world keeps its own moving copy). */
  readonly objects: readonly Readonly<ArmObject>[];
  /** reach: the point the tool must reach (base_link, m). push: the goal centre on the table (z = 0). */
  readonly target: readonly [number, number, number];
  /** push: radius of the goal disc drawn on the table. */
  readonly goalRadiusM: number;
  readonly toleranceM: number;
  readonly holdSteps: number;
  readonly timeLimitS: number;
  /** Start posture, description joint order. */
  readonly startQ: readonly number[];
}

export const TARGET_COLOUR = 0xd42a2a;
export const GOAL_COLOUR = 0x1fb5a8;
const DISTRACTOR_COLOURS = [0x2aa84a, 0x2a5ad4, 0xe0c020, 0x8a3ac0] as const;
export const CUBE_SIZE_M = 0.04;
export const PUCK_DIAMETER_M = 0.05;
export const PUCK_HEIGHT_M = 0.03;
const MIN_SEPARATION_M = 0.09;

export function parseTaskKind(value: string): ArmTaskKind {
  if ((ARM_TASKS as readonly string[]).includes(value)) return value as ArmTaskKind;
  throw new PilotError('E_ARM_TASK', `unknown arm task '${value}' (known: ${ARM_TASKS.join(', ')})`);
}

/** The split an episode seed belongs to under the convention above. */
export function checkSplitSeed(split: PlacementSplit, seed: number): void {
  if (!Number.isInteger(seed) || seed < 0) throw new PilotError('E_ARM_SEED', `episode seed must be a whole number ≥ 0 (got ${seed})`);
  if (split === 'train' && seed >= UNSEEN_PLACEMENTS.seedBase) {
    throw new PilotError('E_ARM_SPLIT', `seed ${seed} belongs to the unseen split (seeds ≥ ${UNSEEN_PLACEMENTS.seedBase}); training seeds must be below it`);
  }
  if (split === 'unseen' && seed < UNSEEN_PLACEMENTS.seedBase) {
    throw new PilotError('E_ARM_SPLIT', `seed ${seed} belongs to the training range; unseen placements use seeds ≥ ${UNSEEN_PLACEMENTS.seedBase}`);
  }
}

/** True when `azimuthRad` is inside a held-out band. */
export function inHeldOutBand(azimuthRad: number): boolean {
  const deg = (azimuthRad * 180) / Math.PI;
  return UNSEEN_PLACEMENTS.bandsDeg.some((c) => Math.abs(deg - c) <= UNSEEN_PLACEMENTS.halfWidthDeg);
}

/** The held-out status a placement's azimuth must have under `split`. */
function azimuthAllowed(split: PlacementSplit, azimuthRad: number): boolean {
  if (split === 'any') return true;
  return split === 'unseen' ? inHeldOutBand(azimuthRad) : !inHeldOutBand(azimuthRad);
}

/** Azimuth of the task object: uniform over the region for train/any (train rejects the bands), uniform over the bands for unseen. */
function sampleAzimuth(random: () => number, maxDeg: number, split: PlacementSplit): number {
  const rad = Math.PI / 180;
  if (split === 'unseen') {
    const bands = UNSEEN_PLACEMENTS.bandsDeg.filter((c) => Math.abs(c) + UNSEEN_PLACEMENTS.halfWidthDeg <= maxDeg);
    const c = bands[Math.floor(random() * bands.length)]!;
    return (c + (random() * 2 - 1) * UNSEEN_PLACEMENTS.halfWidthDeg) * rad;
  }
  for (;;) {
    const a = (random() * 2 - 1) * maxDeg * rad;
    if (azimuthAllowed(split, a)) return a;
  }
}

function polar(radiusM: number, azimuthRad: number): { x: number; y: number } {
  return { x: radiusM * Math.cos(azimuthRad), y: radiusM * Math.sin(azimuthRad) };
}

/**
 * Draws an episode of `kind` from `seed`. The same (kind, seed, split, options) always gives the same
 * episode. `home` is the arm's home posture (description order).
 */
export function sampleEpisode(kind: ArmTaskKind, seed: number, split: PlacementSplit, home: ArrayLike<number>, options: ArmTaskOptions = {}): ArmEpisodeSpec {
  parseTaskKind(kind);
  checkSplitSeed(split, seed);
  const o = checkTaskOptions(kind, options);
  // Different streams per task kind, so a reach and a push episode with one seed are unrelated.
  const random = mulberry32((seed * 2654435761 + (kind === 'reach' ? 0x5eac : 0x9054)) >>> 0);
  const startQ = Array.from(home, (v) => v + (o.startJitterRad > 0 ? (random() * 2 - 1) * o.startJitterRad : 0));
  const objects: ArmObject[] = [];
  let target: [number, number, number];
  let goalRadiusM = 0;
  if (kind === 'reach') {
    const reg = REACH_REGION;
    const az = sampleAzimuth(random, reg.maxAzimuthDeg, split);
    const r = reg.minRadiusM + random() * (reg.maxRadiusM - reg.minRadiusM);
    const p = polar(r, az);
    objects.push({ role: 'target', shape: 'box', colour: TARGET_COLOUR, x: p.x, y: p.y, yawRad: random() * Math.PI, sizeM: CUBE_SIZE_M, heightM: CUBE_SIZE_M });
    target = [p.x, p.y, CUBE_SIZE_M + o.hoverM];
    const colours = shuffled(DISTRACTOR_COLOURS, random);
    for (let d = 0; d < o.distractors; d++) {
      // Anywhere in the region (the bands do not apply to distractors), apart from the other objects.
      for (let attempt = 0; attempt < 200; attempt++) {
        const q = polar(reg.minRadiusM + random() * (reg.maxRadiusM - reg.minRadiusM), (random() * 2 - 1) * reg.maxAzimuthDeg * (Math.PI / 180));
        if (objects.every((b) => Math.hypot(b.x - q.x, b.y - q.y) >= MIN_SEPARATION_M)) {
          objects.push({ role: 'distractor', shape: 'box', colour: colours[d % colours.length]!, x: q.x, y: q.y, yawRad: random() * Math.PI, sizeM: CUBE_SIZE_M, heightM: CUBE_SIZE_M });
          break;
        }
      }
    }
  } else {
    const reg = PUSH_REGION;
    goalRadiusM = 0.03;
    for (;;) {
      const az = sampleAzimuth(random, reg.maxAzimuthDeg, split);
      const r = reg.minRadiusM + random() * (reg.maxRadiusM - reg.minRadiusM);
      const puck = polar(r, az);
      const distance = 0.08 + random() * 0.06;
      const heading = random() * 2 * Math.PI;
      const goal = { x: puck.x + distance * Math.cos(heading), y: puck.y + distance * Math.sin(heading) };
      // The goal on the reachable table; the push start behind the puck reachable too.
      const goalR = Math.hypot(goal.x, goal.y);
      const goalAz = Math.atan2(goal.y, goal.x);
      const behind = { x: puck.x - 0.06 * Math.cos(heading), y: puck.y - 0.06 * Math.sin(heading) };
      const behindR = Math.hypot(behind.x, behind.y);
      if (goalR < 0.15 || goalR > 0.31 || Math.abs(goalAz) > (62 * Math.PI) / 180 || behindR < 0.13 || behindR > 0.32) continue;
      objects.push({ role: 'puck', shape: 'cylinder', colour: TARGET_COLOUR, x: puck.x, y: puck.y, yawRad: 0, sizeM: PUCK_DIAMETER_M, heightM: PUCK_HEIGHT_M });
      target = [goal.x, goal.y, 0];
      break;
    }
  }
  return { kind, seed, split, objects, target: target!, goalRadiusM, toleranceM: o.toleranceM, holdSteps: o.holdSteps, timeLimitS: o.timeLimitS, startQ };
}

/** Episode seeds of a run: `count` consecutive seeds from `first`, shifted into the unseen range for that split. */
export function episodeSeeds(first: number, count: number, split: PlacementSplit): number[] {
  if (!(Number.isInteger(count) && count > 0)) throw new PilotError('E_ARM_EPISODES', `episode count must be a whole number ≥ 1 (got ${count})`);
  if (!(Number.isInteger(first) && first >= 0)) throw new PilotError('E_ARM_SEED', `seed must be a whole number ≥ 0 (got ${first})`);
  const base = split === 'unseen' && first < UNSEEN_PLACEMENTS.seedBase ? UNSEEN_PLACEMENTS.seedBase + first : first;
  const seeds = Array.from({ length: count }, (_, i) => base + i);
  for (const s of [seeds[0]!, seeds[seeds.length - 1]!]) checkSplitSeed(split, s);
  return seeds;
}

/**
 * An episode with an explicit layout (tests, scripted scenarios): the reach target point or push goal
 * as given, objects as given. Unreachable targets are caught by the caller with IK (see ArmWorld).
 */
export function customEpisode(spec: Omit<ArmEpisodeSpec, 'seed' | 'split' | 'toleranceM' | 'holdSteps' | 'timeLimitS' | 'goalRadiusM'> & Partial<ArmEpisodeSpec>): ArmEpisodeSpec {
  parseTaskKind(spec.kind);
  const o = checkTaskOptions(spec.kind, { ...(spec.toleranceM !== undefined ? { toleranceM: spec.toleranceM } : {}), ...(spec.holdSteps !== undefined ? { holdSteps: spec.holdSteps } : {}), ...(spec.timeLimitS !== undefined ? { timeLimitS: spec.timeLimitS } : {}) });
  if (spec.target.length !== 3 || spec.target.some((v) => !Number.isFinite(v))) {
    throw new PilotError('E_ARM_TASK', `target must be three finite numbers x, y, z in metres (got [${spec.target.join(', ')}])`);
  }
  if (spec.kind === 'push' && !spec.objects.some((b) => b.role === 'puck')) throw new PilotError('E_ARM_TASK', 'a push episode needs an object with role puck');
  return { seed: 0, split: 'any', goalRadiusM: spec.kind === 'push' ? 0.03 : 0, ...spec, toleranceM: o.toleranceM, holdSteps: o.holdSteps, timeLimitS: o.timeLimitS };
}

function checkTaskOptions(kind: ArmTaskKind, o: ArmTaskOptions): Required<ArmTaskOptions> {
  const reach = kind === 'reach';
  const out = {
    toleranceM: o.toleranceM ?? (reach ? 0.02 : 0.03),
    holdSteps: o.holdSteps ?? (reach ? 5 : 3),
    timeLimitS: o.timeLimitS ?? (reach ? 8 : 20),
    hoverM: o.hoverM ?? 0.05,
    distractors: o.distractors ?? 2,
    startJitterRad: o.startJitterRad ?? 0,
  };
  const bad = (key: string, want: string): never => {
    throw new PilotError('E_ARM_TASK', `${kind} task option ${key}: must be ${want} (got ${(o as Record<string, unknown>)[key]})`);
  };
  if (!(out.toleranceM > 0 && out.toleranceM < 0.5)) bad('toleranceM', 'in (0, 0.5) m');
  if (!(Number.isInteger(out.holdSteps) && out.holdSteps >= 1)) bad('holdSteps', 'a whole number ≥ 1');
  if (!(out.timeLimitS > 0 && Number.isFinite(out.timeLimitS))) bad('timeLimitS', 'positive seconds');
  if (!(out.hoverM >= 0 && out.hoverM < 0.3)) bad('hoverM', 'in [0, 0.3) m');
  if (!(Number.isInteger(out.distractors) && out.distractors >= 0 && out.distractors <= 4)) bad('distractors', 'a whole number 0..4');
  if (!(out.startJitterRad >= 0 && out.startJitterRad <= 1)) bad('startJitterRad', 'in [0, 1] rad');
  return out;
}
