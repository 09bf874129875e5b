/**
 * DBSCAN with scikit-learn's definition (docs/ALGORITHMS.md, "DBSCAN"), over the radius graph at `eps`.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { contractGraph, expandLabels, groupCore, prepareConstraints, type Constraints, type Contraction } from './constraints.js';
import { assertGraph, edgeCount, type NeighborGraph } from './graph.js';
import type { Metric } from './metrics.js';
import { COMMON_PARAMS, DBSCAN_PARAMS, checkParam, paramOrDefault } from './params.js';
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
  /**
   * Must-link pairs end in one cluster (a must-link group of 2+ rows is always core, never noise),
   * cannot-link pairs never share one (docs/ALGORITHMS.md, "Constraints"); a cannot-link inside a must-link
   * group throws a {@link ConstraintConflictError}.
   */
  constraints?: Constraints;
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
  const eps = checkParam<number>(DBSCAN_PARAMS.eps, opts.eps);
  const minSamples = paramOrDefault<number>(DBSCAN_PARAMS.minSamples, opts.minSamples);
  const metric = paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  const matrix = toMatrix(vectors, dim);
  const constraints = prepareConstraints(opts.constraints, matrix.n);
  const backend = await resolveBackend(opts.backend);
  const graphStart = performance.now();
  // hnsw: a core point needs its minSamples − 1 nearest within eps, so k must be at least that.
  const { graph, neighbors, index } = await buildNeighborGraph(matrix, metric, eps, backend, threads, opts, minSamples - 1, signal);
  const graphMs = performance.now() - graphStart;
  return { ...(await runOnGraph(graph, minSamples, constraints, backend, start, graphMs, signal)), neighbors, ...(index ? { index } : {}) };
}

/**
 * DBSCAN on a prebuilt radius graph (from {@link radiusGraph} at `eps`, possibly narrowed by
 * {@link filterGraph}). `timings.graphMs` is 0.
 */
export async function dbscanOnGraph(graph: NeighborGraph, options: DbscanGraphOptions = {}): Promise<ClusterResult> {
  const start = performance.now();
  assertGraph(graph);
  const opts = expectOptions('options', options, false);
  const minSamples = paramOrDefault<number>(DBSCAN_PARAMS.minSamples, opts.minSamples);
  const signal = expectSignal('signal', opts.signal);
  const constraints = prepareConstraints(opts.constraints, graph.n);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(signal);
  return runOnGraph(graph, minSamples, constraints, backend, start, 0, signal);
}

async function runOnGraph(
  graph: NeighborGraph,
  minSamples: number,
  constraints: Contraction | undefined,
  backend: Backend,
  start: number,
  graphMs: number,
  signal: AbortSignal | undefined,
): Promise<ClusterResult> {
  const clusterStart = performance.now();
  const raw =
    graph.n === 0
      ? new Int32Array(0)
      : constraints
        ? await constrainedExpansion(graph, minSamples, constraints, backend, signal)
        : await backend.dbscan(graph, minSamples, signal);
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

/** The expansion over the must-link groups, their labels given back to every member row. */
async function constrainedExpansion(graph: NeighborGraph, minSamples: number, c: Contraction, backend: Backend, signal: AbortSignal | undefined): Promise<Int32Array> {
  const { graph: groups } = contractGraph(graph, c);
  const core = groupCore(graph, c, minSamples);
  const { cannotOffsets, cannotIndices } = c;
  return expandLabels(await backend.dbscan(groups, minSamples, signal, { core, cannotOffsets, cannotIndices }), c);
}
