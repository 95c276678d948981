/**
 * Builds the three.js scene of a track from world data: ground, road, lane markings, kerbs, cones,
 * obstacles, sky and lights. The scene never knows the renderer; the world never knows the scene.
 * Geometry is in the REP-103 world frame (z up), so poses from the physics go in unchanged.
 */
import * as THREE from 'three/webgpu';
import type { Track } from '../world/track.js';
import { mulberry32 } from '../../src/core/util/prng.js';

// Colours are display values end to end (no linear workflow), so a colour in a track file or a domain
// sample is the colour in the camera image, in Node and in the browser viewer alike.
THREE.ColorManagement.enabled = false;

/** What the scene looks like: the rendering half of domain randomisation. Colours are 0xRRGGBB. */
export interface SceneLook {
  skyColour: number;
  groundColour: number;
  groundKind: 'grass' | 'sand' | 'dirt';
  roadColour: number;
  roadKind: 'asphalt' | 'concrete' | 'worn';
  lineColour: number;
  centreLineColour: number;
  sunAzimuthRad: number;
  sunElevationRad: number;
  sunColour: number;
  sunIntensity: number;
  ambientIntensity: number;
  fogDensity: number;
  textureSeed: number;
}


export interface TrackScene {
  readonly scene: THREE.Scene;
  /** Hidden in the robot's own camera (it sits inside it); shown by the viewer's chase camera. */
  readonly vehicle: THREE.Group;
  setVehiclePose(x: number, y: number, yawRad: number, steeringRad?: number): void;
  dispose(): void;
}

// Render order by height above the ground plane, plus polygon offset, so coplanar layers never z-fight.
const ROAD_Z = 0.004;
const KERB_Z = 0.006;
const LINE_Z = 0.008;

export function buildTrackScene(track: Track, look: SceneLook): TrackScene {
  const scene = new THREE.Scene();
  const disposables: { dispose(): void }[] = [];
  const keep = <T extends { dispose(): void }>(d: T): T => (disposables.push(d), d);

  scene.background = new THREE.Color(look.skyColour);
  if (look.fogDensity > 0) scene.fog = new THREE.FogExp2(look.skyColour, look.fogDensity);

  const hemi = new THREE.HemisphereLight(look.skyColour, look.groundColour, look.ambientIntensity);
  hemi.position.set(0, 0, 1);
  scene.add(hemi);
  const sun = new THREE.DirectionalLight(look.sunColour, look.sunIntensity);
  const el = look.sunElevationRad;
  sun.position.set(Math.cos(look.sunAzimuthRad) * Math.cos(el), Math.sin(look.sunAzimuthRad) * Math.cos(el), Math.sin(el));
  scene.add(sun);

  const bounds = trackBounds(track);
  scene.add(groundMesh(bounds, look, keep));
  scene.add(roadMesh(track, look, keep));
  scene.add(paintMesh(track, look, keep));
  const cones = coneMesh(track, keep);
  if (cones) scene.add(cones);
  for (const o of track.scenery.obstacles) scene.add(obstacleMesh(o, keep));

  const vehicle = vehicleModel(keep);
  vehicle.visible = false;
  scene.add(vehicle);

  return {
    scene,
    vehicle,
    setVehiclePose(x, y, yawRad, steeringRad = 0) {
      vehicle.position.set(x, y, 0);
      vehicle.rotation.set(0, 0, yawRad);
      const front = vehicle.userData.frontWheels as THREE.Object3D[];
      for (const w of front) w.rotation.z = steeringRad;
    },
    dispose() {
      for (const d of disposables) d.dispose();
    },
  };
}

