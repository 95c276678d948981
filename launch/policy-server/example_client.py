#!/usr/bin/env python3
"""A pilot.policy/1 client in Python (README "Policy server"): asks a policy server (`pilot serve`, or
example_server.py) for its hello, sends observations and reads the chunks back, as pilot's loop does.
For checking a server from Python, or as the start of a Python robot client.

Needs pyzmq and msgpack (Debian: apt-get install python3-zmq python3-msgpack); nothing else.

    npx pilot serve --model models/chunked-test.onnx &
    python3 launch/policy-server/example_client.py --endpoint tcp://127.0.0.1:5590 --requests 100 --rgb 0.9,0.5,0.1

Every camera input (NCHW, 3 channels) is filled with the value of --rgb per channel (already normalised:
what the network sees), every other input with 0. Prints the model, the first reply's output and the
round trip (p50, p99); `--json` prints the same as one JSON object.
"""
import argparse
import json
import struct
import sys
import time

import msgpack
import zmq

PROTOCOL = 1


def element_count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


class Client:
    def __init__(self, endpoint, timeout_ms):
        self.endpoint = endpoint
        self.timeout_ms = timeout_ms
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.IMMEDIATE, 1)  # nothing queued while no server is connected
        self.sock.setsockopt(zmq.SNDTIMEO, timeout_ms)  # so a send with no server fails instead of blocking
        self.sock.connect(endpoint)
        self.next_id = 1

    def request(self, header, frames=()):
        try:
            self.sock.send_multipart([msgpack.packb(header, use_bin_type=True), *frames])
        except zmq.Again:
            sys.exit(f"example_client: no reply from {self.endpoint} within {self.timeout_ms} ms (no server connected)")
        if not self.sock.poll(self.timeout_ms):
            sys.exit(f"example_client: no reply from {self.endpoint} within {self.timeout_ms} ms")
        reply = self.sock.recv_multipart()
        head = msgpack.unpackb(reply[0], raw=False)
        if head.get("protocol") != PROTOCOL:
            sys.exit(f"example_client: {self.endpoint} speaks protocol {head.get('protocol')!r}, this client pilot.policy/{PROTOCOL}")
        if head.get("type") == "error":
            sys.exit(f"example_client: {self.endpoint} refused: {head.get('code')}: {head.get('message')}")
        return head, reply[1:]

    def hello(self):
        head, _ = self.request({"protocol": PROTOCOL, "type": "hello", "client": "example_client.py"})
        if head.get("type") != "hello":
            sys.exit(f"example_client: expected a hello, got {head.get('type')!r}")
        head["contract"] = json.loads(head["contract"])
        return head

    def infer(self, specs, frames):
        request_id = self.next_id
        self.next_id += 1
        header = {"protocol": PROTOCOL, "type": "infer", "id": request_id, "stamp_ms": time.time() * 1000, "inputs": specs}
        head, outputs = self.request(header, frames)
        if head.get("type") != "result" or head.get("id") != request_id:
            sys.exit(f"example_client: expected the result of request {request_id}, got {head.get('type')!r} {head.get('id')!r}")
        decoded = {}
        for spec, frame in zip(head["outputs"], outputs):
            n = element_count(spec["shape"])
            if len(frame) != 4 * n:
                sys.exit(f"example_client: output '{spec['name']}' has {len(frame)} bytes, expected {4 * n}")
            decoded[spec["name"]] = list(struct.unpack(f"<{n}f", frame))
        return head, decoded


def observation(contract, rgb):
    """The request's tensor specs and frames: camera inputs one value per channel, others zero."""
    specs, frames = [], []
    for spec in contract["inputs"]:
        shape = list(spec["shape"])
        n = element_count(shape)
        if spec.get("role") == "camera" and spec.get("layout", "NCHW") == "NCHW" and shape[1] == 3:
            plane = n // 3
            frame = b"".join(struct.pack("<f", rgb[c]) * plane for c in range(3))
        else:
            frame = bytes(4 * n)
        specs.append({"name": spec["name"], "shape": shape})
        frames.append(frame)
    return specs, frames


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser(description="A pilot.policy/1 client in Python (example).")
    ap.add_argument("--endpoint", default="tcp://127.0.0.1:5590")
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--rgb", default="0.5,0.5,0.5", help="camera value per channel, normalised")
    ap.add_argument("--timeout-ms", type=int, default=5000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rgb = [float(v) for v in args.rgb.split(",")]
    if len(rgb) != 3:
        sys.exit(f"example_client: --rgb needs three numbers, got '{args.rgb}'")
    if args.requests < 1:
        sys.exit(f"example_client: --requests must be ≥ 1, got {args.requests}")
    client = Client(args.endpoint, args.timeout_ms)
    hello = client.hello()
    specs, frames = observation(hello["contract"], rgb)
    round_trips, server_ms, first = [], [], None
    for _ in range(args.requests):
        start = time.perf_counter()
        head, outputs = client.infer(specs, frames)
        round_trips.append((time.perf_counter() - start) * 1000)
        server_ms.append(head["inference_ms"])
        first = first or outputs
    summary = {
        "server": hello["server"], "server_id": hello["server_id"], "model_id": hello["model_id"], "provider": hello["provider"],
        "requests": args.requests, "outputs": first,
        "round_trip_ms": {"p50": percentile(round_trips, 50), "p99": percentile(round_trips, 99)},
        "server_inference_ms": {"p50": percentile(server_ms, 50), "p99": percentile(server_ms, 99)},
    }
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{args.endpoint}: {hello['server']}, model {hello['model_id']} on {hello['provider']}")
    for name, values in first.items():
        print(f"  {name}: {' '.join(f'{v:.4f}' for v in values[:8])}{' …' if len(values) > 8 else ''}")
    rt, sm = summary["round_trip_ms"], summary["server_inference_ms"]
    print(f"  {args.requests} requests: round trip p50 {rt['p50']:.3f} ms, p99 {rt['p99']:.3f} ms; server inference p50 {sm['p50']:.3f} ms")


if __name__ == "__main__":
    main()
