/**
 * Simulator benchmarks (`npm run bench:sim`, after `npm run build`):
 *  1. headless camera: frames/s at the calibration's size (render + read back + rgb8), per track scene;
 *  2. closed-loop lockstep laps: expert without camera, and a model through the runtime with the camera,
 *     reported as × real time.
 * Bars (issue 3): camera ≥ 200 frames/s at 320×240 on a 2-core CPU machine; a one-lap model drive ≥ 5× real time.
 * Flags: --frames 300 --track oval --model <onnx> --transport zeromq|inprocess
 */
import { parseArgs } from 'node:util';
import { loadCameraCalibration } from '../src/core/calibration/camera.js';
import { loadCameraMount } from '../src/core/calibration/mount.js';
import { parseSimConfig } from '../sim/config/sim-config.js';
import { runDriveSession } from '../sim/drive/drive-session.js';
import { IntrinsicCamera } from '../sim/render/camera-rig.js';
import { NOMINAL_LOOK } from '../sim/render/domain-look.js';
import { HeadlessRenderer } from '../sim/render/headless-renderer.js';
import { buildTrackScene } from '../sim/render/scene-builder.js';
import { listTracks, loadTrack } from '../sim/world/track.js';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '300' },
    track: { type: 'string', default: 'oval' },
    model: { type: 'string' },
    transport: { type: 'string', default: 'zeromq' },
  },
});
const frames = Number(values.frames);
const calibration = loadCameraCalibration('calibration/camera.yaml');
const mount = loadCameraMount('calibration/camera_mount.yaml');
const renderer = await HeadlessRenderer.create({ width: calibration.width, height: calibration.height });
console.log(`renderer: three.js WebGPURenderer on Dawn (${renderer.environment.backend}, adapter ${renderer.environment.adapter})`);
const rgb = new Uint8Array(calibration.width * calibration.height * 3);
for (const { name } of listTracks()) {
  const track = loadTrack(name);
  const world = buildTrackScene(track, NOMINAL_LOOK);
  const camera = new IntrinsicCamera(calibration, mount);
  const frame = async (i: number) => {
    const p = track.poseAt((i * 0.1) % track.lengthM);
    camera.setVehiclePose({ x: p.x, y: p.y, yawRad: p.headingRad });
    const rgba = await renderer.render(world.scene, camera);
    for (let a = 0, b = 0; a < rgb.length; a += 3, b += 4) {
      rgb[a] = rgba[b]!;
      rgb[a + 1] = rgba[b + 1]!;
      rgb[a + 2] = rgba[b + 2]!;
    }
  };
  for (let i = 0; i < 20; i++) await frame(i);
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) await frame(i);
  const ms = (performance.now() - t0) / frames;
  console.log(`camera ${calibration.width}×${calibration.height} ${name.padEnd(11)} ${ms.toFixed(2)} ms/frame  ${(1000 / ms).toFixed(0)} frames/s`);
  world.dispose();
}
renderer.dispose();

const sim = parseSimConfig({}, 'defaults');
const transport = values.transport === 'inprocess' ? 'inprocess' : 'zeromq';
const expert = await runDriveSession({ track: values.track!, laps: 1, driver: { kind: 'expert' }, sim, transport });
console.log(
  `lap ${values.track} expert, no camera, ${transport}: sim ${expert.simTimeS.toFixed(1)} s in ${expert.wallTimeS.toFixed(2)} s wall, ×${expert.realtimeFactor.toFixed(1)} real time`,
);
const model = await runDriveSession({
  track: values.track!,
  laps: 1,
  driver: { kind: 'model', config: 'launch/drive.yaml', ...(values.model ? { modelPath: values.model } : {}) },
  sim,
  transport,
  maxSimTimeS: expert.simTimeS * 1.5,
});
const rt = model.runtime!;
console.log(
  `lap ${values.track} model ${model.driver.model}, camera ${sim.camera.rate_hz} Hz, ${transport}: sim ${model.simTimeS.toFixed(1)} s in ${model.wallTimeS.toFixed(2)} s wall, ` +
    `×${model.realtimeFactor.toFixed(1)} real time; laps ${model.lapsCompleted}/1, interventions ${model.interventions}; ` +
    `tick p50 ${rt.latencyMs.p50.toFixed(2)} ms p99 ${rt.latencyMs.p99.toFixed(2)} ms, inference p50 ${rt.inferenceMs.p50.toFixed(2)} ms`,
);
process.exit(0);
