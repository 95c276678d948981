/**
 * The viewer page: connects to the viewer server's WebSocket, builds the same three.js scene as the
 * simulator's camera from the world it is sent, draws it through a chase camera that follows the car,
 * shows the robot camera's JPEG frames and the live metrics. `WebGPURenderer` uses WebGPU where the
 * browser has it and WebGL2 otherwise (headless Chromium has no WebGPU).
 */
import * as THREE from 'three/webgpu';
import { buildTrackScene, type TrackScene } from '../../render/scene-builder.js';
import type { Track } from '../../world/track.js';
import { FRAME_TAG_CAMERA_JPEG, VIEWER_PROTOCOL_VERSION, VIEWER_SOCKET_PATH, type ViewerMessage, type ViewerState, type WireTrack, type WireWorld } from '../protocol.js';
import { browser, element, type PageImage, type PageSocket, type ViewerPageStatus } from './browser.js';
import { ChaseCamera } from './chase-camera.js';
import { formatMetrics, METRICS } from './metrics-view.js';

const RECONNECT_MS = 1000;

const status: ViewerPageStatus = {
  backend: 'starting',
  connected: false,
  worldName: null,
  statesReceived: 0,
  cameraFramesReceived: 0,
  framesRendered: 0,
  idle: false,
  error: null,
};
browser.pilotViewer = status;

const canvas = element('view');
const statusLine = element('status');
const title = element('title');
const cameraImage = element<PageImage>('camera');
const cameraCaption = element('camera-caption');
const metricCells = METRICS.map((m) => ({ id: m.id, cell: element(`m-${m.id}`) }));

type RendererCanvas = NonNullable<ConstructorParameters<typeof THREE.WebGPURenderer>[0]>['canvas'];
const renderer = new THREE.WebGPURenderer({ canvas: canvas as unknown as RendererCanvas, antialias: true });
const camera = new THREE.PerspectiveCamera(60, 16 / 9, 0.05, 400);
camera.up.set(0, 0, 1); // REP-103: z up
const chase = new ChaseCamera();
const empty = new THREE.Scene();
empty.background = new THREE.Color(0x0d1117);

let world: TrackScene | null = null;
let latest: ViewerState | null = null;
let lastFrameMs: number | null = null;
let shownImageUrl: string | null = null;
/** Drawing is on demand (a new world or state, a resize, the camera still settling): idle pages cost nothing. */
let dirty = true;

function invalidate(): void {
  dirty = true;
  status.idle = false;
}

/** The scene builder reads only these fields of a track; the others (projection helpers) are the physics'. */
function sceneTrack(wire: WireTrack): Track {
  const s = wire.samples;
  return {
    ...wire,
    samples: {
      x: Float64Array.from(s.x),
      y: Float64Array.from(s.y),
      sM: Float64Array.from(s.sM),
      headingRad: Float64Array.from(s.headingRad),
      curvature: Float64Array.from(s.curvature),
    },
  } as unknown as Track;
}

function showWorld(next: WireWorld): void {
  world?.dispose();
  world = buildTrackScene(sceneTrack(next.track), next.look);
  world.vehicle.visible = true;
  const s = next.track.samples;
  const start = { x: s.x[0] ?? 0, y: s.y[0] ?? 0, yawRad: s.headingRad[0] ?? 0 };
  world.setVehiclePose(start.x, start.y, start.yawRad, 0);
  chase.snap(latest ?? start);
  if (latest) world.setVehiclePose(latest.x, latest.y, latest.yawRad, latest.steeringRad);
  status.worldName = next.track.name;
  invalidate();
  title.textContent = `pilot sim · ${next.track.name}`;
}

function showState(state: ViewerState): void {
  latest = state;
  status.statesReceived++;
  world?.setVehiclePose(state.x, state.y, state.yawRad, Number.isFinite(state.steeringRad) ? state.steeringRad : 0);
  const { text, alert } = formatMetrics(state);
  for (const { id, cell } of metricCells) {
    cell.textContent = text[id];
    cell.classList.toggle('alert', alert[id] === true);
  }
  invalidate();
}

