/**
 * `pilot replay <bag> --model <onnx>`: recorded sensors through the real runtime, predictions
 * evaluated against the recorded commands; terminal summary, JSON and HTML reports, an output bag.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { BagError } from '../data/bags/errors.js';
import { formatSize } from '../data/bags/format.js';
import { createBagWriter, openBag } from '../data/bags/node-io.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { closeLiveViewOption, foxgloveOption, startLiveViewOption } from './foxglove-option.js';
import { flag, number, repeated, text } from './options.js';
import type { Output } from './output.js';
import { claimReportPath, safeName } from './report-path.js';
import { distroOption } from './shared-options.js';
import { writeReport } from './write-report.js';
import { loadConfig } from '../core/config/load.js';
import { printOutOfLimitNotes } from '../data/replay/limit-notes.js';
import type { PilotConfig } from '../core/config/schema.js';
import { packageRoot } from '../core/util/package-root.js';
import { parseRemaps } from '../data/replay/remap.js';
import { MIN_ACCEPTED_FRAME_FRACTION, runReplay, type ReplayModelSpec, type ReplayResult, type ReplayRun } from '../data/replay/replay-session.js';
import { renderReplayHtml } from '../data/replay/report-html.js';
import { serializeReplay } from '../data/replay/report-json.js';
import { describeCoverage, describeRejections, formatReplaySummary } from '../data/replay/report-terminal.js';

const OPTIONS = {
  model: text('-m, --model <onnx>', 'the model to replay the bag through'),
  compare: text('--compare <a.onnx>', 'compare two models: --compare <a.onnx> <b.onnx> (the second after the bag or the flag)'),
  config: text('-c, --config <yaml>', 'the runtime config', { defaultLabel: 'launch/drive.yaml (from here, else pilot\'s own)' }),
  realtime: flag('--realtime', 'replay at the recorded pace (default: as fast as possible)'),
  rate: number('-r, --rate <x>', 'with --realtime: playback speed factor', { positive: true, defaultLabel: '1' }),
  start: number('--start <s>', 'skip the bag\'s first seconds', { min: 0 }),
  end: number('--end <s>', 'stop at this time into the bag', { positive: true }),
  remap: repeated('--remap <from:=to>', 'read a bag topic as another topic (repeatable)'),
  reference: text('--reference <topic>', 'the recorded commands to score against; none scores nothing', { defaultLabel: "the config's output topic" }),
  recover: flag('--recover', 'skip unreadable parts of a damaged bag, saying what was skipped'),
  distro: distroOption(),
  out: text('-o, --out <bag dir>', 'also write the predictions to a bag'),
  json: text('--json <file>', 'the JSON report to this file; - prints it on stdout', { defaultLabel: 'runs/replay-<bag>-<n>.json' }),
  html: text('--html <file>', 'the HTML report to this file; - writes none', { defaultLabel: 'beside the JSON' }),
  segment: number('--segment <s>', 'segment length for the per-segment errors', { positive: true, defaultLabel: '5' }),
  worst: number('--worst <n>', 'how many worst segments to list', { integer: true, positive: true, defaultLabel: '10' }),
  foxglove: foxgloveOption(),
} as const;

export const REPLAY = defineCommand({
  name: 'replay',
  summary: 'recorded sensors through the real runtime, predictions scored against the recorded commands; reports and an output bag',
  description: 'Exit 1 when a model saw fewer than 90 % of the camera frames (its error then means nothing).',
  arguments: [
    { name: '<bag>', description: 'the bag (folder or .mcap file)' },
    { name: '[b.onnx]', description: 'with --compare: the second model' },
  ],
  options: OPTIONS,
  examples: ['pilot replay runs/lake-drive --model models/pilot-drive.onnx', 'pilot replay runs/lake-drive --compare models/a.onnx models/b.onnx --json -', 'pilot replay runs/oval --model models/pilot-drive.onnx --realtime --foxglove'],
  run: replay,
});

type ReplayValues = Parsed<typeof OPTIONS>['values'];

export function replayCommand(args: readonly string[]): Promise<number> {
  return invoke(REPLAY, args);
}

/** The bag and the models: `--compare a.onnx b.onnx` brings the second model as a positional. */
function inputs(values: ReplayValues, positionals: readonly string[]): { bagPath: string; modelPaths: string[] } {
  const models = positionals.filter((p) => p.endsWith('.onnx'));
  const bags = positionals.filter((p) => !p.endsWith('.onnx'));
  if (bags.length !== 1) throw new CliError(`replay needs one bag folder or file (got ${bags.length ? bags.join(', ') : 'none'})`);
  if (values.compare !== undefined) {
    if (values.model) throw new CliError('replay takes --model <onnx> or --compare <a.onnx> <b.onnx>, not both');
    if (models.length !== 1) throw new CliError('replay --compare needs two models: --compare <a.onnx> <b.onnx>');
    return { bagPath: bags[0]!, modelPaths: [values.compare, models[0]!] };
  }
  if (!values.model) throw new CliError('replay needs --model <onnx> (or --compare <a.onnx> <b.onnx>)');
  if (models.length > 0) throw new CliError(`unexpected argument ${models[0]} (one --model, or --compare <a.onnx> <b.onnx>)`);
  return { bagPath: bags[0]!, modelPaths: [values.model] };
}

