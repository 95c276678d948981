/**
 * The track: its types and the ways to get one (load a file, generate, build from a definition).
 * The one module the rest of the simulator imports for tracks; the pieces import track-types.ts.
 */
export type * from './track-types.js';
export { TRACK_LIMITS } from './limits.js';
export type { Point2 } from './centreline.js';
export { buildTrack } from './sampled-track.js';
export { loadTrack, listTracks, parseTrackFile, tracksDir } from './track-file.js';
export { generateTrack } from './generator.js';
