/** A camera frame's source size and description, read from its message without decoding the pixels. */
import type { CompressedImage, Image } from '../../core/messages/types.js';
import type { ImageSize } from './frame-extractor.js';

/** Source size of a frame: Image fields, or the decoded CompressedImage. */
export function sourceSize(img: Image | CompressedImage): ImageSize | undefined {
  if (!('format' in img)) return { width: img.width, height: img.height };
  const size = compressedSize(img.data);
  return size;
}

/** Width and height from a JPEG SOF or PNG IHDR header, without decoding the pixels. */
function compressedSize(d: Uint8Array): ImageSize | undefined {
  if (d.length >= 24 && d[0] === 0x89 && d[1] === 0x50 && d[2] === 0x4e && d[3] === 0x47) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (d.length >= 4 && d[0] === 0xff && d[1] === 0xd8) {
    let p = 2;
    while (p + 9 < d.length) {
      if (d[p] !== 0xff) return undefined;
      const marker = d[p + 1]!;
      if (marker === 0xff) {
        p++;
        continue;
      }
      const len = (d[p + 2]! << 8) | d[p + 3]!;
      // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: (d[p + 5]! << 8) | d[p + 6]!, width: (d[p + 7]! << 8) | d[p + 8]! };
      }
      p += 2 + len;
    }
  }
  return undefined;
}

export function describeImage(img: Image | CompressedImage): string {
  return 'format' in img ? `CompressedImage '${img.format}' (${img.data.length} bytes)` : `Image ${img.width}x${img.height} ${img.encoding}`;
}
