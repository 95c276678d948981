/**
 * Default report files that never overwrite an earlier run: `runs/drive-lake-1.json`, then
 * `runs/drive-lake-2.json`, ... (the first number whose .json and .html are both free). The claimed file is
 * created at once (exclusively), so two runs finishing together still get two numbers.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export function claimReportPath(stem: string, ext = '.json', siblings: readonly string[] = ['.json', '.html']): string {
  mkdirSync(dirname(stem), { recursive: true });
  for (let n = 1; ; n++) {
    const path = `${stem}-${n}${ext}`;
    if (siblings.some((ext) => existsSync(`${stem}-${n}${ext}`))) continue;
    try {
      closeSync(openSync(path, 'wx'));
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** `name` with anything but letters, digits, `_`, `.` and `-` replaced, for a file name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}
