/**
 * pilot's package entry (`import { Pilot } from 'pilot'`): the runtime and the transports.
 * The command line (`bin/pilot.js`) and the simulator are not part of this interface.
 */
export * from './runtime/index.js';
export * from './transport/index.js';
