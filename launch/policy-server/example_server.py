#!/usr/bin/env python3
"""A policy server in Python speaking pilot.policy/1 (README "Policy server"), for a network that runs
outside Node: PyTorch, TensorRT on a Jetson, a workstation GPU. pilot's loop reaches it with
`policy_server: {endpoint: ...}` or `--policy-server <endpoint>`, exactly as it reaches `pilot serve`.

Needs pyzmq and msgpack (Debian: apt-get install python3-zmq python3-msgpack); nothing else.

    pilot model inspect models/chunked-test.onnx --json > contract.json
    python3 launch/policy-server/example_server.py --contract contract.json     # tcp://127.0.0.1:5590

`--contract` is the model's `pilot.contract` JSON (a bare contract, or `pilot model inspect --json`'s
output). The stand-in network, `ChunkedTestPolicy`, computes what models/chunked-test.onnx computes
(per-channel image means -> tanh ramp over the chunk), so a client can check every number; replace it
with your own: a callable taking {input name: float32 memoryview, row-major} and returning one bytes-like
float32 little-endian buffer per contract output. With numpy: `np.frombuffer(view, '<f4').reshape(shape)`
in, `out.astype('<f4').tobytes()` out.
"""
import argparse
import hashlib
import json
import math
import sys
import time
import uuid
from array import array

import msgpack
import zmq

PROTOCOL = 1
LOOPBACK_HOSTS = ("localhost", "::1")


