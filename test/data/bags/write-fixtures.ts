/** Rewrites test/fixtures/bags/: `npx vite-node test/data/bags/write-fixtures.ts` (on purpose only). */
import { writeFixtures } from './fixture-content.js';

await writeFixtures();
