// Draw media/icon.png (128×128): a rounded tile with five "matrix" bars. No dependencies:
// pixels are computed here and written as a PNG with node:zlib (anti-aliased by 4×4 supersampling).
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const N = 128;
const S = 4; // supersampling per axis
const bg = [24, 28, 48];
const bars = [
  { x: 22, h: 46, c: [79, 193, 255] },
  { x: 41, h: 70, c: [94, 176, 255] },
  { x: 60, h: 88, c: [137, 150, 255] },
  { x: 79, h: 58, c: [178, 132, 250] },
  { x: 98, h: 34, c: [214, 120, 235] },
];
const BAR_W = 12;
const BASE = 104;

function insideRounded(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function sample(x, y) {
  if (!insideRounded(x, y, 2, 2, 126, 126, 22)) return null;
  for (const b of bars) {
    if (insideRounded(x, y, b.x, BASE - b.h, b.x + BAR_W, BASE, 4)) return b.c;
  }
  if (y >= BASE + 6 && y <= BASE + 9 && x >= 22 && x <= 110) return [120, 130, 170]; // the staff line
  return bg;
}

const rows = [];
for (let py = 0; py < N; py++) {
  const row = Buffer.alloc(1 + N * 4);
  row[0] = 0; // filter: none
  for (let px = 0; px < N; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < S; sy++) {
      for (let sx = 0; sx < S; sx++) {
        const c = sample(px + (sx + 0.5) / S, py + (sy + 0.5) / S);
        if (c) { r += c[0]; g += c[1]; b += c[2]; a += 1; }
      }
    }
    const o = 1 + px * 4;
    if (a) { row[o] = Math.round(r / a); row[o + 1] = Math.round(g / a); row[o + 2] = Math.round(b / a); }
    row[o + 3] = Math.round((a / (S * S)) * 255);
  }
  rows.push(row);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", ihdr),
  chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
writeFileSync(new URL("../media/icon.png", import.meta.url), png);
console.log(`media/icon.png: ${png.length} bytes`);
