/**
 * Whether native libraries' own diagnostics on stderr are shown (`--verbose`): a process-wide
 * setting the command line sets and the simulator's renderer reads (Dawn's adapter warnings).
 * Its own module so that setting it loads nothing else.
 */
let shown = false;

export function showNativeDiagnostics(show: boolean): void {
  shown = show;
}

export function nativeDiagnosticsShown(): boolean {
  return shown;
}
