import { PilotError } from '../util/errors.js';

/** Error codes raised by the message layer. */
export type MessageErrorCode =
  | 'E_UNKNOWN_TYPE'
  | 'E_SCHEMA_PARSE'
  | 'E_SCHEMA_DEPTH'
  | 'E_CDR_DECODE'
  | 'E_CDR_ENCODE'
  | 'E_TIME_RANGE';

/** A PilotError from the message layer; `cause` keeps the library error that triggered it. */
export class MessageError extends PilotError {
  constructor(code: MessageErrorCode, message: string, cause?: unknown) {
    super(code, message);
    this.name = 'MessageError';
    if (cause !== undefined) this.cause = cause;
  }
}
