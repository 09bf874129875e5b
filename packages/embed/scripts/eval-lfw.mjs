#!/usr/bin/env node
// Full lfw-dev measurement: embeds every photo into a store (default /tmp/faceclust-lfw-dev/faces.sqlite),
// reports throughput, then verification on all same-person pairs vs as many random different-person pairs:
// AUC, best euclidean threshold and accuracy, EER, distance distribution. Needs `pnpm build` first.
//
//   node scripts/eval-lfw.mjs [--data ../shared/data/lfw-dev] [--store path] [--limit N] [--threads N] [--model m] [--json out.json]
//
// --model: the embedImages `model` option ('default', 'default-int8' or a path to an .onnx).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedImages, FaceStore, findImages } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const dataDir = path.resolve(arg('data', path.join(repoRoot, '../shared/data/lfw-dev')));
const storePath = path.resolve(arg('store', '/tmp/faceclust-lfw-dev/faces.sqlite'));
const limit = Number(arg('limit', 0));
const threads = Number(arg('threads', os.availableParallelism()));
const model = arg('model', 'default');
if (!existsSync(dataDir)) {
  console.error(`lfw-dev not found at ${dataDir}`);
  process.exit(1);
}

let { files } = await findImages([dataDir]);
if (limit) files = files.slice(0, limit);
mkdirSync(path.dirname(storePath), { recursive: true });
const t0 = performance.now();
let processed = 0, cached = 0, skipped = 0, faces = 0;
for await (const ev of embedImages(files, { storePath, threads, model })) {
  if (ev.status === 'done') processed++;
  else if (ev.status === 'cached') cached++;
  else skipped++;
  faces += ev.faces;
  if (ev.done % 500 === 0) process.stderr.write(`  ${ev.done}/${ev.total} ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const secs = (performance.now() - t0) / 1000;
console.log(`embedded ${files.length} images (${processed} processed, ${cached} cached, ${skipped} skipped), ${faces} faces, ${secs.toFixed(1)} s, ${(processed / secs).toFixed(1)} images/s processed on ${threads} threads`);

// one face per photo for verification: the one nearest the centre (LFW's subject), as a labelled set
const store = FaceStore.open(storePath);
const set = store.loadFaces(model, { files });
const { dim, vectors } = set;
const byFile = new Map();
for (let i = 0; i < set.faces.length; i++) {
  const f = set.faces[i];
  const cx = f.box[0] + f.box[2] / 2 - 125, cy = f.box[1] + f.box[3] / 2 - 125;
  const d = cx * cx + cy * cy;
  const prev = byFile.get(f.file);
  if (!prev || d < prev.d) byFile.set(f.file, { i, d });
}
const perImage = new Map();
for (const f of set.faces) perImage.set(f.file, (perImage.get(f.file) ?? 0) + 1);
const noFace = files.filter((f) => !perImage.has(f)).length;
const multi = [...perImage.values()].filter((n) => n > 1).length;
console.log(`faces per photo: none ${noFace}, one ${perImage.size - multi}, several ${multi} (total faces ${set.faces.length})`);

const items = [...byFile.entries()].map(([file, { i }]) => ({ i, person: path.basename(path.dirname(file)) }));
const byPerson = new Map();
for (const it of items) (byPerson.get(it.person) ?? byPerson.set(it.person, []).get(it.person)).push(it.i);
const dist = (a, b) => {
  let s = 0;
  for (let k = 0; k < dim; k++) {
    const d = vectors[a * dim + k] - vectors[b * dim + k];
    s += d * d;
  }
  return Math.sqrt(s);
};
const same = [];
for (const ids of byPerson.values()) for (let x = 0; x < ids.length; x++) for (let y = x + 1; y < ids.length; y++) same.push(dist(ids[x], ids[y]));
// seeded random different-person pairs (mulberry32)
let st = 12345;
const rnd = () => {
  st = (st + 0x6d2b79f5) >>> 0;
  let t = st;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const diff = [];
while (diff.length < same.length) {
  const a = items[Math.floor(rnd() * items.length)], b = items[Math.floor(rnd() * items.length)];
  if (a.person !== b.person) diff.push(dist(a.i, b.i));
}
// AUC = P(same distance < different distance), ties half
const all = [...same.map((d) => [d, 1]), ...diff.map((d) => [d, 0])].sort((p, q) => p[0] - q[0]);
let rankSum = 0;
for (let k = 0; k < all.length; ) {
  let j = k;
  while (j < all.length && all[j][0] === all[k][0]) j++;
  const avgRank = (k + 1 + j) / 2;
  for (let m = k; m < j; m++) if (all[m][1] === 0) rankSum += avgRank;
  k = j;
}
const nS = same.length, nD = diff.length;
const auc = (rankSum - (nD * (nD + 1)) / 2) / (nS * nD);
// best accuracy threshold and EER sweeping over sorted distances
let tp = 0, fp = 0, best = { acc: 0, t: 0 }, eer = { gap: Infinity, rate: 0, t: 0 };
for (let k = 0; k < all.length; k++) {
  if (all[k][1]) tp++;
  else fp++;
  const t = k + 1 < all.length ? (all[k][0] + all[k + 1][0]) / 2 : all[k][0];
  const acc = (tp + (nD - fp)) / (nS + nD);
  if (acc > best.acc) best = { acc, t };
  const fnr = 1 - tp / nS, fpr = fp / nD;
  if (Math.abs(fnr - fpr) < eer.gap) eer = { gap: Math.abs(fnr - fpr), rate: (fnr + fpr) / 2, t };
}
const q = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (arr) => ['min', 0.01, 0.05, 0.5, 0.95, 0.99, 'max'].map((p) => (p === 'min' ? q(arr, 0) : p === 'max' ? q(arr, 0.999999) : q(arr, p)).toFixed(3)).join(' / ');
console.log(`verification: ${nS} same-person pairs vs ${nD} different-person pairs`);
console.log(`  AUC ${auc.toFixed(5)}; best euclidean threshold ${best.t.toFixed(3)} -> accuracy ${(best.acc * 100).toFixed(2)}%; EER ${(eer.rate * 100).toFixed(2)}% at ${eer.t.toFixed(3)}`);
console.log(`  same-person distance  min/1%/5%/50%/95%/99%/max: ${fmt(same)}`);
console.log(`  different-person      min/1%/5%/50%/95%/99%/max: ${fmt(diff)}`);
const out = arg('json');
if (out) {
  writeFileSync(out, JSON.stringify({ model, images: files.length, processed, seconds: secs, imagesPerSecond: processed / secs, threads, faces: set.faces.length, noFace, multi, auc, bestThreshold: best.t, accuracy: best.acc, eer: eer.rate, eerThreshold: eer.t, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model } }, null, 2));
}
store.close();
