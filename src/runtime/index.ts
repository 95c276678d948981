/** The public interface of src/runtime/. */
export { createCommandBuilder, type CommandBuilder } from './commands/command-builder.js';
export { ManualClock, WallClock, type Clock } from './loop/clock.js';
export { Pilot } from './pilot.js';
export { type ModelContract } from './policy/contract.js';
export { borrowedPolicy } from './policy/borrowed-policy.js';
export { createPolicy } from './policy/create-policy.js';
export { PolicySession, type Policy } from './policy/policy-session.js';
export { type ProviderAttempt, type ProviderStartup } from './policy/providers.js';
