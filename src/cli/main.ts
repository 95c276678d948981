/** `pilot` command line: dispatches to one module per command. */
import { bagCommand, BAG_USAGE } from './bag-command.js';
import { benchCommand } from './bench-command.js';
import { DRIVE_USAGE, driveCommand } from './drive-command.js';
import { EVAL_USAGE, evalCommand } from './eval-command.js';
import { ARM_USAGE, armCommand } from './arm-command.js';
import { PRETRAIN_USAGE, TRAIN_USAGE, pretrainCommand, trainCommand } from './train-command.js';
import { SIM_USAGE, simCommand } from './sim-command.js';
import { MODEL_USAGE, modelCommand } from './model-command.js';
import { runCommand } from './run-command.js';
import { SERVE_USAGE, serveCommand } from './serve-command.js';
import { CliError } from './args.js';
import { REPLAY_USAGE, replayCommand } from './replay-command.js';
import { BRIDGE_USAGE, bridgeCommand } from './bridge-command.js';
import { NODE_USAGE, nodeCommand } from './node-command.js';

const USAGE = `pilot — control runtime for robots and vehicles

Usage:
  pilot run --config <yaml> [--transport zeromq|inprocess] [--duration <s>] [--record <bag dir>]
  ${MODEL_USAGE}
  pilot bench [--ticks N] [--rate-hz 100] [--ep cpu|webgpu|cuda|tensorrt[,...]] [--compare-eps] [--model <onnx>]
              [--transport zeromq|inprocess] [--camera-hz 30] [--json] [--image-latency] [--baseline] [--worker]
  pilot bench --chunked [--ticks 10000] [--rate-hz 100] [--inference-delay-ms <3 periods>] [--blend ensemble|latest|average]
              [--model models/chunked-test.onnx] [--remote] [--skip-round-trip]   (chunked loop vs plain loop, same slow model)
  pilot bench --round-trip [--requests 2000] [--model models/chunked-test.onnx]   (policy server round trip on loopback)
  ${SERVE_USAGE}
${BAG_USAGE}
  ${REPLAY_USAGE}
  ${DRIVE_USAGE}
  ${SIM_USAGE}
  ${PRETRAIN_USAGE}
  ${TRAIN_USAGE}
  ${EVAL_USAGE}
  ${ARM_USAGE}
  ${NODE_USAGE}
  ${BRIDGE_USAGE}
  pilot help

See README.md for the configuration keys and the data flow.`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'model':
        return await modelCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'drive':
        return await driveCommand(rest);
      case 'pretrain':
        return await pretrainCommand(rest);
      case 'train':
        return await trainCommand(rest);
      case 'arm':
        return await armCommand(rest);
      case 'eval':
        return await evalCommand(rest);
      case 'sim':
        return await simCommand(rest);
      case 'bag':
        return await bagCommand(rest);
      case 'replay':
        return await replayCommand(rest);
      case 'node':
        return await nodeCommand(rest);
      case 'bridge':
        return await bridgeCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`pilot: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`pilot: ${(err as Error).message}`);
    return 1;
  }
}
