/** Option definitions several commands share, so each means the same everywhere. */
import { ROS_DISTROS } from '../core/messages/ros-distro.js';
import { COMPRESSIONS, providerList, TRANSPORT_KINDS } from './args.js';
import { choice, custom, text } from './options.js';

export const transportOption = () => choice('--transport <kind>', 'the message transport', TRANSPORT_KINDS, { default: 'zeromq' });

export const compressionOption = (what = 'the recorded bag') => choice('--compression <kind>', `chunk compression of ${what}`, COMPRESSIONS, { default: 'none' });

export const distroOption = () =>
  choice('--distro <distro>', 'whose standard message definitions decode types the bag does not define (when it names no distro)', ROS_DISTROS, {
    message: (flag, raw) => `${flag} must be one of ${ROS_DISTROS.join(', ')}, got '${raw}'`,
  });

export const epOption = (defaultLabel: string) =>
  custom('--ep <providers>', 'execution providers in order of preference, comma separated (tensorrt, cuda, webgpu, cpu)', (raw, flag) => providerList(raw, flag), { defaultLabel });

export const simConfigOption = () => text('--sim-config <yaml>', 'simulator settings (camera, physics, faults)', { defaultLabel: 'the built-in settings' });
