import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PROVIDER_NAMES, type ProviderName } from '../core/config/schema.js';
import { isRosDistro, ROS_DISTROS, type RosDistro } from '../core/messages/ros-distro.js';

/** A usage error: printed with the usage text, exit code 2. */
export class CliError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<T extends Options>(
  args: readonly string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function positiveNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number, got '${value}'`);
  return n;
}

export function providerList(value: string | undefined, fallback: readonly ProviderName[]): ProviderName[] {
  if (value === undefined) return [...fallback];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(n)) {
      throw new CliError(`--ep: unknown execution provider '${n}' (known: ${PROVIDER_NAMES.join(', ')})`);
    }
  }
  if (names.length === 0) throw new CliError('--ep needs at least one provider');
  return names as ProviderName[];
}

export function transportKind(value: string | undefined): 'zeromq' | 'inprocess' {
  if (value === undefined || value === 'zeromq' || value === 'inprocess') return value ?? 'zeromq';
  throw new CliError(`--transport must be zeromq or inprocess, got '${value}'`);
}

/**
 * `--distro`: whose standard definitions decode types a bag neither defines nor pilot vendors, when
 * the bag does not name its distro (metadata.yaml `ros_distro`, the db3 schema table).
 */
export function distroOption(value: string | undefined): { distro?: RosDistro } {
  if (value === undefined) return {};
  if (!isRosDistro(value)) throw new CliError(`--distro must be one of ${ROS_DISTROS.join(', ')}, got '${value}'`);
  return { distro: value };
}
