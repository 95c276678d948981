/** A small synthetic world and drive states for the viewer tests. */
import type { SceneLook } from '../../../sim/render/scene-builder.js';
import type { ViewerState, ViewerTrack, ViewerWorld } from '../../../sim/viewer/protocol.js';

/** An anticlockwise ellipse (semi-axes a along x, b along y) sampled every ~spacingM, with a few cones. */
export function ellipseTrack(aM = 6, bM = 4, widthM = 1.2, spacingM = 0.05): ViewerTrack {
  // Fine parametric sampling, then resampling by arc length.
  const fine = 20_000;
  const px: number[] = [];
  const py: number[] = [];
  const cum: number[] = [0];
  for (let i = 0; i <= fine; i++) {
    const t = (i / fine) * 2 * Math.PI;
    px.push(aM * Math.cos(t));
    py.push(bM * Math.sin(t));
    if (i > 0) cum.push(cum[i - 1]! + Math.hypot(px[i]! - px[i - 1]!, py[i]! - py[i - 1]!));
  }
  const lengthM = cum[fine]!;
  const n = Math.round(lengthM / spacingM);
  const x = new Float64Array(n), y = new Float64Array(n), sM = new Float64Array(n), headingRad = new Float64Array(n), curvature = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const s = (i * lengthM) / n;
    while (cum[j + 1]! < s) j++;
    const t = ((j + (s - cum[j]!) / (cum[j + 1]! - cum[j]!)) / fine) * 2 * Math.PI;
    x[i] = aM * Math.cos(t);
    y[i] = bM * Math.sin(t);
    sM[i] = s;
    headingRad[i] = Math.atan2(bM * Math.cos(t), -aM * Math.sin(t));
    curvature[i] = (aM * bM) / Math.pow(aM * aM * Math.sin(t) ** 2 + bM * bM * Math.cos(t) ** 2, 1.5);
  }
  return {
    name: 'test-ellipse',
    widthM,
    lengthM,
    samples: { x, y, sM, headingRad, curvature },
    scenery: {
      cones: [
        { x: aM + widthM, y: 1, },
        { x: aM + widthM, y: 1.5 },
      ],
      obstacles: [{ x: 0, y: bM + 2, yawRad: 0, lengthM: 0.6, widthM: 0.4, heightM: 0.4 }],
      kerbs: [],
    },
    markings: { edgeLineWidthM: 0.05, centreLineWidthM: 0.04, centreDashM: 0.3, centreGapM: 0.3 },
  };
}

/** A road colour no other part of the scene has (ground green, sky blue, car blue, lines white/yellow). */
export const MAGENTA_ROAD = 0xb02890;

export const TEST_LOOK: SceneLook = {
  skyColour: 0x9cc7e8,
  groundColour: 0x4f7a3a,
  groundKind: 'grass',
  roadColour: MAGENTA_ROAD,
  roadKind: 'asphalt',
  lineColour: 0xf2f2f2,
  centreLineColour: 0xf0c419,
  sunAzimuthRad: 0.8,
  sunElevationRad: 0.9,
  sunColour: 0xfff4e0,
  sunIntensity: 2.2,
  ambientIntensity: 1.2,
  fogDensity: 0,
  textureSeed: 1,
};

export function testWorld(): ViewerWorld {
  return { track: ellipseTrack(), look: TEST_LOOK };
}

export function testState(overrides: Partial<ViewerState> = {}): ViewerState {
  return {
    tS: 12.5,
    x: 6,
    y: 0,
    yawRad: Math.PI / 2,
    steeringRad: 0.1,
    speedMps: 1.5,
    crossTrackM: 0.05,
    lap: 1,
    lapsRequested: 3,
    lapTimesS: [11.25],
    interventions: 0,
    offRoadEvents: 2,
    collisions: 0,
    realtimeFactor: 5.25,
    driver: 'expert',
    latencyP50Ms: 1.2,
    latencyP99Ms: 3.4,
    ...overrides,
  };
}
