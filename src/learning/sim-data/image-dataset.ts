/**
 * A growable builder for the trainer's ImageDataset (src/learning/dataset/dataset.ts): the simulator's
 * collectors do not know their frame count in advance (a drive ends when it ends).
 * Aggregating several datasets (DAgger rounds, demonstrations) is src/learning/dataset's concatDatasets.
 */
import type { ImageDataset } from '../dataset/dataset.js';
import { PilotError } from '../../core/util/errors.js';

export type { ImageDataset };

/**
 * Appends frames with their targets and episode; doubles its buffers as it grows, so callers need
 * not know the final count (a drive ends when it ends). `build()` trims to the frames added.
 */
export class ImageDatasetBuilder {
  readonly width: number;
  readonly height: number;
  readonly targetNames: readonly string[];
  readonly #frameBytes: number;
  readonly #episodeNames: string[] = [];
  readonly #episodeIndex = new Map<string, number>();
  #images: Uint8Array;
  #targets: Float32Array;
  #episodes: Int32Array;
  #count = 0;

  constructor(options: { width: number; height: number; targetNames: readonly string[]; capacity?: number }) {
    const { width, height, targetNames } = options;
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new PilotError('E_DATASET', `ImageDatasetBuilder: frame size must be positive whole pixels (got ${width}×${height})`);
    }
    if (targetNames.length === 0) throw new PilotError('E_DATASET', 'ImageDatasetBuilder: targetNames: need at least one target (got none)');
    this.width = width;
    this.height = height;
    this.targetNames = [...targetNames];
    this.#frameBytes = width * height * 3;
    const capacity = Math.max(1, options.capacity ?? 64);
    this.#images = new Uint8Array(capacity * this.#frameBytes);
    this.#targets = new Float32Array(capacity * targetNames.length);
    this.#episodes = new Int32Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  /** Index of the episode called `name`, added on first use. */
  episode(name: string): number {
    let i = this.#episodeIndex.get(name);
    if (i === undefined) {
      i = this.#episodeNames.length;
      this.#episodeNames.push(name);
      this.#episodeIndex.set(name, i);
    }
    return i;
  }

  /**
   * Reserves the next frame and returns views to fill: `image` (H×W×3 bytes) and `targets`.
   * The views are only valid until the next `add` (the buffers may move when they grow).
   */
  add(episode: number): { image: Uint8Array; targets: Float32Array } {
    if (!(episode >= 0 && episode < this.#episodeNames.length)) {
      throw new PilotError('E_DATASET', `ImageDatasetBuilder: episode index ${episode} was not created with episode() (have ${this.#episodeNames.length})`);
    }
    if (this.#count === this.#episodes.length) this.#grow();
    const i = this.#count++;
    this.#episodes[i] = episode;
    const k = this.targetNames.length;
    return {
      image: this.#images.subarray(i * this.#frameBytes, (i + 1) * this.#frameBytes),
      targets: this.#targets.subarray(i * k, (i + 1) * k),
    };
  }

  #grow(): void {
    const capacity = this.#episodes.length * 2;
    const images = new Uint8Array(capacity * this.#frameBytes);
    images.set(this.#images);
    const targets = new Float32Array(capacity * this.targetNames.length);
    targets.set(this.#targets);
    const episodes = new Int32Array(capacity);
    episodes.set(this.#episodes);
    this.#images = images;
    this.#targets = targets;
    this.#episodes = episodes;
  }

  /** The frames added so far, in buffers of exactly the right size (copies). */
  build(): ImageDataset {
    const n = this.#count;
    return {
      images: this.#images.slice(0, n * this.#frameBytes),
      height: this.height,
      width: this.width,
      targets: this.#targets.slice(0, n * this.targetNames.length),
      targetNames: [...this.targetNames],
      episodes: this.#episodes.slice(0, n),
      episodeNames: [...this.#episodeNames],
      count: n,
    };
  }
}
