// Inference worker (plain JS so it runs from src/ and dist/ alike). It owns its own ORT session,
// picks the first provider that loads, and then serves runs signalled through shared memory:
// the main thread copies inputs into `shared`, sets control[0] = RUN and waits asynchronously;
// this thread computes, writes the output into `shared`, sets DONE (or ERROR) and notifies.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const RUN = 1, DONE = 2, ERROR = 3, STOP = 4;
const { bytes, candidates, logLevel, inputs, output, shared, control, warmupRuns } = workerData;
const state = new Int32Array(control);
const sharedFloats = new Float32Array(shared);

ort.env.logLevel = logLevel;
const attempts = [];
let session;
let active;
for (const { provider, options } of candidates) {
  try {
    session = await ort.InferenceSession.create(bytes, options);
    active = provider;
    attempts.push({ provider, ok: true, reason: '' });
    break;
  } catch (err) {
    const text = String(err && err.message ? err.message : err);
    attempts.push({ provider, ok: false, reason: (text.split('\n').find((l) => l.trim()) ?? text).trim().slice(0, 300) });
  }
}
if (!session) {
  parentPort.postMessage({ type: 'failed', attempts });
} else {
  const feeds = {};
  const local = inputs.map((spec) => {
    const data = new Float32Array(spec.length);
    feeds[spec.name] = new ort.Tensor('float32', data, spec.shape);
    return { data, view: sharedFloats.subarray(spec.offset, spec.offset + spec.length) };
  });
  const outData = new Float32Array(output.length);
  const fetches = { [output.name]: new ort.Tensor('float32', outData, output.shape) };
  const outView = sharedFloats.subarray(output.offset, output.offset + output.length);
  for (let i = 0; i < warmupRuns; i++) await session.run(feeds, fetches);
  parentPort.postMessage({ type: 'ready', attempts, active });
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
      await session.run(feeds, fetches);
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
