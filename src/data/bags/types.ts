/** Types shared by the bag readers (MCAP, sqlite3) and the folder-level BagReader. */
import type { BagError } from './errors.js';

export type StorageId = 'mcap' | 'sqlite3';

/** What `messages()` yields: one serialised message and where it is stored. */
export interface BagMessage {
  readonly topic: string;
  /** ROS 2 type, e.g. `sensor_msgs/msg/Image`. */
  readonly type: string;
  /** Receive time (rosbag2 `recv_timestamp`, MCAP log time), ns since the epoch. */
  readonly logTimeNs: bigint;
  /** Send time where the bag has one (MCAP publish time); else the log time. */
  readonly publishTimeNs: bigint;
  readonly sequence: number;
  /**
   * The serialised message (CDR for ROS 2 bags). A view into the chunk it was read with; readers
   * never reuse those buffers, so it stays valid, but do not mutate it.
   */
  readonly data: Uint8Array;
  /** The storage file, relative to the bag folder. */
  readonly file: string;
  /** MCAP: byte offset of the chunk (or of the record when unchunked). sqlite3: the row id in `messages`. */
  readonly offset: bigint;
  /** MCAP chunked: offset of the message record inside the uncompressed chunk. */
  readonly chunkOffset?: number;
}

/** A message with its decoded value. */
export interface DecodedBagMessage<T = unknown> extends BagMessage {
  readonly message: T;
}

export interface MessageQuery {
  /** Only these topics (default all). */
  readonly topics?: readonly string[];
  /** Log time window, inclusive, ns since the epoch. */
  readonly startNs?: bigint;
  readonly endNs?: bigint;
  /**
   * Called for each unreadable part (a corrupt chunk, the truncated end of a file, a message that
   * does not decode), after which reading goes on with the next readable part. Without it the
   * iterator throws the BagError.
   */
  readonly onError?: (error: BagError) => void;
  /**
   * MCAP: read chunks into one reused buffer per file instead of a fresh one per read. Then `data`
   * (and arrays decoded from it with decode()) is valid only until the next message is requested:
   * copy what you keep. Fresh buffers cost page faults, the main cost of replaying camera bags
   * (reading runs ~3× faster with reuse). Default false.
   */
  readonly reuseBuffers?: boolean;
}

export interface StorageTopic {
  readonly name: string;
  readonly type: string;
  readonly serializationFormat: string;
  readonly offeredQosProfiles: string;
  readonly messageCount: number;
}

/** A message definition stored in the file: MCAP schema or the db3 `message_definitions` table. */
export interface StorageDefinition {
  readonly type: string;
  /** `ros2msg` for the concatenated .msg text rosbag2 stores; `ros2idl` and others are not decoded. */
  readonly encoding: string;
  readonly text: string;
}

export interface StorageFileInfo {
  readonly path: string;
  readonly storage: StorageId;
  readonly sizeBytes: number;
  readonly messageCount: number;
  /** First and last log time; undefined when the file holds no message. */
  readonly startNs: bigint | undefined;
  readonly endNs: bigint | undefined;
  /** MCAP: the file has a summary (read through McapIndexedReader); false when it was scanned. */
  readonly indexed: boolean;
  /** Chunk compressions used in the file ('' = none); empty for sqlite3. */
  readonly compression: readonly string[];
  readonly chunkCount: number;
  readonly topics: readonly StorageTopic[];
  /** What was wrong with the file (truncation, corrupt chunks) found while opening it. */
  readonly problems: readonly BagError[];
  /** MCAP header; sqlite3: `sqlite3 schema <n>` and the recording distro when stored. */
  readonly library: string;
}

/** One storage file, opened. */
export interface StorageReader {
  readonly info: StorageFileInfo;
  readonly definitions: readonly StorageDefinition[];
  /** Messages in log-time order (ties in file order). */
  messages(query: MessageQuery): AsyncGenerator<BagMessage>;
  close(): Promise<void>;
}
