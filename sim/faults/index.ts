export {
  NO_FAULTS,
  NO_TOPIC_FAULTS,
  TOPIC_CLASSES,
  parseFaultConfig,
  type ClockJump,
  type FaultConfig,
  type FrozenCameraWindow,
  type FaultWindow,
  type JitterDistribution,
  type NoiseBurst,
  type TopicClass,
  type TopicFaults,
} from './config.js';
export { FaultInjector, type DeliveryDecision, type FaultCounters, type RobotFaultCounters } from './fault-injector.js';
export { DelayQueue } from './delay-queue.js';
