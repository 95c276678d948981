/**
 * Recorded commands outside the replay config's safety limits: there the safety layer clamps whatever
 * the model says, so its error there measures the config, not the model (a real car's log replayed
 * with a config made for another vehicle). One line per field, for the replay summary.
 */
import type { PilotConfig } from '../../core/config/schema.js';
import type { Evaluation } from './evaluate.js';
import type { ReplayRun } from './replay-session.js';

export function outOfLimitNotes(evaluation: Evaluation, config: Pick<PilotConfig, 'safety'>, label: string, configName: string): string[] {
  const notes: string[] = [];
  evaluation.names.forEach((name, f) => {
    const range = config.safety.limits[name];
    if (!range) return;
    const [min, max] = range;
    let outside = 0, evaluated = 0;
    for (const v of evaluation.recorded[f] ?? []) {
      if (!Number.isFinite(v)) continue;
      evaluated++;
      if (v < min || v > max) outside++;
    }
    if (outside === 0) return;
    const pct = ((100 * outside) / evaluated).toFixed(0);
    notes.push(
      `${label}: the recorded ${name} lies outside safety.limits.${name} [${min}, ${max}] of ${configName} on ${outside} of ${evaluated} evaluated ticks (${pct} %): ` +
        `the safety layer clamps the model's ${name} there, so its error there is the config's; replay with --config <a config whose safety.limits fit this vehicle>`,
    );
  });
  return notes;
}

/** The notes of every run with an evaluation, printed on stderr after the replay summary. */
export function printOutOfLimitNotes(runs: readonly ReplayRun[], config: Pick<PilotConfig, 'safety'>, configName: string): void {
  for (const run of runs) {
    if (run.evaluation) for (const note of outOfLimitNotes(run.evaluation, config, run.label, configName)) console.error(`pilot: note: ${note}`);
  }
}
