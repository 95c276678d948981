/**
 * What must hold before pilot loads rclnodejs, checked without loading it: a sourced ROS 2, every
 * message package the node will use in that ROS 2, rclnodejs installed, and a native addon that loads.
 *
 * The last two matter because rclnodejs 2.2.0's loader, when it finds no addon it can load, runs
 * `npm run rebuild` inside its own folder, which first deletes any build it has (`node-gyp clean`) and
 * then fails without a sourced ROS 2. pilot never lets it get there: everything missing is reported in
 * one E_ROS2_UNAVAILABLE error naming what to install or build.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import type { PilotConfig } from '../core/config/schema.js';
import { Ros2Section } from '../core/config/schema.js';
import { PilotError } from '../core/util/errors.js';

/** Packages every pilot node uses: parameters and lifecycle services, stamps, e-stop, camera, diagnostics. */
export const NODE_PACKAGES: readonly string[] = ['builtin_interfaces', 'rcl_interfaces', 'lifecycle_msgs', 'std_msgs', 'sensor_msgs', 'diagnostic_msgs'];

/** Packages any rclnodejs node uses (its parameter services). */
export const BASE_PACKAGES: readonly string[] = ['builtin_interfaces', 'rcl_interfaces'];

const COMMAND_PACKAGES: Record<PilotConfig['outputs']['command']['type'], string> = {
  ackermann: 'ackermann_msgs',
  twist: 'geometry_msgs',
  joint_trajectory: 'trajectory_msgs',
  float64_multi_array: 'std_msgs',
};

/** The package of a `pkg/msg/Name` or `pkg/Name` type name. */
export function packageOf(typeName: string): string {
  return typeName.split('/')[0]!;
}

/** Every message package a node with this config uses (NODE_PACKAGES plus what the config adds). */
export function packagesForConfig(config: PilotConfig, useSimTime: boolean): string[] {
  const ros2 = Ros2Section.parse(config.ros2 ?? {});
  const packages = new Set(NODE_PACKAGES);
  packages.add(COMMAND_PACKAGES[config.outputs.command.type]);
  for (const s of config.inputs.state) packages.add(packageOf(s.type));
  if (ros2.estop_service) packages.add('std_srvs');
  if (ros2.publish_tf && ros2.camera_mount) for (const p of ['tf2_msgs', 'geometry_msgs']) packages.add(p);
  if (useSimTime) packages.add('rosgraph_msgs');
  return [...packages].sort();
}

/** The Debian/Ubuntu package of a ROS 2 package: `ros-humble-std-srvs` for std_srvs. */
export function aptPackage(distro: string, pkg: string): string {
  return `ros-${distro}-${pkg.replace(/_/g, '-')}`;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The packages of `packages` that no prefix of AMENT_PREFIX_PATH has a `share/<pkg>/msg` or `share/<pkg>/srv` folder for. */
export function missingPackages(packages: readonly string[], env: Env = process.env): string[] {
  const prefixes = (env.AMENT_PREFIX_PATH ?? '').split(delimiter).filter((p) => p !== '');
  const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();
  return [...new Set(packages)].filter((pkg) => !prefixes.some((prefix) => isDir(join(prefix, 'share', pkg, 'msg')) || isDir(join(prefix, 'share', pkg, 'srv'))));
}

/** What to do about missing message packages, naming them and their apt packages. */
export function missingPackagesAdvice(missing: readonly string[], env: Env = process.env): string {
  const distro = env.ROS_DISTRO || '<distro>';
  const them = missing.length > 1 ? 'them' : 'it';
  return (
    `message package${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found in the sourced ROS 2 (no share/<pkg>/msg or srv under AMENT_PREFIX_PATH): ` +
    `install ${them} (\`sudo apt install ${missing.map((p) => aptPackage(distro, p)).join(' ')}\`, or build ${them} into your ROS 2 workspace) and source the setup file again`
  );
}

export interface Ros2CheckOptions {
  /** Message packages the command will use. */
  readonly packages: readonly string[];
  readonly env?: Env;
  /** rclnodejs's package folder; default: where Node resolves `rclnodejs` from here (undefined when not installed). */
  readonly rclnodejsDir?: string | undefined;
  /** Loads a native addon (throws when it cannot); default `require`. */
  readonly loadAddon?: (path: string) => void;
  /** /etc/os-release text (rclnodejs picks its prebuilt binary by VERSION_CODENAME); default read from disk. */
  readonly osRelease?: string;
}

/** Where Node resolves rclnodejs from this file, or undefined when it is not installed. */
export function installedRclnodejsDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('rclnodejs/package.json'));
  } catch {
    return undefined;
  }
}

