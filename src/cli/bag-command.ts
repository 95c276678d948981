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
import { CliError, TRANSPORT_KINDS } from './args.js';
import { defineCommand, invoke, isGroup, type GroupDef, type Parsed } from './command.js';
import { IMPORT } from './import-command.js';
import { choice, flag, number, repeated, text } from './options.js';
import { PLAY } from './play-command.js';
import { compressionOption, distroOption } from './shared-options.js';

const BAG_ARG = [{ name: '<bag>', description: 'a bag folder (metadata.yaml and .mcap/.db3 files) or one .mcap file' }];

const INFO_OPTIONS = { json: flag('--json', 'the result as JSON on stdout'), distro: distroOption() } as const;
const INFO = defineCommand({
  name: 'info',
  summary: "a bag's topics, types, message counts, duration and size",
  arguments: BAG_ARG,
  options: INFO_OPTIONS,
  examples: ['pilot bag info runs/black-box --json'],
  run: info,
});

const CAT_OPTIONS = {
  topic: repeated('-t, --topic <topic>', 'only this topic (repeatable)'),
  limit: number('-n, --limit <n>', 'stop after this many messages', { integer: true, positive: true, defaultLabel: 'all' }),
  full: flag('--full', 'print large arrays (images) in full instead of summarised'),
  'skip-errors': flag('--skip-errors', 'skip messages that do not decode, counting them'),
  distro: distroOption(),
} as const;
const CAT = defineCommand({
  name: 'cat',
  summary: "a bag's messages as JSON lines on stdout",
  arguments: BAG_ARG,
  options: CAT_OPTIONS,
  examples: ['pilot bag cat runs/black-box --topic /cmd/ackermann --limit 5'],
  run: cat,
});

const RECOVER_OPTIONS = {
  output: text('-o, --output <path>', 'where to write the recovered copy', { defaultLabel: '<bag>-recovered' }),
  'in-place': flag('--in-place', 'cut and rewrite the damaged files themselves instead of a copy'),
} as const;
const RECOVER = defineCommand({
  name: 'recover',
  summary: 'make a damaged bag (a crash, a full disk) readable: a recovered copy beside it, or --in-place',
  arguments: BAG_ARG,
  options: RECOVER_OPTIONS,
  examples: ['pilot bag recover runs/crashed'],
  run: recover,
});

const RECORD_OPTIONS = {
  output: text('-o, --output <dir>', 'the bag folder to write (required)'),
  topic: repeated('-t, --topic <spec>', 'a topic to record: /name:pkg/msg/Type[:sensor|reliable] (repeatable)'),
  config: text('-c, --config <yaml>', 'record what this runtime config reads and writes (its topics and transport)'),
  transport: choice('--transport <kind>', 'the message transport', TRANSPORT_KINDS, { defaultLabel: "the config's, else zeromq" }),
  'ipc-dir': text('--ipc-dir <dir>', 'the ZeroMQ ipc folder', { defaultLabel: "the config's transport.ipc_dir" }),
  compression: compressionOption('the bag'),
  'chunk-size': number('--chunk-size <KiB>', 'chunk size', { positive: true }),
  'flush-interval-ms': number('--flush-interval-ms <ms>', 'write a chunk at least this often (0: only full chunks)', {
    min: 0,
    defaultLabel: '1000',
    message: (flag, raw) => `${flag} must be a number of milliseconds ≥ 0 (0 = only full chunks), got '${raw}'`,
  }),
  'max-bag-size': number('--max-bag-size <MB>', 'split into a new file past this size', { positive: true }),
  'max-bag-duration': number('--max-bag-duration <s>', 'split into a new file past this duration', { positive: true }),
  duration: number('--duration <s>', 'stop after this many seconds', { positive: true, defaultLabel: 'until Ctrl-C' }),
} as const;
const RECORD = defineCommand({
  name: 'record',
  summary: 'record topics from the transport into an MCAP bag',
  options: RECORD_OPTIONS,
  examples: ['pilot bag record -o runs/session --config launch/drive.yaml', 'pilot bag record -o runs/cam --topic /camera/image_raw:sensor_msgs/msg/Image:sensor --duration 10'],
  run: record,
});

