export * from './transport.js';
export { InProcessTransport, type InProcessTransportOptions } from './in-process.js';
export { ZeroMqTransport, type ZeroMqTransportOptions } from './zeromq.js';
export { encodeMessage, decodeMessage, DEFAULT_BULK_THRESHOLD_BYTES, type WireHeader, type WireMessage } from './wire.js';
export type { TransportErrorListener } from './stats-table.js';

import { InProcessTransport } from './in-process.js';
import { TransportError, type Transport } from './transport.js';
import { ZeroMqTransport, type ZeroMqTransportOptions } from './zeromq.js';

export type TransportKind = 'inprocess' | 'zeromq' | 'ros2';

/**
 * ZeroMQ options are ignored by the in-process transport, except `onError`. `ros2` cannot be created
 * here: it needs rclnodejs, loaded asynchronously, and a ROS 2 node (`openRos2Transport` in src/ros2,
 * or `pilot node` / `pilot bridge`).
 */
export function createTransport(kind: TransportKind, options: ZeroMqTransportOptions = {}): Transport {
  switch (kind) {
    case 'inprocess':
      return new InProcessTransport(options.onError ? { onError: options.onError } : {});
    case 'zeromq':
      return new ZeroMqTransport(options);
    case 'ros2':
      throw new TransportError(
        'E_TRANSPORT_KIND',
        "transport.kind 'ros2' runs as a ROS 2 node: use `pilot node --config <yaml>` (or `pilot bridge` to relay ZeroMQ topics into ROS 2)",
      );
  }
}
