/** Markdown model cards for what `pilot pretrain` and `pilot train` write (models/<name>.md). */
import type { ModelContract } from '../../runtime/policy/contract.js';
import { minImprovementOverConstant, type EvalGate } from '../../runtime/policy/eval-gate.js';
import { describeLayers, type NetworkArchitecture } from '../train/index.js';
import type { TrainingRecord } from './training-record.js';
import { describeChunk } from '../export/chunk-fields.js';

export interface ModelCard {
  readonly id: string;
  readonly kind: 'backbone' | 'policy';
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  /** One paragraph, honest about what the model is and is not. */
  readonly summary: string;
  readonly architecture: NetworkArchitecture;
  readonly parameters: number;
  readonly record: TrainingRecord;
  readonly contract?: ModelContract;
  readonly gate?: EvalGate;
  /** The command that rebuilds this file. */
  readonly rebuild: string;
}

const fmt = (v: number | null | undefined, d = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

export function renderModelCard(card: ModelCard): string {
  const r = card.record;
  const out: string[] = [];
  out.push(`# ${card.id}`, '', card.summary, '');
  out.push(`- File: \`${card.file}\`, ${card.bytes.toLocaleString('en-US')} bytes, sha256 \`${card.sha256}\``);
  out.push(`- Made by \`${r.tool}\` on ${r.createdAt.slice(0, 10)} (code ${r.codeVersion}; ${r.machine}), seed ${r.seed}`);
  if (r.base) out.push(r.base.kind === 'scratch' ? '- Base: none (trained from scratch, random initial weights from the seed)' : `- Base: \`${r.base.path}\` (${r.base.kind}, sha256 \`${r.base.sha256}\`)`);
  out.push(`- Parameters: ${card.parameters.toLocaleString('en-US')}`);
  const chunk = card.contract?.outputs[0]?.chunk;
  if (chunk) out.push(`- Output: action chunks of ${describeChunk(chunk)}, shape [${card.contract!.outputs[0]!.shape.join(', ')}]: action i is meant for the observation's time + i·${chunk.step_ms} ms (the runtime's action queue executes it)`);
  out.push(`- Rebuild: \`${card.rebuild}\``, '');

  out.push('## Data', '', r.data.description, '');
  out.push(`- Frames: ${r.data.trainFrames.toLocaleString('en-US')} training, ${r.data.validationFrames.toLocaleString('en-US')} validation (see the split below)`);
  out.push(`- Targets: ${r.data.targets.map((t) => `\`${t}\``).join(', ')}`);
  out.push(`- Training episodes (${r.data.trainEpisodes.length}): ${list(r.data.trainEpisodes)}`);
  out.push(`- Validation episodes (${r.data.validationEpisodes.length}): ${list(r.data.validationEpisodes)}`);
  if (r.data.sources.length > 0) {
    out.push('- Sources:');
    for (const s of r.data.sources) out.push(`  - \`${s.path}\`${s.sha256 ? ` (sha256 \`${s.sha256.slice(0, 16)}…\`)` : ''}`);
  }
  for (const n of r.data.notes) out.push(`- ${n}`);
  out.push(`- Augmentation: ${r.augmentation}`, '');

  out.push('## Training', '', '| stage | mode | epochs (best) | train frames | rows | trainable params | train loss | val loss | time |', '|---|---|---|---|---|---|---|---|---|');
  for (const s of r.stages) {
    out.push(`| ${s.stage} | ${s.mode}${s.loss ? `, ${s.loss} loss` : ""} | ${s.epochsRun} (${s.bestEpoch}) | ${s.trainFrames.toLocaleString('en-US')} | ${s.trainRows.toLocaleString('en-US')} | ${s.trainableParameters.toLocaleString('en-US')} | ${fmt(s.trainLoss)} | ${fmt(s.valLoss)} | ${s.durationS.toFixed(1)} s |`);
  }
  const losses = [...new Set(r.stages.map((st) => st.loss ?? 'mse'))].map((l) => LOSS_NAMES[l] ?? l).join(', ');
  out.push('', `Losses are the ${losses} of the raw (scaled) targets. Per-epoch history:`, '');
  for (const s of r.stages) {
    out.push(`- ${s.stage}: ${s.history.map((h) => `${h.epoch}: ${fmt(h.trainLoss, 4)}/${fmt(h.valLoss, 4)}`).join(', ')}`);
  }
  if (Object.keys(r.metrics).length > 0) {
    out.push('', '## Held-out metrics', '', '| metric | value |', '|---|---|');
    for (const [k, v] of Object.entries(r.metrics)) out.push(`| ${k} | ${fmt(v)} |`);
  }
  for (const [k, v] of Object.entries(r.extra)) out.push('', `### ${k}`, '', '```json', JSON.stringify(v, null, 2), '```');

  out.push('', '## Architecture', '', '| layer | kind | output (HWC) | weights | stride | activation |', '|---|---|---|---|---|---|');
  for (const l of describeLayers(card.architecture)) {
    out.push(`| ${l.name} | ${l.kind} | ${l.outputShape.join('×')} | ${l.weightShape.join('×')} | ${l.kind === 'conv' ? l.stride : ''} | ${l.activation} |`);
  }
  if (card.contract) out.push('', '## Contract (`pilot.contract` metadata)', '', '```json', JSON.stringify(card.contract, null, 2), '```');
  if (card.gate) {
    const g = card.gate;
    out.push('', '## Evaluation gate (`pilot.gate` metadata; `pilot eval` checks it)', '');
    out.push(`- Open loop on held-out bags: MAE ≤ ${Object.entries(g.open_loop.max_mae).map(([k, v]) => `${v} (${k})`).join(', ')}, and at least ${Math.round(minImprovementOverConstant(g) * 100)} % below the constant-mean baseline (the training means in \`pilot.baselines\`)`);
    out.push(`- Closed loop on ${g.closed_loop.tracks.join(', ')}: ${g.closed_loop.laps} laps each, mean |CTE| ≤ ${g.closed_loop.max_mean_cte_m} m, interventions ≤ ${g.closed_loop.max_interventions}, collisions ≤ ${g.closed_loop.max_collisions}`);
    out.push(`- Robustness: the same drives at domain randomisation ${g.robustness.randomize}, seeds ${g.robustness.seeds.join(', ')}: mean |CTE| ≤ ${g.robustness.max_mean_cte_m} m, interventions ≤ ${g.robustness.max_interventions}`);
    out.push(`- Latency: tick p99 ≤ ${g.latency.max_p99_ms} ms, deadline misses ≤ ${g.latency.max_deadline_misses}`);
    out.push('', 'The result of the latest `pilot eval` is in the `.eval.json` file beside the model.');
  }
  return out.join('\n') + '\n';
}

const LOSS_NAMES: Readonly<Record<string, string>> = { mse: 'mean squared error', l1: 'mean absolute error (L1)', huber: 'Huber loss (δ 0.1)' };

function list(items: readonly string[]): string {
  if (items.length <= 12) return items.join(', ') || '—';
  return `${items.slice(0, 12).join(', ')} and ${items.length - 12} more`;
}
