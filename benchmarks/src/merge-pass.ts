/**
 * What Chinese Whispers' merge pass (issue 14) costs: at each n, one neighbour graph (the path `auto` picks:
 * exact below 120,000 faces, hnsw from there), then on that graph Chinese Whispers without the pass
 * (the baseline) and with it at the default radius, in the same run.
 * `pnpm --filter @faceclust/benchmarks bench:merge-pass` (after `pnpm build`).
 *
 *   --n 20000,500000      sizes (env N)
 *   --dim 512 --seed 42   generator (benchmarks/src/generator.ts)
 *   --threshold 1         the CW threshold; the merge radius is defaultMergeRadius(threshold) = 0.9
 *   --threads 0           0: every core
 *   --out DIR             default benchmarks/results
 *
 * Columns: the graph, the passes alone, the pass, the pass as a share of the whole call (graph + passes +
 * pass), the clusters with and without it against the generator's truth.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import * as cluster from '@faceclust/cluster';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  args: benchArgs(),
  options: {
    n: { type: 'string', default: process.env.N ?? '20000,500000' },
    dim: { type: 'string', default: '512' },
    seed: { type: 'string', default: '42' },
    threshold: { type: 'string', default: '1' },
    threads: { type: 'string', default: '0' },
    out: { type: 'string', default: path.resolve(here, '..', 'results') },
  },
});
const dim = Number(values.dim);
const threshold = Number(values.threshold);
const threads = Number(values.threads) > 0 ? Number(values.threads) : undefined;
const mergeRadius = cluster.defaultMergeRadius(threshold, 'euclidean');

interface Row {
  n: number;
  neighbors: 'exact' | 'hnsw';
  edges: number;
  graphMs: number;
  passesMs: number;
  mergeMs: number;
  shareOfCall: number;
  clustersWithout: number;
  clustersWith: number;
  trueClusters: number;
  bcubedWithout: number;
  bcubedWith: number;
}

const rows: Row[] = [];
for (const n of values.n.split(',').map(Number)) {
  const { vectors, truth, clusters } = generateClustered({ n, dim, seed: Number(values.seed) });
  const { neighbors } = await cluster.resolveNeighbors('auto', vectors, dim, { radius: threshold, threads });
  const start = performance.now();
  const graph =
    neighbors === 'exact'
      ? await cluster.radiusGraph(vectors, dim, { radius: threshold, threads })
      : await (await cluster.HnswIndex.build(vectors, dim, { threads })).knnGraph({ radius: threshold, threads });
  const graphMs = performance.now() - start;
  const without = await cluster.chineseWhispersOnGraph(graph, { mergeRadius: 0 });
  const withPass = await cluster.chineseWhispersOnGraph(graph, { mergeRadius });
  const mergeMs = withPass.timings.mergeMs ?? 0;
  const passesMs = without.timings.clusterMs;
  const row: Row = {
    n, neighbors, edges: cluster.edgeCount(graph), graphMs, passesMs, mergeMs,
    shareOfCall: mergeMs / (graphMs + withPass.timings.clusterMs),
    clustersWithout: without.clusterCount, clustersWith: withPass.clusterCount, trueClusters: clusters,
    bcubedWithout: cluster.evaluate(without.labels, truth).bcubed.f, bcubedWith: cluster.evaluate(withPass.labels, truth).bcubed.f,
  };
  rows.push(row);
  console.error(`n=${n}: ${JSON.stringify(row)}`);
}

const table = formatTable(
  ['n', 'neighbours', 'edges', 'graph s', 'passes s', 'merge pass ms', 'share of call', 'clusters without / with (true)', 'BCubed F without / with'],
  rows.map((r) => [
    r.n, r.neighbors, r.edges, r.graphMs / 1000, r.passesMs / 1000, r.mergeMs, `${(r.shareOfCall * 100).toFixed(2)} %`,
    `${r.clustersWithout} / ${r.clustersWith} (${r.trueClusters})`, `${r.bcubedWithout.toFixed(4)} / ${r.bcubedWith.toFixed(4)}`,
  ]),
);
console.log(`merge pass at radius ${mergeRadius} (threshold ${threshold}), ${dim}-d synthetic faces\n${table}`);
mkdirSync(values.out, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const file = path.join(values.out, `merge-pass-${stamp}`);
writeFileSync(`${file}.json`, JSON.stringify({ machine: machineInfo(), threshold, mergeRadius, rows }, null, 2));
writeFileSync(`${file}.txt`, `${table}\n`);
console.log(`results: ${file}.json`);
