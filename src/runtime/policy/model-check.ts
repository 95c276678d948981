/**
 * The model check at load: the first inference runs on a neutral input (every camera pixel mid-grey,
 * normalised as the contract says; every state value 0), and a model that answers with NaN or ±Infinity
 * is refused (E_MODEL_NONFINITE), naming the file, the output and the elements. Such a model (NaN in
 * its weights, a layer that overflows) would load, run, and leave the safety layer publishing only its
 * fallback. `model.allow_nonfinite` (`--allow-nonfinite` on `pilot run` / `pilot drive`) loads it anyway,
 * with a warning, to test the safety layer.
 */
import { PilotError } from '../../core/util/errors.js';
import type { ModelContract } from './contract.js';

/** The pixel value (0..255) of the neutral camera frame: mid-grey. */
export const NEUTRAL_PIXEL = 128;

/** At most this many elements are listed in the message (all are counted). */
const LISTED = 8;

/**
 * Fills every input buffer with the neutral input: camera tensors with mid-grey normalised per
 * channel (`(pixel * scale - mean[c]) / std[c]`, in the contract's layout), state tensors with 0.
 */
export function fillNeutralInputs(contract: ModelContract, inputs: ReadonlyMap<string, Float32Array>): void {
  for (const input of contract.inputs) {
    const buffer = inputs.get(input.name);
    if (!buffer) continue;
    if (input.role !== 'camera') {
      buffer.fill(0);
      continue;
    }
    const [, d1, d2, d3] = input.shape as [number, number, number, number];
    const nchw = input.layout === 'NCHW';
    const channels = nchw ? d1 : d3;
    const plane = nchw ? d2 * d3 : d1 * d2;
    const { scale, mean, std } = input.normalize;
    for (let c = 0; c < channels; c++) {
      const value = (NEUTRAL_PIXEL * scale - (mean[c] ?? mean[0]!)) / (std[c] ?? std[0]!);
      if (nchw) buffer.fill(value, c * plane, (c + 1) * plane);
      else for (let i = c; i < buffer.length; i += channels) buffer[i] = value;
    }
  }
}

/** Sets every input buffer back to 0 (as allocated), after the check and the warm-up. */
export function clearInputs(inputs: ReadonlyMap<string, Float32Array>): void {
  for (const buffer of inputs.values()) buffer.fill(0);
}

/** Indices of the non-finite elements of `output`. */
export function nonFiniteIndices(output: ArrayLike<number>): number[] {
  const bad: number[] = [];
  for (let i = 0; i < output.length; i++) if (!Number.isFinite(output[i]!)) bad.push(i);
  return bad;
}

/** `[1] speed = NaN, [0] steering_angle = Infinity`; element i of a [batch, n] output is field i % n. */
function describeElements(contract: ModelContract, output: ArrayLike<number>, bad: readonly number[]): string {
  const fields = contract.outputs[0]!.fields;
  const listed = bad.slice(0, LISTED).map((i) => `[${i}] ${fields[i % fields.length]?.name ?? '?'} = ${output[i]}`);
  return listed.join(', ') + (bad.length > LISTED ? `, … (${bad.length - LISTED} more)` : '');
}

export interface FiniteCheck {
  readonly modelPath: string;
  readonly contract: ModelContract;
  /** The output of the inference on the neutral input. */
  readonly output: ArrayLike<number>;
  /** The execution provider that ran it (named in the message). */
  readonly provider: string;
  /** model.allow_nonfinite: warn instead of refusing. */
  readonly allow: boolean;
  readonly log: (line: string) => void;
}

/**
 * Refuses (E_MODEL_NONFINITE) an output with NaN or ±Infinity, or with `allow` logs one warning line.
 * Returns the warning (for the start-up notes), or undefined when the output is finite.
 */
export function checkFiniteOutput(check: FiniteCheck): string | undefined {
  const { contract, output } = check;
  const bad = nonFiniteIndices(output);
  if (bad.length === 0) return undefined;
  const out = contract.outputs[0]!;
  const what =
    `output '${out.name}' is not finite on a neutral input (mid-grey camera, zero state) on ${check.provider}: ` +
    `${bad.length} of ${output.length} elements: ${describeElements(contract, output, bad)}`;
  if (!check.allow) {
    throw new PilotError(
      'E_MODEL_NONFINITE',
      `${check.modelPath}: ${what}. The weights hold NaN/Infinity or a layer overflows; export or train the model again. ` +
        'To load it anyway (to test the safety layer), set model.allow_nonfinite: true in the config or pass --allow-nonfinite (pilot run, pilot drive)',
    );
  }
  const warning = `${what}; loaded anyway (model.allow_nonfinite): the safety layer will replace such commands (reason nonfinite)`;
  check.log(`pilot: WARNING: ${check.modelPath}: ${warning}`);
  return warning;
}
