/**
 * JSON schemas of the live view's `json` channels: Foxglove's own scene and transform schemas (from
 * `@foxglove/schemas`, so the 3D panel recognises them by name) and pilot's per-tick timeline.
 */
import { createRequire } from 'node:module';

/** The package's JSON schemas (a CommonJS module), loaded as such under any loader. */
const foxgloveSchemas = createRequire(import.meta.url)('@foxglove/schemas/jsonschema') as typeof import('@foxglove/schemas/jsonschema.js');

export interface JsonChannelSchema {
  /** The name viewers key on (`foxglove.SceneUpdate`), or pilot's own type name. */
  readonly name: string;
  readonly schema: object;
}

export const SCENE_UPDATE_SCHEMA: JsonChannelSchema = { name: 'foxglove.SceneUpdate', schema: foxgloveSchemas.SceneUpdate };
export const FRAME_TRANSFORMS_SCHEMA: JsonChannelSchema = { name: 'foxglove.FrameTransforms', schema: foxgloveSchemas.FrameTransforms };

/** A stage time; null when the tick did not measure it (NaN in the runtime). */
const number = (description: string): object => ({ type: ['number', 'null'], description });

/** pilot_msgs/msg/TickTimeline as JSON: one control tick, when it was scheduled and how long each stage took. */
export const TICK_TIMELINE_JSON_SCHEMA: JsonChannelSchema = {
  name: 'pilot_msgs/msg/TickTimeline',
  schema: {
    title: 'pilot_msgs/msg/TickTimeline',
    description: 'One control tick of the pilot runtime: when it was scheduled and how long each stage took (ms).',
    type: 'object',
    properties: {
      stamp: {
        type: 'object',
        description: 'Tick time',
        properties: { sec: { type: 'integer' }, nanosec: { type: 'integer', minimum: 0, maximum: 999_999_999 } },
        required: ['sec', 'nanosec'],
      },
      scheduled_ms: number('When the tick was due, ms on the runtime clock'),
      input_age_ms: number('Age of the newest camera frame at the tick'),
      preprocess_ms: number('Image preprocessing'),
      inference_ms: number('Model inference'),
      postprocess_ms: number('Action decoding and safety layer'),
      publish_ms: number('Publishing the command'),
      tick_latency_ms: number('Input ready to command published'),
      reason: { type: 'string', description: "The safety layer's reason for the command (ok, stale_camera, deadline_miss, estop, ...)" },
    },
    required: ['stamp', 'scheduled_ms', 'input_age_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'publish_ms', 'tick_latency_ms', 'reason'],
  },
};
