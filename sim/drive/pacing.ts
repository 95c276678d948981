/**
 * How the drive and arm sessions pace their steps: in lockstep, the count of sensor messages that
 * really left for the driver (the barrier waits for them); in real time, the wait for the wall clock.
 */
import type { Transport } from '../../src/transport/index.js';

/** A sensor bridge that counts what it sent per topic (the car's SensorPublisher, the arm's ArmSensorPublisher). */
export interface SentCounter {
  sentOn(topics: readonly string[]): number;
}

/** Messages that really left on the driver's topics (send drops never arrive, so don't wait for them). */
export function sentOn(transport: Transport, sensors: SentCounter, topics: readonly string[]): number {
  let drops = 0;
  const stats = transport.stats();
  for (const t of topics) drops += stats.get(t)?.sendDrops ?? 0;
  return sensors.sentOn(topics) - drops;
}

/** Resolves at wall time `atMs` (performance.now() milliseconds), at once when it has passed. */
export async function waitUntilWall(atMs: number): Promise<void> {
  const wait = atMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
