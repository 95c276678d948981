// Inference worker (plain JS so it runs from src/ and dist/ alike). It owns its own ORT session,
// picks the first provider that loads and runs (candidates come planned from worker-policy.ts), warms
// up, and then serves runs signalled through shared memory:
// the main thread copies inputs into `shared`, sets control[0] = RUN and waits asynchronously;
// this thread computes, writes the output into `shared`, sets DONE (or ERROR) and notifies.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const RUN = 1, DONE = 2, ERROR = 3, STOP = 4;
const { bytes, candidates, logLevel, inputs, output, shared, control, warmupRuns } = workerData;
const state = new Int32Array(control);
const sharedFloats = new Float32Array(shared);

ort.env.logLevel = logLevel;
const message = (err) => String(err && err.message ? err.message : err);
const attempts = [];
let session;
let active;
let firstInferenceMs = 0;
let copyOutputs = false;
const feeds = {};
const local = inputs.map((spec) => {
  const data = new Float32Array(spec.length);
  feeds[spec.name] = new ort.Tensor('float32', data, spec.shape);
  return { data, view: sharedFloats.subarray(spec.offset, spec.offset + spec.length) };
});
const outData = new Float32Array(output.length);
const fetches = { [output.name]: new ort.Tensor('float32', outData, output.shape) };
const outView = sharedFloats.subarray(output.offset, output.offset + output.length);
// ORT writes into outData (preallocated), or, for builds that refuse that, returns a tensor we copy.
const runOnce = async () => {
  if (!copyOutputs) {
    await session.run(feeds, fetches);
    return;
  }
  const result = await session.run(feeds);
  outData.set(result[output.name].data);
};

// Same rule as the main thread: a provider counts only once its session exists and one inference ran.
for (const { provider, options, path } of candidates) {
  let candidateSession;
  try {
    candidateSession = await ort.InferenceSession.create(path ?? bytes, options);
  } catch (err) {
    attempts.push({ provider, ok: false, stage: 'session', message: message(err) });
    continue;
  }
  session = candidateSession;
  const start = performance.now();
  try {
    copyOutputs = false;
    try {
      await runOnce();
    } catch {
      copyOutputs = true;
      await runOnce();
    }
  } catch (err) {
    attempts.push({ provider, ok: false, stage: 'first', message: message(err) });
    await candidateSession.release().catch(() => {});
    session = undefined;
    continue;
  }
  firstInferenceMs = performance.now() - start;
  active = provider;
  attempts.push({ provider, ok: true, stage: 'first', message: '' });
  break;
}
if (!session) {
  parentPort.postMessage({ type: 'failed', attempts });
} else {
  const warmupMs = [];
  for (let i = 1; i < warmupRuns; i++) {
    const start = performance.now();
    await runOnce();
    warmupMs.push(performance.now() - start);
  }
  parentPort.postMessage({ type: 'ready', attempts, active, firstInferenceMs, warmupMs, copyOutputs });
  for (;;) {
    // Sleep until the main thread asks for a run (or a stop); DONE/ERROR wait for it to reset to IDLE.
    let command = Atomics.load(state, 0);
    while (command !== RUN && command !== STOP) {
      Atomics.wait(state, 0, command);
      command = Atomics.load(state, 0);
    }
    if (command === STOP) break;
    try {
      for (const { data, view } of local) data.set(view);
      await runOnce();
      outView.set(outData);
      Atomics.store(state, 0, DONE);
    } catch (err) {
      parentPort.postMessage({ type: 'error', message: String(err && err.message ? err.message : err) });
      Atomics.store(state, 0, ERROR);
    }
    Atomics.notify(state, 0);
  }
  await session.release();
}
