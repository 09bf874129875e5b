#!/usr/bin/env node
// What a change to how large photos are read does to their faces: every groups/ photo upscaled to 12 MP goes
// through this build and another one (--compare, e.g. the previous commit's dist from `git worktree add`);
// prints faces found by each, how far boxes and landmarks moved (in box heights), the cosine between the two
// builds' embeddings of each face, crop sharpness, and how close each build's 12 MP embedding stays to the
// same face in the photo at its own size (consistency across resolutions). Then small faces: 24 lfw-dev faces
// pasted --small px high (box height) into a 12 MP photo, how many each build finds. Needs `pnpm build` first.
//
//   node scripts/compare-12mp.mjs --compare ../old/packages/embed/dist [--small 40]
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import * as mine from '../dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const compare = arg('compare');
if (!compare) {
  console.error('usage: node scripts/compare-12mp.mjs --compare <other build>/dist');
  process.exit(1);
}
const other = await import(pathToFileURL(path.resolve(compare, 'index.js')).href);
const data = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
const groups = path.join(data, 'groups');
const { files } = await mine.findImages([groups]);

const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
/** The face of `faces` at the place of `f` (boxes scaled by `k`), if any. */
const match = (f, faces, k = 1) =>
  faces.find((g) => Math.abs((g.box[0] + g.box[2] / 2) * k - f.box[0] - f.box[2] / 2) < f.box[2] / 4 && Math.abs((g.box[1] + g.box[3] / 2) * k - f.box[1] - f.box[3] / 2) < f.box[3] / 4);
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(4)} median ${s[s.length >> 1].toFixed(4)} max ${s[s.length - 1].toFixed(4)}`;
};

const rows = { cos: [], box: [], landmarks: [], sharpness: [], selfMine: [], selfOther: [] };
let found = 0, foundOther = 0;
for (const file of files) {
  const { data, info } = await sharp(file).rotate().toBuffer({ resolveWithObject: true });
  const k = Math.sqrt(12e6 / (info.width * info.height));
  const big = await sharp(data).resize(Math.round(info.width * k)).jpeg({ quality: 90 }).toBuffer();
  const [a, b, own] = [await mine.embedFace(big), await other.embedFace(big), await other.embedFace(file)];
  found += a.length;
  foundOther += b.length;
  console.log(`${path.basename(file)}: ${a.length} faces (compare build ${b.length})`);
  for (const f of b) {
    const g = match(f, a);
    if (!g) continue;
    const h = f.box[3];
    rows.cos.push(dot(f.embedding, g.embedding));
    rows.box.push(Math.max(...f.box.map((v, i) => Math.abs(v - g.box[i]))) / h);
    rows.landmarks.push(Math.max(...f.landmarks.map((v, i) => Math.abs(v - g.landmarks[i]))) / h);
    rows.sharpness.push(g.quality.sharpness / f.quality.sharpness);
    const small = match(f, own, k);
    if (small) {
      rows.selfOther.push(dot(f.embedding, small.embedding));
      rows.selfMine.push(dot(g.embedding, small.embedding));
    }
  }
}
console.log(`faces at 12 MP: this build ${found}, compare build ${foundOther}; ${rows.cos.length} matched`);
console.log(`cosine between the builds' embeddings: ${stats(rows.cos)}`);
console.log(`box moved (box heights): ${stats(rows.box)}; landmarks moved: ${stats(rows.landmarks)}`);
console.log(`crop sharpness, this build / compare build: ${stats(rows.sharpness)}`);
console.log(`cosine to the same face in the photo at its own size: this build ${stats(rows.selfMine)}; compare build ${stats(rows.selfOther)}`);

// small faces: a 6 × 4 grid of lfw-dev faces (people spread over the set) on a blurred groups/ photo at 4000×3000
const small = Number(arg('small', 40));
const { files: lfw } = await mine.findImages([path.join(data, 'lfw-dev')]);
const pasted = [], truth = [];
for (let i = 0; i < 24; i++) {
  const file = lfw[Math.floor(((i + 0.5) * lfw.length) / 24)];
  const own = await other.detectFaces(file);
  const ref = own.sort((a, b) => Math.hypot(a.box[0] + a.box[2] / 2 - 125, a.box[1] + a.box[3] / 2 - 125) - Math.hypot(b.box[0] + b.box[2] / 2 - 125, b.box[1] + b.box[3] / 2 - 125))[0];
  if (!ref) continue;
  const k = small / ref.box[3];
  const left = 150 + (i % 6) * 640, top = 150 + Math.floor(i / 6) * 700;
  pasted.push({ input: await sharp(file).resize(Math.round(250 * k)).toBuffer(), left, top });
  truth.push({ x: left + (ref.box[0] + ref.box[2] / 2) * k, y: top + (ref.box[1] + ref.box[3] / 2) * k });
}
const canvas = await sharp(files[1]).rotate().resize(4000, 3000, { fit: 'fill' }).blur(3).composite(pasted).jpeg({ quality: 90 }).toBuffer();
const hits = (faces) => truth.filter((t) => faces.some((g) => Math.abs(g.box[0] + g.box[2] / 2 - t.x) < 0.3 * small && Math.abs(g.box[1] + g.box[3] / 2 - t.y) < 0.3 * small)).length;
console.log(`${truth.length} faces ${small} px high in a 12 MP photo: this build finds ${hits(await mine.detectFaces(canvas))}, compare build ${hits(await other.detectFaces(canvas))}`);
