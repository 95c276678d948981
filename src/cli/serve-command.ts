/** `pilot serve`: a policy server in its own process (README "Policy server"). */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../core/config/load.js';
import { PolicyServer } from '../runtime/policy/policy-server.js';
import { PolicySession } from '../runtime/policy/policy-session.js';
import { DEFAULT_POLICY_ENDPOINT, POLICY_PROTOCOL_NAME } from '../runtime/policy/server-protocol.js';
import { PilotError } from '../core/util/errors.js';
import { CliError, parse, positiveNumber, providerList } from './args.js';

export const SERVE_USAGE = `pilot serve --model <onnx> [--endpoint ${DEFAULT_POLICY_ENDPOINT}] [--ep cpu[,cuda,...]] [--worker]
              [--inference-delay-ms 0] [--allow-remote] [--duration <s>]`;

export async function serveCommand(args: readonly string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    endpoint: { type: 'string' },
    ep: { type: 'string' },
    worker: { type: 'boolean' },
    'inference-delay-ms': { type: 'string' },
    'allow-remote': { type: 'boolean' },
    duration: { type: 'string' },
  });
  if (!values.model) throw new CliError('serve needs --model <onnx>');
  const endpoint = values.endpoint ?? DEFAULT_POLICY_ENDPOINT;
  const delayMs = values['inference-delay-ms'] === undefined ? 0 : Number(values['inference-delay-ms']);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new CliError(`--inference-delay-ms must be a number ≥ 0, got '${values['inference-delay-ms']}'`);
  const model = parseConfig(
    { model: { path: values.model, providers: providerList(values.ep, ['cpu']), inference_thread: values.worker ? 'worker' : 'main' } },
    'serve',
    process.cwd(),
  ).model;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(model.path);
  } catch (err) {
    throw new PilotError('E_MODEL_FILE', `cannot read model ${model.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const log = (line: string) => console.error(line);
  const policy = await PolicySession.create({ model, log });
  let server: PolicyServer;
  try {
    server = await PolicyServer.start({ endpoint, allowRemote: values['allow-remote'] ?? false, policy, modelBytes: bytes, inferenceDelayMs: delayMs, log });
  } catch (err) {
    await policy.dispose();
    throw err;
  }
  // One line on stdout when ready, with the endpoint actually bound (a `*` port resolved): scripts wait for it.
  console.log(`pilot serve: listening on ${server.endpoint} (${POLICY_PROTOCOL_NAME}), model ${policy.contract.id} on ${policy.providerSummary}${delayMs ? `, +${delayMs} ms per inference on purpose` : ''}`);
  const durationS = values.duration ? positiveNumber(values.duration, '--duration', 0) : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (durationS) setTimeout(resolve, durationS * 1000);
  });
  await server.close();
  await policy.dispose();
  const s = server.stats;
  console.error(
    `pilot serve: stopped after ${s.requests} requests (${s.errors} refused, ${s.hellos} hellos), inference p50 ${fmt(server.inferenceMs.percentile(50))} ms, p99 ${fmt(server.inferenceMs.percentile(99))} ms`,
  );
  return 0;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : 'n/a';
}
