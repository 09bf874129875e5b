import { detectFaces } from '/work/main/packages/embed/dist/index.js';
import sharp from 'sharp';
import fs from 'node:fs';
const dir = '/work/shared/data/groups';
const thr = Number(process.argv[2] ?? 0.7);
const draw = process.argv[3] === 'draw';
const expected = Object.fromEntries(fs.readFileSync(dir + '/faces.tsv', 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).map(([f, n]) => [f, +n]));
for (const f of Object.keys(expected)) {
  const t = performance.now();
  const faces = await detectFaces(`${dir}/${f}`, { detectionThreshold: thr });
  console.log(f, 'expected', expected[f], 'found', faces.length, faces.map((x) => `${x.score.toFixed(2)}@${x.box.map(Math.round).join(',')}`).join(' '), (performance.now() - t).toFixed(0) + 'ms');
  if (draw) {
    const m = await sharp(`${dir}/${f}`).metadata();
    const svg = `<svg width="${m.width}" height="${m.height}" xmlns="http://www.w3.org/2000/svg">${faces.map((x) => `<rect x="${x.box[0]}" y="${x.box[1]}" width="${x.box[2]}" height="${x.box[3]}" fill="none" stroke="lime" stroke-width="3"/>` + [0,1,2,3,4].map(i=>`<circle cx="${x.landmarks[2*i]}" cy="${x.landmarks[2*i+1]}" r="3" fill="red"/>`).join('') + `<text x="${x.box[0]}" y="${x.box[1]-4}" fill="yellow" font-size="20">${x.score.toFixed(2)}</text>`).join('')}</svg>`;
    await sharp(await sharp(`${dir}/${f}`).rotate().composite([{ input: Buffer.from(svg) }]).png().toBuffer()).resize(1000, 1000, {fit:'inside'}).png().toFile(`/tmp/draw-${f}.png`);
  }
}
