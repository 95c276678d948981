/**
 * What the SIGKILL recording child publishes, as a function of (topic, seq, send time): the test
 * rebuilds every expected message from the child's sent log and compares it with what `bag recover`
 * restored, field by field. Values are exact in float32.
 */
import type { AckermannDriveStamped, DiagnosticArray } from '../../../src/core/messages/types.js';

export const CRASH_TOPICS = [
  { topic: '/cmd/ackermann', type: 'ackermann_msgs/msg/AckermannDriveStamped', periodMs: 10 },
  { topic: '/diagnostics', type: 'diagnostic_msgs/msg/DiagnosticArray', periodMs: 200 },
] as const;

export type CrashTopic = (typeof CRASH_TOPICS)[number]['topic'];

function header(seq: number, tNs: bigint) {
  return { stamp: { sec: Number(tNs / 1_000_000_000n), nanosec: Number(tNs % 1_000_000_000n) }, frame_id: `seq-${seq}` };
}

export function crashMessage(topic: CrashTopic, seq: number, tNs: bigint): AckermannDriveStamped | DiagnosticArray {
  if (topic === '/cmd/ackermann') {
    return {
      header: header(seq, tNs),
      drive: { steering_angle: (seq % 100) / 4, steering_angle_velocity: 0, speed: seq, acceleration: -seq / 2, jerk: 0 },
    };
  }
  return {
    header: header(seq, tNs),
    status: [{ level: seq % 3, name: 'pilot', message: `tick ${seq}`, hardware_id: 'crash-test', values: [{ key: 'seq', value: String(seq) }] }],
  };
}
