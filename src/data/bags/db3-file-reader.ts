/**
 * Reads a rosbag2 sqlite3 (`.db3`) file with sql.js (SQLite in WebAssembly, no native build).
 * The layout by rosbag2 version (rosbag2_storage_sqlite3/sqlite_storage.cpp):
 * - Foxy and earlier: `topics(id, name, type, serialization_format[, offered_qos_profiles])`,
 *   `messages(id, topic_id, timestamp, data)`.
 * - Humble/Iron: plus `schema(schema_version, ros_distro)` and `metadata(id, metadata_version, metadata)`.
 * - Jazzy on (schema 4): plus `topics.type_description_hash` and `message_definitions(id, topic_type,
 *   encoding, encoded_message_definition, type_description_hash)`: the bag carries its types.
 * Older files carry no message definitions; the BagReader then falls back to pilot's registry and
 * the standard definitions of the distro the `schema` table names (`rosDistro`).
 *
 * sql.js holds the whole database in memory, so very large .db3 files need as much RAM.
 */
import initSqlJs from 'sql.js';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { BagError, errorText } from './errors.js';
import type { BagMessage, MessageQuery, StorageDefinition, StorageFileInfo, StorageReader, StorageTopic } from './types.js';

let sqlJs: Promise<SqlJsStatic> | undefined;

const SQLITE_MAGIC = new TextEncoder().encode('SQLite format 3\0');

