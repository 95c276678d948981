/** Text and JSON views of bags for the command line: `bag info` like `ros2 bag info`, `bag cat` as JSON lines. */
import { createHash } from 'node:crypto';
import type { BagInfo } from './bag-reader.js';
import type { BagMessage } from './types.js';

/** `16.4 KiB`, as rosbag2 prints sizes. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Apr  1 2022 10:33:28.470 (1648805608.470)`, local time, as `ros2 bag info` prints it. */
export function formatTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const frac = String(Number((ns / 1_000_000n) % 1000n)).padStart(3, '0');
  const secs = ns / 1_000_000_000n;
  return (
    `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${d.getFullYear()} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${frac} (${secs}.${frac})`
  );
}

/** `ros2 bag info` layout, plus pilot's extras: compression, per-file details, rates, warnings. */
export function formatBagInfo(info: BagInfo): string {
  const label = (s: string): string => s.padEnd(19);
  const lines: string[] = [''];
  info.files.forEach((f, i) => {
    const details = [
      formatSize(f.sizeBytes),
      `${f.messageCount} messages`,
      ...(f.storage === 'mcap' ? [`${f.chunkCount} chunks`] : []),
      ...(f.storage === 'mcap' && !f.indexed ? ['no summary'] : []),
      ...(f.problems.length ? [`${f.problems.length} problem(s)`] : []),
    ].join(', ');
    lines.push(`${label(i === 0 ? 'Files:' : '')}${f.path} (${details})`);
  });
  lines.push(`${label('Bag size:')}${formatSize(info.sizeBytes)}`);
  lines.push(`${label('Storage id:')}${info.storage}`);
  lines.push(`${label('Compression:')}${info.compression}`);
  lines.push(`${label('Duration:')}${(Number(info.durationNs) / 1e9).toFixed(3)}s`);
  if (info.startNs !== undefined && info.endNs !== undefined) {
    lines.push(`${label('Start:')}${formatTime(info.startNs)}`);
    lines.push(`${label('End:')}${formatTime(info.endNs)}`);
  }
  lines.push(`${label('Messages:')}${info.messageCount}`);
  if (info.topics.length === 0) lines.push(`${label('Topic information:')}`);
  info.topics.forEach((t, i) => {
    const rate = t.rateHz === undefined ? '' : ` | Rate: ${t.rateHz.toFixed(1)} Hz`;
    const def = t.definition === 'none' ? ' | Definition: none' : t.definition === 'registry' ? ' | Definition: pilot' : t.definition === 'distro' ? ` | Definition: ${info.distro ?? 'distro'} standard` : '';
    lines.push(
      `${label(i === 0 ? 'Topic information:' : '')}Topic: ${t.name} | Type: ${t.type} | Count: ${t.messageCount} | Serialization Format: ${t.serializationFormat}${rate}${def}`,
    );
  });
  lines.push('');
  for (const w of info.warnings) lines.push(`Warning: ${w}`);
  return lines.join('\n');
}

/** BagInfo as plain JSON (bigints as strings). */
export function bagInfoJson(info: BagInfo): unknown {
  return toJson({
    path: info.path,
    storage: info.storage,
    sizeBytes: info.sizeBytes,
    compression: info.compression,
    messageCount: info.messageCount,
    startNs: info.startNs,
    endNs: info.endNs,
    durationNs: info.durationNs,
    files: info.files.map((f) => ({ ...f, problems: f.problems.map((p) => p.message) })),
    topics: info.topics,
    warnings: info.warnings,
  });
}

const SUMMARY_THRESHOLD = 64;

export interface JsonOptions {
  /** Print typed arrays in full instead of summarising long ones. */
  readonly full?: boolean;
}

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/**
 * A JSON-safe copy: bigint → string; byte arrays longer than 64 → `{bytes, sha256}` (first 16 hex
 * digits), other long typed arrays → `{length, type, sha256}`, so an image prints one line.
 */
export function toJson(value: unknown, options: JsonOptions = {}): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number | bigint> & ArrayBufferView;
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    if (!options.full && arr.length > SUMMARY_THRESHOLD) {
      return value instanceof Uint8Array || value instanceof Int8Array
        ? { bytes: arr.length, sha256: sha(bytes) }
        : { length: arr.length, type: value.constructor.name, sha256: sha(bytes) };
    }
    return Array.from(arr, (v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, options));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toJson(v, options)]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJson(v, options);
  return out;
}

/** One `bag cat` line. */
export function messageJsonLine(msg: BagMessage, decoded: unknown, options: JsonOptions = {}): string {
  return JSON.stringify({
    topic: msg.topic,
    type: msg.type,
    logTimeNs: msg.logTimeNs.toString(),
    publishTimeNs: msg.publishTimeNs.toString(),
    message: toJson(decoded, options),
  });
}
