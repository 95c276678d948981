/**
 * What the drive and arm sessions set up alike: the runtime config a model driver runs, the check
 * that the simulator renders the camera the runtime expects, and the recorder of a drive or episode.
 */
import type { CameraCalibration } from '../../src/core/calibration/camera.js';
import { loadConfig } from '../../src/core/config/load.js';
import type { PilotConfig } from '../../src/core/config/schema.js';
import { createBagWriter, Recorder, type RecordTopic } from '../../src/data/bags/index.js';
import { RELIABLE_QOS, type Transport } from '../../src/transport/index.js';

/** The runtime config of a model driver (a file or a parsed config), with its model path overridden when given. */
export function runtimeConfigOf(driver: { config: PilotConfig | string; modelPath?: string }): PilotConfig {
  const config = typeof driver.config === 'string' ? loadConfig(driver.config) : driver.config;
  return driver.modelPath ? { ...config, model: { ...config.model, path: driver.modelPath } } : config;
}

/** The two calibrations describe the same camera: image size and intrinsics (to 1e-9). */
export function sameCamera(a: CameraCalibration, b: CameraCalibration): boolean {
  return a.width === b.width && a.height === b.height && a.k.every((v, i) => Math.abs(v - b.k[i]!) < 1e-9);
}

/** The topics a session records: the simulator's, and the runtime's diagnostics when a runtime drives. */
export function withRuntimeTopics(simTopics: RecordTopic[], runtime: PilotConfig | undefined): RecordTopic[] {
  if (runtime) simTopics.push({ topic: runtime.outputs.diagnostics.topic, type: 'diagnostic_msgs/msg/DiagnosticArray', qos: RELIABLE_QOS });
  return simTopics;
}

export interface RecordingOptions {
  /** The rosbag2 folder. */
  dir: string;
  compression?: 'none' | 'lz4' | 'zstd';
  transport: Transport;
  topics: RecordTopic[];
  /** Lockstep: log times are this sim time (ms), so the bag replays with the session's own timing; null: wall time. */
  simTimeMs: (() => number) | null;
  log?: ((line: string) => void) | undefined;
}

/** Starts recording `topics` into a bag; write errors go to `log` as `record: …` lines. */
export async function startRecording(r: RecordingOptions): Promise<Recorder> {
  const writer = await createBagWriter(r.dir, { compression: r.compression ?? 'none', onError: (e) => r.log?.(`record: ${e.message}`) });
  const simTimeMs = r.simTimeMs;
  return Recorder.start({
    transport: r.transport,
    writer,
    topics: r.topics,
    ...(simTimeMs ? { clock: () => BigInt(Math.round(simTimeMs() * 1e6)) } : {}),
    onError: (e) => r.log?.(`record: ${e.message}`),
  });
}
