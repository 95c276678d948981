/**
 * Camera ingest over a real ROS 2 (`npm run bench:ros2`, in a shell with ROS 2 sourced and rclnodejs built):
 * an rclpy publisher sends sensor_msgs/Image rgb8 (640×480, 1280×720) and sensor_msgs/CompressedImage (a
 * 640×480 JPEG) at 30 Hz, best effort, stamped with the wall clock; pilot's ROS 2 transport
 * (src/ros2/ros2-transport.ts, raw CDR + pilot's codec, sensor QoS) and an rclpy subscriber (sensor data QoS,
 * rclpy's own message conversion, in its own process) receive the same stream in the same run. Per
 * subscriber: frames received / sent, received rate, and stamp-to-receive latency p50 / p99 / max.
 *
 *   node dist/scripts/bench-ros2.js [--seconds 10] [--rate 30] [--domain 70]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import jpeg from 'jpeg-js';
import { openRos2Transport } from '../src/ros2/open.js';
import { ros2Problems } from '../src/ros2/preflight.js';
import type { CompressedImage, Image } from '../src/core/messages/types.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '30' }, domain: { type: 'string', default: '70' } },
});
const seconds = Number(values.seconds);
const rateHz = Number(values.rate);
process.env.ROS_DOMAIN_ID = values.domain;
process.env.RCUTILS_LOGGING_BUFFERED_STREAM = '0';

const problems = ros2Problems({ packages: ['sensor_msgs', 'std_msgs'] });
if (problems.length > 0) {
  console.error(`bench:ros2 needs a sourced ROS 2 and a built rclnodejs: ${problems.join('; ')}`);
  process.exit(1);
}

/** Wall-clock milliseconds with sub-millisecond resolution (same clock as python's time.time()). */
const nowMs = (): number => performance.timeOrigin + performance.now();

const PUBLISHER = String.raw`
import json, sys, time
import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, CompressedImage
topic, kind, width, height, rate, seconds, subs, jpeg_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
rclpy.init()
node = rclpy.create_node('bench_camera')
if kind == 'image':
    pub = node.create_publisher(Image, topic, qos_profile_sensor_data)
    m = Image()
    m.height, m.width, m.encoding, m.is_bigendian, m.step = height, width, 'rgb8', 0, width * 3
    m.data = bytes([(i * 7) % 256 for i in range(256)]) * (width * height * 3 // 256)
else:
    pub = node.create_publisher(CompressedImage, topic, qos_profile_sensor_data)
    m = CompressedImage()
    m.format = 'jpeg'
    m.data = open(jpeg_path, 'rb').read()
m.header.frame_id = 'camera_optical_frame'
deadline = time.time() + 60
while pub.get_subscription_count() < subs and time.time() < deadline:
    rclpy.spin_once(node, timeout_sec=0.1)
time.sleep(1.0)  # discovery of the subscriptions' side
sent = 0
start = time.time()
period = 1.0 / rate
while time.time() - start < seconds:
    t = time.time()
    m.header.stamp.sec = int(t)
    m.header.stamp.nanosec = int((t - int(t)) * 1e9)
    pub.publish(m)
    sent += 1
    next_t = start + sent * period
    delay = next_t - time.time()
    if delay > 0:
        time.sleep(delay)
elapsed = time.time() - start
print(json.dumps({'sent': sent, 'rate': sent / elapsed, 'subs': pub.get_subscription_count()}), flush=True)
time.sleep(1.0)
node.destroy_node()
rclpy.shutdown()
`;

const SUBSCRIBER = String.raw`
import json, signal, sys, time
import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, CompressedImage
topic, kind = sys.argv[1], sys.argv[2]
rclpy.init()
node = rclpy.create_node('bench_rclpy_sub')
lat, times = [], []
def on_msg(m):
    t = time.time()
    lat.append((t - (m.header.stamp.sec + m.header.stamp.nanosec * 1e-9)) * 1000.0)
    times.append(t)
node.create_subscription(Image if kind == 'image' else CompressedImage, topic, on_msg, qos_profile_sensor_data)
print('READY', flush=True)
done = []
signal.signal(signal.SIGINT, lambda *a: done.append(1))
while not done:
    rclpy.spin_once(node, timeout_sec=0.1)
print(json.dumps({'lat': lat, 'times': times}), flush=True)
`;

