/**
 * DBSCAN with scikit-learn's definition (docs/ALGORITHMS.md, "DBSCAN"), over the radius graph at `eps`.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { contractGraph, expandLabels, groupCore, prepareConstraints, type Constraints, type Contraction } from './constraints.js';
import { assertGraph, edgeCount, type NeighborGraph } from './graph.js';
import { callInput, resolveMetric, type ClusterInput, type MetricInput, type MetricParams } from './metric-input.js';
import { DBSCAN_PARAMS, checkParam, paramOrDefault } from './params.js';
import type { NeighborOptions } from './neighbors.js';
import { renumberLabels } from './renumber.js';
import type { CancelOptions, ClusterResult, MetricOptions } from './types.js';
import { describe, expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import type { VectorsInput } from './vectors.js';

/** Options of {@link dbscanOnGraph}. */
export interface DbscanGraphOptions extends CancelOptions {
  /**
   * A point is core when at least `minSamples` points, itself included, lie within `eps` (as in
   * scikit-learn); an integer >= 1, default 5.
   */
  minSamples?: number;
  /**
   * One weight per row (scikit-learn's `sample_weight`): a row is core when its own weight plus its
   * neighbours' (within eps) reach `minSamples`, so a row of weight >= minSamples is core alone, a weight of
   * 0 counts for nothing (e.g. the second photo of a near-identical pair) and a negative one holds its
   * neighbours back. Finite numbers; default 1 each (the plain count). Summed in float64: itself first, then
   * its neighbours in index order.
   */
  sampleWeight?: ArrayLike<number>;
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
export interface DbscanOptions extends DbscanGraphOptions, Omit<MetricOptions, 'metric'>, NeighborOptions {
  /**
   * A vector metric (default `'euclidean'`), `'precomputed'` (`vectors` holds distances: an n×n matrix or a
   * sparse graph, `dim` = n, as scikit-learn's `metric='precomputed'`) or a function `(a, b) => distance`
   * (pure-TypeScript backend): see the README, "Metrics".
   */
  metric?: MetricInput;
  /** The extra metrics' parameters (`p`, `w`, `V`, `VI`): see {@link MetricParams}. */
  metricParams?: MetricParams;
  /** Neighbourhood radius: points at distance `<= eps` are neighbours; a finite number > 0. */
  eps: number;
}

/**
 * Clusters embeddings with DBSCAN, exactly as scikit-learn defines it: the core points, their partition
 * into clusters and the noise points (−1) equal scikit-learn's `DBSCAN(eps, min_samples, metric)` on the
 * same data; a border point joins the cluster of the first core neighbour that reaches it.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying); with
 *   `metric: 'precomputed'` distances instead (see {@link ClusterInput}).
 * @param dim the number of values per row, an integer >= 1 (precomputed: n).
 * @example
 * const { labels, noiseCount } = await dbscan(embeddings, 512, { eps: 0.9, minSamples: 3 });
 */
export async function dbscan(vectors: ClusterInput, dim: number, options: DbscanOptions): Promise<ClusterResult> {
  const start = performance.now();
  const opts = expectOptions('options', options, true);
  const eps = checkParam<number>(DBSCAN_PARAMS.eps, opts.eps);
  const minSamples = paramOrDefault<number>(DBSCAN_PARAMS.minSamples, opts.minSamples);
  const resolved = resolveMetric(opts.metric, opts.metricParams);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  const input = callInput(resolved, vectors, dim, opts);
  const constraints = prepareConstraints(opts.constraints, input.n);
  const weights = sampleWeights(opts.sampleWeight, input.n);
  const graphStart = performance.now();
  // hnsw: a core point needs its minSamples − 1 nearest within eps, so k must be at least that.
  const { graph, backend, neighbors, reason, index } = await input.graph(eps, threads, minSamples - 1, signal);
  const graphMs = performance.now() - graphStart;
  return { ...(await runOnGraph(graph, minSamples, weights, constraints, backend, start, graphMs, signal)), neighbors, ...(reason ? { neighborsReason: reason } : {}), ...(index ? { index } : {}) };
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
  const weights = sampleWeights(opts.sampleWeight, graph.n);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(signal);
  return runOnGraph(graph, minSamples, weights, constraints, backend, start, 0, signal);
}

/** `sampleWeight` checked against `n` rows, as a Float64Array; undefined when absent. */
function sampleWeights(value: unknown, n: number): Float64Array | undefined {
  if (value === undefined) return undefined;
  const list = value as ArrayLike<unknown>;
  if (typeof value !== 'object' || value === null || typeof list.length !== 'number') {
    throw new TypeError(`Expected sampleWeight to be an array of numbers (one per row) but received ${describe(value)}`);
  }
  if (list.length !== n) throw new RangeError(`Expected sampleWeight to hold one weight per row (${n}) but received length ${list.length}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = list[i];
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new RangeError(`Expected sampleWeight[${i}] to be a finite number but received ${describe(w)}`);
    out[i] = w;
  }
  return out;
}

/**
 * The weighted core test (scikit-learn's): row i is core when weights[i] plus the weights of its neighbours,
 * summed in float64 in index order, reach minSamples.
 */
function weightedCore(graph: NeighborGraph, weights: Float64Array, minSamples: number): Uint8Array {
  const core = new Uint8Array(graph.n);
  for (let i = 0; i < graph.n; i++) {
    let sum = weights[i];
    for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) sum += weights[graph.indices[e]];
    core[i] = sum >= minSamples ? 1 : 0;
  }
  return core;
}

async function runOnGraph(
  graph: NeighborGraph,
  minSamples: number,
  weights: Float64Array | undefined,
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
        ? await constrainedExpansion(graph, minSamples, weights, constraints, backend, signal)
        : weights
          ? // the backends' core-flag form, with no cannot-link
            await backend.dbscan(graph, minSamples, signal, { core: weightedCore(graph, weights, minSamples), cannotOffsets: new Uint32Array(graph.n + 1), cannotIndices: new Int32Array(0) })
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
async function constrainedExpansion(graph: NeighborGraph, minSamples: number, weights: Float64Array | undefined, c: Contraction, backend: Backend, signal: AbortSignal | undefined): Promise<Int32Array> {
  const { graph: groups } = contractGraph(graph, c);
  const core = groupCore(graph, c, minSamples, weights && weightedCore(graph, weights, minSamples));
  const { cannotOffsets, cannotIndices } = c;
  return expandLabels(await backend.dbscan(groups, minSamples, signal, { core, cannotOffsets, cannotIndices }), c);
}
