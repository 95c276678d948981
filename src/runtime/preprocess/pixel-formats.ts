/** Raw image encodings the preprocessor reads (sensor_msgs/image_encodings names). */
export const PIXEL_FORMATS = {
  rgb8: { channels: 3, red: 0, green: 1, blue: 2 },
  bgr8: { channels: 3, red: 2, green: 1, blue: 0 },
  rgba8: { channels: 4, red: 0, green: 1, blue: 2 },
  bgra8: { channels: 4, red: 2, green: 1, blue: 0 },
  mono8: { channels: 1, red: 0, green: 0, blue: 0 },
} as const;

export type PixelFormat = keyof typeof PIXEL_FORMATS;

export function isPixelFormat(encoding: string): encoding is PixelFormat {
  return Object.prototype.hasOwnProperty.call(PIXEL_FORMATS, encoding);
}
