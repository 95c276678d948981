/**
 * The policy server protocol, `pilot.policy/1` (README "Policy server"): ZeroMQ ROUTER (server) and
 * DEALER (client), multipart messages. Frame 0 is a MessagePack map (standard maps, no extensions);
 * frames 1… are tensors, float32 little-endian, row-major, one frame per tensor listed in the header.
 *
 *   client → server  {protocol: 1, type: 'hello', client}
 *   server → client  {protocol: 1, type: 'hello', server, server_id, model_id, model_sha256, contract, provider}
 *   client → server  {protocol: 1, type: 'infer', id, stamp_ms, inputs: [{name, shape}]}  + one frame per input
 *   server → client  {protocol: 1, type: 'result', id, server_id, inference_ms, outputs: [{name, shape}]} + frames
 *   server → client  {protocol: 1, type: 'error', id?, code, message}
 *
 * `contract` is the model's `pilot.contract` JSON text. `server_id` changes when the server restarts.
 */
import { endianness } from 'node:os';
import { Packr } from 'msgpackr';
import { PilotError } from '../../core/util/errors.js';

export const POLICY_PROTOCOL = 1;
export const POLICY_PROTOCOL_NAME = `pilot.policy/${POLICY_PROTOCOL}`;
export const DEFAULT_POLICY_ENDPOINT = 'tcp://127.0.0.1:5590';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface HelloRequest {
  readonly protocol: number;
  readonly type: 'hello';
  readonly client: string;
}

export interface InferRequest {
  readonly protocol: number;
  readonly type: 'infer';
  readonly id: number;
  /** The observation's time (client clock, ms); informational. */
  readonly stamp_ms?: number;
  readonly inputs: readonly TensorSpec[];
}

export interface HelloReply {
  readonly protocol: number;
  readonly type: 'hello';
  readonly server: string;
  readonly server_id: string;
  readonly model_id: string;
  readonly model_sha256: string;
  /** The model's `pilot.contract` JSON text. */
  readonly contract: string;
  readonly provider: string;
}

export interface ResultReply {
  readonly protocol: number;
  readonly type: 'result';
  readonly id: number;
  readonly server_id: string;
  readonly inference_ms: number;
  readonly outputs: readonly TensorSpec[];
}

export interface ErrorReply {
  readonly protocol: number;
  readonly type: 'error';
  readonly id?: number;
  readonly code: string;
  readonly message: string;
}

export type ClientMessage = HelloRequest | InferRequest;
export type ServerMessage = HelloReply | ResultReply | ErrorReply;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function encodeHeader(message: ClientMessage | ServerMessage): Buffer {
  return packr.pack(message);
}

/** The header frame as a map with a known protocol and type; `from` names the peer in errors. */
export function decodeHeader(frame: Buffer | undefined, from: string): Record<string, unknown> & { protocol: number; type: string } {
  if (!frame) throw new PilotError('E_POLICY_PROTOCOL', `${from}: empty message (no header frame)`);
  let header: unknown;
  try {
    header = packr.unpack(frame);
  } catch (err) {
    throw new PilotError('E_POLICY_PROTOCOL', `${from}: header frame is not MessagePack (${(err as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new PilotError('E_POLICY_PROTOCOL', `${from}: header is not a map`);
  const h = header as Record<string, unknown>;
  if (h.protocol !== POLICY_PROTOCOL) {
    throw new PilotError('E_POLICY_VERSION', `${from} speaks protocol ${JSON.stringify(h.protocol)}, this pilot speaks ${POLICY_PROTOCOL_NAME}`);
  }
  if (typeof h.type !== 'string') throw new PilotError('E_POLICY_PROTOCOL', `${from}: header has no type`);
  return h as Record<string, unknown> & { protocol: number; type: string };
}

/**
 * Checks tensor specs and frames against what is expected (name, shape, float32 byte length) and
 * returns the frames in expected order. Every error names the tensor and both values.
 */
export function matchTensors(
  what: string,
  specs: unknown,
  frames: readonly Buffer[],
  expected: readonly TensorSpec[],
): Buffer[] {
  if (!Array.isArray(specs)) throw new PilotError('E_POLICY_PROTOCOL', `${what}: header lists no tensors`);
  if (specs.length !== expected.length || frames.length !== expected.length) {
    throw new PilotError(
      'E_POLICY_PROTOCOL',
      `${what}: expected ${expected.length} tensors (${expected.map((e) => e.name).join(', ')}), got ${specs.length} in the header and ${frames.length} frames`,
    );
  }
  return expected.map((e) => {
    const i = specs.findIndex((s: { name?: unknown }) => s && s.name === e.name);
    if (i < 0) throw new PilotError('E_POLICY_PROTOCOL', `${what}: no tensor '${e.name}' (got ${specs.map((s: { name?: unknown }) => String(s?.name)).join(', ')})`);
    const shape = (specs[i] as { shape?: unknown }).shape;
    if (!Array.isArray(shape) || shape.length !== e.shape.length || shape.some((d, k) => d !== e.shape[k])) {
      throw new PilotError('E_POLICY_SHAPE', `${what}: tensor '${e.name}' has shape ${JSON.stringify(shape)}, expected [${e.shape.join(',')}]`);
    }
    const frame = frames[i]!;
    const bytes = 4 * e.shape.reduce((a, b) => a * b, 1);
    if (frame.length !== bytes) throw new PilotError('E_POLICY_SHAPE', `${what}: tensor '${e.name}' frame has ${frame.length} bytes, expected ${bytes} (float32 [${e.shape.join(',')}])`);
    return frame;
  });
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** Copies a float32 little-endian frame into `out`: a byte copy on a little-endian host, whatever the alignment. */
export function readFloat32Frame(frame: Buffer, out: Float32Array): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(frame.subarray(0, out.byteLength));
    return;
  }
  for (let i = 0; i < out.length; i++) out[i] = frame.readFloatLE(i * 4);
}
