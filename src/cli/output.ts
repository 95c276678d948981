/**
 * Where a command's output goes: results (summaries, `--json`) on stdout, progress and logs on
 * stderr. `--quiet` drops the progress and logs, never warnings, errors or results.
 */
export interface Output {
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Live progress redrawn in place: stderr is a terminal and not --quiet. */
  readonly live: boolean;
  /** A progress or log line on stderr (none with --quiet). */
  log(line: string): void;
  /** A warning or problem on stderr, even with --quiet. */
  warn(line: string): void;
  /** A result on stdout. */
  result(text: string): void;
}

export function createOutput(o: { quiet?: boolean; verbose?: boolean } = {}): Output {
  const quiet = o.quiet === true;
  return {
    quiet,
    verbose: o.verbose === true,
    live: !quiet && process.stderr.isTTY === true,
    log: (line) => {
      if (!quiet) console.error(line);
    },
    warn: (line) => console.error(line),
    result: (text) => console.log(text),
  };
}
