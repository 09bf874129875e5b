#!/usr/bin/env node
// Time the feature model alone on one thread: the embedder's share of the per-photo budget, per ORT graph
// optimisation level, without and with flush-to-zero/denormals-are-zero on the calling thread (what the
// inference workers set through @faceclust/core-native). `node scripts/ort-feature-timing.mjs [--runs 100]`
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { denormalFlusher } from '../dist/models.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 100);
const model = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models/fr_feature.onnx');
const input = new ort.Tensor('float32', new Float32Array(3 * 112 * 112).map((_, i) => ((i * 7919) % 255 - 127) / 128), [1, 3, 112, 112]);
const levels = ['basic', 'extended', 'all'];
// all sessions first: onnxruntime resets the thread's float mode when it creates a process's first session
const sessions = {};
for (const level of levels) {
  sessions[level] = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: level });
}
async function time(session) {
  const feeds = { [session.inputNames[0]]: input };
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { medianMs: +times[runs >> 1].toFixed(2), minMs: +times[0].toFixed(2) };
}
const results = {};
for (const level of levels) results[level] = await time(sessions[level]);
const flush = await denormalFlusher();
if (flush) {
  flush();
  for (const level of levels) results[`${level}+ftz`] = await time(sessions[level]);
} else {
  console.error('@faceclust/core-native not available: no flush-to-zero timings');
}
console.log(JSON.stringify({ model: 'fr_feature.onnx', runs, threads: 1, results }));
