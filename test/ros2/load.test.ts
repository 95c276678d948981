/**
 * rclnodejs is optional and loaded last: before it is imported, pilot checks for a sourced ROS 2, the
 * message packages it will use and a native addon that loads, so rclnodejs's loader never starts its
 * rebuild (which deletes the addon). These tests pass with and without a sourced ROS 2 on the machine:
 * they set the environment they describe, and give the check fake ROS prefixes and rclnodejs folders.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createTransport } from '../../src/transport/index.js';
import { loadRclnodejs, rclnodejsLoader, ROS2_INSTALL_HINT } from '../../src/ros2/rclnodejs-api.js';
import { nodeCommand, splitRosArgs, startPackages } from '../../src/cli/node-command.js';
import { parseRosArgs, readParameterSections } from '../../src/ros2/ros-args.js';
import { bridgeCommand } from '../../src/cli/bridge-command.js';
import { addonCandidates, aptPackage, checkRos2, installedRclnodejsDir, missingPackages, ros2Problems } from '../../src/ros2/preflight.js';
import { createStandIn } from './stand-in/rclnodejs-stand-in.js';

const notFound = () =>
  Promise.reject(Object.assign(new Error("Cannot find package 'rclnodejs' imported from /work/main/src/ros2/rclnodejs-api.ts\nRequire stack: …"), { code: 'ERR_MODULE_NOT_FOUND' }));

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** A fake ROS 2 install prefix with `share/<pkg>/msg` for each package. */
function rosPrefix(packages: readonly string[]): string {
  const prefix = mkdtempSync(join(tmpdir(), 'pilot-ros-prefix-'));
  for (const pkg of packages) mkdirSync(join(prefix, 'share', pkg, pkg === 'std_srvs' ? 'srv' : 'msg'), { recursive: true });
  return prefix;
}

/** A fake rclnodejs folder, optionally with a built addon. */
function rclnodejsFolder(built: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-rclnodejs-'));
  writeFileSync(join(dir, 'package.json'), '{"name":"rclnodejs","version":"2.2.0"}');
  if (built) {
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
    writeFileSync(join(dir, 'build', 'Release', 'rclnodejs.node'), 'not really an addon');
  }
  return dir;
}

const NOT_SOURCED = /no ROS 2 is sourced in this shell \(ROS_DISTRO is unset\): `source \/opt\/ros\/<distro>\/setup.bash`/;

