/** The rendering half of a domain sample: colours, light and fog as a SceneLook. */
import { NOMINAL_DOMAIN, rgbToHex, type DomainParams } from '../world/domain-randomization.js';
import type { CameraEffectsSettings } from '../sensors/camera-effects.js';
import type { SceneLook } from './scene-builder.js';

/**
 * three.js lights are physical: a Lambert surface reflects irradiance/π. This factor makes the nominal
 * domain render a white line near full brightness and the road mid-dark, like a daylight camera.
 */
const LIGHT_SCALE = 1.4;

export function lookFromDomain(d: Readonly<DomainParams>): SceneLook {
  return {
    skyColour: rgbToHex(d.skyColour),
    groundColour: rgbToHex(d.groundColour),
    groundKind: d.groundKind,
    roadColour: rgbToHex(d.roadColour),
    roadKind: d.roadKind,
    lineColour: rgbToHex(d.lineColour),
    centreLineColour: rgbToHex(d.centreLineColour),
    sunAzimuthRad: d.sunAzimuthRad,
    sunElevationRad: d.sunElevationRad,
    sunColour: rgbToHex(d.lightColour),
    sunIntensity: d.lightIntensity * LIGHT_SCALE,
    ambientIntensity: d.ambientIntensity * LIGHT_SCALE,
    fogDensity: d.fogDensityPerM,
    textureSeed: d.textureSeed,
  };
}

export const NOMINAL_LOOK: SceneLook = lookFromDomain(NOMINAL_DOMAIN);

/** The camera half of a domain sample: exposure, noise, blur and lens occluders. */
export function effectsFromDomain(d: Readonly<DomainParams>, widthPx: number, heightPx: number): Partial<CameraEffectsSettings> {
  // Domain sizes are fractions of the width; the effects size discs by the smaller side, grey 0..255.
  const discScale = widthPx / Math.min(widthPx, heightPx);
  return {
    exposureGain: d.exposureGain,
    noiseSigma: d.cameraNoiseSigma,
    blurRadiusPx: Math.round(d.blurRadiusPx),
    occluders: d.occluders.map((o) =>
      o.shape === 'disc'
        ? { shape: 'disc' as const, x: o.u, y: o.v, r: o.radius * discScale, grey: Math.round(o.grey * 255) }
        : { shape: 'rect' as const, x: o.u, y: o.v, w: o.width, h: o.height, grey: Math.round(o.grey * 255) },
    ),
  };
}