interface Stats {
  received: number;
  rateHz: number;
  p50: number;
  p99: number;
  max: number;
}

function stats(latMs: number[], timesMs: number[]): Stats {
  const s = [...latMs].sort((a, b) => a - b);
  const q = (p: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
  const span = timesMs.length > 1 ? (timesMs.at(-1)! - timesMs[0]!) / 1000 : NaN;
  return { received: s.length, rateHz: (timesMs.length - 1) / span, p50: q(0.5), p99: q(0.99), max: s.at(-1) ?? NaN };
}

function collect(proc: ChildProcess): { out: () => string; exited: Promise<number | null> } {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { out: () => out, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`bench:ros2: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pilot-bench-ros2-'));
const jpegPath = join(dir, 'frame.jpg');
{
  const w = 640;
  const h = 480;
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgba.set([(x * 255) / w, (y * 255) / h, ((x ^ y) & 0xff), 255], (y * w + x) * 4);
  writeFileSync(jpegPath, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
}

const cases = [
  { label: 'Image 640×480 rgb8', kind: 'image', width: 640, height: 480 },
  { label: 'Image 1280×720 rgb8', kind: 'image', width: 1280, height: 720 },
  { label: 'CompressedImage 640×480 JPEG', kind: 'compressed', width: 640, height: 480 },
] as const;

const transport = await openRos2Transport({ nodeName: 'bench_pilot_sub', types: ['sensor_msgs/msg/Image'] });
const rows: string[] = [];
try {
  for (const [i, c] of cases.entries()) {
    const topic = `/bench/camera_${i}`;
    const sub = spawn('python3', ['-u', '-c', SUBSCRIBER, topic, c.kind], { stdio: ['ignore', 'pipe', 'pipe'] });
    const subOut = collect(sub);
    const lat: number[] = [];
    const times: number[] = [];
    const subscription = transport.subscribe<Image | CompressedImage>(topic, c.kind === 'image' ? 'sensor_msgs/msg/Image' : 'sensor_msgs/msg/CompressedImage', (m) => {
      const t = nowMs();
      lat.push(t - (m.header.stamp.sec * 1000 + m.header.stamp.nanosec / 1e6));
      times.push(t);
    });
    await waitFor('the rclpy subscriber', () => subOut.out().includes('READY'), 60_000);
    const pub = spawn('python3', ['-u', '-c', PUBLISHER, topic, c.kind, String(c.width), String(c.height), String(rateHz), String(seconds), '2', jpegPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pubOut = collect(pub);
    const code = await pubOut.exited;
    const sentLine = pubOut.out().split('\n').find((l) => l.startsWith('{'));
    if (code !== 0 || !sentLine) throw new Error(`bench:ros2: the rclpy publisher failed (${code}):\n${pubOut.out()}`);
    const sent = JSON.parse(sentLine) as { sent: number; rate: number; subs: number };
    subscription.close();
    sub.kill('SIGINT');
    await subOut.exited;
    const resultLine = subOut.out().split('\n').find((l) => l.startsWith('{'));
    if (!resultLine) throw new Error(`bench:ros2: the rclpy subscriber printed no result:\n${subOut.out()}`);
    const py = JSON.parse(resultLine) as { lat: number[]; times: number[] };
    const pyStats = stats(py.lat, py.times.map((t) => t * 1000));
    const pilotStats = stats(lat, times);
    const fmt = (who: string, s: Stats): string =>
      `| ${c.label} | ${who} | ${s.received}/${sent.sent} | ${s.rateHz.toFixed(1)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)} |`;
    rows.push(fmt(`pilot (rclnodejs raw + codec)`, pilotStats), fmt('rclpy', pyStats));
    console.error(`bench:ros2: ${c.label}: published ${sent.sent} at ${sent.rate.toFixed(1)} Hz to ${sent.subs} subscriptions`);
  }
} finally {
  await transport.close();
}

console.log(`ROS 2 ${process.env.ROS_DISTRO ?? '?'} (${process.env.RMW_IMPLEMENTATION ?? 'default rmw'}), rclpy publisher at ${rateHz} Hz for ${seconds} s, best effort; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('| stream | subscriber | received/sent | rate (Hz) | latency p50 (ms) | p99 (ms) | max (ms) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
