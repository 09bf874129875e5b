#!/usr/bin/env node
/**
 * Default threshold (Chinese Whispers) and eps (DBSCAN, minSamples 2) for each extra metric, measured on
 * ../shared/data/lfw-dev as the euclidean, manhattan and chebyshev ones were (cli README, "Defaults per
 * metric"): Chinese Whispers at the largest threshold whose pairwise precision stays >= 0.997 (the edge of
 * the plateau; euclidean: 1.0), DBSCAN at the largest eps before two people join (pairwise precision
 * >= 0.999; euclidean: 0.925). The sweep range of each metric comes from the data: from the median
 * same-person distance to the 0.5 % quantile of random pairs, 24 steps, refined by 24 more around the pick.
 *
 *   node scripts/metric-defaults.mjs [--store FILE] [--metrics a,b,…] [--json FILE]
 *
 * The store is lfw-dev's (default /tmp/faceclust-lfw-dev/faces.sqlite, made by `node scripts/eval-lfw.mjs
 * --embed /tmp/faceclust-lfw-dev`); each photo's main face is scored against its folder. Needs `pnpm build`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chineseWhispersOnGraph, dbscanOnGraph, evaluate, filterGraph, radiusGraph } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { mainFaceTruth } from './face-truth.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const storePath = flag('--store', '/tmp/faceclust-lfw-dev/faces.sqlite');
const METRICS = {
  euclidean: {},
  correlation: {},
  seuclidean: {},
  mahalanobis: {},
  braycurtis: {},
  canberra: {},
  'minkowski p=3': { metric: 'minkowski', metricParams: { p: 3 } },
};
const wanted = flag('--metrics', Object.keys(METRICS).join(',')).split(',');
if (!fs.existsSync(storePath)) throw new Error(`No store at ${storePath}`);
const store = FaceStore.open(storePath);
const set = store.loadFaces('default');
store.close();
const { dim, vectors } = set;
const { main, truth } = mainFaceTruth(set.faces);
const score = (labels) => evaluate(Int32Array.from(main, (i) => labels[i]), truth).pairwise;

/** Distances of sample pairs through a 2-row radiusGraph call each would be slow: a small graph of the sample instead. */
async function sampleQuantiles(options) {
  // 600 main faces of people with 2+ photos, and 600 others: their graph at a huge radius gives every pair
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const byPerson = new Map();
  main.forEach((i, k) => byPerson.set(truth[k], [...(byPerson.get(truth[k]) ?? []), i]));
  const pick = [...byPerson.values()].filter((ix) => ix.length >= 2).flatMap((ix) => ix.slice(0, 4)).slice(0, 600);
  for (let k = 0; k < 600; k++) pick.push(main[Math.floor(rand() * main.length)]);
  const sub = new Float32Array(pick.length * dim);
  pick.forEach((i, k) => sub.set(vectors.subarray(i * dim, (i + 1) * dim), k * dim));
  // the full covariance (mahalanobis, seuclidean) must come from every face, as in the real call: pass it
  const g = await radiusGraph(sub, dim, { radius: 1e9, ...options });
  const same = [];
  const other = [];
  const who = (i) => path.basename(path.dirname(set.faces[i].file));
  for (let a = 0; a < pick.length; a++) {
    for (let e = g.offsets[a]; e < g.offsets[a + 1]; e++) {
      const b = g.indices[e];
      if (b <= a) continue;
      (who(pick[a]) === who(pick[b]) ? same : other).push(g.distances[e]);
    }
  }
  const q = (list, t) => list.sort((x, y) => x - y)[Math.floor(t * (list.length - 1))];
  return { sameMedian: q(same, 0.5), other005: q(other, 0.005) };
}

/**
 * V (seuclidean) and VI (mahalanobis) of every face, as the calls' defaults compute them (variance and
 * covariance with ddof 1; VI by Gauss-Jordan in float64), passed explicitly so that the sample's distances
 * are on the same scale as the whole set's.
 */
