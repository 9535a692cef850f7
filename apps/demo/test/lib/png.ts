/** A real PNG (the demo's icon) with a text chunk holding `marker`, to find its bytes later. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ICON = fileURLToPath(new URL('../../public/icon-192.png', import.meta.url));

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The icon with a `tEXt` chunk carrying `marker` just before IEND.
 *
 * @example
 * ```ts
 * await page.setInputFiles('#photo', { name: 'meter.png', mimeType: 'image/png', buffer: pngWithMarker('X') });
 * ```
 */
export function pngWithMarker(marker: string): Buffer {
  const icon = readFileSync(ICON);
  const iend = icon.length - 12;
  const body = Buffer.concat([Buffer.from('tEXt'), Buffer.from(`Comment\0${marker}`, 'latin1')]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([icon.subarray(0, iend), length, body, crc, icon.subarray(iend)]);
}