class ProtocolError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def load_contract(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    contract = doc.get("contract", doc)
    for key in ("id", "inputs", "outputs"):
        if key not in contract:
            sys.exit(f"example_server: {path}: not a pilot.contract (no '{key}'); write one with `pilot model inspect <model.onnx> --json`")
    return contract


def element_count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class ChunkedTestPolicy:
    """models/chunked-test.onnx in plain Python: steering[i] = tanh(gain*(m_r - m_b) + slope*(i - (steps-1)/2)),
    speed[i] = tanh(speed_bias), m = per-channel mean of the camera tensor (NCHW)."""

    def __init__(self, contract, gain=2.0, slope=0.05, speed_bias=0.5):
        out = contract["outputs"][0]
        self.steps = out.get("chunk", {}).get("steps", 1)
        if element_count(out["shape"]) != 2 * self.steps or len(contract["inputs"]) != 1:
            sys.exit("example_server: the stand-in network serves one camera input and [steps, 2] actions; plug in your own for this contract")
        self.input = contract["inputs"][0]["name"]
        self.gain, self.slope, self.speed_bias = gain, slope, speed_bias

    def __call__(self, inputs):
        image = inputs[self.input]
        plane = len(image) // 3
        m = [sum(image[k * plane:(k + 1) * plane]) / plane for k in range(3)]
        centre = (self.steps - 1) / 2
        out = array("f", [0.0] * (2 * self.steps))
        for i in range(self.steps):
            out[2 * i] = math.tanh(self.gain * (m[0] - m[2]) + self.slope * (i - centre))
            out[2 * i + 1] = math.tanh(self.speed_bias)
        if sys.byteorder != "little":
            out.byteswap()
        return [out]


def float32_view(buf):
    """A little-endian float32 frame as floats: a view without a copy on a little-endian host."""
    if sys.byteorder == "little":
        return buf.cast("B").cast("f")
    values = array("f", bytes(buf))
    values.byteswap()
    return values


def check_bindable(endpoint, allow_remote):
    if allow_remote or endpoint.startswith("ipc://"):
        return
    if not endpoint.startswith("tcp://"):
        sys.exit(f"example_server: endpoint '{endpoint}' must be tcp://host:port or ipc://path")
    host = endpoint[len("tcp://"):].rsplit(":", 1)[0].strip("[]")
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        sys.exit(f"example_server: refusing to listen on '{endpoint}': not loopback or ipc (pass --allow-remote)")


class Server:
    def __init__(self, contract, policy, model_sha256, delay_ms=0.0):
        self.contract = contract
        self.policy = policy
        self.delay_ms = delay_ms
        self.server_id = str(uuid.uuid4())
        self.inputs = [(i["name"], list(i["shape"])) for i in contract["inputs"]]
        self.outputs = [{"name": o["name"], "shape": list(o["shape"])} for o in contract["outputs"]]
        self.hello = msgpack.packb({
            "protocol": PROTOCOL, "type": "hello", "server": "example_server.py", "server_id": self.server_id,
            "model_id": contract["id"], "model_sha256": model_sha256, "contract": json.dumps(contract), "provider": "cpu",
        }, use_bin_type=True)

    def answer(self, header_frame, tensor_frames):
        """The reply frames for one request; a bad request gets an error reply, never an exception."""
        request_id = None
        try:
            try:
                header = msgpack.unpackb(header_frame, raw=False)
            except Exception as err:
                raise ProtocolError("E_POLICY_PROTOCOL", f"header frame is not MessagePack ({err})")
            if not isinstance(header, dict):
                raise ProtocolError("E_POLICY_PROTOCOL", "header is not a map")
            if header.get("protocol") != PROTOCOL:
                raise ProtocolError("E_POLICY_VERSION", f"client speaks protocol {header.get('protocol')!r}, this server speaks pilot.policy/{PROTOCOL}")
            if header.get("type") == "hello":
                return [self.hello]
            if header.get("type") != "infer":
                raise ProtocolError("E_POLICY_PROTOCOL", f"unknown request type {header.get('type')!r} (known: hello, infer)")
            request_id = header.get("id")
            if not isinstance(request_id, int):
                raise ProtocolError("E_POLICY_PROTOCOL", "infer request without a numeric id")
            return self.infer(request_id, header.get("inputs"), tensor_frames)
        except ProtocolError as err:
            return [self.error(request_id, err.code, str(err))]
        except Exception as err:  # the network failed: an error reply, and keep serving
            return [self.error(request_id, "E_INFERENCE", f"{type(err).__name__}: {err}")]

    def infer(self, request_id, specs, frames):
        views = self.match_inputs(request_id, specs, frames)
        start = time.perf_counter()
        outputs = self.policy(views)
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000)
        inference_ms = (time.perf_counter() - start) * 1000
        header = msgpack.packb({
            "protocol": PROTOCOL, "type": "result", "id": request_id, "server_id": self.server_id,
            "inference_ms": inference_ms, "outputs": self.outputs,
        }, use_bin_type=True)
        return [header, *outputs]

    def match_inputs(self, request_id, specs, frames):
        """{name: float32 memoryview} after checking names, shapes and byte lengths against the contract."""
        if not isinstance(specs, list) or len(specs) != len(self.inputs) or len(frames) != len(self.inputs):
            raise ProtocolError("E_POLICY_PROTOCOL", f"request {request_id}: expected {len(self.inputs)} tensors, got {len(specs) if isinstance(specs, list) else 0} in the header and {len(frames)} frames")
        by_name = {s.get("name"): (k, s.get("shape")) for k, s in enumerate(specs) if isinstance(s, dict)}
        views = {}
        for name, shape in self.inputs:
            if name not in by_name:
                raise ProtocolError("E_POLICY_PROTOCOL", f"request {request_id}: no tensor '{name}'")
            k, got = by_name[name]
            if got != shape:
                raise ProtocolError("E_POLICY_SHAPE", f"request {request_id}: tensor '{name}' has shape {got}, expected {shape}")
            buf = memoryview(frames[k].buffer if hasattr(frames[k], "buffer") else frames[k])
            if buf.nbytes != 4 * element_count(shape):
                raise ProtocolError("E_POLICY_SHAPE", f"request {request_id}: tensor '{name}' frame has {buf.nbytes} bytes, expected {4 * element_count(shape)}")
            views[name] = float32_view(buf)
        return views

    def error(self, request_id, code, message):
        reply = {"protocol": PROTOCOL, "type": "error", "code": code, "message": message}
        if request_id is not None:
            reply["id"] = request_id
        return msgpack.packb(reply, use_bin_type=True)


def main():
    ap = argparse.ArgumentParser(description="A pilot.policy/1 policy server in Python (example).")
    ap.add_argument("--contract", required=True, help="the model's pilot.contract JSON (or `pilot model inspect --json` output)")
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5590", help="where to listen (tcp://127.0.0.1:* picks a free port)")
    ap.add_argument("--allow-remote", action="store_true", help="listen on a non-loopback address")
    ap.add_argument("--model-file", help="the model file, for the sha256 in the hello")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="added to every inference on purpose")
    args = ap.parse_args()
    check_bindable(args.endpoint, args.allow_remote)
    contract = load_contract(args.contract)
    sha = hashlib.sha256(open(args.model_file, "rb").read()).hexdigest() if args.model_file else ""
    server = Server(contract, ChunkedTestPolicy(contract), sha, args.delay_ms)
    sock = zmq.Context.instance().socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind(args.endpoint)
    # One line on stdout when ready, with the port a `*` resolved to: scripts wait for it.
    print(f"example_server: listening on {sock.getsockopt_string(zmq.LAST_ENDPOINT)}, model {contract['id']}", flush=True)
    try:
        while True:
            identity, *frames = sock.recv_multipart(copy=False)
            header = frames[0].bytes if frames else b""
            sock.send_multipart([identity, *server.answer(header, frames[1:])])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close(0)


if __name__ == "__main__":
    main()
