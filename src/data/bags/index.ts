/**
 * rosbag2-compatible bags: MCAP writer (split, chunked, compressed, crash-safe), readers for MCAP and
 * sqlite3 folders and files, recovery, and the Recorder that records a Transport.
 */
export { BagError, type BagErrorCode, type BagErrorLocation } from './errors.js';
export { SkipLog } from './skip-log.js';
export {
  MemoryBagFolder,
  MemoryReadable,
  MemoryWritable,
  readAll,
  type BagOutputFile,
  type BagReadable,
  type BagSink,
  type BagSource,
  type BagWritable,
} from './io.js';
export {
  BagWriter,
  type BagFileStatus,
  type BagTopicOptions,
  type BagTopicStatus,
  type BagWriterOptions,
  type BagWriterStatus,
} from './bag-writer.js';
export { BagReader, position, SKIPPED, type BagInfo, type BagReaderOptions, type BagTopicInfo, type DefinitionSource } from './bag-reader.js';
export type {
  BagMessage,
  DecodedBagMessage,
  MessageQuery,
  StorageDefinition,
  StorageFileInfo,
  StorageId,
  StorageReader,
  StorageTopic,
} from './types.js';
export { McapFileWriter, DEFAULT_CHUNK_SIZE_BYTES, type McapFileWriterOptions } from './mcap-file-writer.js';
export { McapFileReader, type McapFileReaderOptions } from './mcap-file-reader.js';
export { Db3FileReader } from './db3-file-reader.js';
export { CHUNK_COMPRESSIONS, chunkCompression, loadCompression, type ChunkCompression, type CompressionCodecs } from './compression.js';
export { METADATA_FILE, METADATA_VERSION, parseMetadataYaml, renderMetadataYaml, type BagFileMetadata, type BagMetadata, type BagTopicMetadata } from './metadata.js';
export { describeOfferedQos, offeredQosFor, offeredQosProfilesYaml, rmwQos, type RmwQos } from './qos.js';
export { applyRecovery, planMcapRecovery, type McapRecoveryPlan, type McapRecoveryReport } from './recover.js';
export { Recorder, wallClockNs, type RecordTopic, type RecorderOptions, type RecorderStats, type RecorderTopicStats } from './recorder.js';
export {
  blackBoxTopics,
  recordBlackBox,
  DEFAULT_TIMELINE_TOPIC,
  TICK_TIMELINE_SCHEMA,
  TICK_TIMELINE_TYPE,
  type BlackBoxOptions,
  type BlackBoxTopicOptions,
} from './black-box.js';
export { bagInfoJson, formatBagInfo, formatSize, formatTime, messageJsonLine, toJson, type JsonOptions } from './format.js';
export {
  createBagWriter,
  DirectoryBagSink,
  FileReadable,
  FileWritable,
  openBag,
  PathBagSource,
  recoverBag,
  type BagRecoveryResult,
} from './node-io.js';
