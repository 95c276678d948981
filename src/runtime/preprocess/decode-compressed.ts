/**
 * sensor_msgs/CompressedImage (JPEG or PNG) → raw rgba8 frame. Decoding allocates the pixel buffer,
 * so it runs once per tick on the newest frame only, never per received frame.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RawFrame } from './camera-preprocessor.js';

export type CompressedDecodeResult = { ok: true; frame: RawFrame } | { ok: false; reason: string };

/** `format` is the CompressedImage field, e.g. `jpeg`, `png`, `rgb8; jpeg compressed bgr8`. */
export function decodeCompressed(format: string, data: Uint8Array): CompressedDecodeResult {
  const kind = sniff(data) ?? (/png/i.test(format) ? 'png' : /jpe?g/i.test(format) ? 'jpeg' : undefined);
  try {
    if (kind === 'jpeg') {
      const img = jpeg.decode(data, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { ok: true, frame: { width: img.width, height: img.height, encoding: 'rgba8', step: img.width * 4, data: img.data } };
    }
    if (kind === 'png') {
      const img = PNG.sync.read(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const bytes = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
      return { ok: true, frame: { width: img.width, height: img.height, encoding: 'rgba8', step: img.width * 4, data: bytes } };
    }
  } catch (err) {
    return { ok: false, reason: `${kind} decode failed: ${(err as Error).message}` };
  }
  return { ok: false, reason: `format '${format}' is neither JPEG nor PNG` };
}

function sniff(data: Uint8Array): 'jpeg' | 'png' | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return 'png';
  return undefined;
}
