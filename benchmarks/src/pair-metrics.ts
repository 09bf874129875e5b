/**
 * What minkowski with a p other than 1, 2 or ∞ costs (issue 16): its exact radius graph, now computed over
 * the candidates of a kernel graph (manhattan below p = 2, euclidean above: metric-input.ts), against, in
 * the same run, every pair through the same distance (a function metric on the pure-TypeScript backend:
 * the pair-by-pair pass minkowski ran before, without its early exit) and the euclidean graph of the same
 * rows (the kernels alone). The graphs are checked equal.
 * `pnpm --filter @faceclust/benchmarks bench:pair-metrics` (after `pnpm build`).
 *
 *   --n 4000              rows of the generator (benchmarks/src/generator.ts), 512-d
 *   --p 1.5,3             the exponents
 *   --store FILE          real faces instead: a faceclust store (e.g. lfw-dev's, packages/embed/scripts/eval-lfw.mjs)
 *   --radius 0.414        the radius for every p (default: per p, the 99th percentile of the p-distance
 *                         over the pairs within euclidean 1.0, the default threshold, so the graph holds
 *                         about the same-person pairs)
 *   --baseline false      skip the every-pair pass (minutes at lfw-dev's size)
 *   --out DIR             default benchmarks/results
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import * as cluster from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  args: benchArgs(),
  options: {
    n: { type: 'string', default: '4000' },
    p: { type: 'string', default: '1.5,3' },
    store: { type: 'string' },
    radius: { type: 'string' },
    baseline: { type: 'string', default: 'true' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: path.resolve(here, '..', 'results') },
  },
});

function rows(): { vectors: Float32Array; dim: number; source: string } {
  if (values.store) {
    const store = FaceStore.open(values.store);
    const set = store.loadFaces('default');
    store.close();
    return { vectors: set.vectors, dim: set.dim, source: `${set.faces.length} faces of ${values.store}` };
  }
  const n = Number(values.n);
  return { vectors: generateClustered({ n, dim: 512, seed: Number(values.seed) }).vectors, dim: 512, source: `${n} synthetic 512-d faces` };
}

const { vectors, dim, source } = rows();
const n = vectors.length / dim;
const minkowski = (p: number) => (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k] - b[k]) ** p;
  return s ** (1 / p);
};
const sameGraph = (a: cluster.NeighborGraph, b: cluster.NeighborGraph) =>
  a.offsets[n] === b.offsets[n] && a.indices.every((j, e) => j === b.indices[e]);

let t = performance.now();
const euclid = await cluster.radiusGraph(vectors, dim, { radius: 1 });
const euclidMs = performance.now() - t;

interface Row { p: number; radius: number; edges: number; candidatesMs: number; everyPairMs?: number; euclideanMs: number; same?: boolean }
const table: Row[] = [];
for (const p of values.p.split(',').map(Number)) {
  let radius = values.radius ? Number(values.radius) : NaN;
  if (!values.radius) {
    const d: number[] = [];
    const dist = minkowski(p);
    for (let i = 0; i < n; i++) for (let e = euclid.offsets[i]; e < euclid.offsets[i + 1]; e++) {
      const j = euclid.indices[e];
      if (j > i && d.length < 200_000) d.push(dist(vectors.subarray(i * dim, (i + 1) * dim), vectors.subarray(j * dim, (j + 1) * dim)));
    }
    // just above one pair's distance, so no pair sits at the radius, where the last ulp of pow would decide
    radius = d.sort((a, b) => a - b)[Math.floor(0.99 * (d.length - 1))] * (1 + 1e-9);
  }
  t = performance.now();
  const fast = await cluster.radiusGraph(vectors, dim, { radius, metric: 'minkowski', metricParams: { p } });
  const candidatesMs = performance.now() - t;
  const row: Row = { p, radius, edges: cluster.edgeCount(fast), candidatesMs, euclideanMs: euclidMs };
  if (values.baseline !== 'false') {
    t = performance.now();
    const slow = await cluster.radiusGraph(vectors, dim, { radius, metric: minkowski(p), backend: 'ts' });
    row.everyPairMs = performance.now() - t;
    row.same = sameGraph(fast, slow);
  }
  table.push(row);
  console.error(`p=${p}: ${JSON.stringify(row)}`);
}

const text = formatTable(
  ['p', 'radius', 'edges', 'candidates s', 'every pair s', 'every pair ÷ candidates', 'same graph', 'euclidean 1.0 s'],
  table.map((r) => [
    r.p, r.radius.toPrecision(4), r.edges, r.candidatesMs / 1000, r.everyPairMs === undefined ? '—' : r.everyPairMs / 1000,
    r.everyPairMs === undefined ? '—' : `${(r.everyPairMs / r.candidatesMs).toFixed(1)}×`, r.same === undefined ? '—' : String(r.same), r.euclideanMs / 1000,
  ]),
);
console.log(`minkowski radius graphs on ${source}\n${text}`);
mkdirSync(values.out, { recursive: true });
const file = path.join(values.out, `pair-metrics-${new Date().toISOString().replace(/[:.]/g, '-')}`);
writeFileSync(`${file}.json`, JSON.stringify({ machine: machineInfo(), source, rows: table }, null, 2));
writeFileSync(`${file}.txt`, `${text}\n`);
console.log(`results: ${file}.json`);
