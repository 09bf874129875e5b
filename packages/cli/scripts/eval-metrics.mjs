#!/usr/bin/env node
/**
 * What the CLI gives at its defaults for each metric on lfw-dev: `FacialClustering.chineseWhispers` (merge
 * pass on, as `faceclust cluster cw`) and `dbscan` (minSamples 2) with `metric` (and minkowski's p) alone,
 * each photo's main face scored against its folder (the rule of eval-lfw.mjs and metric-defaults.mjs).
 * The metric-defaults.mjs script chose the defaults without the merge pass; this one checks the calls as a
 * user runs them (every step in the metric's space, V from the faces).
 *
 *   node scripts/eval-metrics.mjs --out DIR [--metrics a,b,…] [--json FILE]
 *
 * DIR holds lfw-dev's store (`faceclust embed ../shared/data/lfw-dev --out DIR`); each call adds its
 * reports there. Needs `pnpm build`.
 */
import fs from 'node:fs';
import { evaluate } from '@faceclust/cluster';
import { FacialClustering } from '../dist/index.js';
import { mainFaceTruth } from './face-truth.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const out = flag('--out');
if (!out || !fs.existsSync(`${out}/faces.sqlite`)) throw new Error('Pass --out DIR holding lfw-dev\'s faces.sqlite (faceclust embed ../shared/data/lfw-dev --out DIR)');
const METRICS = {
  euclidean: {},
  correlation: {},
  seuclidean: {},
  'minkowski p=3': { metric: 'minkowski', metricParams: { p: 3 } },
  braycurtis: {},
  canberra: {},
};
const wanted = flag('--metrics', Object.keys(METRICS).join(',')).split(',');
const results = {};
const round = (v) => Number(v.toFixed(4));
for (const name of wanted) {
  const options = { metric: METRICS[name].metric ?? name, ...(METRICS[name].metricParams ? { metricParams: METRICS[name].metricParams } : {}) };
  results[name] = {};
  for (const method of ['cw', 'dbscan']) {
    const fc = new FacialClustering({ outPath: out, command: `eval-metrics ${name} ${method}` });
    try {
      const t0 = performance.now();
      const r = method === 'cw' ? await fc.chineseWhispers(options) : await fc.dbscan(options);
      const s = (performance.now() - t0) / 1000;
      const { main, truth } = mainFaceTruth(r.faces.map((f) => ({ file: f.file, box: f.box })));
      const e = evaluate(Int32Array.from(main, (i) => r.labels[i]), truth);
      const at = method === 'cw' ? `threshold ${r.params.threshold}, mergeRadius ${r.params.mergeRadius}` : `eps ${r.params.eps}`;
      results[name][method] = { at, precision: round(e.pairwise.precision), recall: round(e.pairwise.recall), f: round(e.pairwise.f), bcubedF: round(e.bcubed.f), clusters: r.clusters, s: Number(s.toFixed(1)) };
      const q = results[name][method];
      console.log(`${name} ${method} (${at}): pairwise P ${q.precision} R ${q.recall} F ${q.f}, BCubed F ${q.bcubedF}, ${q.clusters} clusters, ${q.s} s`);
    } finally {
      fc.close();
    }
  }
}
if (flag('--json')) fs.writeFileSync(flag('--json'), JSON.stringify(results, null, 2));
