/**
 * Chinese Whispers (docs/ALGORITHMS.md, "Chinese Whispers"): label propagation over the radius graph,
 * in a seeded random order, deterministic for a given seed on both backends.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { Slices, throwIfAborted, withCancel } from './cancel.js';
import { assertGraph, edgeCount, type NeighborGraph } from './graph.js';
import { METRICS } from './metrics.js';
import { buildNeighborGraph, type NeighborOptions } from './neighbors.js';
import { renumberLabels } from './renumber.js';
import { shuffleInPlace, Mulberry32 } from './rng.js';
import type { CancelOptions, ClusterResult, MetricOptions } from './types.js';
import { expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/** Edge weights: `similarity` = 1 / (1 + distance); `unit` = 1 for every edge (as dlib does). */
export const WEIGHTINGS = ['similarity', 'unit'] as const;

/** See {@link WEIGHTINGS}. */
export type Weighting = (typeof WEIGHTINGS)[number];

/** Options of {@link chineseWhispersOnGraph}. */
export interface ChineseWhispersGraphOptions extends CancelOptions {
  /** Maximum number of passes, an integer >= 1; default 30. Stops early after a pass that changes nothing. */
  iterations?: number;
  /** Seed of the visiting order (mulberry32), an integer in [0, 2^32); default 0. */
  seed?: number;
  /** Edge weighting, default `'similarity'`. */
  weighting?: Weighting;
  /** Clusters with fewer members become noise (−1); an integer >= 1, default 1 (keep every cluster). */
  minClusterSize?: number;
  /** `'auto'` (default), `'native'` or `'ts'`. */
  backend?: BackendOption;
}

/** Options of {@link chineseWhispers}. */
export interface ChineseWhispersOptions extends ChineseWhispersGraphOptions, MetricOptions, NeighborOptions {
  /** Two faces are joined when their distance is `<= threshold`; a finite number > 0. */
  threshold: number;
}

interface CwParams {
  iterations: number;
  seed: number;
  unit: boolean;
  minClusterSize: number;
  signal?: AbortSignal;
}

function cwParams(opts: Record<string, unknown>): CwParams {
  return {
    iterations: expectInteger('iterations', orDefault(opts.iterations, 30), 1),
    seed: expectInteger('seed', orDefault(opts.seed, 0), 0, 0xffffffff),
    unit: expectOneOf('weighting', orDefault(opts.weighting, 'similarity'), WEIGHTINGS) === 'unit',
    minClusterSize: expectInteger('minClusterSize', orDefault(opts.minClusterSize, 1), 1),
    signal: expectSignal('signal', opts.signal),
  };
}

/**
 * Clusters embeddings with Chinese Whispers: faces within `threshold` of each other are joined by an edge;
 * each pass visits every face in a seeded random order and gives it the label with the largest summed
 * edge weight among its neighbours (ties to the smallest label). A face with no neighbour stays a cluster
 * of one. The same input and seed give the same labels on every run and on both backends.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying).
 * @param dim the number of values per row, an integer >= 1.
 * @example
 * const { labels, clusterCount } = await chineseWhispers(embeddings, 512, { threshold: 1.0 });
 */
export async function chineseWhispers(vectors: VectorsInput, dim: number, options: ChineseWhispersOptions): Promise<ClusterResult> {
  const start = performance.now();
  const opts = expectOptions('options', options, true);
  const threshold = expectPositiveFinite('threshold', opts.threshold);
  const metric = expectOneOf('metric', orDefault(opts.metric, 'euclidean'), METRICS);
  const params = cwParams(opts);
  const threads = resolveThreads(opts.threads);
  const matrix = toMatrix(vectors, dim);
  const backend = await resolveBackend(opts.backend);
  const graphStart = performance.now();
  const { graph, neighbors } = await buildNeighborGraph(matrix, metric, threshold, backend, threads, opts, 1, params.signal);
  const graphMs = performance.now() - graphStart;
  return { ...(await runOnGraph(graph, params, backend, start, graphMs)), neighbors };
}

