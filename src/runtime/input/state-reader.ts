/**
 * Reads one numeric field out of a message by dotted path (`twist.twist.linear.x`, `velocity.0`),
 * compiled once so the per-tick read is a few property loads.
 */
import { PilotError } from '../../core/util/errors.js';

export class FieldPath {
  readonly #parts: readonly (string | number)[];

  constructor(readonly path: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*$/.test(path)) {
      throw new PilotError('E_CONFIG', `state path '${path}' is not a dotted field path like twist.twist.linear.x or position.0`);
    }
    this.#parts = path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  }

  /** The number at the path, or NaN when any step is missing or the value is not a number. */
  read(message: unknown): number {
    let v: unknown = message;
    for (let i = 0; i < this.#parts.length; i++) {
      if (v === null || typeof v !== 'object') return NaN;
      v = (v as Record<string | number, unknown>)[this.#parts[i]!];
    }
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : NaN;
  }
}
