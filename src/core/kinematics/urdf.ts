/**
 * The URDF subset pilot uses: links, and revolute / continuous / prismatic / fixed joints with origin,
 * axis and limits. Errors name the file and the element.
 */
import { XMLParser } from 'fast-xml-parser';
import { PilotError } from '../util/errors.js';

export type Vec3 = readonly [number, number, number];

export interface UrdfJoint {
  readonly name: string;
  readonly type: 'revolute' | 'continuous' | 'prismatic' | 'fixed';
  readonly parent: string;
  readonly child: string;
  readonly originXyz: Vec3;
  readonly originRpy: Vec3;
  /** Unit vector in the child frame. */
  readonly axis: Vec3;
  /** Position limits (rad or m); ±Infinity for continuous joints. */
  readonly lower: number;
  readonly upper: number;
  /** Velocity limit, rad/s or m/s (Infinity when the file gives none). */
  readonly velocity: number;
}

export interface UrdfRobot {
  readonly name: string;
  readonly links: readonly string[];
  readonly joints: readonly UrdfJoint[];
}

const TYPES = ['revolute', 'continuous', 'prismatic', 'fixed'] as const;

export function parseUrdf(text: string, source: string): UrdfRobot {
  const fail = (what: string): never => {
    throw new PilotError('E_URDF', `${source}: ${what}`);
  };
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (_name, jpath) => jpath === 'robot.link' || jpath === 'robot.joint' }).parse(text, true) as Record<string, unknown>;
  } catch (e) {
    return fail(`not valid XML (${(e as Error).message.split('\n')[0]})`);
  }
  const robot = doc['robot'] as Record<string, unknown> | undefined;
  if (!robot || typeof robot !== 'object') return fail('no <robot> element');
  const links = ((robot['link'] as Record<string, string>[] | undefined) ?? []).map((l, i) => l.name ?? fail(`<link> #${i + 1} has no name`));
  if (links.length === 0) fail('no <link> elements');
  const vec = (value: string | undefined, what: string, fallback: Vec3): Vec3 => {
    if (value === undefined) return fallback;
    const parts = value.trim().split(/\s+/).map(Number);
    if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p))) fail(`${what}: expected three numbers, got "${value}"`);
    return [parts[0]!, parts[1]!, parts[2]!];
  };
  const joints = ((robot['joint'] as Record<string, unknown>[] | undefined) ?? []).map((j, i): UrdfJoint => {
    const name = (j['name'] as string | undefined) ?? fail(`<joint> #${i + 1} has no name`);
    const type = j['type'] as string;
    if (!(TYPES as readonly string[]).includes(type)) fail(`joint ${name}: type "${type}" is not one of ${TYPES.join(', ')}`);
    const parent = (j['parent'] as Record<string, string> | undefined)?.link ?? fail(`joint ${name}: no <parent link>`);
    const child = (j['child'] as Record<string, string> | undefined)?.link ?? fail(`joint ${name}: no <child link>`);
    for (const l of [parent, child]) if (!links.includes(l)) fail(`joint ${name}: link "${l}" is not declared`);
    const origin = (j['origin'] as Record<string, string> | undefined) ?? {};
    const axis = vec((j['axis'] as Record<string, string> | undefined)?.xyz, `joint ${name} axis`, [1, 0, 0]);
    const norm = Math.hypot(...axis);
    if (type !== 'fixed' && !(norm > 1e-9)) fail(`joint ${name}: axis is zero`);
    const limit = j['limit'] as Record<string, string> | undefined;
    let lower = -Infinity;
    let upper = Infinity;
    if (type === 'revolute' || type === 'prismatic') {
      if (!limit) fail(`joint ${name}: a ${type} joint needs <limit lower upper velocity>`);
      lower = Number(limit!.lower ?? 0);
      upper = Number(limit!.upper ?? 0);
      if (!(Number.isFinite(lower) && Number.isFinite(upper) && lower < upper)) fail(`joint ${name}: limit lower=${limit!.lower} upper=${limit!.upper} is not a range`);
    }
    const velocity = limit?.velocity !== undefined ? Number(limit.velocity) : Infinity;
    if (!(velocity > 0)) fail(`joint ${name}: limit velocity=${limit?.velocity} must be positive`);
    return {
      name,
      type: type as UrdfJoint['type'],
      parent,
      child,
      originXyz: vec(origin.xyz, `joint ${name} origin xyz`, [0, 0, 0]),
      originRpy: vec(origin.rpy, `joint ${name} origin rpy`, [0, 0, 0]),
      axis: type === 'fixed' ? [1, 0, 0] : [axis[0] / norm, axis[1] / norm, axis[2] / norm],
      lower,
      upper,
      velocity,
    };
  });
  return { name: (robot['name'] as string | undefined) ?? 'robot', links, joints };
}
