#!/usr/bin/env node
// End-to-end throughput of embedImages (decode, detect, landmarks, align, embed, store) on a fresh store:
// LFW-size photos (250×250) and 12-megapixel photos (groups/ photos upscaled to 12 MP, aspect kept).
// The baseline, measured in the same run on the same LFW photos: inference threads without flush-to-zero
// (FACECLUST_FLUSH_DENORMALS=0), as before @faceclust/core-native's setFlushDenormals was used.
//
//   node scripts/bench.mjs [--n 200] [--n12 6] [--threads N] [--json out.json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** Width that makes a photo 12 megapixels with its aspect kept (upscaling, as a stand-in for a camera photo). */
async function to12mp(file) {
  const m = await sharp(file).rotate().metadata();
  const [w, h] = (m.orientation ?? 1) >= 5 ? [m.height, m.width] : [m.width, m.height];
  return Math.round(w * Math.sqrt(12e6 / (w * h)));
}
import { embedImages, findImages } from '../dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const n = Number(arg('n', 200));
const n12 = Number(arg('n12', 6));
const threads = Number(arg('threads', os.availableParallelism()));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faceclust-bench-'));

// a CPU calibration, so numbers from different machines can be compared: 1e8 float adds in a JS loop
const cal = (() => {
  const t = performance.now();
  let s = 0;
  for (let i = 0; i < 1e8; i++) s += i * 0.5;
  return s > 0 ? performance.now() - t : 0;
})();

async function run(label, files) {
  const storePath = path.join(tmp, `${label}.sqlite`);
  const t = performance.now();
  let faces = 0, skipped = 0;
  for await (const ev of embedImages(files, { storePath, threads })) {
    faces += ev.faces;
    if (ev.status === 'skipped') skipped++;
  }
  const s = (performance.now() - t) / 1000;
  const r = { label, images: files.length, faces, skipped, seconds: s, imagesPerSecond: files.length / s };
  console.log(`${label.padEnd(12)} ${String(files.length).padStart(5)} images ${String(faces).padStart(5)} faces ${s.toFixed(1).padStart(7)} s ${r.imagesPerSecond.toFixed(2).padStart(7)} images/s`);
  return r;
}

try {
  const { files: lfw } = await findImages([path.join(data, 'lfw-dev')]);
  // spread over the set, not one person
  const pick = Array.from({ length: Math.min(n, lfw.length) }, (_, i) => lfw[Math.floor((i * lfw.length) / Math.min(n, lfw.length))]);
  const { files: groups } = await findImages([path.join(data, 'groups')]);
  const big = path.join(tmp, '12mp');
  mkdirSync(big);
  const files12 = [];
  for (let i = 0; i < n12; i++) {
    const out = path.join(big, `photo${i}.jpg`);
    await sharp(groups[i % groups.length]).rotate().resize(await to12mp(groups[i % groups.length])).jpeg({ quality: 90 }).toFile(out);
    files12.push(out);
  }
  console.log(`threads ${threads}, ${os.cpus().length} × ${os.cpus()[0]?.model}, calibration loop ${cal.toFixed(0)} ms, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.env.FACECLUST_FLUSH_DENORMALS = '0'; // read by each worker thread as it starts
  const baseline = await run('lfw-no-ftz', pick);
  delete process.env.FACECLUST_FLUSH_DENORMALS;
  const results = [baseline, await run('lfw-250px', pick), await run('12-megapixel', files12)];
  console.log(`lfw-250px vs lfw-no-ftz: ${(results[1].imagesPerSecond / baseline.imagesPerSecond).toFixed(2)}× the images per second`);
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify({ threads, calibrationMs: cal, loadavg: os.loadavg(), cpus: os.cpus().length, model: os.cpus()[0]?.model, results }, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
