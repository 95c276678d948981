/**
 * The runtime's per-tick timeline message (`outputs.timeline`), for the black-box recorder. Not a
 * ROS 2 package of ours on disk: bags carry its definition as schema text, so any reader decodes it.
 */
import type { Time } from './types.js';

export const TICK_TIMELINE_TYPE = 'pilot_msgs/msg/TickTimeline';

export interface TickTimelineMessage {
  stamp: Time;
  scheduled_ms: number;
  input_age_ms: number;
  preprocess_ms: number;
  inference_ms: number;
  postprocess_ms: number;
  publish_ms: number;
  tick_latency_ms: number;
  reason: string;
}