/**
 * Chinese Whispers on a prebuilt graph (from {@link radiusGraph}, possibly narrowed by {@link filterGraph}),
 * for threshold sweeps that build the graph once. `timings.graphMs` is 0.
 */
export async function chineseWhispersOnGraph(graph: NeighborGraph, options: ChineseWhispersGraphOptions = {}): Promise<ClusterResult> {
  const start = performance.now();
  assertGraph(graph);
  const opts = expectOptions('options', options, false);
  const params = cwParams(opts);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(params.signal);
  return runOnGraph(graph, params, backend, start, 0);
}

async function runOnGraph(graph: NeighborGraph, params: CwParams, backend: Backend, start: number, graphMs: number): Promise<ClusterResult> {
  const clusterStart = performance.now();
  const { n, offsets, indices, distances } = graph;
  const { iterations, seed, unit, signal } = params;
  const native = backend.native;
  let raw: { labels: Int32Array; iterations: number };
  if (n === 0) raw = { labels: new Int32Array(0), iterations: 0 };
  else if (native) raw = await withCancel(native, signal, (token) => native.chineseWhispers(offsets, indices, distances, n, iterations, seed, unit, token));
  else raw = await chineseWhispersTs(graph, iterations, seed, unit, signal);
  const { labels, clusterCount, noiseCount } = renumberLabels(raw.labels, params.minClusterSize);
  const end = performance.now();
  return {
    labels,
    clusterCount,
    noiseCount,
    backend: backend.name,
    timings: { graphMs, clusterMs: end - clusterStart, totalMs: end - start },
    iterations: raw.iterations,
    graph: { edges: edgeCount(graph) },
  };
}

/**
 * The pure-TypeScript pass loop. Raw labels (a node index per cluster), not renumbered. Yields to the event
 * loop every ~50 ms, within a pass too (a pass over a large graph can take seconds), and stops there when
 * `signal` has aborted.
 */
export async function chineseWhispersTs(
  graph: NeighborGraph,
  iterations: number,
  seed: number,
  unitWeights: boolean,
  signal?: AbortSignal,
): Promise<{ labels: Int32Array; iterations: number }> {
  const { n, offsets, indices, distances } = graph;
  const labels = new Int32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = order[i] = i;
  let maxDegree = 0;
  for (let i = 0; i < n; i++) maxDegree = Math.max(maxDegree, offsets[i + 1] - offsets[i]);
  // Per-visit scratch: summed weight per label, which labels were touched, and their list.
  const sum = new Float64Array(n);
  const touched = new Uint8Array(n);
  const seen = new Int32Array(maxDegree);
  const rng = new Mulberry32(seed);
  let ran = 0;
  const slices = new Slices(signal);
  while (ran < iterations) {
    shuffleInPlace(order, rng);
    ran++;
    let changes = 0;
    for (let p = 0; p < n; p++) {
      if ((p & 1023) === 1023 && slices.due()) await slices.pause();
      const v = order[p];
      const begin = offsets[v];
      const end = offsets[v + 1];
      if (begin === end) continue;
      let count = 0;
      for (let k = begin; k < end; k++) {
        const l = labels[indices[k]];
        const w = unitWeights ? 1 : 1 / (1 + distances[k]);
        if (touched[l] === 0) {
          touched[l] = 1;
          sum[l] = w;
          seen[count++] = l;
        } else {
          sum[l] += w;
        }
      }
      let best = seen[0];
      let bestSum = sum[best];
      touched[best] = 0;
      for (let q = 1; q < count; q++) {
        const l = seen[q];
        const s = sum[l];
        touched[l] = 0;
        if (s > bestSum || (s === bestSum && l < best)) {
          best = l;
          bestSum = s;
        }
      }
      if (labels[v] !== best) {
        labels[v] = best;
        changes++;
      }
    }
    if (changes === 0) break;
    if (slices.due()) await slices.pause();
  }
  return { labels, iterations: ran };
}
