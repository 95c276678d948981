/**
 * Regenerates `src/ros2/tsd/interfaces.d.ts` from the vendored .msg/.srv files:
 *
 *   npx vite-node src/ros2/tsd/generate-interfaces.ts          # write it
 *   npx vite-node src/ros2/tsd/generate-interfaces.ts --check  # exit 1 when it is out of date
 *
 * (or `node dist/src/ros2/tsd/generate-interfaces.js` after `npm run build`). test/ros2/typings.test.ts
 * fails when the committed file drifts from the definitions.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { interfacesTsdPath, renderInterfacesTsd } from './render.js';

const path = interfacesTsdPath();
const text = renderInterfacesTsd();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    console.error(`${path} is out of date: run npx vite-node src/ros2/tsd/generate-interfaces.ts`);
    process.exitCode = 1;
  } else {
    console.error(`${path} is up to date`);
  }
} else {
  writeFileSync(path, text);
  console.error(`wrote ${path}`);
}
