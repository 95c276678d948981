/** `pilot bag info | cat | recover | record | play | import`. */
import { constants as fsConstants } from 'node:fs';
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { blackBoxTopics } from '../data/bags/black-box.js';
import { BagError } from '../data/bags/errors.js';
import { bagInfoJson, formatBagInfo, formatSize, messageJsonLine } from '../data/bags/format.js';
import { createBagWriter, FileReadable, openBag, recoverBag } from '../data/bags/node-io.js';
import { Recorder, type RecordTopic } from '../data/bags/recorder.js';
import { loadConfig } from '../core/config/load.js';
import { createTransport } from '../transport/index.js';
import { RELIABLE_QOS, SENSOR_QOS } from '../transport/transport.js';
import { CliError, distroOption, parse, positiveNumber, transportKind } from './args.js';
import { IMPORT_USAGE, importCommand } from './import-command.js';
import { PLAY_USAGE, playCommand } from './play-command.js';

export const BAG_USAGE = `  pilot bag info <bag> [--json] [--distro humble|iron|jazzy]
  pilot bag cat <bag> [--topic T]... [--limit N] [--full] [--skip-errors] [--distro humble|iron|jazzy]
  pilot bag recover <bag> [-o <recovered bag>] [--in-place]
  pilot bag record -o <dir> [--topic /name:pkg/msg/Type[:sensor|reliable]]... [--config <yaml>]
              [--transport zeromq|inprocess] [--ipc-dir <dir>] [--compression none|lz4|zstd] [--chunk-size KiB]
              [--flush-interval-ms 1000] [--max-bag-size MB] [--max-bag-duration s] [--duration s]
  ${PLAY_USAGE}
  ${IMPORT_USAGE}`;

export async function bagCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'info':
      return info(rest);
    case 'cat':
      return cat(rest);
    case 'recover':
      return recover(rest);
    case 'record':
      return record(rest);
    case 'play':
      return playCommand(rest);
    case 'import':
      return importCommand(rest);
    default:
      throw new CliError(`bag: unknown subcommand '${sub ?? ''}' (known: info, cat, recover, record, play, import)`);
  }
}

function warn(message: string): void {
  console.error(`pilot: warning: ${message}`);
}

async function info(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, distro: { type: 'string' } }, true);
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new CliError('bag info needs one bag folder or file');
  const reader = await openBag(path, distroOption(values.distro));
  try {
    const i = reader.info();
    console.log(values.json ? JSON.stringify(bagInfoJson(i), null, 2) : formatBagInfo(i));
  } finally {
    await reader.close();
  }
  return 0;
}

async function cat(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      topic: { type: 'string', short: 't', multiple: true },
      limit: { type: 'string', short: 'n' },
      full: { type: 'boolean' },
      'skip-errors': { type: 'boolean' },
      distro: { type: 'string' },
    },
    true,
  );
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new CliError('bag cat needs one bag folder or file');
  const limit = values.limit === undefined ? Infinity : Math.floor(positiveNumber(values.limit, '--limit', 0));
  const reader = await openBag(path, { warn, ...distroOption(values.distro) });
  const topics = values.topic;
  if (topics) {
    const known = new Set(reader.topics().map((t) => t.name));
    const missing = topics.filter((t) => !known.has(t));
    if (missing.length > 0) {
      await reader.close();
      throw new BagError('E_BAG_TOPIC', `${path}: no topic ${missing.join(', ')} (topics: ${[...known].join(', ') || 'none'})`);
    }
  }
  const skip = values['skip-errors'] ?? false;
  let errors = 0;
  const onError = skip
    ? (err: BagError): void => {
        errors++;
        console.error(`pilot: skipped: ${err.message}`);
      }
    : undefined;
  let printed = 0;
  try {
    for await (const msg of reader.messages({ ...(topics ? { topics } : {}), ...(onError ? { onError } : {}) })) {
      if (printed >= limit) break;
      let decoded: unknown;
      try {
        decoded = reader.decode(msg);
      } catch (err) {
        if (!(err instanceof BagError) || !onError) throw err;
        onError(err);
        continue;
      }
      console.log(messageJsonLine(msg, decoded, { full: values.full ?? false }));
      printed++;
    }
  } finally {
    await reader.close();
  }
  // Skipping is what --skip-errors asked for: exit 0 and say how many; real failures threw above.
  if (errors > 0) console.error(`pilot: ${printed} messages printed, ${errors} skipped`);
  return 0;
}

