import { PilotError } from '../../core/util/errors.js';

/** Error codes raised by bag reading, writing, recording and recovery. */
export type BagErrorCode =
  | 'E_BAG_NOT_FOUND'
  | 'E_BAG_EXISTS'
  | 'E_BAG_FORMAT'
  | 'E_BAG_METADATA'
  | 'E_BAG_TRUNCATED'
  | 'E_BAG_CORRUPT'
  | 'E_BAG_COMPRESSION'
  | 'E_BAG_SCHEMA'
  | 'E_BAG_UNKNOWN_TYPE'
  | 'E_BAG_DECODE'
  | 'E_BAG_TOPIC'
  | 'E_BAG_WRITE'
  | 'E_BAG_CLOSED';

/** Where in a bag an error happened: the storage file (relative to the bag), a byte offset, a topic. */
export interface BagErrorLocation {
  readonly file?: string;
  readonly offset?: bigint | number;
  readonly topic?: string;
}

/**
 * A PilotError from the bag layer. The message already names the file, topic and offset; the same
 * values are kept as fields for programs.
 */
export class BagError extends PilotError {
  declare readonly code: BagErrorCode;
  readonly file: string | undefined;
  readonly offset: bigint | undefined;
  readonly topic: string | undefined;

  constructor(code: BagErrorCode, message: string, where: BagErrorLocation = {}, cause?: unknown) {
    super(code, message);
    this.name = 'BagError';
    this.file = where.file;
    this.offset = where.offset === undefined ? undefined : BigInt(where.offset);
    this.topic = where.topic;
    if (cause !== undefined) this.cause = cause;
  }

}

/** The message of anything thrown, for wrapping library errors. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
