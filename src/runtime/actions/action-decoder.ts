/** Network output → named actions in physical units (contract scale/offset). Pure; no allocation. */
import type { ModelContract } from '../policy/contract.js';

export class ActionDecoder {
  readonly names: readonly string[];
  readonly units: readonly string[];
  readonly #scale: Float64Array;
  readonly #offset: Float64Array;

  constructor(output: ModelContract['outputs'][number]) {
    this.names = output.fields.map((f) => f.name);
    this.units = output.fields.map((f) => f.unit);
    this.#scale = Float64Array.from(output.fields.map((f) => f.scale));
    this.#offset = Float64Array.from(output.fields.map((f) => f.offset));
  }

  get size(): number {
    return this.names.length;
  }

  indexOf(name: string): number {
    return this.names.indexOf(name);
  }

  /** Writes decoded actions into `out` (length = size). Non-finite values pass through for the safety layer. */
  decode(raw: Float32Array, out: Float64Array): void {
    for (let i = 0; i < this.#scale.length; i++) out[i] = raw[i]! * this.#scale[i]! + this.#offset[i]!;
  }
}
