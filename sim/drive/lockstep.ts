/**
 * Lockstep stepping: the simulator owns time. Each step it publishes the sensors for sim time t,
 * waits until the driver (runtime or expert) has received them, lets the driver run at t, waits for
 * its command (or the step timeout, counted), and only then integrates the physics to t + dt.
 * Sim time stands still while the driver computes, so two runs with the same seed are identical.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface LockstepDriver {
  /** Sensor messages the driver has received so far; lockstep waits until it matches what was sent. */
  inputsArrived(): number;
  /** Let the driver run at sim time `tMs` (advance its clock: its tick fires). */
  advanceTo(tMs: number): void;
}

/** The simulator's command side (the car's CommandListener, the arm's ArmCommandListener). */
export interface CommandArrivals {
  /** Valid commands received so far. */
  readonly received: number;
  /** Resolves true once `received > after` (with a stamp ≥ `minStampMs` when stamped), false after `timeoutMs`. */
  waitFor(after: number, minStampMs: number, timeoutMs: number): Promise<boolean>;
}

export interface LockstepStats {
  steps: number;
  /** Steps where no command arrived within the step timeout (the car kept the previous one). */
  commandTimeouts: number;
  /** Steps where the driver had not received all sensor messages within the step timeout. */
  deliveryTimeouts: number;
}

export class Lockstep {
  readonly stats: LockstepStats = { steps: 0, commandTimeouts: 0, deliveryTimeouts: 0 };
  readonly #driver: LockstepDriver;
  readonly #commands: CommandArrivals;
  readonly #stepTimeoutMs: number;

  constructor(driver: LockstepDriver, commands: CommandArrivals, stepTimeoutMs: number) {
    this.#driver = driver;
    this.#commands = commands;
    this.#stepTimeoutMs = stepTimeoutMs;
  }

  /**
   * Call after publishing the sensors of sim time `tMs`; `sensorsSent` is the running count of
   * messages sent on the driver's input topics. Resolves when the command for `tMs` is in (true) or
   * the step timed out (false).
   */
  async exchange(tMs: number, sensorsSent: number): Promise<boolean> {
    this.stats.steps++;
    if (!(await this.#waitForDelivery(sensorsSent))) this.stats.deliveryTimeouts++;
    const before = this.#commands.received;
    this.#driver.advanceTo(tMs);
    const ok = await this.#commands.waitFor(before, tMs, this.#stepTimeoutMs);
    if (!ok) this.stats.commandTimeouts++;
    return ok;
  }

  async #waitForDelivery(target: number): Promise<boolean> {
    if (this.#driver.inputsArrived() >= target) return true;
    const giveUpAt = performance.now() + this.#stepTimeoutMs;
    while (this.#driver.inputsArrived() < target) {
      if (performance.now() > giveUpAt) return false;
      await nextTurn();
    }
    return true;
  }
}
