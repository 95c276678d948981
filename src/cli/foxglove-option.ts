/**
 * `--foxglove [port]` on run, drive, replay, sim and bag play: a Foxglove WebSocket server on loopback
 * (default port 8765, 0 = any free port) that Foxglove or Lichtblick connect to. The port is optional,
 * which node:util parseArgs cannot express, so the flag is taken out of the arguments first.
 */
import type { DriveSessionOptions } from '../../sim/index.js';
import { DEFAULT_FOXGLOVE_PORT } from '../foxglove/live-server.js';
import { LiveView } from '../foxglove/live-view.js';
import { withLiveView } from '../foxglove/sim-live.js';
import { CliError } from './args.js';

export const FOXGLOVE_USAGE = '[--foxglove [port]]';

export interface FoxgloveFlag {
  /** The port asked for; undefined without --foxglove. */
  readonly port: number | undefined;
  /** The other arguments, for the command's own parser. */
  readonly args: string[];
}

/** Takes `--foxglove`, `--foxglove <port>` or `--foxglove=<port>` out of `args` (a following non-number is not its port). */
export function takeFoxgloveFlag(args: readonly string[]): FoxgloveFlag {
  const rest: string[] = [];
  let port: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    const inline = arg.startsWith('--foxglove=') ? arg.slice('--foxglove='.length) : undefined;
    if (arg !== '--foxglove' && inline === undefined) {
      rest.push(arg);
      continue;
    }
    const next = args[i + 1];
    const value = inline ?? (next !== undefined && /^\d+$/.test(next) ? (i++, next) : undefined);
    port = value === undefined ? DEFAULT_FOXGLOVE_PORT : portNumber(value);
  }
  return { port, args: rest };
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--foxglove takes a port in 0..65535 (0 = any free port), got '${value}'`);
  return n;
}

/** Starts the live view when --foxglove was given and says where to connect. */
export async function startLiveViewOption(port: number | undefined): Promise<LiveView | undefined> {
  if (port === undefined) return undefined;
  const live = await LiveView.start({ port, log: (line) => console.error(line) });
  console.error(
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
export async function closeLiveViewOption(live: LiveView | undefined): Promise<void> {
  if (live) console.error(await live.close());
}
