/**
 * Which files the viewer serves, as a pure function of the request path: three.js's browser builds
 * (a fixed list) and the compiled viewer page and scene builder (JavaScript under a few folders of
 * `dist/`). Anything else, and anything that tries to leave those folders, resolves to null (404).
 */
import path from 'node:path';

/** three's browser builds that the page (through its import map) and three.webgpu.js itself load. */
export const THREE_FILES: ReadonlySet<string> = new Set(['three.module.js', 'three.core.js', 'three.webgpu.js', 'three.tsl.js']);

/** Folders of `dist/` the page's modules live in: the client, the scene builder and what they import (add a folder here when the scene builder imports from a new one). */
export const APP_PREFIXES: readonly string[] = ['sim/viewer/', 'sim/render/', 'src/core/util/'];

export interface AssetRoots {
  /** node_modules/three/build */
  threeDir: string;
  /** The compiled project: `dist/`. */
  appDir: string;
}

export interface Asset {
  file: string;
  contentType: string;
  /** three's builds never change while the server runs; the compiled app may be rebuilt. */
  immutable: boolean;
}

const SAFE_RELATIVE = /^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_.-]+)*\.js(?:\.map)?$/;

/** Resolves a request path (`/three/three.webgpu.js`, `/app/sim/viewer/client/main.js`) to a file, or null. */
export function resolveAsset(pathname: string, roots: AssetRoots): Asset | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.startsWith('/three/')) {
    const name = decoded.slice('/three/'.length);
    return THREE_FILES.has(name) ? { file: path.join(roots.threeDir, name), contentType: 'text/javascript; charset=utf-8', immutable: true } : null;
  }
  if (decoded.startsWith('/app/')) {
    const rel = decoded.slice('/app/'.length);
    if (!SAFE_RELATIVE.test(rel) || rel.split('/').some((segment) => segment.startsWith('.'))) return null;
    if (!APP_PREFIXES.some((prefix) => rel.startsWith(prefix))) return null;
    const root = path.resolve(roots.appDir);
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return null;
    const contentType = rel.endsWith('.map') ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8';
    return { file, contentType, immutable: false };
  }
  return null;
}
