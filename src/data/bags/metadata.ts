/**
 * rosbag2's `metadata.yaml` (rosbag2_storage/yaml.hpp): read every version, write version 5 in the
 * exact layout yaml-cpp emits (key order, block style, quoting), which Humble, Iron and Jazzy all
 * read. Version 5 has no custom_data, ros_distro or type_description_hash; those are read when present.
 */
import { parse } from 'yaml';
import { BagError } from './errors.js';

export const METADATA_FILE = 'metadata.yaml';
/** The version we write: the newest that every distro from Humble on reads with integer QoS enums. */
export const METADATA_VERSION = 5;

export interface BagTopicMetadata {
  readonly name: string;
  readonly type: string;
  readonly serializationFormat: string;
  readonly offeredQosProfiles: string;
  readonly typeDescriptionHash?: string;
  readonly messageCount: number;
}

export interface BagFileMetadata {
  readonly path: string;
  readonly startingTimeNs: bigint;
  readonly durationNs: bigint;
  readonly messageCount: number;
}

export interface BagMetadata {
  readonly version: number;
  readonly storageIdentifier: string;
  readonly relativeFilePaths: readonly string[];
  readonly durationNs: bigint;
  readonly startingTimeNs: bigint;
  readonly messageCount: number;
  readonly topics: readonly BagTopicMetadata[];
  /** '' (none) or 'zstd'; with mode 'file' each storage file is a `.zstd`, with 'message' each message. */
  readonly compressionFormat: string;
  readonly compressionMode: string;
  readonly files: readonly BagFileMetadata[];
  readonly customData?: Readonly<Record<string, string>>;
  readonly rosDistro?: string;
}

