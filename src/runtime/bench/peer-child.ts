/**
 * The benchmark's robot side in its own process (`pilot bench` over ZeroMQ): started by peer-process.ts
 * with the settings as JSON in argv[2]; `resume` / `pause` the camera, `close` answers the commands
 * received and exits.
 */
import { createTransport } from '../../transport/index.js';
import { startRobotSide, type PeerSettings } from './synthetic-camera.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as PeerSettings;
const transport = createTransport('zeromq', { ipcDir: undefined });
const side = startRobotSide(transport, settings, () => Date.now());

process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'resume') side.camera.resume();
  else if (msg.cmd === 'pause') side.camera.pause();
  else if (msg.cmd === 'close') {
    side.camera.pause();
    // Commands still in flight arrive before the count goes back.
    setTimeout(() => {
      process.send?.({ commands: side.commands() }, () => {
        void transport.close().then(() => process.exit(0));
      });
    }, 50);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
