/** Feeds a running drive into the viewer: state every step (rate-limited by the server), camera frames. */
import type { DriveSample } from '../drive/drive-result.js';
import type { DriveLiveStatus } from '../drive/metrics.js';
import type { ViewerServer } from './viewer-server.js';

export class ViewerFeed {
  readonly #viewer: ViewerServer;
  readonly #driver: string;
  readonly #wallStartMs = performance.now();
  readonly #lapTimesS: number[] = [];
  #lapStartS = 0;
  #laps = 0;
  /** Latency percentiles, refreshed by the caller now and then (not every step). */
  latency: { p50: number; p99: number } | undefined;

  constructor(viewer: ViewerServer, driver: string) {
    this.#viewer = viewer;
    this.#driver = driver;
  }

  step(s: Readonly<DriveSample>, status: DriveLiveStatus): void {
    if (status.lapsCompleted > this.#laps) {
      this.#laps = status.lapsCompleted;
      this.#lapTimesS.push(s.tS - this.#lapStartS);
      this.#lapStartS = s.tS;
    }
    const wallS = (performance.now() - this.#wallStartMs) / 1000;
    this.#viewer.publishState({
      tS: s.tS,
      x: s.x,
      y: s.y,
      yawRad: s.yawRad,
      steeringRad: s.steeringRad,
      speedMps: s.speedMps,
      crossTrackM: s.crossTrackM,
      lap: status.lapsCompleted,
      lapsRequested: status.lapsRequested,
      lapTimesS: this.#lapTimesS,
      interventions: status.interventions,
      offRoadEvents: status.offRoadEvents,
      collisions: status.collisions,
      realtimeFactor: wallS > 0 ? s.tS / wallS : 0,
      driver: this.#driver,
      ...(this.latency ? { latencyP50Ms: this.latency.p50, latencyP99Ms: this.latency.p99 } : {}),
      ...(s.safetyReason && s.safetyReason !== 'ok' ? { safetyReason: s.safetyReason } : {}),
    });
  }

  frame(rgb: Uint8Array, width: number, height: number): void {
    if (this.#viewer.clients > 0) this.#viewer.publishCameraFrame(rgb, width, height);
  }
}
