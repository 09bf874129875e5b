#!/usr/bin/env node
// Time per face of the embedder alone, on one thread (as each inference worker runs it: intraOpNumThreads 1,
// graph optimisation 'all', flush-to-zero on), on real aligned lfw-dev crops, in one run:
//   npm b1         fr_feature.onnx, one face per call (the baseline: what the pipeline ran before)
//   npm+batch bN   the same graph with only a batch dimension (makeBatch), N faces per call: batching alone
//   fp32 bN        fr_feature_fp32.onnx (batch dimension, PRelu rewritten), the default embedder now
//   int8 bN        fr_feature_int8.onnx, N faces per call (model 'default-int8')
// Configurations are interleaved round by round (each round embeds every crop once with each), so load
// from other jobs on a shared machine falls on all alike; the table gives each one's median round. Also
// prints each model's embeddings against the baseline's (cosine), on the same crops.
//
//   node scripts/bench-embedder.mjs [--faces 64] [--rounds 7] [--batches 1,4,8,16,32] [--extra label=file.onnx] [--json out.json]
//
// --extra: one more model (batch-capable) timed at the same batches, e.g. a graph variant under study.
import os from 'node:os';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { embedFace, findImages } from '../dist/index.js';
import { denormalFlusher } from '../dist/models.js';
import { makeBatch, readModel, writeModel } from './feature-models.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const data = path.resolve(here, '../../../../shared/data');
const models = path.resolve(here, '../models');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const nFaces = Number(arg('faces', 64));
const rounds = Number(arg('rounds', 7));
const batches = arg('batches', '1,4,8,16,32').split(',').map(Number);

// real crops, spread over lfw-dev
const { files } = await findImages([path.join(data, 'lfw-dev')]);
const crops = [];
for (let i = 0; crops.length < nFaces && i < nFaces * 2; i++) {
  const f = files[Math.floor((i * files.length) / (nFaces * 2))];
  const [face] = await embedFace(f);
  if (!face) continue;
  const { data: rgb } = await sharp(face.crop).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  crops.push(rgb);
}
const plane = 112 * 112;
const input = new Float32Array(crops.length * 3 * plane);
crops.forEach((c, b) => {
  for (let i = 0; i < plane; i++) for (let ch = 0; ch < 3; ch++) input[b * 3 * plane + ch * plane + i] = (c[3 * i + ch] - 127) / 128;
});

const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };
const npmFile = path.join(models, 'fr_feature.onnx');
const sessions = {
  npm: await ort.InferenceSession.create(npmFile, opts),
  'npm+batch': await ort.InferenceSession.create(writeModel(makeBatch(readModel(readFileSync(npmFile)))), opts),
  fp32: await ort.InferenceSession.create(path.join(models, 'fr_feature_fp32.onnx'), opts),
  int8: await ort.InferenceSession.create(path.join(models, 'fr_feature_int8.onnx'), opts),
};
const extra = arg('extra');
if (extra) sessions[extra.split('=')[0]] = await ort.InferenceSession.create(path.resolve(extra.split('=').slice(1).join('=')), opts);
const flush = await denormalFlusher();
if (flush) flush();
else console.error('@faceclust/core-native not available: timings without flush-to-zero');

/** Embeds every crop with `session`, `b` per call; returns the raw outputs, n × 512. */
async function embedAll(session, b) {
  const n = crops.length;
  const out = new Float32Array(n * 512);
  for (let s = 0; s < n; s += b) {
    const k = Math.min(b, n - s);
    const x = new ort.Tensor('float32', input.subarray(s * 3 * plane, (s + k) * 3 * plane), [k, 3, 112, 112]);
    const r = await session.run({ [session.inputNames[0]]: x });
    out.set(r[session.outputNames[0]].data, s * 512);
  }
  return out;
}

const configs = [{ label: 'npm b1 (baseline)', model: 'npm', batch: 1 }];
for (const b of batches) if (b > 1) configs.push({ label: `npm+batch b${b}`, model: 'npm+batch', batch: b });
for (const b of batches) configs.push({ label: `fp32 b${b}`, model: 'fp32', batch: b });
for (const b of batches) configs.push({ label: `int8 b${b}`, model: 'int8', batch: b });
if (extra) for (const b of batches) configs.push({ label: `${extra.split('=')[0]} b${b}`, model: extra.split('=')[0], batch: b });
const times = configs.map(() => []);
const outputs = [];
for (const [k, c] of configs.entries()) outputs[k] = await embedAll(sessions[c.model], c.batch); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const [k, c] of configs.entries()) {
    const t = performance.now();
    await embedAll(sessions[c.model], c.batch);
    times[k].push((performance.now() - t) / crops.length);
  }
}
const cosines = (a, b) => {
  const cs = [];
  for (let i = 0; i < crops.length; i++) {
    let d = 0, na = 0, nb = 0;
    for (let j = 0; j < 512; j++) {
      d += a[i * 512 + j] * b[i * 512 + j];
      na += a[i * 512 + j] ** 2;
      nb += b[i * 512 + j] ** 2;
    }
    cs.push(d / Math.sqrt(na * nb));
  }
  return cs.sort((x, y) => x - y);
};
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const base = median(times[0]);
const results = configs.map((c, k) => {
  const cs = cosines(outputs[0], outputs[k]);
  return { ...c, msPerFace: median(times[k]), minMsPerFace: Math.min(...times[k]), speedup: base / median(times[k]), cosineMin: cs[0], cosineMedian: cs[cs.length >> 1] };
});
console.log(`${crops.length} lfw-dev faces, ${rounds} rounds, 1 thread, ${os.cpus()[0]?.model}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, flush-to-zero ${flush ? 'on' : 'off'}`);
console.log('| config | ms/face (median round) | min round | × baseline | cosine to baseline min / median |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.label} | ${r.msPerFace.toFixed(2)} | ${r.minMsPerFace.toFixed(2)} | ${r.speedup.toFixed(2)} | ${r.cosineMin.toFixed(5)} / ${r.cosineMedian.toFixed(5)} |`);
}
const json = { faces: crops.length, rounds, threads: 1, flushToZero: !!flush, cpu: os.cpus()[0]?.model, loadavg: os.loadavg(), onnxruntime: ort.env.versions?.common, results };
const out = arg('json');
if (out) writeFileSync(out, JSON.stringify(json, null, 2));
else console.log(JSON.stringify(json));
