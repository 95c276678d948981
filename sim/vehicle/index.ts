export * from './types.js';
export { CommandDelayLine } from './delay-line.js';
export { dynamicBlendWeight, dynamicRates, kinematicRates, type BicycleBody, type BicycleInput, type BicycleRates } from './bicycle.js';
export { Vehicle } from './vehicle.js';
