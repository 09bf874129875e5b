#!/usr/bin/env node
// End-to-end throughput of embedImages (decode, detect, landmarks, align, embed, store) on a fresh store:
// LFW-size photos (250×250) and 12-megapixel photos (groups/ photos upscaled to 12 MP, aspect kept; after
// the first round through groups/ the copies are mirrored, so every file has its own bytes and is embedded).
// The baseline, measured in the same run on the same LFW photos: inference threads without flush-to-zero
// (FACECLUST_FLUSH_DENORMALS=0), as before @faceclust/core-native's setFlushDenormals was used.
// Rates count from the first image done to the last ("steady", leaving out starting the worker threads and
// loading the models, which a 20-photo run would otherwise be dominated by) and over the whole call ("all");
// "cpu" is the process's CPU time (all threads) per image, steady too, which other jobs on a shared machine
// disturb much less than the rates.
// --int8: both sets also run with model 'default-int8' (the int8 embedder, faces of several photos per
// embedder call), in the same run.
// --compare <dist>: both sets also run through another build of this package (e.g. the previous commit's,
// from `git worktree add`), in the same run, for a before/after.
//
//   node scripts/bench.mjs [--n 200] [--n12 20] [--threads N] [--int8] [--compare ../old/dist] [--json out.json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { embedImages, findImages } from '../dist/index.js';

/** Width that makes a photo 12 megapixels with its aspect kept (upscaling, as a stand-in for a camera photo). */
async function to12mp(file) {
  const m = await sharp(file).rotate().metadata();
  const [w, h] = (m.orientation ?? 1) >= 5 ? [m.height, m.width] : [m.width, m.height];
  return Math.round(w * Math.sqrt(12e6 / (w * h)));
}

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const n = Number(arg('n', 200));
const n12 = Number(arg('n12', 20));
const threads = Number(arg('threads', os.availableParallelism()));
const compare = arg('compare');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faceclust-bench-'));

// a CPU calibration, so numbers from different machines can be compared: 1e8 float adds in a JS loop
const cal = (() => {
  const t = performance.now();
  let s = 0;
  for (let i = 0; i < 1e8; i++) s += i * 0.5;
  return s > 0 ? performance.now() - t : 0;
})();

async function run(label, files, embed = embedImages, model = undefined) {
  const storePath = path.join(tmp, `${label}.sqlite`);
  const t = performance.now();
  let faces = 0, skipped = 0, first = 0, count = 0, cpuFirst;
  for await (const ev of embed(files, { storePath, threads, model })) {
    faces += ev.faces;
    if (ev.status === 'skipped') skipped++;
    if (count++ === 0) {
      first = performance.now();
      cpuFirst = process.cpuUsage();
    }
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpuFirst);
  const cpuMsPerImage = (cpu.user + cpu.system) / 1000 / (files.length - 1);
  const s = (end - t) / 1000;
  const steady = (files.length - 1) / ((end - first) / 1000);
  const r = { label, images: files.length, faces, skipped, seconds: s, startupSeconds: (first - t) / 1000, imagesPerSecond: files.length / s, steadyImagesPerSecond: steady, cpuMsPerImage };
  console.log(
    `${label.padEnd(20)} ${String(files.length).padStart(5)} images ${String(faces).padStart(5)} faces ${s.toFixed(1).padStart(6)} s ` +
      `(first after ${r.startupSeconds.toFixed(1)} s)  steady ${steady.toFixed(2).padStart(6)} images/s, all ${r.imagesPerSecond.toFixed(2).padStart(6)}, cpu ${cpuMsPerImage.toFixed(0).padStart(4)} ms/image`,
  );
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
    const src = groups[i % groups.length];
    const out = path.join(big, `photo${i}.jpg`);
    let p = sharp(src).rotate().resize(await to12mp(src));
    if (Math.floor(i / groups.length) % 2 === 1) p = p.flop();
    await p.jpeg({ quality: 90 - 2 * Math.floor(i / (2 * groups.length)) }).toFile(out);
    files12.push(out);
  }
  console.log(`threads ${threads}, ${os.cpus().length} × ${os.cpus()[0]?.model}, calibration loop ${cal.toFixed(0)} ms, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  process.env.FACECLUST_FLUSH_DENORMALS = '0'; // read by each worker thread as it starts
  const baseline = await run('lfw-no-ftz', pick);
  delete process.env.FACECLUST_FLUSH_DENORMALS;
  const results = [baseline];
  const lfwRun = await run('lfw-250px', pick);
  const bigRun = await run('12-megapixel', files12);
  results.push(lfwRun, bigRun);
  const ratio = (a, b, k) => (a[k] / b[k]).toFixed(3);
  console.log(`lfw-250px vs lfw-no-ftz: ${(lfwRun.steadyImagesPerSecond / baseline.steadyImagesPerSecond).toFixed(2)}× the images per second`);
  console.log(`12-megapixel / lfw-250px: ${ratio(bigRun, lfwRun, 'steadyImagesPerSecond')} steady, ${ratio(bigRun, lfwRun, 'imagesPerSecond')} all, ${ratio(lfwRun, bigRun, 'cpuMsPerImage')} by cpu time`);
  if (process.argv.includes('--int8')) {
    const lfwInt8 = await run('lfw-250px int8', pick, embedImages, 'default-int8');
    const bigInt8 = await run('12-megapixel int8', files12, embedImages, 'default-int8');
    results.push(lfwInt8, bigInt8);
    console.log(`int8 vs fp32: lfw-250px ${ratio(lfwInt8, lfwRun, 'steadyImagesPerSecond')}× the images per second (cpu ${ratio(lfwRun, lfwInt8, 'cpuMsPerImage')}×), 12-megapixel ${ratio(bigInt8, bigRun, 'steadyImagesPerSecond')}× (cpu ${ratio(bigRun, bigInt8, 'cpuMsPerImage')}×)`);
  }
  if (compare) {
    const other = await import(pathToFileURL(path.resolve(compare, 'index.js')).href);
    const otherLfw = await run('lfw-250px (compare)', pick, other.embedImages);
    const otherBig = await run('12-megapixel (compare)', files12, other.embedImages);
    results.push(otherLfw, otherBig);
    console.log(`compare build: 12-megapixel / lfw-250px ${ratio(otherBig, otherLfw, 'steadyImagesPerSecond')} steady; this build's 12-megapixel rate ${ratio(bigRun, otherBig, 'steadyImagesPerSecond')}× the compare build's`);
  }
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify({ threads, calibrationMs: cal, loadavg: os.loadavg(), cpus: os.cpus().length, model: os.cpus()[0]?.model, compare, results }, null, 2));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
