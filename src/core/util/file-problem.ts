/** What went wrong reading a file, in words a user acts on: `ENOENT (file not found)`. */
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'a path component is not a folder',
};

export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && WORDS[code]) return `${code} (${WORDS[code]})`;
  return code ?? (err as Error)?.message ?? String(err);
}