/** sql.js, loaded once. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  return (sqlJs ??= initSqlJs());
}

interface TopicRow {
  readonly id: number;
  readonly topic: StorageTopic;
}

export class Db3FileReader implements StorageReader {
  readonly info: StorageFileInfo;
  readonly definitions: readonly StorageDefinition[];
  /** `schema.ros_distro` (Humble on); undefined when the file has no schema table or leaves it empty. */
  readonly rosDistro: string | undefined;
  readonly #path: string;
  readonly #db: Database;
  readonly #topics: ReadonlyMap<number, StorageTopic>;

  private constructor(
    path: string,
    db: Database,
    info: StorageFileInfo,
    definitions: StorageDefinition[],
    topics: Map<number, StorageTopic>,
    rosDistro: string | undefined,
  ) {
    this.#path = path;
    this.rosDistro = rosDistro;
    this.#db = db;
    this.info = info;
    this.definitions = definitions;
    this.#topics = topics;
  }

  /** Opens a db3 from its bytes; `path` names it in messages. */
  static async open(path: string, bytes: Uint8Array): Promise<Db3FileReader> {
    const SQL = await loadSqlJs();
    const fail = (code: 'E_BAG_FORMAT' | 'E_BAG_CORRUPT', why: string, cause?: unknown): BagError =>
      new BagError(code, `${path}: ${why}`, { file: path }, cause);
    if (bytes.byteLength < 16 || !SQLITE_MAGIC.every((b, i) => bytes[i] === b)) {
      const shown = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
      throw fail('E_BAG_FORMAT', `not an SQLite database (starts with '${shown}', expected 'SQLite format 3')`);
    }
    let db: Database;
    try {
      db = new SQL.Database(bytes);
    } catch (err) {
      throw fail('E_BAG_FORMAT', `not an SQLite database: ${errorText(err)}`, err);
    }
    try {
      const tables = new Set(column(db, "SELECT name FROM sqlite_master WHERE type = 'table'").map(String));
      if (!tables.has('topics') || !tables.has('messages')) {
        throw fail('E_BAG_FORMAT', `not a rosbag2 sqlite3 file: tables ${[...tables].join(', ') || '(none)'}, expected topics and messages`);
      }
      const topicColumns = new Set(column(db, 'SELECT name FROM pragma_table_info(\'topics\')').map(String));
      const qosColumn = topicColumns.has('offered_qos_profiles') ? 'offered_qos_profiles' : "''";
      const topicRows: TopicRow[] = rows(db, `SELECT id, name, type, serialization_format, ${qosColumn} FROM topics ORDER BY id`).map((r) => ({
        id: Number(r[0]),
        topic: { name: String(r[1]), type: String(r[2]), serializationFormat: String(r[3]), offeredQosProfiles: String(r[4] ?? ''), messageCount: 0 },
      }));
      const stats = new Map<number, { count: number; first: bigint; last: bigint }>();
      for (const r of rows(db, 'SELECT topic_id, COUNT(*), CAST(MIN(timestamp) AS TEXT), CAST(MAX(timestamp) AS TEXT) FROM messages GROUP BY topic_id')) {
        stats.set(Number(r[0]), { count: Number(r[1]), first: BigInt(String(r[2])), last: BigInt(String(r[3])) });
      }
      const topics = new Map<number, StorageTopic>();
      for (const { id, topic } of topicRows) topics.set(id, { ...topic, messageCount: stats.get(id)?.count ?? 0 });
      const definitions: StorageDefinition[] = tables.has('message_definitions')
        ? rows(db, 'SELECT topic_type, encoding, encoded_message_definition FROM message_definitions ORDER BY id').map((r) => ({
            type: String(r[0]),
            encoding: String(r[1]),
            text: String(r[2] ?? ''),
          }))
        : [];
      const { library, rosDistro } = schemaRow(db, tables);
      let start: bigint | undefined;
      let end: bigint | undefined;
      let count = 0;
      for (const s of stats.values()) {
        count += s.count;
        if (start === undefined || s.first < start) start = s.first;
        if (end === undefined || s.last > end) end = s.last;
      }
      const info: StorageFileInfo = {
        path,
        storage: 'sqlite3',
        sizeBytes: bytes.byteLength,
        messageCount: count,
        startNs: start,
        endNs: end,
        indexed: true,
        compression: [],
        chunkCount: 0,
        topics: [...topics.values()],
        problems: [],
        library,
      };
      return new Db3FileReader(path, db, info, definitions, topics, rosDistro);
    } catch (err) {
      db.close();
      if (err instanceof BagError) throw err;
      throw fail('E_BAG_CORRUPT', `cannot read the database: ${errorText(err)}`, err);
    }
  }

  async *messages(query: MessageQuery = {}): AsyncGenerator<BagMessage> {
    const { topics, startNs, endNs, onError } = query;
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (topics) {
      const ids = [...this.#topics].filter(([, t]) => topics.includes(t.name)).map(([id]) => id);
      if (ids.length === 0) return;
      where.push(`topic_id IN (${ids.join(',')})`);
    }
    // Bound as text: INTEGER affinity compares them as integers, beyond 2^53 exactly.
    if (startNs !== undefined) {
      where.push('timestamp >= ?');
      params.push(startNs.toString());
    }
    if (endNs !== undefined) {
      where.push('timestamp <= ?');
      params.push(endNs.toString());
    }
    const sql =
      'SELECT id, topic_id, CAST(timestamp AS TEXT), data FROM messages' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY timestamp, id';
    let lastId = -1;
    let stmt;
    try {
      stmt = this.#db.prepare(sql, params);
    } catch (err) {
      this.#report(onError, new BagError('E_BAG_CORRUPT', `${this.#path}: cannot query messages: ${errorText(err)}`, { file: this.#path }, err));
      return;
    }
    try {
      for (;;) {
        let row: SqlValue[];
        try {
          if (!stmt.step()) break;
          row = stmt.get();
        } catch (err) {
          this.#report(
            onError,
            new BagError('E_BAG_CORRUPT', `${this.#path}: reading messages failed after row ${lastId}: ${errorText(err)}`, { file: this.#path, offset: lastId }, err),
          );
          return;
        }
        const id = Number(row[0]);
        lastId = id;
        const topic = this.#topics.get(Number(row[1]));
        if (!topic) {
          this.#report(onError, new BagError('E_BAG_CORRUPT', `${this.#path}: message row ${id} has topic_id ${String(row[1])}, which is not in topics`, { file: this.#path, offset: id }));
          continue;
        }
        const time = BigInt(String(row[2]));
        const data = row[3] instanceof Uint8Array ? row[3] : new Uint8Array(0);
        yield { topic: topic.name, type: topic.type, logTimeNs: time, publishTimeNs: time, sequence: 0, data, file: this.#path, offset: BigInt(id) };
      }
    } finally {
      stmt.free();
    }
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #report(onError: MessageQuery['onError'], err: BagError): void {
    if (!onError) throw err;
    onError(err);
  }
}

/** The library line for `info` and the distro from the `schema` table (Humble on). */
function schemaRow(db: Database, tables: ReadonlySet<string>): { library: string; rosDistro: string | undefined } {
  const s = tables.has('schema') ? rows(db, 'SELECT schema_version, ros_distro FROM schema')[0] : undefined;
  if (!s) return { library: 'rosbag2 sqlite3', rosDistro: undefined };
  const distro = s[1] ? String(s[1]) : undefined;
  return { library: `rosbag2 sqlite3 schema ${String(s[0])}${distro ? `, ${distro}` : ''}`, rosDistro: distro };
}

function rows(db: Database, sql: string): SqlValue[][] {
  return db.exec(sql)[0]?.values ?? [];
}

function column(db: Database, sql: string): SqlValue[] {
  return rows(db, sql).map((r) => r[0]!);
}