/**
 * `bag recover <bag>` writes the recovered bag beside the original (`<bag>-recovered`, or `-o`) and
 * leaves the original as it was; `--in-place` cuts and rewrites the original's tail instead.
 */
async function recover(args: readonly string[]): Promise<number> {
  const { values, positionals } = parse(args, { output: { type: 'string', short: 'o' }, 'in-place': { type: 'boolean' } }, true);
  const path = positionals[0];
  if (!path || positionals.length > 1) throw new CliError('bag recover needs one bag folder or .mcap file');
  const inPlace = values['in-place'] ?? false;
  if (inPlace && values.output !== undefined) throw new CliError(`bag recover: -o ${values.output} and --in-place exclude each other (one writes a copy, the other changes ${path})`);
  let target = path;
  if (!inPlace) {
    const damaged = await filesToRecover(path);
    if (damaged.length === 0) {
      console.log(`${path}: every MCAP file is intact; nothing to recover, no copy written`);
      return 0;
    }
    target = values.output ?? recoveredName(path);
    await copyBag(path, target);
  }
  const result = await recoverBag(target);
  printRecovery(result);
  if (!inPlace) console.log(`recovered bag: ${target} (the original ${path} is unchanged; --in-place recovers it where it is)`);
  return 0;
}

function printRecovery(result: Awaited<ReturnType<typeof recoverBag>>): void {
  for (const f of result.files) {
    if (f.status === 'intact') {
      console.log(`${f.file}: intact (${f.messageCount} messages, ${f.chunkCount} chunks); nothing to do`);
      continue;
    }
    console.log(
      `${f.file}: recovered ${f.messageCount} messages in ${f.chunkCount} chunks` +
        (f.stoppedAt !== undefined ? `; readable data stops at offset ${f.stoppedAt}: ${f.reason}` : '; the data section was complete') +
        (f.droppedBytes > 0n ? `; cut ${f.droppedBytes} trailing bytes` : ''),
    );
    for (const [topic, n] of f.topics) console.log(`  ${topic}: ${n}`);
    for (const s of f.skippedChunks) console.log(`  skipped chunk at offset ${s.offset}: ${s.reason}`);
  }
  if (result.metadataWritten && result.metadata) {
    console.log(`metadata.yaml rewritten: ${result.metadata.relativeFilePaths.length} file(s), ${result.metadata.messageCount} messages`);
  }
}

/** The MCAP files of a bag (folder or single file) that have no valid summary. */
async function filesToRecover(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new BagError('E_BAG_NOT_FOUND', `${path}: no such bag folder or file (${(err as Error).message})`);
  }
  const files = info.isDirectory() ? (await readdir(path)).filter((n) => n.endsWith('.mcap')).map((n) => join(path, n)) : [path];
  if (files.length === 0) throw new BagError('E_BAG_NOT_FOUND', `${path}: no .mcap files to recover`);
  const damaged: string[] = [];
  for (const file of files) {
    const readable = await FileReadable.open(file);
    try {
      await McapIndexedReader.Initialize({ readable });
    } catch {
      damaged.push(file);
    } finally {
      await readable.close();
    }
  }
  return damaged;
}

/** `runs/crashed` → `runs/crashed-recovered`; `a/x.mcap` → `a/x-recovered.mcap`. */
function recoveredName(path: string): string {
  const clean = path.replace(/\/+$/, '');
  const ext = extname(clean);
  return ext === '.mcap' ? `${clean.slice(0, -ext.length)}-recovered${ext}` : `${clean}-recovered`;
}

/** Copies a bag folder's files (or one file) to `target`, which must not exist yet. */
async function copyBag(path: string, target: string): Promise<void> {
  const exists = await stat(target).then(() => true, () => false);
  if (exists) throw new BagError('E_BAG_EXISTS', `${target} exists already; name another copy with -o <path>, or recover ${path} itself with --in-place`);
  const copy = (from: string, to: string): Promise<void> => copyFile(from, to, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
  if (!(await stat(path)).isDirectory()) return copy(path, target);
  await mkdir(target, { recursive: true });
  const entries = await readdir(path, { withFileTypes: true });
  for (const e of entries) if (e.isFile()) await copy(join(path, e.name), join(target, e.name));
}

/** `/camera/image_raw:sensor_msgs/msg/Image[:reliable]`. */
function topicSpec(spec: string): RecordTopic {
  const m = /^(\/[^:]*):([A-Za-z][\w]*\/(?:msg\/)?[A-Za-z]\w*)(?::(sensor|reliable))?$/.exec(spec);
  if (!m) throw new CliError(`--topic '${spec}': expected /name:pkg/msg/Type or /name:pkg/msg/Type:sensor|reliable`);
  return { topic: m[1]!, type: m[2]!, qos: m[3] === 'reliable' ? RELIABLE_QOS : SENSOR_QOS };
}

/** `--flush-interval-ms`: a number ≥ 0 (0 = write chunks only when full). */
function flushInterval(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`--flush-interval-ms must be a number of milliseconds ≥ 0 (0 = only full chunks), got '${value}'`);
  return n;
}