/** A plain YAML scalar when yaml-cpp would leave it unquoted, else a double-quoted one. */
function scalar(value: string): string {
  if (/^[A-Za-z_/][A-Za-z0-9_/.\-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(value)) return value;
  return JSON.stringify(value);
}

/** metadata.yaml text, version 5, laid out as rosbag2 (yaml-cpp) writes it. */
export function renderMetadataYaml(m: BagMetadata): string {
  const out: string[] = ['rosbag2_bagfile_information:'];
  out.push(`  version: ${m.version}`);
  out.push(`  storage_identifier: ${scalar(m.storageIdentifier)}`);
  out.push('  duration:', `    nanoseconds: ${m.durationNs}`);
  out.push('  starting_time:', `    nanoseconds_since_epoch: ${m.startingTimeNs}`);
  out.push(`  message_count: ${m.messageCount}`);
  if (m.topics.length === 0) out.push('  topics_with_message_count: []');
  else out.push('  topics_with_message_count:');
  for (const t of m.topics) {
    out.push('    - topic_metadata:');
    out.push(`        name: ${scalar(t.name)}`);
    out.push(`        type: ${scalar(t.type)}`);
    out.push(`        serialization_format: ${scalar(t.serializationFormat)}`);
    out.push(`        offered_qos_profiles: ${JSON.stringify(t.offeredQosProfiles)}`);
    if (m.version >= 7) out.push(`        type_description_hash: ${JSON.stringify(t.typeDescriptionHash ?? '')}`);
    out.push(`      message_count: ${t.messageCount}`);
  }
  out.push(`  compression_format: ${JSON.stringify(m.compressionFormat)}`);
  out.push(`  compression_mode: ${JSON.stringify(m.compressionMode)}`);
  if (m.relativeFilePaths.length === 0) out.push('  relative_file_paths: []');
  else out.push('  relative_file_paths:', ...m.relativeFilePaths.map((p) => `    - ${scalar(p)}`));
  if (m.files.length === 0) out.push('  files: []');
  else out.push('  files:');
  for (const f of m.files) {
    out.push(`    - path: ${scalar(f.path)}`);
    out.push('      starting_time:', `        nanoseconds_since_epoch: ${f.startingTimeNs}`);
    out.push('      duration:', `        nanoseconds: ${f.durationNs}`);
    out.push(`      message_count: ${f.messageCount}`);
  }
  if (m.version >= 6) {
    const entries = Object.entries(m.customData ?? {});
    if (entries.length === 0) out.push('  custom_data: ~');
    else out.push('  custom_data:', ...entries.map(([k, v]) => `    ${scalar(k)}: ${JSON.stringify(v)}`));
  }
  if (m.version >= 8) out.push(`  ros_distro: ${scalar(m.rosDistro ?? '')}`);
  return out.join('\n') + '\n';
}

type Node = Record<string, unknown>;

/** Parses metadata.yaml; `file` names it in errors. Fields a version does not have get defaults. */
export function parseMetadataYaml(text: string, file = METADATA_FILE): BagMetadata {
  const fail = (why: string): BagError => new BagError('E_BAG_METADATA', `${file}: ${why}`, { file });
  let doc: unknown;
  try {
    doc = parse(text, { intAsBigInt: true });
  } catch (err) {
    throw fail(`not valid YAML: ${(err as Error).message}`);
  }
  const info = (doc as Node | null)?.['rosbag2_bagfile_information'];
  if (info === null || typeof info !== 'object') throw fail('no rosbag2_bagfile_information section');
  const m = info as Node;
  const big = (v: unknown, key: string): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    throw fail(`${key}: expected an integer, got ${JSON.stringify(v)}`);
  };
  const num = (v: unknown, key: string): number => Number(big(v, key));
  const str = (v: unknown, key: string, fallback?: string): string => {
    if (typeof v === 'string') return v;
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
    throw fail(`${key}: expected a string, got ${JSON.stringify(v)}`);
  };
  const nested = (v: unknown, inner: string, key: string): bigint => big((v as Node | undefined)?.[inner], `${key}.${inner}`);
  const version = num(m['version'], 'version');
  const topicsRaw = m['topics_with_message_count'] ?? [];
  if (!Array.isArray(topicsRaw)) throw fail('topics_with_message_count: expected a list');
  const topics = topicsRaw.map((entry: unknown, i: number): BagTopicMetadata => {
    const key = `topics_with_message_count[${i}]`;
    const tm = (entry as Node | null)?.['topic_metadata'] as Node | undefined;
    if (!tm) throw fail(`${key}: no topic_metadata`);
    return {
      name: str(tm['name'], `${key}.name`),
      type: str(tm['type'], `${key}.type`),
      serializationFormat: str(tm['serialization_format'], `${key}.serialization_format`, 'cdr'),
      offeredQosProfiles: str(tm['offered_qos_profiles'], `${key}.offered_qos_profiles`, ''),
      ...(tm['type_description_hash'] !== undefined ? { typeDescriptionHash: str(tm['type_description_hash'], `${key}.type_description_hash`) } : {}),
      messageCount: num((entry as Node)['message_count'] ?? 0n, `${key}.message_count`),
    };
  });
  const paths = m['relative_file_paths'] ?? [];
  if (!Array.isArray(paths)) throw fail('relative_file_paths: expected a list');
  const filesRaw = m['files'] ?? [];
  if (!Array.isArray(filesRaw)) throw fail('files: expected a list');
  const custom = m['custom_data'];
  return {
    version,
    storageIdentifier: str(m['storage_identifier'], 'storage_identifier', 'sqlite3'),
    relativeFilePaths: paths.map((p: unknown, i: number) => str(p, `relative_file_paths[${i}]`)),
    durationNs: m['duration'] === undefined ? 0n : nested(m['duration'], 'nanoseconds', 'duration'),
    startingTimeNs: m['starting_time'] === undefined ? 0n : nested(m['starting_time'], 'nanoseconds_since_epoch', 'starting_time'),
    messageCount: m['message_count'] === undefined ? topics.reduce((s, t) => s + t.messageCount, 0) : num(m['message_count'], 'message_count'),
    topics,
    compressionFormat: str(m['compression_format'], 'compression_format', ''),
    compressionMode: str(m['compression_mode'], 'compression_mode', ''),
    files: filesRaw.map((f: unknown, i: number): BagFileMetadata => {
      const key = `files[${i}]`;
      const fn = f as Node;
      return {
        path: str(fn?.['path'], `${key}.path`),
        startingTimeNs: nested(fn['starting_time'], 'nanoseconds_since_epoch', `${key}.starting_time`),
        durationNs: nested(fn['duration'], 'nanoseconds', `${key}.duration`),
        messageCount: num(fn['message_count'] ?? 0n, `${key}.message_count`),
      };
    }),
    ...(custom && typeof custom === 'object'
      ? { customData: Object.fromEntries(Object.entries(custom as Node).map(([k, v]) => [k, String(v)])) }
      : {}),
    ...(m['ros_distro'] !== undefined ? { rosDistro: str(m['ros_distro'], 'ros_distro') } : {}),
  };
}
