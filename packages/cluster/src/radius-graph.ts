/**
 * The radius neighbour graph (docs/ALGORITHMS.md, "Radius graph"): every pair within `radius`, as CSR.
 */
import { resolveBackend, resolveThreads } from './backend.js';
import type { NeighborGraph } from './graph.js';
import { exactGraph, kernelRows, madeHere, resolveMetric, type MetricInput, type MetricParams } from './metric-input.js';
import { buildNeighborGraph, type NeighborOptions } from './neighbors.js';
import type { CancelOptions, MetricOptions } from './types.js';
import { expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import type { VectorsInput } from './vectors.js';

/** Options of {@link radiusGraph}. */
export interface RadiusGraphOptions extends Omit<MetricOptions, 'metric'>, NeighborOptions, CancelOptions {
  /** Keep pairs whose distance is `<= radius`; a finite number > 0. */
  radius: number;
  /** Any metric the clustering calls take (default `'euclidean'`), see {@link MetricInput}. */
  metric?: MetricInput;
  /** The extra metrics' parameters: see {@link MetricParams}. */
  metricParams?: MetricParams;
}

/**
 * All pairs of rows within `radius` of each other, as a symmetric CSR graph (never an n×n matrix).
 * Both backends give the same graph bit for bit: edges decided and distances computed in float64, stored
 * as float32. Build it once at the largest threshold of a sweep, then use {@link filterGraph} with the
 * `*OnGraph` functions.
 *
 * With `neighbors: 'hnsw'` (or `'auto'` at large n; unlike the clustering functions, this one defaults to
 * `'exact'` when `neighbors` and `hnsw` are both absent) the graph is the HNSW kNN graph cut at `radius`:
 * same form and distances, a subgraph of the exact one (see {@link HnswIndex.knnGraph}).
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying).
 * @param dim the number of values per row, an integer >= 1.
 */
export async function radiusGraph(vectors: VectorsInput, dim: number, options: RadiusGraphOptions): Promise<NeighborGraph> {
  const opts = expectOptions('options', options, true);
  const radius = expectPositiveFinite('radius', opts.radius);
  const resolved = resolveMetric(opts.metric, opts.metricParams);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  if (madeHere(resolved) || (opts.neighbors === undefined && opts.hnsw === undefined)) return (await exactGraph(resolved, vectors, dim, radius, opts, threads, signal)).graph;
  const { matrix, metric } = kernelRows(resolved, vectors, dim, opts);
  const backend = await resolveBackend(opts.backend);
  return (await buildNeighborGraph(matrix, metric, radius, backend, threads, opts, 1, signal)).graph;
}
