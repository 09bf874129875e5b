/**
 * k-distances, DBSCAN's classic aid for choosing eps: each point's distance to its k-th nearest neighbour,
 * counting the point itself as the first, as scikit-learn counts `min_samples`.
 */
import { resolveBackend, resolveThreads } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { assertGraph, type NeighborGraph } from './graph.js';
import type { Metric } from './metrics.js';
import type { BackendOptions, CancelOptions, MetricOptions } from './types.js';
import { COMMON_PARAMS, paramOrDefault } from './params.js';
import { expectInteger, expectOneOf, expectOptions, expectSignal, orDefault } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/** Options of {@link kDistances}. */
export interface KDistanceOptions extends MetricOptions, CancelOptions {
  /** Which neighbour, the point itself counted as the 1st (so k = minSamples); an integer >= 1. */
  k: number;
}

/**
 * Each row's k-distance read off a radius graph: with the point itself as its own 1st neighbour (distance
 * 0), the k-th is its (k−1)-th nearest other point. So with k = `minSamples`, a point is a DBSCAN core point
 * at `eps` exactly when its k-distance is `<= eps`. k = 1 gives 0 for every row. A row with fewer than k−1
 * neighbours in the graph gets `Infinity`: its k-distance exceeds the graph's radius. Values are the
 * graph's stored float32 distances. O(edges) plus a partial sort per row.
 */
export function kDistancesOnGraph(graph: NeighborGraph, k: number): Float64Array {
  assertGraph(graph);
  expectInteger('k', k, 1);
  const { n, offsets, distances } = graph;
  const out = new Float64Array(n);
  if (k === 1) return out;
  const want = k - 1;
  for (let i = 0; i < n; i++) {
    const begin = offsets[i];
    const degree = offsets[i + 1] - begin;
    if (degree < want) {
      out[i] = Infinity;
      continue;
    }
    out[i] = kthSmallest(distances.subarray(begin, begin + degree), want);
  }
  return out;
}

/** The k-th smallest value (k >= 1) of `values` (not modified). */
function kthSmallest(values: Float32Array, k: number): number {
  if (k === 1) {
    let m = Infinity;
    for (const v of values) if (v < m) m = v;
    return m;
  }
  return Float32Array.from(values).sort()[k - 1];
}

/**
 * Each row's k-distance (see {@link kDistancesOnGraph}: the point itself is its 1st neighbour, so k =
 * `minSamples` and a point is core at eps iff its k-distance is `<= eps`) computed from the vectors by
 * brute force, O(n²·dim) time, never an n×n matrix. Values are float64 reference distances of
 * docs/ALGORITHMS.md. The ts backend computes every distance that way (exact, on the main thread,
 * yielding every ~50 ms). The native backend computes fp32 distances in blocks of rows on its threads,
 * then rechecks in float64 every candidate within 0.1% (plus 1e-4 for cosine) of each row's fp32 k-th
 * value: far above the fp32 kernels' rounding error, so the result is the reference's.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput}.
 * @param dim the number of values per row, an integer >= 1.
 * @returns one value per row, in row order; `Infinity` when fewer than k points exist.
 */
export async function kDistances(vectors: VectorsInput, dim: number, options: KDistanceOptions): Promise<Float64Array> {
  const opts = expectOptions('options', options, true);
  const k = expectInteger('k', opts.k, 1);
  const metric = paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric);
  const { data, n } = toMatrix(vectors, dim);
  const threads = resolveThreads((opts as BackendOptions).threads);
  const signal = expectSignal('signal', opts.signal);
  const backend = await resolveBackend((opts as BackendOptions).backend);
  throwIfAborted(signal);
  const out = new Float64Array(n);
  if (k === 1 || n === 0) return out;
  const want = k - 1;
  if (n - 1 < want) return out.fill(Infinity);
  return backend.kDistances({ data, n, dim }, metric, want, threads, signal);
}