function showCameraFrame(jpeg: Uint8Array): void {
  status.cameraFramesReceived++;
  const url = browser.URL.createObjectURL(new browser.Blob([jpeg], { type: 'image/jpeg' }));
  cameraImage.onload = () => {
    cameraCaption.textContent = `robot camera · ${cameraImage.naturalWidth}×${cameraImage.naturalHeight}`;
  };
  cameraImage.src = url;
  if (shownImageUrl) browser.URL.revokeObjectURL(shownImageUrl);
  shownImageUrl = url;
}

function onMessage(data: string | ArrayBuffer): void {
  if (typeof data !== 'string') {
    const bytes = new Uint8Array(data);
    if (bytes[0] === FRAME_TAG_CAMERA_JPEG) showCameraFrame(bytes.subarray(1));
    return;
  }
  const message = JSON.parse(data) as ViewerMessage;
  switch (message.type) {
    case 'hello':
      if (message.version !== VIEWER_PROTOCOL_VERSION) showStatus(`server speaks protocol ${message.version}, page ${VIEWER_PROTOCOL_VERSION}: reload`);
      return;
    case 'world':
      showWorld(message.world);
      return;
    case 'state':
      showState(message.state);
      return;
    default:
      console.warn('viewer: unknown message', message satisfies never);
  }
}

function showStatus(extra?: string): void {
  const connection = status.connected ? 'connected' : 'disconnected, retrying…';
  statusLine.textContent = [connection, status.backend, extra ?? status.error].filter(Boolean).join(' · ');
}

function connect(): void {
  const scheme = browser.location.protocol === 'https:' ? 'wss' : 'ws';
  let socket: PageSocket;
  try {
    socket = new browser.WebSocket(`${scheme}://${browser.location.host}${VIEWER_SOCKET_PATH}`);
  } catch (err) {
    status.error = String(err);
    browser.setTimeout(connect, RECONNECT_MS);
    return;
  }
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => {
    status.connected = true;
    showStatus();
  };
  socket.onmessage = (event) => {
    try {
      onMessage(event.data);
    } catch (err) {
      status.error = `bad message: ${(err as Error).message}`;
      showStatus();
    }
  };
  socket.onclose = () => {
    status.connected = false;
    showStatus();
    browser.setTimeout(connect, RECONNECT_MS);
  };
}

function resize(): void {
  renderer.setPixelRatio(Math.min(browser.devicePixelRatio || 1, 2));
  renderer.setSize(browser.innerWidth, browser.innerHeight);
  camera.aspect = browser.innerWidth / Math.max(1, browser.innerHeight);
  camera.updateProjectionMatrix();
  invalidate();
}

function frame(nowMs: number): void {
  const dtS = lastFrameMs === null ? 0 : (nowMs - lastFrameMs) / 1000;
  lastFrameMs = nowMs;
  const moving = world !== null && latest !== null && chase.update(latest, Math.min(dtS, 0.25));
  if (!dirty && !moving) {
    status.idle = true;
    return;
  }
  dirty = false;
  camera.position.set(chase.position.x, chase.position.y, chase.position.z);
  camera.lookAt(chase.target.x, chase.target.y, chase.target.z);
  renderer.render(world ? world.scene : empty, camera);
  status.framesRendered++;
}

async function start(): Promise<void> {
  resize();
  browser.addEventListener('resize', resize);
  connect();
  try {
    await renderer.init();
  } catch (err) {
    status.backend = 'no renderer';
    status.error = `three.js could not start WebGPU or WebGL2: ${(err as Error).message}`;
    showStatus();
    return;
  }
  status.backend = (renderer.backend as { isWebGPUBackend?: boolean }).isWebGPUBackend ? 'WebGPU' : 'WebGL2';
  showStatus();
  await renderer.setAnimationLoop(frame);
}

void start();