async function record(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    output: { type: 'string', short: 'o' },
    topic: { type: 'string', short: 't', multiple: true },
    config: { type: 'string', short: 'c' },
    transport: { type: 'string' },
    'ipc-dir': { type: 'string' },
    compression: { type: 'string' },
    'chunk-size': { type: 'string' },
    'flush-interval-ms': { type: 'string' },
    'max-bag-size': { type: 'string' },
    'max-bag-duration': { type: 'string' },
    duration: { type: 'string' },
  });
  if (!values.output) throw new CliError('bag record needs -o <dir>');
  const config = values.config ? loadConfig(values.config) : undefined;
  const topics = values.topic?.map(topicSpec) ?? (config ? blackBoxTopics(config) : []);
  if (topics.length === 0) throw new CliError('bag record needs --topic /name:pkg/msg/Type (or --config <yaml> to record what pilot reads and writes)');
  const kind = values.transport ? transportKind(values.transport) : (config?.transport.kind ?? 'zeromq');
  if (kind === 'inprocess') warn('the in-process transport only carries messages published in this process: nothing will arrive');
  const durationS = values.duration === undefined ? undefined : positiveNumber(values.duration, '--duration', 0);
  const flushIntervalMs = flushInterval(values['flush-interval-ms']);
  const writer = await createBagWriter(values.output, {
    compression: values.compression ?? 'none',
    ...(values['chunk-size'] ? { chunkSizeBytes: Math.round(positiveNumber(values['chunk-size'], '--chunk-size', 0) * 1024) } : {}),
    ...(values['max-bag-size'] ? { maxBagSizeBytes: Math.round(positiveNumber(values['max-bag-size'], '--max-bag-size', 0) * 1024 * 1024) } : {}),
    ...(values['max-bag-duration'] ? { maxBagDurationS: positiveNumber(values['max-bag-duration'], '--max-bag-duration', 0) } : {}),
  });
  const ipcDir = values['ipc-dir'] ?? config?.transport.ipc_dir;
  const transport = createTransport(kind, {
    ...(ipcDir ? { ipcDir } : {}),
    ...(config ? { endpoints: config.transport.endpoints } : {}),
  });
  let failed: (() => void) | undefined;
  let recorder: Recorder;
  try {
    recorder = Recorder.start({
      transport,
      writer,
      topics,
      ...(flushIntervalMs !== undefined ? { flushIntervalMs } : {}),
      onError: (err) => {
        console.error(`pilot: ${err.message}`);
        if (err instanceof BagError && err.code === 'E_BAG_WRITE') failed?.();
      },
    });
  } catch (err) {
    // An unknown type or a taken topic: leave a closed, empty bag rather than a dangling file.
    await writer.close();
    await transport.close();
    throw err;
  }
  console.error(`pilot: recording ${topics.map((t) => t.topic).join(', ')} over ${kind} to ${values.output} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    failed = done;
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationS) setTimeout(done, durationS * 1000).unref();
  });
  const stats = await recorder.stop();
  await transport.close();
  const status = writer.status();
  for (const [topic, s] of Object.entries(stats.topics)) {
    console.error(`  ${topic}: ${s.written} written, ${s.dropped} dropped, ${s.encodeErrors} encode errors (${formatSize(s.bytes)})`);
  }
  console.error(
    `pilot: ${stats.state === 'failed' ? 'recording FAILED' : 'stopped'}: ${stats.written} messages, ${formatSize(status.bytesWritten)} ` +
      `in ${status.files.map((f) => f.path).join(', ')}`,
  );
  return stats.state === 'failed' ? 1 : 0;
}


