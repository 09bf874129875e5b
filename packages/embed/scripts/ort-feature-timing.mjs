#!/usr/bin/env node
// Time the feature model alone on one thread: the embedder's share of the per-photo budget, per ORT graph
// optimisation level. `node scripts/ort-feature-timing.mjs [--runs 100]`
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 100);
const model = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models/fr_feature.onnx');
const input = new ort.Tensor('float32', new Float32Array(3 * 112 * 112).map((_, i) => ((i * 7919) % 255 - 127) / 128), [1, 3, 112, 112]);
const results = {};
for (const level of ['basic', 'extended', 'all']) {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: level });
  const feeds = { [session.inputNames[0]]: input };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  results[level] = { medianMs: +times[runs >> 1].toFixed(2), minMs: +times[0].toFixed(2) };
}
console.log(JSON.stringify({ model: 'fr_feature.onnx', runs, threads: 1, results }));