describe('the check before rclnodejs is loaded', () => {
  it('no sourced ROS 2: one line saying so and what to source; the addon is not even looked at', () => {
    const loadAddon = vi.fn();
    const problems = ros2Problems({ packages: ['std_msgs'], env: {}, rclnodejsDir: rclnodejsFolder(true), loadAddon });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(NOT_SOURCED);
    expect(ros2Problems({ packages: [], env: { ROS_DISTRO: 'humble' }, loadAddon })[0]).toMatch(/ROS_DISTRO=humble is set but AMENT_PREFIX_PATH is empty/);
    expect(loadAddon).not.toHaveBeenCalled();
  });

  it('names every missing message package and its apt package, across all prefixes of AMENT_PREFIX_PATH', () => {
    const a = rosPrefix(['std_msgs', 'sensor_msgs']);
    const b = rosPrefix(['rcl_interfaces']);
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: `${a}:${b}` };
    expect(missingPackages(['std_msgs', 'rcl_interfaces', 'std_srvs', 'ackermann_msgs'], env)).toEqual(['std_srvs', 'ackermann_msgs']);
    const [problem] = ros2Problems({ packages: ['std_msgs', 'std_srvs', 'ackermann_msgs'], env, rclnodejsDir: rclnodejsFolder(true), loadAddon: () => {} });
    expect(problem).toBe(
      'message packages std_srvs, ackermann_msgs not found in the sourced ROS 2 (no share/<pkg>/msg or srv under AMENT_PREFIX_PATH): ' +
        'install them (`sudo apt install ros-humble-std-srvs ros-humble-ackermann-msgs`, or build them into your ROS 2 workspace) and source the setup file again',
    );
    expect(aptPackage('jazzy', 'diagnostic_msgs')).toBe('ros-jazzy-diagnostic-msgs');
  });

  it('an addon that is not built: says how to build it, never loads anything (rclnodejs would run `npm run rebuild`)', () => {
    const loadAddon = vi.fn();
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: rosPrefix(['std_msgs']) };
    const dir = rclnodejsFolder(false);
    const problems = ros2Problems({ packages: ['std_msgs'], env, rclnodejsDir: dir, loadAddon, osRelease: 'VERSION_CODENAME=bookworm\n' });
    expect(problems).toEqual([
      expect.stringMatching(
        /^rclnodejs's native addon is not built \(no prebuilt binary for ROS_DISTRO=humble on bookworm \w+, no .*build\/Release\/rclnodejs.node\): build it in a shell where ROS 2 is sourced: `npm_config_yes=true npm explore rclnodejs -- npm run install`$/,
      ),
    ]);
    expect(loadAddon).not.toHaveBeenCalled();
    expect(existsSync(join(dir, 'build'))).toBe(false);
  });

  it('an addon that does not load (built against a ROS 2 that is not sourced): its error, and what to do', () => {
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: rosPrefix(['std_msgs']) };
    const loadAddon = (path: string): void => {
      throw new Error(`librcl.so: cannot open shared object file: No such file or directory\n(loading ${path})`);
    };
    const [problem] = ros2Problems({ packages: ['std_msgs'], env, rclnodejsDir: rclnodejsFolder(true), loadAddon, osRelease: '' });
    expect(problem).toMatch(/^rclnodejs's native addon does not load \(.*build\/Release\/rclnodejs.node: librcl.so: cannot open shared object file: No such file or directory\): source the ROS 2 it was built against/);
    expect(ros2Problems({ packages: ['std_msgs'], env, rclnodejsDir: rclnodejsFolder(true), loadAddon: () => {}, osRelease: '' })).toEqual([]);
  });

  it('refuses RCLNODEJS_FORCE_BUILD=1 (a rebuild at every start) and a missing rclnodejs', () => {
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: rosPrefix(['std_msgs']), RCLNODEJS_FORCE_BUILD: '1' };
    expect(ros2Problems({ packages: [], env, rclnodejsDir: rclnodejsFolder(true), loadAddon: () => {} })).toEqual([expect.stringMatching(/RCLNODEJS_FORCE_BUILD=1 is set.*: unset it/)]);
    expect(ros2Problems({ packages: [], env: { ...env, RCLNODEJS_FORCE_BUILD: undefined }, rclnodejsDir: undefined })).toEqual([
      'rclnodejs is not installed: run `npm install` in the pilot folder (it is an optional dependency)',
    ]);
  });

  it('checks the packages of the config the command line gives, before the node exists', () => {
    const sections = (...args: string[]) => readParameterSections(parseRosArgs(['--ros-args', ...args]));
    expect(startPackages(sections(), '/pilot', 'launch/pilot.yaml')).toEqual([
      'ackermann_msgs',
      'builtin_interfaces',
      'diagnostic_msgs',
      'geometry_msgs',
      'lifecycle_msgs',
      'rcl_interfaces',
      'sensor_msgs',
      'std_msgs',
      'std_srvs',
      'tf2_msgs',
    ]);
    const twist = startPackages(sections('-p', 'outputs.command.type:=twist', '-p', "ros2.estop_service:=''", '-p', 'use_sim_time:=true'), '/pilot', 'launch/pilot.yaml');
    expect(twist).toEqual(expect.arrayContaining(['geometry_msgs', 'rosgraph_msgs']));
    expect(twist).not.toContain('std_srvs');
    expect(twist).not.toContain('ackermann_msgs');
  });

  it('lists several problems in one E_ROS2_UNAVAILABLE', () => {
    const env = { ROS_DISTRO: 'humble', AMENT_PREFIX_PATH: rosPrefix([]) };
    expect(() => checkRos2({ packages: ['std_srvs'], env, rclnodejsDir: undefined })).toThrow(
      /^E_ROS2_UNAVAILABLE: pilot did not load rclnodejs: \n {2}- message package std_srvs not found.*\n {2}- rclnodejs is not installed/,
    );
  });

  it('the installed rclnodejs is 2.2.0, and its prebuilt binaries are named as the check expects', () => {
    const dir = installedRclnodejsDir();
    expect(dir, 'rclnodejs is an optional dependency: npm install puts it in node_modules').toBeDefined();
    expect(JSON.parse(readFileSync(join(dir!, 'package.json'), 'utf8'))).toMatchObject({ name: 'rclnodejs', version: '2.2.0' });
    if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
      const [prebuilt] = addonCandidates(dir!, { ROS_DISTRO: 'humble' }, 'ID=ubuntu\nVERSION_CODENAME=jammy\n');
      expect(existsSync(prebuilt!), prebuilt).toBe(true);
    }
  });
});

