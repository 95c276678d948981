/** The benchmark's synthetic camera in this process: a timer publishing frames, which can be paused. */
import type { CameraFeed } from './interleaved.js';

export class TimerCameraFeed implements CameraFeed {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publishFrame: () => void,
    private readonly intervalMs: number,
  ) {}

  /** Publishes a frame now and then every interval, until paused. */
  resume(): void {
    if (this.#timer) return;
    this.publishFrame();
    this.#timer = setInterval(this.publishFrame, this.intervalMs);
  }

  pause(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