function fullParams(options) {
  if (options.metric !== 'seuclidean' && options.metric !== 'mahalanobis') return options;
  const n = set.faces.length;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += vectors[i * dim + k];
  mean.forEach((v, k) => (mean[k] = v / n));
  if (options.metric === 'seuclidean') {
    const V = new Float64Array(dim);
    for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) V[k] += (vectors[i * dim + k] - mean[k]) ** 2;
    return { ...options, metricParams: { V: Array.from(V, (v) => v / (n - 1)) } };
  }
  const A = new Float64Array(dim * 2 * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) c[k] = vectors[i * dim + k] - mean[k];
    for (let r = 0; r < dim; r++) for (let q = 0; q < dim; q++) A[r * 2 * dim + q] += c[r] * c[q];
  }
  for (let r = 0; r < dim; r++) {
    for (let q = 0; q < dim; q++) A[r * 2 * dim + q] /= n - 1;
    A[r * 2 * dim + dim + r] = 1;
  }
  for (let col = 0; col < dim; col++) {
    let piv = col;
    for (let r = col + 1; r < dim; r++) if (Math.abs(A[r * 2 * dim + col]) > Math.abs(A[piv * 2 * dim + col])) piv = r;
    for (let q = 0; q < 2 * dim; q++) [A[col * 2 * dim + q], A[piv * 2 * dim + q]] = [A[piv * 2 * dim + q], A[col * 2 * dim + q]];
    const d = A[col * 2 * dim + col];
    for (let q = 0; q < 2 * dim; q++) A[col * 2 * dim + q] /= d;
    for (let r = 0; r < dim; r++) {
      if (r === col) continue;
      const f = A[r * 2 * dim + col];
      if (f !== 0) for (let q = 0; q < 2 * dim; q++) A[r * 2 * dim + q] -= f * A[col * 2 * dim + q];
    }
  }
  const VI = new Array(dim * dim);
  for (let r = 0; r < dim; r++) for (let q = 0; q < dim; q++) VI[r * dim + q] = (A[r * 2 * dim + dim + q] + A[q * 2 * dim + dim + r]) / 2; // symmetric
  return { ...options, metricParams: { VI } };
}

const results = {};
for (const name of wanted) {
  const options = fullParams({ metric: METRICS[name].metric ?? name, ...(METRICS[name].metricParams ? { metricParams: METRICS[name].metricParams } : {}) });
  const t0 = performance.now();
  const { sameMedian, other005 } = await sampleQuantiles(options);
  const grid = (a, b, steps) => Array.from({ length: steps + 1 }, (_, k) => a + ((b - a) * k) / steps);
  const top = other005 * 1.1;
  const graph = await radiusGraph(vectors, dim, { radius: top, ...options });
  const graphS = (performance.now() - t0) / 1000;
  const pickLargest = async (values, run, minPrecision) => {
    let chosen;
    for (const v of values) {
      const q = score(await run(v));
      if (q.precision >= minPrecision) chosen = { value: v, ...q };
    }
    return chosen;
  };
  const cw = (t) => chineseWhispersOnGraph(filterGraph(graph, t), { mergeRadius: 0 }).then((r) => r.labels);
  const db = (e) => dbscanOnGraph(filterGraph(graph, e), { minSamples: 2 }).then((r) => r.labels);
  const coarse = grid(sameMedian, top, 24);
  const step = (top - sameMedian) / 24;
  const cwCoarse = await pickLargest(coarse, cw, 0.997);
  const cwFine = cwCoarse && (await pickLargest(grid(cwCoarse.value, cwCoarse.value + step, 24), cw, 0.997));
  const dbCoarse = await pickLargest(coarse, db, 0.999);
  const dbFine = dbCoarse && (await pickLargest(grid(dbCoarse.value, dbCoarse.value + step, 24), db, 0.999));
  const round = (v) => Number(v.toPrecision(4));
  results[name] = {
    range: [round(sameMedian), round(top)], edges: graph.offsets[graph.n] / 2, graphS: Number(graphS.toFixed(1)),
    cw: cwFine && { threshold: round(cwFine.value), precision: cwFine.precision, f: cwFine.f },
    dbscan: dbFine && { eps: round(dbFine.value), precision: dbFine.precision, f: dbFine.f },
  };
  console.log(`${name}: range ${results[name].range.join('–')}, graph ${graphS.toFixed(1)} s; cw threshold ${results[name].cw?.threshold} (P ${cwFine?.precision.toFixed(4)} F ${cwFine?.f.toFixed(4)}); dbscan eps ${results[name].dbscan?.eps} (P ${dbFine?.precision.toFixed(4)} F ${dbFine?.f.toFixed(4)})`);
}
if (flag('--json')) fs.writeFileSync(flag('--json'), JSON.stringify(results, null, 2));
