// Runs the pilot CLI from source (for tests that spawn `pilot serve` as its own process).
import { main } from '../../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
