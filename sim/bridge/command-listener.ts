/**
 * The simulator's side of the command topic: turns Ackermann or Twist commands into the vehicle's
 * steering/speed target and remembers when the newest one arrived (for lockstep waits and the
 * ESC-style failsafe). Malformed commands are dropped and counted, never applied.
 */
import type { AckermannDriveStamped, Twist } from '../../src/messages/types.js';
import { msFromTime } from '../../src/messages/time.js';
import type { Subscription, Transport } from '../../src/transport/transport.js';
import { RELIABLE_QOS } from '../../src/transport/transport.js';

export interface SteeringCommand {
  steeringRad: number;
  speedMps: number;
}

export type CommandKind = 'ackermann' | 'twist';

export class CommandListener {
  /** Newest valid command. */
  readonly latest: SteeringCommand = { steeringRad: 0, speedMps: 0 };
  /** Header stamp of the newest Ackermann command in ms (NaN for Twist, which has no header). */
  latestStampMs = NaN;
  received = 0;
  rejected = 0;
  lastRejection = '';
  readonly #subscription: Subscription;
  readonly #waiters = new Set<() => void>();

  constructor(transport: Transport, topic: string, kind: CommandKind, wheelbaseM: number) {
    if (kind === 'ackermann') {
      this.#subscription = transport.subscribe<AckermannDriveStamped>(topic, 'ackermann_msgs/msg/AckermannDriveStamped', (msg) => {
        const d = msg?.drive;
        this.#accept(d?.steering_angle, d?.speed, msg?.header?.stamp ? msFromTime(msg.header.stamp) : NaN);
      }, RELIABLE_QOS);
    } else {
      this.#subscription = transport.subscribe<Twist>(topic, 'geometry_msgs/msg/Twist', (msg) => {
        const v = msg?.linear?.x;
        const w = msg?.angular?.z;
        // Invert the bicycle model the runtime's Twist builder used: ω = v·tan(δ)/L.
        const steering = typeof v === 'number' && typeof w === 'number' && Math.abs(v) > 1e-3 ? Math.atan((w * wheelbaseM) / v) : 0;
        this.#accept(steering, v, NaN);
      }, RELIABLE_QOS);
    }
  }

  #accept(steeringRad: unknown, speedMps: unknown, stampMs: number): void {
    if (typeof steeringRad !== 'number' || typeof speedMps !== 'number' || !Number.isFinite(steeringRad) || !Number.isFinite(speedMps)) {
      this.rejected++;
      this.lastRejection = `non-finite or missing steering/speed (${String(steeringRad)}, ${String(speedMps)})`;
      return;
    }
    this.latest.steeringRad = steeringRad;
    this.latest.speedMps = speedMps;
    this.latestStampMs = stampMs;
    this.received++;
    for (const wake of this.#waiters) wake();
  }

  /**
   * Resolves true once a command with `received > after` arrives (and, for stamped commands, a stamp
   * ≥ `minStampMs`), or false after `timeoutMs` of wall time.
   */
  waitFor(after: number, minStampMs: number, timeoutMs: number): Promise<boolean> {
    const satisfied = () => this.received > after && !(this.latestStampMs < minStampMs);
    if (satisfied()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (satisfied()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.#subscription.close();
    this.#waiters.clear();
  }
}
