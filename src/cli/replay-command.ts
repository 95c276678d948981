/**
 * `pilot replay <bag> --model <onnx>`: recorded sensors through the real runtime, predictions
 * evaluated against the recorded commands; terminal summary, JSON and HTML reports, an output bag.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BagError } from '../data/bags/errors.js';
import { formatSize } from '../data/bags/format.js';
import { createBagWriter, openBag } from '../data/bags/node-io.js';
import { CliError, distroOption, parse, positiveNumber } from './args.js';
import { loadConfig } from '../core/config/load.js';
import { printOutOfLimitNotes } from '../data/replay/limit-notes.js';
import type { PilotConfig } from '../core/config/schema.js';
import { packageRoot } from '../core/util/package-root.js';
import { parseRemaps } from '../data/replay/remap.js';
import { MIN_ACCEPTED_FRAME_FRACTION, runReplay, type ReplayModelSpec, type ReplayRun } from '../data/replay/replay-session.js';
import { renderReplayHtml } from '../data/replay/report-html.js';
import { serializeReplay } from '../data/replay/report-json.js';
import { describeCoverage, describeRejections, formatReplaySummary } from '../data/replay/report-terminal.js';

export const REPLAY_USAGE = `pilot replay <bag> --model <onnx> [--config launch/drive.yaml] [--realtime [--rate N]]
              [--start s] [--end s] [--remap /bag/topic:=/topic]... [--reference <topic>|none] [--recover] [--distro humble|iron|jazzy]
              [--out <bag dir>] [--json <file>|-] [--html <file>|-] [--segment 5] [--worst 10]
  pilot replay <bag> --compare <a.onnx> <b.onnx> [same options]`;

export async function replayCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      model: { type: 'string', short: 'm' },
      config: { type: 'string', short: 'c' },
      realtime: { type: 'boolean' },
      rate: { type: 'string', short: 'r' },
      start: { type: 'string' },
      end: { type: 'string' },
      remap: { type: 'string', multiple: true },
      reference: { type: 'string' },
      recover: { type: 'boolean' },
      distro: { type: 'string' },
      out: { type: 'string', short: 'o' },
      json: { type: 'string' },
      html: { type: 'string' },
      segment: { type: 'string' },
      worst: { type: 'string' },
      compare: { type: 'string' },
    },
    true,
  );
  // `--compare a.onnx b.onnx`: the second model arrives as a positional.
  const models = positionals.filter((p) => p.endsWith('.onnx'));
  const bags = positionals.filter((p) => !p.endsWith('.onnx'));
  if (bags.length !== 1) throw new CliError(`replay needs one bag folder or file (got ${bags.length ? bags.join(', ') : 'none'})`);
  const bagPath = bags[0]!;
  let modelPaths: string[];
  if (values.compare !== undefined) {
    if (values.model) throw new CliError('replay takes --model <onnx> or --compare <a.onnx> <b.onnx>, not both');
    if (models.length !== 1) throw new CliError('replay --compare needs two models: --compare <a.onnx> <b.onnx>');
    modelPaths = [values.compare, models[0]!];
  } else {
    if (!values.model) throw new CliError('replay needs --model <onnx> (or --compare <a.onnx> <b.onnx>)');
    if (models.length > 0) throw new CliError(`unexpected argument ${models[0]} (one --model, or --compare <a.onnx> <b.onnx>)`);
    modelPaths = [values.model];
  }
  if (values.rate !== undefined && !values.realtime) throw new CliError('--rate applies to --realtime replay (as fast as possible is the default)');
  const rate = positiveNumber(values.rate, '--rate', 1);
  const startS = values.start === undefined ? undefined : nonNegative(values.start, '--start');
  const endS = values.end === undefined ? undefined : positiveNumber(values.end, '--end', 0);
  const remap = parseRemaps(values.remap);
  const referenceTopic = values.reference === undefined ? undefined : values.reference === 'none' ? null : values.reference;
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

  const reader = await openBag(bagPath, { warn: (m) => console.error(`pilot: warning: ${m}`), ...distroOption(values.distro) });
  const writer = values.out ? await createBagWriter(values.out).catch(async (err: unknown) => {
    await reader.close();
    throw err;
  }) : undefined;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  const tty = process.stderr.isTTY === true;
  let result;
  try {
    result = await runReplay({
      reader,
      models: specs,
      mode: values.realtime ? 'realtime' : 'fast',
      rate,
      ...(startS !== undefined ? { startS } : {}),
      ...(endS !== undefined ? { endS } : {}),
      remap,
      ...(referenceTopic !== undefined ? { referenceTopic } : {}),
      ...(writer ? { output: writer } : {}),
      recover: values.recover ?? false,
      evaluate: {
        ...(values.segment ? { segmentS: positiveNumber(values.segment, '--segment', 5) } : {}),
        ...(values.worst ? { worst: Math.round(positiveNumber(values.worst, '--worst', 10)) } : {}),
      },
      log: (line) => console.error(line),
      signal: controller.signal,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\rreplay ${p.bagS.toFixed(1)} / ${p.totalS.toFixed(1)} s  (${(p.bagS / Math.max(p.wallS, 1e-9)).toFixed(1)}× real time)   `);
      },
    });
  } catch (err) {
    if (err instanceof BagError && !values.recover) console.error('pilot: --recover skips unreadable parts of a bag and says what was skipped');
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    if (tty) process.stderr.write('\r\x1b[K');
    await reader.close();
    if (writer) {
      const status = await writer.close();
      if (status.state === 'failed') console.error(`pilot: output bag ${values.out}: ${status.error?.message ?? 'failed'}`);
      else console.error(`pilot: output bag ${values.out}: ${status.messageCount} messages, ${formatSize(status.bytesWritten)}`);
    }
  }

  const name = basename(bagPath.replace(/[/\\]+$/, '')).replace(/[^A-Za-z0-9_.-]+/g, '_') || 'bag';
  const jsonPath = values.json ?? `runs/replay-${name}.json`;
  const htmlPath = values.html ?? (jsonPath === '-' ? `runs/replay-${name}.html` : jsonPath.replace(/\.json$/, '') + '.html');
  if (jsonPath === '-') process.stdout.write(serializeReplay(result) + '\n');
  else writeFile(jsonPath, serializeReplay(result) + '\n');
  if (htmlPath !== '-') writeFile(htmlPath, renderReplayHtml(result));
  console.error(formatReplaySummary(result));
  printOutOfLimitNotes(result.runs, base, values.config ?? 'launch/drive.yaml');
  const written = [jsonPath !== '-' ? jsonPath : undefined, htmlPath !== '-' ? htmlPath : undefined].filter(Boolean);
  if (written.length > 0) console.error(`report: ${written.join(', ')}`);
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

function nonNegative(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} must be a number ≥ 0, got '${value}'`);
  return n;
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
