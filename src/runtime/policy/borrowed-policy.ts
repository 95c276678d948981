import type { Policy } from './policy.js';

/**
 * A policy lent to a runtime that disposes what it is given: the same policy, except that its
 * dispose() does nothing, so the lender (DAgger rounds, an arm evaluation) can hand it to run after run.
 */
export function borrowedPolicy(policy: Policy): Policy {
  return new Proxy(policy, {
    get(target, key) {
      if (key === 'dispose') return async () => {};
      // Receiver = the policy itself, so getters over private fields keep working.
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
