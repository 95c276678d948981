/**
 * The simulator's side of the command topic: turns Ackermann or Twist commands into the vehicle's
 * steering/speed target and remembers when the newest one arrived (for lockstep waits and the
 * ESC-style failsafe). Malformed commands are dropped and counted, never applied.
 */
import type { AckermannDriveStamped, Twist } from '../../src/core/messages/types.js';
import { msFromTime } from '../../src/core/messages/time.js';
import type { Subscription, Transport } from '../../src/transport/index.js';
import { RELIABLE_QOS } from '../../src/transport/index.js';
import { CommandArrivalCounter } from './command-arrivals.js';

export interface SteeringCommand {
  steeringRad: number;
  speedMps: number;
}

export type CommandKind = 'ackermann' | 'twist';

export class CommandListener extends CommandArrivalCounter {
  /** Newest valid command. */
  readonly latest: SteeringCommand = { steeringRad: 0, speedMps: 0 };
  readonly #subscription: Subscription;

  constructor(transport: Transport, topic: string, kind: CommandKind, wheelbaseM: number) {
    super();
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
      return this.reject(`non-finite or missing steering/speed (${String(steeringRad)}, ${String(speedMps)})`);
    }
    this.latest.steeringRad = steeringRad;
    this.latest.speedMps = speedMps;
    this.accept(stampMs);
  }

  close(): void {
    this.#subscription.close();
    this.clearWaiters();
  }
}
