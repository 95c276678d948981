import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PilotError } from '../util/errors.js';
import { PilotConfig, type PilotConfigInput } from './schema.js';

/** Render the first schema problem as `file: key.path: problem (got value)`. */
/** A value as JSON for an error message; YAML aliases can make cycles, which JSON cannot show. */
function showValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(a value that refers to itself through a YAML alias)';
  }
}

export function describeIssue(source: string, issues: readonly z.core.$ZodIssue[], raw: unknown): string {
  const issue = issues[0]!;
  const key = issue.path.map(String).join('.') || '(root)';
  let got = raw as unknown;
  for (const part of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[part as PropertyKey] : undefined;
  const shown = got === undefined ? '' : ` (got ${showValue(got)})`;
  const more = issues.length > 1 ? ` [+${issues.length - 1} more]` : '';
  return `${source}: ${key}: ${issue.message}${shown}${more}`;
}

/** Validate a config object; relative paths are resolved against `baseDir`. */
export function parseConfig(raw: unknown, source: string, baseDir: string): PilotConfig {
  const parsed = PilotConfig.safeParse(raw ?? {});
  if (!parsed.success) throw new PilotError('E_CONFIG', describeIssue(source, parsed.error.issues, raw));
  const config = parsed.data;
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.model.path = abs(config.model.path);
  config.calibration.camera = abs(config.calibration.camera);
  config.calibration.vehicle = abs(config.calibration.vehicle);
  config.model.tensorrt.engine_cache_dir = abs(config.model.tensorrt.engine_cache_dir);
  if (config.arm) config.arm.description = abs(config.arm.description);
  return config;
}

/**
 * Load and validate a YAML config file. Relative paths inside it are resolved against the
 * project root given (default: the current directory), like a launch file's package share.
 */
export function loadConfig(path: string, baseDir: string = process.cwd()): PilotConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PilotError('E_CONFIG', `cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PilotError('E_CONFIG', `${path}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(raw, path, baseDir ?? dirname(path));
}

export type { PilotConfigInput };