export const BAG: GroupDef = {
  name: 'bag',
  summary: 'bags: info, cat, recover, record, play, import (ROS 2 MCAP and db3)',
  commands: [INFO, CAT, RECOVER, RECORD, PLAY, IMPORT],
};

export function bagCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const def = BAG.commands.find((c) => c.name === sub);
  if (!def || isGroup(def)) throw new CliError(`bag: unknown subcommand '${sub ?? ''}' (known: ${BAG.commands.map((c) => c.name).join(', ')})`);
  return invoke(def, rest);
}

function warn(message: string): void {
  console.error(`pilot: warning: ${message}`);
}

async function info({ values, positionals, out }: Parsed<typeof INFO_OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  const reader = await openBag(path, values.distro ? { distro: values.distro } : {});
  try {
    const i = reader.info();
    out.result(values.json ? JSON.stringify(bagInfoJson(i), null, 2) : formatBagInfo(i));
  } finally {
    await reader.close();
  }
  return 0;
}

async function cat({ values, positionals, out }: Parsed<typeof CAT_OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  const limit = values.limit ?? Infinity;
  const reader = await openBag(path, { warn, ...(values.distro ? { distro: values.distro } : {}) });
  const topics = values.topic;
  if (topics) {
    const known = new Set(reader.topics().map((t) => t.name));
    const missing = topics.filter((t) => !known.has(t));
    if (missing.length > 0) {
      await reader.close();
      throw new BagError('E_BAG_TOPIC', `${path}: no topic ${missing.join(', ')} (topics: ${[...known].join(', ') || 'none'})`);
    }
  }
  const skip = values['skip-errors'];
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
      out.result(messageJsonLine(msg, decoded, { full: values.full }));
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
async function recover({ values, positionals }: Parsed<typeof RECOVER_OPTIONS>): Promise<number> {
  const path = positionals[0]!;
  const inPlace = values['in-place'];
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

async function record({ values, out }: Parsed<typeof RECORD_OPTIONS>): Promise<number> {
  if (!values.output) throw new CliError('bag record needs -o <dir>');
  const config = values.config ? loadConfig(values.config) : undefined;
  const topics = values.topic?.map(topicSpec) ?? (config ? blackBoxTopics(config) : []);
  if (topics.length === 0) throw new CliError('bag record needs --topic /name:pkg/msg/Type (or --config <yaml> to record what pilot reads and writes)');
  const kind = values.transport ?? config?.transport.kind ?? 'zeromq';
  if (kind === 'inprocess') warn('the in-process transport only carries messages published in this process: nothing will arrive');
  const durationS = values.duration;
  const flushIntervalMs = values['flush-interval-ms'];
  const writer = await createBagWriter(values.output, {
    compression: values.compression,
    ...(values['chunk-size'] !== undefined ? { chunkSizeBytes: Math.round(values['chunk-size'] * 1024) } : {}),
    ...(values['max-bag-size'] !== undefined ? { maxBagSizeBytes: Math.round(values['max-bag-size'] * 1024 * 1024) } : {}),
    ...(values['max-bag-duration'] !== undefined ? { maxBagDurationS: values['max-bag-duration'] } : {}),
  });
  const ipcDir = values['ipc-dir'] ?? config?.transport.ipc_dir;
  const transport = createTransport(kind, {
    ...(ipcDir ? { ipcDir } : {}),
    ...(config ? { endpoints: config.transport.endpoints, allowRemote: config.transport.allow_remote, allowRemoteSetting: `transport.allow_remote: true in ${values.config}` } : {}),
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
  out.log(`pilot: recording ${topics.map((t) => t.topic).join(', ')} over ${kind} to ${values.output} (Ctrl-C stops)`);
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
    out.result(`  ${topic}: ${s.written} written, ${s.dropped} dropped, ${s.encodeErrors} encode errors (${formatSize(s.bytes)})`);
  }
  out.result(
    `pilot: ${stats.state === 'failed' ? 'recording FAILED' : 'stopped'}: ${stats.written} messages, ${formatSize(status.bytesWritten)} ` +
      `in ${status.files.map((f) => f.path).join(', ')}`,
  );
  return stats.state === 'failed' ? 1 : 0;
}