function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

/**
 * The addon files rclnodejs 2.2.0 would load, in its order: its prebuilt binary for this ROS distro,
 * Ubuntu release and architecture (Linux only), then a build of its own (`build/Release`, `build/Debug`).
 */
export function addonCandidates(dir: string, env: Env, osRelease: string): string[] {
  const candidates: string[] = [];
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.trim();
  if (process.platform === 'linux' && env.ROS_DISTRO && codename) {
    candidates.push(join(dir, 'prebuilds', `linux-${process.arch}`, `${env.ROS_DISTRO}-${codename}-${process.arch}-node-rclnodejs.node`));
  }
  candidates.push(join(dir, 'build', 'Release', 'rclnodejs.node'), join(dir, 'build', 'Debug', 'rclnodejs.node'));
  return candidates;
}

/** Why rclnodejs's addon cannot be used as installed in `dir` (undefined when one loads). */
export function addonProblem(dir: string, env: Env, osRelease: string, loadAddon: (path: string) => void): string | undefined {
  const build = `in a shell where ROS 2 is sourced: \`npm_config_yes=true npm explore rclnodejs -- npm run install\``;
  if (env.RCLNODEJS_FORCE_BUILD === '1') return 'RCLNODEJS_FORCE_BUILD=1 is set, with which rclnodejs rebuilds (and first deletes) its addon at every start: unset it';
  const found = addonCandidates(dir, env, osRelease).filter((p) => existsSync(p));
  if (found.length === 0) {
    const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.trim() ?? 'unknown';
    return (
      `rclnodejs's native addon is not built (no prebuilt binary for ROS_DISTRO=${env.ROS_DISTRO} on ${codename} ${process.arch}, ` +
      `no ${join(dir, 'build', 'Release', 'rclnodejs.node')}): build it ${build}`
    );
  }
  const failures: string[] = [];
  for (const path of found) {
    try {
      loadAddon(path);
      return undefined;
    } catch (err) {
      failures.push(`${path}: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
    }
  }
  return `rclnodejs's native addon does not load (${failures.join('; ')}): source the ROS 2 it was built against, or rebuild it ${build}`;
}

/** Everything that keeps pilot from loading rclnodejs here, most basic first (empty when nothing does). */
export function ros2Problems(options: Ros2CheckOptions): string[] {
  const env = options.env ?? process.env;
  if (!env.ROS_DISTRO) {
    return ['no ROS 2 is sourced in this shell (ROS_DISTRO is unset): `source /opt/ros/<distro>/setup.bash`, or the install/setup.bash of your ROS 2 build, first'];
  }
  if (!env.AMENT_PREFIX_PATH) {
    return [`ROS_DISTRO=${env.ROS_DISTRO} is set but AMENT_PREFIX_PATH is empty: source the setup.bash of that ROS 2 installation in this shell`];
  }
  const problems: string[] = [];
  const missing = missingPackages(options.packages, env);
  if (missing.length > 0) problems.push(missingPackagesAdvice(missing, env));
  const dir = 'rclnodejsDir' in options ? options.rclnodejsDir : installedRclnodejsDir();
  if (dir === undefined) {
    problems.push('rclnodejs is not installed: run `npm install` in the pilot folder (it is an optional dependency)');
  } else {
    const requireAddon = createRequire(import.meta.url);
    const problem = addonProblem(dir, env, options.osRelease ?? readOsRelease(), options.loadAddon ?? ((p) => void requireAddon(p)));
    if (problem) problems.push(problem);
  }
  return problems;
}

/** Throws one E_ROS2_UNAVAILABLE naming everything `ros2Problems` found. */
export function checkRos2(options: Ros2CheckOptions): void {
  const problems = ros2Problems(options);
  if (problems.length === 0) return;
  const list = problems.length === 1 ? problems[0]! : problems.map((p) => `\n  - ${p}`).join('');
  throw new PilotError('E_ROS2_UNAVAILABLE', `pilot did not load rclnodejs: ${list}`);
}
