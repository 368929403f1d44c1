/**
 * A real PNG made here (zlib): RGB, 8 bits, one colour, `width` × `height`, with correct CRCs, so
 * a test sends an image any decoder opens. `noise` fills the pixels with pseudo-random bytes
 * instead (they do not compress: about 3 bytes a pixel), for an image of a chosen size on the wire.
 */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function makePng(width = 2, height = 2, options: { rgb?: [number, number, number]; noise?: boolean } = {}): Buffer {
  const [r, g, b] = options.rgb ?? [255, 0, 0];
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter method, no interlace
  const row = 1 + width * 3;
  const pixels = Buffer.alloc(row * height);
  let seed = 1;
  for (let y = 0; y < height; y++) {
    pixels[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const at = y * row + 1 + x * 3;
      if (options.noise) for (let i = 0; i < 3; i++) pixels[at + i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      else pixels.set([r, g, b], at);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
