/**
 * `--foxglove [port]` on run, drive, replay, sim and bag play: a Foxglove WebSocket server on loopback
 * (default port 8765, 0 = any free port) that Foxglove or Lichtblick connect to. Only a number after
 * the flag is its port: `pilot bag play --foxglove runs/oval` keeps the bag as the argument.
 */
import type { DriveSessionOptions } from '../../sim/index.js';
import { DEFAULT_FOXGLOVE_PORT } from '../foxglove/live-server.js';
import { LiveView } from '../foxglove/live-view.js';
import { withLiveView } from '../foxglove/sim-live.js';
import { CliError } from './args.js';
import { custom } from './options.js';
import type { Output } from './output.js';

function portNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`${flag} takes a port in 0..65535 (0 = any free port), got '${value}'`);
  return n;
}

/** The option: undefined without --foxglove, the port with it (8765 when bare). */
export const foxgloveOption = () =>
  custom('--foxglove [port]', 'serve a live view to Foxglove or Lichtblick on this loopback port (0: any free port)', portNumber, {
    preset: String(DEFAULT_FOXGLOVE_PORT),
    valuePattern: /^\d+$/,
  });

/** Starts the live view when --foxglove was given and says where to connect. */
export async function startLiveViewOption(port: number | undefined, out: Output): Promise<LiveView | undefined> {
  if (port === undefined) return undefined;
  const live = await LiveView.start({ port, log: (line) => out.log(line) });
  out.log(
    `foxglove: live view at ${live.url} (loopback only): in Foxglove or Lichtblick, Open connection → Foxglove WebSocket → ${live.url}; ` +
      'layout: launch/foxglove/pilot-layout.json',
  );
  return live;
}

/** A drive's options with the live view attached (unchanged without one). */
export function driveWithLiveView(options: DriveSessionOptions, live: LiveView | undefined): DriveSessionOptions {
  return live ? withLiveView(options, live) : options;
}

/** Stops the live view and prints what viewers got and missed. */
export async function closeLiveViewOption(live: LiveView | undefined, out: Output): Promise<void> {
  if (live) out.log(await live.close());
}
