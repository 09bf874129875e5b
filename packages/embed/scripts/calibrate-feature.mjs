#!/usr/bin/env node
// Recomputes calibration/fr_feature-int8.json, the activation ranges of the int8 embedder, from real faces
// in ../shared/data that are not in lfw-dev (lfw-dev stays held out for the quality check): every face of
// groups/ and photos-small/ and every bbt-crops/ crop (detect: false), aligned by this package's pipeline,
// each also mirrored. The ranges are each quantised tensor's min and max over those faces, as measured by
// the fp32 batch model (fr_feature_batch.onnx) with every such tensor as an extra output.
// Install and build never run this: they read the committed JSON, so users without ../shared/data get the
// same int8 model. Needs `pnpm build` first.
//
//   node scripts/calibrate-feature.mjs [--out calibration/fr_feature-int8.json]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { embedFace, findImages } from '../dist/index.js';
import { MODELS } from './fetch-models.mjs';
import { DEFAULT_RANGE_METHOD, equalisationTensors, equalise, makeBatch, quantisedTensors, readModel, withOutputs, writeModel } from './feature-models.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const out = path.resolve(arg('out', path.join(here, '..', 'calibration', 'fr_feature-int8.json')));
const featureFile = path.join(here, '..', 'models', 'fr_feature.onnx');
const featureBytes = readFileSync(featureFile);
const sha = createHash('sha256').update(featureBytes).digest('hex');
if (sha !== MODELS['fr_feature.onnx']) throw new Error(`calibrate: ${featureFile} is not the pinned fr_feature.onnx`);

/** Aligned 112×112 RGB crops (Uint8Array, 3 bytes per pixel) of every face found. */
async function crops() {
  const out = [];
  const sources = [
    { dir: 'groups', detect: true },
    { dir: 'photos-small', detect: true },
    { dir: 'bbt-crops', detect: false },
  ];
  for (const { dir, detect } of sources) {
    const { files } = await findImages([path.join(data, dir)]);
    for (const file of files) {
      for (const face of await embedFace(file, { detect })) {
        const { data: rgb } = await sharp(face.crop).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        out.push(new Uint8Array(rgb));
      }
    }
    console.error(`  ${dir}: ${out.length} faces so far`);
  }
  return out;
}

const mirrored = (crop) => {
  const m = new Uint8Array(crop.length);
  for (let y = 0; y < 112; y++) for (let x = 0; x < 112; x++) for (let c = 0; c < 3; c++) m[3 * (y * 112 + x) + c] = crop[3 * (y * 112 + 111 - x) + c];
  return m;
};

const faces = (await crops()).flatMap((c) => [c, mirrored(c)]);

/** Runs every face through `model` with `names` as extra outputs; calls visit(name, values, dims) per batch. */
async function measure(model, names, visit) {
  const session = await ort.InferenceSession.create(writeModel(withOutputs(model, names)), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const B = 16, plane = 112 * 112;
  for (let start = 0; start < faces.length; start += B) {
    const batch = faces.slice(start, start + B);
    const input = new Float32Array(batch.length * 3 * plane);
    batch.forEach((crop, b) => {
      for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) input[b * 3 * plane + c * plane + i] = (crop[3 * i + c] - 127) / 128;
    });
    const res = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [batch.length, 3, 112, 112]) });
    for (const n of names) visit(n, res[n].data, res[n].dims);
  }
}
// six significant digits: the JSON stays small and the build reads back exactly what was written
const round = (v) => Number(v.toPrecision(6));

// 1. per-channel absolute ranges of the fp32 model's chain tensors, for equalise()
const fp32 = makeBatch(readModel(featureBytes));
const chainTensors = equalisationTensors(fp32);
const channels = {};
await measure(fp32, chainTensors, (n, v, dims) => {
  const C = dims[1], hw = v.length / dims[0] / C;
  const r = (channels[n] ??= new Array(C).fill(0));
  for (let b = 0; b < dims[0]; b++) for (let c = 0; c < C; c++) {
    const base = (b * C + c) * hw;
    for (let i = 0; i < hw; i++) r[c] = Math.max(r[c], Math.abs(v[base + i]));
  }
});
for (const n of chainTensors) channels[n] = channels[n].map(round);

// 2. per-tensor statistics of the equalised model, for quantise()
const model = equalise(makeBatch(readModel(featureBytes)), channels);
const names = quantisedTensors(model);
const stats = Object.fromEntries(names.map((n) => [n, { min: Infinity, max: -Infinity, sample: [] }]));
await measure(model, names, (n, v) => {
  const st = stats[n];
  for (let i = 0; i < v.length; i++) {
    if (v[i] < st.min) st.min = v[i];
    if (v[i] > st.max) st.max = v[i];
  }
  // a fixed subsample (every 7th value) for the percentiles: all values would be gigabytes
  for (let i = 0; i < v.length; i += 7) st.sample.push(v[i]);
});
const PERCENTILES = [0.0001, 0.001, 0.01, 0.99, 0.999, 0.9999];
const ranges = {};
for (const n of names) {
  const { min, max, sample } = stats[n];
  const sorted = Float32Array.from(sample).sort();
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  ranges[n] = { min: round(min), max: round(max), ...Object.fromEntries(PERCENTILES.map((p) => [`p${p * 100}`, round(q(p))])) };
}
// the network's input is a pixel mapped by (p − 127) / 128: give it exactly that range, so the uint8
// input is the pixel itself (scale 1/128, zero point 127) and quantising it loses nothing
ranges[model.graph.inputs[0].name] = Object.fromEntries(Object.keys(ranges[names[1]]).map((k) => [k, k === 'min' || (k.startsWith('p') && Number(k.slice(1)) < 50) ? -127 / 128 : 1]));
const json = {
  about: 'Calibration of the int8 embedder (scripts/feature-models.mjs), written by scripts/calibrate-feature.mjs: channels = per-channel absolute ranges of the fp32 model (equalise), ranges = min, max and percentiles (of every 7th value) of each quantised tensor of the equalised model (quantise, bounds chosen by method)',
  model: `fr_feature.onnx sha256:${sha}`,
  faces: faces.length,
  sources: 'groups/ and photos-small/ (every face found), bbt-crops/ (detect: false), each also mirrored',
  method: DEFAULT_RANGE_METHOD,
  channels,
  ranges,
};
writeFileSync(out, JSON.stringify(json, null, 1) + '\n');
console.log(`calibrate: ${faces.length} faces, ${names.length} tensors -> ${out}`);
