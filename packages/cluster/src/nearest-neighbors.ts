/**
 * Exact nearest neighbours of query rows among base rows (docs/ALGORITHMS.md, "Nearest neighbours"): to
 * assign new faces to known people, compare them with the faces already clustered.
 */
import { resolveBackend, resolveThreads, type BackendName } from './backend.js';
import { throwIfAborted } from './cancel.js';
import type { NeighborLists } from './knn.js';
import type { Metric } from './metrics.js';
import { COMMON_PARAMS, NEAREST_NEIGHBORS_PARAMS as P, paramOrDefault, checkParam } from './params.js';
import type { CancelOptions, MetricOptions } from './types.js';
import { expectOptions, expectSignal } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/** Options of {@link nearestNeighbors}. */
export interface NearestNeighborsOptions extends MetricOptions, CancelOptions {
  /** Neighbours per query, an integer >= 1; default 1. Fewer when the base (or the radius) has fewer. */
  k?: number;
  /** Only base rows at distance `<= radius`, a finite number >= 0; default: no limit. */
  radius?: number;
}

/** What {@link nearestNeighbors} returns: a CSR list per query row. */
export interface NearestNeighborsResult extends NeighborLists {
  /** The backend that ran. */
  backend: BackendName;
}

/**
 * Each query row's `k` nearest base rows: `indices[offsets[q] .. offsets[q+1])`, nearest first by the float64
 * reference distance, ties to the lower base index, only those `<= radius` when given; `distances` holds
 * `Math.fround` of those distances. Exact on both backends, with the same result bit for bit; the base is
 * streamed in blocks, never an nq×nb matrix (native: fast fp32 candidates, then a float64 recheck).
 *
 * @param base nb×dim rows to search (see {@link VectorsInput}; a `Float32Array` is used without copying).
 * @param queries nq×dim rows to look up.
 * @param dim the number of values per row, an integer >= 1.
 * @example
 * const { offsets, indices, distances } = await nearestNeighbors(known, fresh, 512, { k: 5, radius: 1.0 });
 * // fresh row q's nearest known row: indices[offsets[q]] (when offsets[q + 1] > offsets[q])
 */
export async function nearestNeighbors(base: VectorsInput, queries: VectorsInput, dim: number, options: NearestNeighborsOptions = {}): Promise<NearestNeighborsResult> {
  const opts = expectOptions('options', options, false);
  const k = paramOrDefault<number>(P.k, opts.k);
  const radius = opts.radius === undefined ? Infinity : checkParam<number>(P.radius, opts.radius);
  const metric = paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  const b = toMatrix(base, dim, 'base');
  const q = toMatrix(queries, dim, 'queries');
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(signal);
  const lists = await backend.nearestNeighbors(b, q, metric, k, radius, threads, signal);
  return { ...lists, backend: backend.name };
}
