export * from './transport.js';
export { InProcessTransport, type InProcessTransportOptions } from './in-process.js';
export { ZeroMqTransport, type ZeroMqTransportOptions } from './zeromq.js';
export { encodeMessage, decodeMessage, DEFAULT_BULK_THRESHOLD_BYTES, type WireHeader, type WireMessage } from './wire.js';
export type { TransportErrorListener } from './stats-table.js';

import { InProcessTransport } from './in-process.js';
import type { Transport } from './transport.js';
import { ZeroMqTransport, type ZeroMqTransportOptions } from './zeromq.js';

export type TransportKind = 'inprocess' | 'zeromq';

/** ZeroMQ options are ignored by the in-process transport, except `onError`. */
export function createTransport(kind: TransportKind, options: ZeroMqTransportOptions = {}): Transport {
  switch (kind) {
    case 'inprocess':
      return new InProcessTransport(options.onError ? { onError: options.onError } : {});
    case 'zeromq':
      return new ZeroMqTransport(options);
  }
}