describe('loading rclnodejs', () => {
  it('without a sourced ROS 2 the real loader stops at the check, before importing rclnodejs', async () => {
    vi.stubEnv('ROS_DISTRO', '');
    vi.stubEnv('AMENT_PREFIX_PATH', '');
    const err = await loadRclnodejs(rclnodejsLoader()).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_ROS2_UNAVAILABLE' });
    expect((err as Error).message).toMatch(NOT_SOURCED);
  });

  it('any other failed import becomes E_ROS2_UNAVAILABLE: what failed, whether ROS is sourced, what to do', async () => {
    vi.stubEnv('ROS_DISTRO', '');
    const err = await loadRclnodejs(notFound).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'E_ROS2_UNAVAILABLE' });
    const text = (err as Error).message;
    expect(text).toMatch(/^E_ROS2_UNAVAILABLE: cannot load rclnodejs \(Cannot find package 'rclnodejs' imported from .*\); no ROS 2 is sourced in this shell \(ROS_DISTRO is unset\)\./);
    expect(text).not.toMatch(/Require stack/);
    expect(text).toContain('source /opt/ros/<distro>/setup.bash');
    expect(text).toContain('npm_config_yes=true npm explore rclnodejs -- npm run install');
    expect(text).toContain('Humble, Jazzy, Kilted');
    expect(text.endsWith(ROS2_INSTALL_HINT)).toBe(true);
  });

  it('says which distro is sourced when one is (the build against it failed)', async () => {
    vi.stubEnv('ROS_DISTRO', 'jazzy');
    const err = await loadRclnodejs(() => Promise.reject(new Error('Could not locate the bindings file rclnodejs.node'))).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/cannot load rclnodejs \(Could not locate the bindings file rclnodejs.node\); ROS_DISTRO=jazzy is sourced\./);
  });

  it('takes the module whether Node exposes the exports as the namespace or as default', async () => {
    const { api } = createStandIn();
    await expect(loadRclnodejs(async () => ({ default: api }))).resolves.toBe(api);
    await expect(loadRclnodejs(async () => api)).resolves.toBe(api);
  });

  it('`pilot node` and `pilot bridge` print the check’s message and exit 1 in a shell without ROS 2', async () => {
    vi.stubEnv('ROS_DISTRO', '');
    vi.stubEnv('AMENT_PREFIX_PATH', '');
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(await main(['node', '--config', 'launch/pilot.yaml', '--ros-args', '-p', 'loop.rate_hz:=20.0'])).toBe(1);
    expect(await main(['bridge', '--duration', '1'])).toBe(1);
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/^pilot: E_ROS2_UNAVAILABLE: pilot did not load rclnodejs: no ROS 2 is sourced in this shell/);
  });

  it('commands take an injected loader (how the stand-in is used)', async () => {
    await expect(nodeCommand([], notFound)).rejects.toThrow(/E_ROS2_UNAVAILABLE/);
    await expect(bridgeCommand([], notFound)).rejects.toThrow(/E_ROS2_UNAVAILABLE/);
    await expect(nodeCommand(['--autostart', 'maybe'], notFound)).rejects.toThrow(/--autostart must be true or false/);
  });

  it('transport.kind ros2 outside `pilot node` says where it runs', () => {
    expect(() => createTransport('ros2')).toThrow(/E_TRANSPORT_KIND: transport.kind 'ros2' runs as a ROS 2 node: use `pilot node --config <yaml>`/);
  });

  it('separates pilot’s arguments from --ros-args', () => {
    expect(splitRosArgs(['--config', 'a.yaml', '--ros-args', '-r', '__ns:=/r1', '-p', 'x:=1', '--', '--autostart', 'true'])).toEqual({
      own: ['--config', 'a.yaml', '--autostart', 'true'],
      ros: ['--ros-args', '-r', '__ns:=/r1', '-p', 'x:=1', '--'],
    });
  });

  it('lists node and bridge in the usage', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    expect(await main(['help'])).toBe(0);
    expect(out.join('\n')).toMatch(/pilot node \[--config <yaml>\] \[--autostart true\|false\]/);
    expect(out.join('\n')).toMatch(/pilot bridge \[--config <bridge.yaml>\]/);
  });
});
