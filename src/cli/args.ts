/** The usage error, and the option values several commands share (transport, providers, distro, compression). */
import { PROVIDER_NAMES, type ProviderName } from '../core/config/schema.js';
import { isRosDistro, ROS_DISTROS, type RosDistro } from '../core/messages/ros-distro.js';

/** A usage error: printed as one line and "see `pilot <command> --help`", exit code 2. */
export class CliError extends Error {}

export const TRANSPORT_KINDS = ['zeromq', 'inprocess'] as const;
export const COMPRESSIONS = ['none', 'lz4', 'zstd'] as const;

/** `--ep cpu,webgpu`: known execution providers, at least one. */
export function providerList(value: string, flag = '--ep'): ProviderName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(n)) {
      throw new CliError(`${flag}: unknown execution provider '${n}' (known: ${PROVIDER_NAMES.join(', ')})`);
    }
  }
  if (names.length === 0) throw new CliError(`${flag} needs at least one provider`);
  return names as ProviderName[];
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