async function replay({ values, positionals, out }: Parsed<typeof OPTIONS>): Promise<number> {
  const { bagPath, modelPaths } = inputs(values, positionals);
  if (values.rate !== undefined && !values.realtime) throw new CliError('--rate applies to --realtime replay (as fast as possible is the default)');
  const remap = parseRemaps(values.remap);
  // The default config from the current directory (a checkout), else pilot's own.
  const base = values.config
    ? loadConfig(values.config)
    : existsSync('launch/drive.yaml')
      ? loadConfig('launch/drive.yaml')
      : loadConfig(join(packageRoot(), 'launch/drive.yaml'), packageRoot());
  const specs: ReplayModelSpec[] = modelPaths.map((path, i) => ({
    label: modelPaths.length === 1 ? basename(path).replace(/\.onnx$/, '') : i === 0 ? 'a' : 'b',
    config: withModel(base, path),
  }));
  const result = await play(values, bagPath, specs, remap, out);
  return report(values, result, bagPath, base, out);
}

async function play(values: ReplayValues, bagPath: string, specs: ReplayModelSpec[], remap: ReturnType<typeof parseRemaps>, out: Output): Promise<ReplayResult> {
  const reader = await openBag(bagPath, { warn: (m) => out.warn(`pilot: warning: ${m}`), ...(values.distro ? { distro: values.distro } : {}) });
  const writer = values.out ? await createBagWriter(values.out).catch(async (err: unknown) => {
    await reader.close();
    throw err;
  }) : undefined;
  const liveView = await startLiveViewOption(values.foxglove, out);
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  const referenceTopic = values.reference === undefined ? undefined : values.reference === 'none' ? null : values.reference;
  try {
    return await runReplay({
      reader,
      models: specs,
      mode: values.realtime ? 'realtime' : 'fast',
      rate: values.rate ?? 1,
      ...(values.start !== undefined ? { startS: values.start } : {}),
      ...(values.end !== undefined ? { endS: values.end } : {}),
      remap,
      ...(referenceTopic !== undefined ? { referenceTopic } : {}),
      ...(writer ? { output: writer } : {}),
      ...(liveView ? { tap: liveView.messageTap() } : {}),
      recover: values.recover,
      evaluate: { ...(values.segment !== undefined ? { segmentS: values.segment } : {}), ...(values.worst !== undefined ? { worst: values.worst } : {}) },
      log: out.log,
      signal: controller.signal,
      onProgress: (p) => {
        if (out.live) process.stderr.write(`\rreplay ${p.bagS.toFixed(1)} / ${p.totalS.toFixed(1)} s  (${(p.bagS / Math.max(p.wallS, 1e-9)).toFixed(1)}× real time)   `);
      },
    });
  } catch (err) {
    if (err instanceof BagError && !values.recover) out.warn('pilot: --recover skips unreadable parts of a bag and says what was skipped');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    if (out.live) process.stderr.write('\r\x1b[K');
    await closeLiveViewOption(liveView, out);
    await reader.close();
    if (writer) {
      const status = await writer.close();
      if (status.state === 'failed') out.warn(`pilot: output bag ${values.out}: ${status.error?.message ?? 'failed'}`);
      else out.log(`pilot: output bag ${values.out}: ${status.messageCount} messages, ${formatSize(status.bytesWritten)}`);
    }
  }
}

/** Reports: the summary on stdout (stderr when the JSON goes to stdout); exit 1 when a model saw too few frames. */
function report(values: ReplayValues, result: ReplayResult, bagPath: string, base: PilotConfig, out: Output): number {
  const stem = `runs/replay-${safeName(basename(bagPath.replace(/[/\\]+$/, ''))) || 'bag'}`;
  const jsonPath = values.json ?? claimReportPath(stem);
  const htmlPath = values.html ?? (jsonPath === '-' ? claimReportPath(stem, '.html') : jsonPath.replace(/\.json$/, '') + '.html');
  writeReport(jsonPath, serializeReplay(result) + '\n');
  if (htmlPath !== '-') writeReport(htmlPath, renderReplayHtml(result));
  const say = jsonPath === '-' ? out.log : out.result;
  say(formatReplaySummary(result));
  printOutOfLimitNotes(result.runs, base, values.config ?? 'launch/drive.yaml');
  const written = [jsonPath, htmlPath].filter((p) => p !== '-');
  if (written.length > 0) say(`report: ${written.join(', ')}`);
  return checkInputCoverage(result.runs);
}

/** Exit status: 1 when a model saw fewer than 90 % of the camera frames (its error means nothing), saying why. */
function checkInputCoverage(runs: readonly ReplayRun[]): number {
  let status = 0;
  for (const run of runs) {
    if (run.input.sufficient) continue;
    status = 1;
    console.error(
      `pilot: E_REPLAY_INPUT: ${run.label}: ${describeCoverage(run.input)}, fewer than ${Math.round(MIN_ACCEPTED_FRAME_FRACTION * 100)} %: ` +
        `rejected ${describeRejections(run.input)}; the MAE above is not meaningful`,
    );
  }
  return status;
}

function withModel(config: PilotConfig, path: string): PilotConfig {
  return { ...config, model: { ...config.model, path: resolve(path) } };
}
