/** `--view` for `pilot sim` and `pilot drive`: serve the browser viewer on loopback and feed it. */
import type { SceneLook } from '../../sim/index.js';
import { ViewerFeed } from '../../sim/index.js';
import { ViewerServer } from '../../sim/index.js';
import type { Track } from '../../sim/index.js';
import { flag, number } from './options.js';

export interface ViewerOption {
  readonly feed: ViewerFeed;
  world(track: Track, look: SceneLook): void;
  close(): Promise<void>;
}

export const VIEWER_OPTIONS = {
  view: flag('--view', 'serve the live browser viewer on loopback'),
  port: number('--port <port>', "the viewer's port (0: any free port)", { default: 8080, integer: true, min: 0, max: 65535 }),
} as const;

export async function startViewerFeed(port: number, driver: string): Promise<ViewerOption> {
  const server = await ViewerServer.start({ port });
  console.error(`viewer: open ${server.url} (loopback only)`);
  return {
    feed: new ViewerFeed(server, driver),
    world: (track, look) => server.setWorld({ track, look }),
    close: () => server.close(),
  };
}
