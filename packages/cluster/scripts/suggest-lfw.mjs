#!/usr/bin/env node
// How close the label-free suggestion comes to the labelled best, and what a 30-value sweep costs
// against one clustering call, on an embedding store of lfw-dev (made by
// `node packages/embed/scripts/eval-lfw.mjs`, default /tmp/faceclust-lfw-dev/faces.sqlite).
// Identity = each photo's parent folder. Needs `pnpm build` first.
//
//   node packages/cluster/scripts/suggest-lfw.mjs [--store path] [--main-face] [--repeat 3]
import path from 'node:path';
import { FaceStore } from '../../embed/dist/index.js';
import { chineseWhispers, dbscan, evaluate, kDistancesOnGraph, suggestThreshold, sweepThresholds, thresholdRange } from '../dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const storePath = arg('store', '/tmp/faceclust-lfw-dev/faces.sqlite');
const repeat = Number(arg('repeat', 3));
const set = FaceStore.open(storePath).loadFaces('default');
const { dim } = set;
let { vectors, faces } = set;
if (process.argv.includes('--main-face')) {
  // LFW's subject: the face nearest the centre of each 250×250 photo
  const byFile = new Map();
  faces.forEach((f, i) => {
    const d = (f.box[0] + f.box[2] / 2 - 125) ** 2 + (f.box[1] + f.box[3] / 2 - 125) ** 2;
    const p = byFile.get(f.file);
    if (!p || d < p.d) byFile.set(f.file, { i, d });
  });
  const keep = [...byFile.values()].map((x) => x.i).sort((a, b) => a - b);
  vectors = new Float32Array(keep.length * dim);
  keep.forEach((i, r) => vectors.set(set.vectors.subarray(i * dim, (i + 1) * dim), r * dim));
  faces = keep.map((i) => set.faces[i]);
}
const n = faces.length;
const ids = new Map();
const truth = Int32Array.from(faces, (f) => {
  const p = path.basename(path.dirname(f.file));
  if (!ids.has(p)) ids.set(p, ids.size);
  return ids.get(p);
});
console.log(`${n} faces, ${ids.size} people (${storePath})`);
const fastest = async (run) => {
  let best = Infinity;
  let out;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    out = await run();
    best = Math.min(best, performance.now() - t);
  }
  return [best, out];
};
// the ranges faceclust tune uses by default (threshold 1.0, eps 0.925)
for (const [method, minSamples, from, to] of [['cw', undefined, 0.7, 1.15], ['dbscan', 2, 0.555, 1.11], ['dbscan', 3, 0.555, 1.11], ['dbscan', 5, 0.555, 1.11]]) {
  const o = { method, minSamples, truth };
  const [sweepMs, sweep] = await fastest(() => sweepThresholds(vectors, dim, { ...o, thresholds: thresholdRange(from, to, 30) }));
  const s = suggestThreshold(kDistancesOnGraph(sweep.graph, 2), { method });
  const [oneMs, one] = await fastest(() => (method === 'cw' ? chineseWhispers(vectors, dim, { threshold: s.threshold }) : dbscan(vectors, dim, { eps: s.threshold, minSamples })));
  const e = evaluate(one.labels, truth);
  const fine = await sweepThresholds(vectors, dim, { ...o, thresholds: thresholdRange(0.7, 1.2, 101) });
  const best = fine.rows.reduce((a, b) => (b.pairwiseF > a.pairwiseF ? b : a));
  console.log(
    `${method}${minSamples ? ` minSamples ${minSamples}` : ''}: suggested ${s.threshold.toFixed(4)} → pairwise F ${e.pairwise.f.toFixed(4)}, BCubed F ${e.bcubed.f.toFixed(4)}; ` +
      `labelled best (0.7..1.2 step 0.005) ${best.threshold} → ${best.pairwiseF.toFixed(4)} / ${best.bcubedF.toFixed(4)}; gap ${(best.pairwiseF - e.pairwise.f).toFixed(4)}`,
  );
  console.log(
    `   30-value sweep ${from}..${to}: ${sweepMs.toFixed(0)} ms (graph ${sweep.timings.graphMs.toFixed(0)}, clusterings ${sweep.timings.clusterMs.toFixed(0)}, ${sweep.backend}) ` +
      `vs one call ${oneMs.toFixed(0)} ms → ${(sweepMs / oneMs).toFixed(2)}×`,
  );
}