interface Bounds {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

function trackBounds(track: Track): Bounds {
  const { x, y } = track.samples;
  const b = { minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  for (let i = 0; i < x.length; i++) {
    b.minX = Math.min(b.minX, x[i]!);
    b.maxX = Math.max(b.maxX, x[i]!);
    b.minY = Math.min(b.minY, y[i]!);
    b.maxY = Math.max(b.maxY, y[i]!);
  }
  return b;
}

type Keep = <T extends { dispose(): void }>(d: T) => T;

/** Large subdivided ground: software rasterisers mis-draw huge two-triangle planes. */
function groundMesh(b: Bounds, look: SceneLook, keep: Keep): THREE.Mesh {
  const margin = 60;
  const w = b.maxX - b.minX + 2 * margin;
  const h = b.maxY - b.minY + 2 * margin;
  const geometry = keep(new THREE.PlaneGeometry(w, h, Math.ceil(w / 4), Math.ceil(h / 4)));
  const texture = keep(noiseTexture(look.groundColour, look.groundKind === 'grass' ? 0.22 : 0.14, look.textureSeed + 1));
  texture.repeat.set(w / 4, h / 4);
  const material = keep(flatMaterial(look, 0, { map: texture }));
  const mesh = new THREE.Mesh(geometry, material);
  mesh.position.set((b.minX + b.maxX) / 2, (b.minY + b.maxY) / 2, 0);
  return mesh;
}

/** The road surface: a strip along the centreline with shared vertices and v along the arc length. */
function stripGeometry(track: Track, innerM: number, outerM: number, z: number, vRepeatM: number): THREE.BufferGeometry {
  const { x, y, headingRad, sM } = track.samples;
  const n = x.length;
  const positions: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  for (let i = 0; i <= n; i++) {
    const k = i % n;
    const nx = -Math.sin(headingRad[k]!);
    const ny = Math.cos(headingRad[k]!);
    positions.push(x[k]! + nx * innerM, y[k]! + ny * innerM, z, x[k]! + nx * outerM, y[k]! + ny * outerM, z);
    const v = (i === n ? track.lengthM : sM[k]!) / vRepeatM;
    uvs.push(0, v, 1, v);
  }
  for (let i = 0; i < n; i++) {
    const a = 2 * i;
    // Counter-clockwise seen from above (+z): inner < outer.
    indices.push(a, a + 2, a + 1, a + 1, a + 2, a + 3);
  }
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(positions, 3));
  g.setAttribute('uv', new THREE.Float32BufferAttribute(uvs, 2));
  g.setIndex(indices);
  g.computeVertexNormals();
  return g;
}

/**
 * Ground, road, lines and kerbs all face straight up, so their lighting is one constant per look:
 * baked into an unlit material it costs nothing per pixel (software rasterisers shade on the CPU).
 */
function flatMaterial(
  look: SceneLook,
  layer: number,
  params: { color?: number; map?: THREE.Texture; vertexColors?: boolean },
): THREE.MeshBasicMaterial {
  const color = new THREE.Color(params.color ?? 0xffffff).multiply(upFacingLight(look));
  return new THREE.MeshBasicMaterial({
    color,
    vertexColors: params.vertexColors === true,
    ...(params.map ? { map: params.map } : {}),
    polygonOffset: layer > 0,
    polygonOffsetFactor: -layer,
    polygonOffsetUnits: -layer,
  });
}

/** Lambert shading of an up-facing surface under the look's sun and sky, as three.js computes it (albedo/π). */
function upFacingLight(look: SceneLook): THREE.Color {
  const sun = new THREE.Color(look.sunColour).multiplyScalar(look.sunIntensity * Math.max(0, Math.sin(look.sunElevationRad)));
  const sky = new THREE.Color(look.skyColour).multiplyScalar(look.ambientIntensity);
  return sun.add(sky).multiplyScalar(1 / Math.PI);
}

function roadMesh(track: Track, look: SceneLook, keep: Keep): THREE.Mesh {
  const half = track.widthM / 2;
  const geometry = keep(stripGeometry(track, -half, half, ROAD_Z, 2));
  const contrast = look.roadKind === 'worn' ? 0.2 : look.roadKind === 'concrete' ? 0.06 : 0.1;
  const texture = keep(noiseTexture(look.roadColour, contrast, look.textureSeed));
  const material = keep(flatMaterial(look, 1, { map: texture }));
  return new THREE.Mesh(geometry, material);
}

/**
 * Lane markings and kerbs in one vertex-coloured mesh: one draw call however many dashes and kerbs
 * a track has (draw calls, not pixels, dominate a software rasteriser's frame time here).
 */
function paintMesh(track: Track, look: SceneLook, keep: Keep): THREE.Mesh {
  const half = track.widthM / 2;
  const m = track.markings;
  const { sM } = track.samples;
  const paint = new QuadStripBuilder(track);
  const line = new THREE.Color(look.lineColour);
  const edgeInner = half - m.edgeLineWidthM - 0.02;
  paint.add(edgeInner, half - 0.02, LINE_Z, () => line);
  paint.add(-(half - 0.02), -edgeInner, LINE_Z, () => line);
  const period = m.centreDashM + m.centreGapM;
  const centre = new THREE.Color(look.centreLineColour);
  const hw = m.centreLineWidthM / 2;
  paint.add(-hw, hw, LINE_Z, (i) => (sM[i]! % period < m.centreDashM ? centre : null));
  const red = new THREE.Color(0xc8281e);
  const white = new THREE.Color(0xf4f4f4);
  const stripeM = 0.2;
  for (const kerb of track.scenery.kerbs) {
    const [inner, outer] = kerb.side === 'left' ? [half, half + 0.12] : [-(half + 0.12), -half];
    paint.add(inner, outer, KERB_Z, (i) =>
      inRange(sM[i]!, kerb.startSM, kerb.endSM) ? (Math.floor(sM[i]! / stripeM) % 2 === 0 ? red : white) : null,
    );
  }
  const material = keep(flatMaterial(look, 3, { vertexColors: true }));
  return new THREE.Mesh(keep(paint.build()), material);
}

/** Quads along the centreline, each with its own vertices so colours stay crisp per segment. */
class QuadStripBuilder {
  readonly #positions: number[] = [];
  readonly #colours: number[] = [];
  readonly #indices: number[] = [];
  readonly #track: Track;

  constructor(track: Track) {
    this.#track = track;
  }

