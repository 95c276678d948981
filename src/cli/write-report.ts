/** Writes a report file (creating its folder), or with `-` prints it on stdout. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeReport(path: string, text: string): void {
  if (path === '-') {
    console.log(text.replace(/\n$/, ''));
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
