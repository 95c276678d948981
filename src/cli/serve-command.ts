/** `pilot serve`: a policy server in its own process (README "Policy server"). */
import { parseConfig } from '../core/config/load.js';
import { PolicyServer } from '../runtime/policy/policy-server.js';
import { PolicySession } from '../runtime/policy/policy-session.js';
import { DEFAULT_POLICY_ENDPOINT, POLICY_PROTOCOL_NAME } from '../runtime/policy/server-protocol.js';
import { CliError } from './args.js';
import { defineCommand, invoke, type Parsed } from './command.js';
import { flag, number, text } from './options.js';
import { epOption } from './shared-options.js';
import { readModelFile } from '../core/onnx/model-file.js';

const OPTIONS = {
  model: text('-m, --model <onnx>', 'the policy to serve (required)'),
  endpoint: text('--endpoint <endpoint>', 'where to listen: tcp://host:port (port * picks one) or ipc://path', { default: DEFAULT_POLICY_ENDPOINT }),
  ep: epOption('cpu'),
  worker: flag('--worker', 'run inference on a worker thread'),
  'inference-delay-ms': number('--inference-delay-ms <ms>', 'added to every inference on purpose (testing a slow policy)', { default: 0, min: 0 }),
  'allow-remote': flag('--allow-remote', 'listen on a non-loopback address (the protocol has no authentication)'),
  duration: number('--duration <s>', 'stop after this many seconds', { positive: true, defaultLabel: 'until Ctrl-C' }),
} as const;

export const SERVE = defineCommand({
  name: 'serve',
  summary: 'a policy server in its own process (README "Policy server"); prints one line on stdout when listening',
  options: OPTIONS,
  examples: ['pilot serve --model models/chunked-test.onnx --endpoint tcp://127.0.0.1:5590'],
  run: runServe,
});

export function serveCommand(args: readonly string[]): Promise<number> {
  return invoke(SERVE, args);
}

async function runServe({ values, out }: Parsed<typeof OPTIONS>): Promise<number> {
  if (!values.model) throw new CliError('serve needs --model <onnx>');
  const endpoint = values.endpoint;
  const delayMs = values['inference-delay-ms'];
  const model = parseConfig(
    { model: { path: values.model, providers: values.ep ?? ['cpu'], inference_thread: values.worker ? 'worker' : 'main' } },
    'serve',
    process.cwd(),
  ).model;
  const bytes = readModelFile(model.path);
  const log = out.log;
  const policy = await PolicySession.create({ model, log });
  let server: PolicyServer;
  try {
    server = await PolicyServer.start({ endpoint, allowRemote: values['allow-remote'], policy, modelBytes: bytes, inferenceDelayMs: delayMs, log });
  } catch (err) {
    await policy.dispose();
    throw err;
  }
  // One line on stdout when ready, with the endpoint actually bound (a `*` port resolved): scripts wait for it.
  out.result(`pilot serve: listening on ${server.endpoint} (${POLICY_PROTOCOL_NAME}), model ${policy.contract.id} on ${policy.providerSummary}${delayMs ? `, +${delayMs} ms per inference on purpose` : ''}`);
  const durationS = values.duration;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (durationS) setTimeout(resolve, durationS * 1000);
  });
  await server.close();
  await policy.dispose();
  const s = server.stats;
  out.result(
    `pilot serve: stopped after ${s.requests} requests (${s.errors} refused, ${s.hellos} hellos), inference p50 ${fmt(server.inferenceMs.percentile(50))} ms, p99 ${fmt(server.inferenceMs.percentile(99))} ms`,
  );
  return 0;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}