  /** Segment i gets colour `colourOf(i)`, or is skipped when it returns null. `innerM` < `outerM`. */
  add(innerM: number, outerM: number, z: number, colourOf: (i: number) => THREE.Color | null): void {
    const { x, y, headingRad } = this.#track.samples;
    const n = x.length;
    for (let i = 0; i < n; i++) {
      const colour = colourOf(i);
      if (!colour) continue;
      const base = this.#positions.length / 3;
      for (const k of [i, (i + 1) % n]) {
        const nx = -Math.sin(headingRad[k]!);
        const ny = Math.cos(headingRad[k]!);
        this.#positions.push(x[k]! + nx * innerM, y[k]! + ny * innerM, z, x[k]! + nx * outerM, y[k]! + ny * outerM, z);
        for (let v = 0; v < 2; v++) this.#colours.push(colour.r, colour.g, colour.b);
      }
      // Counter-clockwise seen from above (+z): inner is to the right of outer when driving along.
      this.#indices.push(base, base + 2, base + 1, base + 1, base + 2, base + 3);
    }
  }

  build(): THREE.BufferGeometry {
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(this.#positions, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(this.#colours, 3));
    g.setIndex(this.#indices);
    return g;
  }
}

/** Arc-length interval that may wrap past the start line (start > end). */
function inRange(s: number, start: number, end: number): boolean {
  return start <= end ? s >= start && s <= end : s >= start || s <= end;
}

function coneMesh(track: Track, keep: Keep): THREE.InstancedMesh | null {
  const cones = track.scenery.cones;
  if (cones.length === 0) return null;
  const geometry = keep(new THREE.ConeGeometry(0.05, 0.15, 10));
  geometry.rotateX(Math.PI / 2); // three's cone points along +y; ours stand on z
  geometry.translate(0, 0, 0.075);
  const material = keep(new THREE.MeshLambertMaterial({ color: 0xff6a13 }));
  const mesh = new THREE.InstancedMesh(geometry, material, cones.length);
  const m = new THREE.Matrix4();
  cones.forEach((c, i) => mesh.setMatrixAt(i, m.makeTranslation(c.x, c.y, 0)));
  mesh.instanceMatrix.needsUpdate = true;
  return mesh;
}

function obstacleMesh(o: Track['scenery']['obstacles'][number], keep: Keep): THREE.Mesh {
  const geometry = keep(new THREE.BoxGeometry(o.lengthM, o.widthM, o.heightM));
  const material = keep(new THREE.MeshLambertMaterial({ color: 0x8a5a2b }));
  const mesh = new THREE.Mesh(geometry, material);
  mesh.position.set(o.x, o.y, o.heightM / 2);
  mesh.rotation.set(0, 0, o.yawRad);
  return mesh;
}

/** A simple 1/10 car for the chase camera: body and four wheels, base_link at the rear axle. */
function vehicleModel(keep: Keep): THREE.Group {
  const group = new THREE.Group();
  const body = new THREE.Mesh(keep(new THREE.BoxGeometry(0.42, 0.19, 0.08)), keep(new THREE.MeshLambertMaterial({ color: 0x1f6feb })));
  body.position.set(0.13, 0, 0.09);
  group.add(body);
  const wheelGeometry = keep(new THREE.CylinderGeometry(0.035, 0.035, 0.03, 12));
  const wheelMaterial = keep(new THREE.MeshLambertMaterial({ color: 0x111111 }));
  const front: THREE.Object3D[] = [];
  for (const [x, y] of [
    [0, 0.11],
    [0, -0.11],
    [0.26, 0.11],
    [0.26, -0.11],
  ] as const) {
    const pivot = new THREE.Group();
    pivot.position.set(x, y, 0.035);
    const wheel = new THREE.Mesh(wheelGeometry, wheelMaterial);
    pivot.add(wheel); // cylinder axis is y: already the wheel axle
    group.add(pivot);
    if (x > 0) front.push(pivot);
  }
  group.userData.frontWheels = front;
  return group;
}

/** A small tiling noise texture around a base colour: gives the road and ground visible texture. */
function noiseTexture(colour: number, contrast: number, seed: number): THREE.DataTexture {
  const size = 64;
  const random = mulberry32(seed);
  const data = new Uint8Array(size * size * 4);
  const r = (colour >> 16) & 0xff;
  const g = (colour >> 8) & 0xff;
  const b = colour & 0xff;
  for (let i = 0; i < size * size; i++) {
    const f = 1 + (random() * 2 - 1) * contrast;
    data[4 * i] = clampByte(r * f);
    data[4 * i + 1] = clampByte(g * f);
    data[4 * i + 2] = clampByte(b * f);
    data[4 * i + 3] = 255;
  }
  const texture = new THREE.DataTexture(data, size, size, THREE.RGBAFormat);
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
  texture.magFilter = THREE.LinearFilter;
  texture.minFilter = THREE.LinearMipmapLinearFilter;
  texture.generateMipmaps = true;
  texture.needsUpdate = true;
  return texture;
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
