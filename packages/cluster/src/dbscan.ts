/**
 * DBSCAN with scikit-learn's definition (docs/ALGORITHMS.md, "DBSCAN"), over the radius graph at `eps`.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { Slices, throwIfAborted, withCancel } from './cancel.js';
import { assertGraph, edgeCount, type NeighborGraph } from './graph.js';
import { METRICS } from './metrics.js';
import { buildNeighborGraph, type NeighborOptions } from './neighbors.js';
import { renumberLabels } from './renumber.js';
import type { CancelOptions, ClusterResult, MetricOptions } from './types.js';
import { expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/** Options of {@link dbscanOnGraph}. */
export interface DbscanGraphOptions extends CancelOptions {
  /**
   * A point is core when at least `minSamples` points, itself included, lie within `eps` (as in
   * scikit-learn); an integer >= 1, default 5.
   */
  minSamples?: number;
  /** `'auto'` (default), `'native'` or `'ts'`. */
  backend?: BackendOption;
}

/** Options of {@link dbscan}. */
export interface DbscanOptions extends DbscanGraphOptions, MetricOptions, NeighborOptions {
  /** Neighbourhood radius: points at distance `<= eps` are neighbours; a finite number > 0. */
  eps: number;
}

/**
 * Clusters embeddings with DBSCAN, exactly as scikit-learn defines it: the core points, their partition
 * into clusters and the noise points (−1) equal scikit-learn's `DBSCAN(eps, min_samples, metric)` on the
 * same data; a border point joins the cluster of the first core neighbour that reaches it.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying).
 * @param dim the number of values per row, an integer >= 1.
 * @example
 * const { labels, noiseCount } = await dbscan(embeddings, 512, { eps: 0.9, minSamples: 3 });
 */
export async function dbscan(vectors: VectorsInput, dim: number, options: DbscanOptions): Promise<ClusterResult> {
  const start = performance.now();
  const opts = expectOptions('options', options, true);
  const eps = expectPositiveFinite('eps', opts.eps);
  const minSamples = expectInteger('minSamples', orDefault(opts.minSamples, 5), 1);
  const metric = expectOneOf('metric', orDefault(opts.metric, 'euclidean'), METRICS);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  const matrix = toMatrix(vectors, dim);
  const backend = await resolveBackend(opts.backend);
  const graphStart = performance.now();
  // hnsw: a core point needs its minSamples − 1 nearest within eps, so k must be at least that.
  const { graph, neighbors } = await buildNeighborGraph(matrix, metric, eps, backend, threads, opts, minSamples - 1, signal);
  const graphMs = performance.now() - graphStart;
  return { ...(await runOnGraph(graph, minSamples, backend, start, graphMs, signal)), neighbors };
}

/**
 * DBSCAN on a prebuilt radius graph (from {@link radiusGraph} at `eps`, possibly narrowed by
 * {@link filterGraph}). `timings.graphMs` is 0.
 */
export async function dbscanOnGraph(graph: NeighborGraph, options: DbscanGraphOptions = {}): Promise<ClusterResult> {
  const start = performance.now();
  assertGraph(graph);
  const opts = expectOptions('options', options, false);
  const minSamples = expectInteger('minSamples', orDefault(opts.minSamples, 5), 1);
  const signal = expectSignal('signal', opts.signal);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(signal);
  return runOnGraph(graph, minSamples, backend, start, 0, signal);
}

async function runOnGraph(
  graph: NeighborGraph,
  minSamples: number,
  backend: Backend,
  start: number,
  graphMs: number,
  signal: AbortSignal | undefined,
): Promise<ClusterResult> {
  const clusterStart = performance.now();
  const { n, offsets, indices } = graph;
  const native = backend.native;
  let raw: Int32Array;
  if (n === 0) raw = new Int32Array(0);
  else if (native) raw = await withCancel(native, signal, (token) => native.dbscan(offsets, indices, n, minSamples, token));
  else raw = await dbscanTs(graph, minSamples, signal);
  const { labels, clusterCount, noiseCount } = renumberLabels(raw);
  const end = performance.now();
  return {
    labels,
    clusterCount,
    noiseCount,
    backend: backend.name,
    timings: { graphMs, clusterMs: end - clusterStart, totalMs: end - start },
    graph: { edges: edgeCount(graph) },
  };
}

/**
 * The pure-TypeScript expansion, in scikit-learn's stack order. Raw labels 0, 1, … in discovery order; −1
 * noise. Yields to the event loop every ~50 ms (read every 4096 points) and stops there when `signal` has
 * aborted.
 */
export async function dbscanTs(graph: NeighborGraph, minSamples: number, signal?: AbortSignal): Promise<Int32Array> {
  const { n, offsets, indices } = graph;
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i++) core[i] = offsets[i + 1] - offsets[i] + 1 >= minSamples ? 1 : 0;
  const labels = new Int32Array(n).fill(-1);
  // A point may be pushed once per core neighbour before it is labelled, hence a growable stack.
  let stack = new Int32Array(1024);
  let next = 0;
  const slices = new Slices(signal);
  let steps = 0; // points scanned or popped
  for (let i = 0; i < n; i++) {
    if ((++steps & 4095) === 0 && slices.due()) await slices.pause();
    if (labels[i] !== -1 || core[i] === 0) continue;
    let top = 0;
    stack[top++] = i;
    while (top > 0) {
      if ((++steps & 4095) === 0 && slices.due()) await slices.pause();
      const v = stack[--top];
      if (labels[v] !== -1) continue;
      labels[v] = next;
      if (core[v] === 0) continue;
      const end = offsets[v + 1];
      if (top + end - offsets[v] > stack.length) {
        const grown = new Int32Array(Math.max(stack.length * 2, top + end - offsets[v]));
        grown.set(stack.subarray(0, top));
        stack = grown;
      }
      for (let k = offsets[v]; k < end; k++) {
        const u = indices[k];
        if (labels[u] === -1) stack[top++] = u;
      }
    }
    next++;
  }
  return labels;
}
