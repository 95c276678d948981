/**
 * The Node side of `ProviderEnvironment`: where onnxruntime-node's binding lives, which providers it was
 * built with, and whether the dynamic loader would find a library. Kept apart from providers.ts so the
 * choice of provider is testable with a made-up machine.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ProviderEnvironment } from './providers.js';

/** Folders the Linux loader searches without configuration (plus multiarch ones). */
const DEFAULT_LIBRARY_DIRS = [
  '/lib',
  '/usr/lib',
  '/lib64',
  '/usr/lib64',
  '/usr/local/lib',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
];

let cached: ProviderEnvironment | undefined;

/** The environment of this process (computed once: it reads ld.so.cache). */
export function nodeProviderEnvironment(): ProviderEnvironment {
  if (cached) return cached;
  const platform = `${process.platform}/${process.arch}`;
  const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
  const bindingDir = join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
  let backends: { name: string; bundled: boolean }[];
  try {
    backends = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  } catch {
    backends = [{ name: 'cpu', bundled: true }];
  }
  const searchDirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), bindingDir, ...DEFAULT_LIBRARY_DIRS];
  let ldCache: string | undefined;
  const inLdCache = (name: string): boolean => {
    if (ldCache === undefined) {
      try {
        // The cache is binary, but library names are stored as plain NUL-terminated strings.
        ldCache = readFileSync('/etc/ld.so.cache', 'latin1');
      } catch {
        ldCache = '';
      }
    }
    return ldCache.includes(`${name}\0`);
  };
  cached = {
    platform,
    bindingDir,
    backends,
    exists: existsSync,
    libraryVisible: (name) => searchDirs.some((dir) => existsSync(join(dir, name))) || inLdCache(name),
    ensureDir: (path) => void mkdirSync(path, { recursive: true }),
  };
  return cached;
}
