/**
 * A real headless Chromium for the viewer tests: the system one when installed, otherwise the build
 * shipped in the `@sparticuz/chromium` dev dependency. No browser is a test failure, not a skip.
 * The flags keep it off the network (it would otherwise call Google's services) and off the GPU
 * (WebGL2 runs on SwiftShader); playwright gives each launch a fresh profile directory.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function chromiumExecutable(): Promise<string> {
  const system = SYSTEM_CHROMIUMS.find((p) => existsSync(p));
  if (system) return system;
  try {
    const { default: packaged } = await import('@sparticuz/chromium');
    return await packaged.executablePath();
  } catch (err) {
    throw new Error(
      `no Chromium for the viewer tests: none at ${SYSTEM_CHROMIUMS.join(', ')} and @sparticuz/chromium failed (${(err as Error).message}); ` +
        'install the dev dependencies (npm install) or a system chromium',
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumExecutable(), args: CHROMIUM_ARGS, timeout: 15_000 });
}
