#!/usr/bin/env node
// Draws detected boxes and 5 landmarks onto each photo of a folder (default ../shared/data/groups) as PNGs
// in an output folder, and prints counts against faces.tsv when present: for looking at detection by eye.
//
//   node scripts/draw-detections.mjs [--dir folder] [--out /tmp/faceclust-draw] [--threshold 0.75]
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { detectFaces, findImages } from '../dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(arg('dir', path.resolve(here, '../../../../shared/data/groups')));
const out = path.resolve(arg('out', '/tmp/faceclust-draw'));
const threshold = arg('threshold') ? Number(arg('threshold')) : undefined;
mkdirSync(out, { recursive: true });
const tsv = path.join(dir, 'faces.tsv');
const expected = existsSync(tsv)
  ? Object.fromEntries(readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map(([f, n]) => [f, Number(n)]))
  : {};
const { files } = await findImages([dir]);
for (const file of files) {
  const t = performance.now();
  const faces = await detectFaces(file, threshold === undefined ? {} : { detectionThreshold: threshold });
  const ms = performance.now() - t;
  const name = path.basename(file);
  console.log(`${name}\tfound ${faces.length}${name in expected ? `\texpected ${expected[name]}` : ''}\t${ms.toFixed(0)} ms\t${faces.map((f) => `${f.score.toFixed(2)}@${f.box.map(Math.round).join(',')}`).join(' ')}`);
  const upright = await sharp(file).rotate().png().toBuffer();
  const { width, height } = await sharp(upright).metadata();
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${faces
    .map(
      (f) =>
        `<rect x="${f.box[0]}" y="${f.box[1]}" width="${f.box[2]}" height="${f.box[3]}" fill="none" stroke="lime" stroke-width="3"/>` +
        [0, 1, 2, 3, 4].map((i) => `<circle cx="${f.landmarks[2 * i]}" cy="${f.landmarks[2 * i + 1]}" r="3" fill="red"/>`).join('') +
        `<text x="${f.box[0]}" y="${f.box[1] - 4}" fill="yellow" font-size="20">${f.score.toFixed(2)}</text>`,
    )
    .join('')}</svg>`;
  const drawn = await sharp(upright).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
  await sharp(drawn).resize(1000, 1000, { fit: 'inside' }).png().toFile(path.join(out, `${name}.png`));
}
console.log(`drawings in ${out}`);
