/** `--view` for `pilot sim` and `pilot drive`: serve the browser viewer on loopback and feed it. */
import type { SceneLook } from '../../sim/index.js';
import { ViewerFeed } from '../../sim/index.js';
import { ViewerServer } from '../../sim/index.js';
import type { Track } from '../../sim/index.js';
import { CliError } from './args.js';

export interface ViewerOption {
  readonly feed: ViewerFeed;
  world(track: Track, look: SceneLook): void;
  close(): Promise<void>;
}

export async function startViewerFeed(portFlag: string | undefined, driver: string): Promise<ViewerOption> {
  const port = portFlag === undefined ? 8080 : Number(portFlag);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be 0..65535 (got '${portFlag}')`);
  const server = await ViewerServer.start({ port });
  console.error(`viewer: open ${server.url} (loopback only)`);
  return {
    feed: new ViewerFeed(server, driver),
    world: (track, look) => server.setWorld({ track, look }),
    close: () => server.close(),
  };
}
