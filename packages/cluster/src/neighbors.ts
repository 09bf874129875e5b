/**
 * How the clustering functions find neighbours: the exact radius graph (all pairs, O(n²) time) or an HNSW
 * kNN graph cut at the threshold (near-linear), and `auto`'s choice between them.
 *
 * The hnsw graph is a subgraph of the exact one (every kept edge is decided and stored with the float64
 * reference), holding for each face at most its k nearest within the threshold, plus the edges other faces
 * found to it. Chinese Whispers needs no more: it follows a face's nearest neighbours (its agreement with the
 * exact path is measured in the README). What it changes against exact **DBSCAN** (k must be
 * >= minSamples − 1, since a core point needs only its minSamples − 1 nearest within eps):
 * - a point whose (minSamples − 1)-th neighbour the search missed is not core (border or noise instead);
 * - two parts of a cluster joined only by pairs that are not among the k nearest of either end are split;
 * - a border point may join a different neighbouring cluster.
 * It never merges what exact DBSCAN separates: its core points and their links are subsets of the exact ones.
 */
import { BACKENDS, resolveBackend, type Backend, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { hnswSearchParams, NEIGHBOR_STRATEGIES, type NeighborStrategy } from './params.js';
import { performance } from 'node:perf_hooks';
import { permuteGraph, type NeighborGraph } from './graph.js';
import { HnswIndex, hnswBuildParams, type HnswBuildOptions } from './hnsw.js';
import type { HnswIndexStore } from './hnsw-store.js';
import type { Metric } from './metrics.js';
import { describe, expectOneOf, expectOptions, orDefault } from './validate.js';
import type { Matrix } from './vectors.js';

export { NEIGHBOR_STRATEGIES, type NeighborStrategy } from './params.js';

/**
 * `auto` uses hnsw from this many rows up (native backend only): the exact graph grows with n² on face data
 * (a few people with many photos), and this is where its memory leaves a 1.5 GB budget; from there hnsw keeps
 * time and memory near-linear (measurements: README, "Neighbours: exact or HNSW").
 */
export const AUTO_HNSW_FROM = 120_000;

/** Options for the hnsw path of {@link chineseWhispers}, {@link dbscan} and {@link radiusGraph}. */
export interface HnswOptions extends Omit<HnswBuildOptions, 'metric' | 'threads' | 'signal'> {
  /** Neighbours per face (default 32; DBSCAN: at least minSamples − 1). */
  k?: number;
  /** Search width, >= k (default max(64, k)). */
  ef?: number;
  /**
   * Most neighbours per face, >= k (default k). A face whose k nearest are all within the threshold is
   * searched again with twice the k, up to this: large (e.g. 4096) gives nearly the exact graph.
   */
  maxNeighbors?: number;
  /**
   * A prebuilt or loaded index over the same rows (`index.size` must equal n, same metric): reused instead
   * of building one, e.g. a second clustering at another threshold. Implies the hnsw path.
   */
  index?: HnswIndex;
  /**
   * Where the index is kept between calls ({@link hnswFolderStore}): when the hnsw path runs (asked, or
   * `auto` at large n) the store's index is reused, extended with the rows it lacks, or rebuilt and saved,
   * instead of a throwaway one. Needs `ids`.
   */
  store?: HnswIndexStore;
  /** The caller's id of each row (e.g. store face ids), with `store`: how a saved index knows its rows. */
  ids?: ArrayLike<number>;
}

/** Options shared by the vector-level calls. */
export interface NeighborOptions {
  /** `'auto'` (default), `'exact'` or `'hnsw'`: see {@link NEIGHBOR_STRATEGIES}. */
  neighbors?: NeighborStrategy;
  /** HNSW parameters (used when the hnsw path runs). */
  hnsw?: HnswOptions;
}

/** Picks the path for `n` rows: what `auto` resolves to. */
export function chooseNeighbors(strategy: NeighborStrategy, n: number, backend: Backend, hasIndex = false): 'exact' | 'hnsw' {
  if (strategy !== 'auto') return strategy;
  if (hasIndex) return 'hnsw';
  return backend.hnsw && n >= AUTO_HNSW_FROM ? 'hnsw' : 'exact';
}

/**
 * The neighbour search a call over `n` faces runs, for callers outside this package that prepare the
 * search themselves (the CLI keeps an HNSW index in its output folder): the same decision as every
 * clustering call here, with `backend` resolved the same way (an addon that does not load means exact).
 */
export async function resolveNeighbors(strategy: NeighborStrategy, n: number, backend: BackendOption = 'auto', hasIndex = false): Promise<'exact' | 'hnsw'> {
  const s = expectOneOf('neighbors', strategy, NEIGHBOR_STRATEGIES);
  const b = expectOneOf('backend', backend, BACKENDS);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected n to be an integer >= 0 but received ${describe(n)}`);
  return chooseNeighbors(s, n, await resolveBackend(b), hasIndex);
}

/**
 * Builds the graph at `radius` the chosen way. `minK` is the least k the caller needs (DBSCAN: minSamples − 1).
 * Throws before any work on a bad strategy or bad hnsw parameters, then on an aborted `signal` (validated).
 */
export async function buildNeighborGraph(
  matrix: Matrix,
  metric: Metric,
  radius: number,
  backend: Backend,
  threads: number,
  opts: Record<string, unknown>,
  minK = 1,
  signal?: AbortSignal,
): Promise<{ graph: NeighborGraph; neighbors: 'exact' | 'hnsw'; index?: IndexUsed }> {
  const strategy = expectOneOf('neighbors', orDefault(opts.neighbors, 'auto'), NEIGHBOR_STRATEGIES);
  const hnswOpts = expectOptions('hnsw', opts.hnsw, false);
  const index = hnswOpts.index;
  if (index !== undefined && !(index instanceof HnswIndex)) {
    throw new TypeError(`Expected hnsw.index to be an HnswIndex but received ${describe(index)}`);
  }
  if (index && strategy === 'exact') throw new RangeError("hnsw.index was given but neighbors is 'exact': pass neighbors 'hnsw' or 'auto'");
  const store = hnswOpts.store as HnswIndexStore | undefined;
  if (store !== undefined && (typeof store !== 'object' || store === null || typeof store.open !== 'function')) {
    throw new TypeError(`Expected hnsw.store to be an index store (hnswFolderStore) but received ${describe(store)}`);
  }
  if (store && index) throw new RangeError('hnsw.index and hnsw.store were both given: pass one');
  const ids = hnswOpts.ids as ArrayLike<number> | undefined;
  if (store && (ids === undefined || typeof ids !== 'object' || typeof ids.length !== 'number' || ids.length !== matrix.n)) {
    throw new RangeError(`Expected hnsw.ids to hold one id per row (${matrix.n}) with hnsw.store but received ${describe(ids)}`);
  }
  const build = hnswBuildParams({ ...hnswOpts, metric });
  const { k, ef, maxNeighbors } = hnswSearchParams(hnswOpts, minK);
  const used = chooseNeighbors(strategy, matrix.n, backend, index !== undefined);
  if (used === 'hnsw' && !backend.hnsw) throw new Error("neighbors 'hnsw' needs the native backend (there is no pure-TypeScript HNSW); pass backend 'auto' or 'native', or neighbors 'exact'");
  if (index) {
    if (index.size !== matrix.n || index.dim !== matrix.dim) {
      throw new RangeError(`Expected hnsw.index to hold the ${matrix.n}×${matrix.dim} rows being clustered but it holds ${index.size}×${index.dim}`);
    }
    if (index.metric !== metric) throw new RangeError(`Expected hnsw.index to use metric '${metric}' but it uses '${index.metric}'`);
  }
  throwIfAborted(signal);
  if (used === 'exact') return { graph: await backend.radiusGraph(matrix, metric, radius, threads, signal), neighbors: 'exact' };
  const rows = matrix.data.subarray(0, matrix.n * matrix.dim);
  if (store) {
    const start = performance.now();
    const opened = await store.open({ vectors: rows, dim: matrix.dim, ids: ids!, metric, M: build.M, efConstruction: build.efConstruction, threads, signal });
    const ms = performance.now() - start;
    const graph = await opened.index.graph(radius, k, ef, threads, maxNeighbors, signal);
    // the index's rows come in its own order (old rows, then added ones): the graph goes back to the caller's
    return { graph: opened.order ? permuteGraph(graph, opened.order) : graph, neighbors: 'hnsw', index: { action: opened.action, ms } };
  }
  const idx = index ?? (await HnswIndex.build(rows, matrix.dim, { ...build, threads, signal }));
  return { graph: await idx.graph(radius, k, ef, threads, maxNeighbors, signal), neighbors: 'hnsw' };
}

/** What became of a stored HNSW index in a call (`hnsw.store`), and how long getting it took. */
export interface IndexUsed {
  /** e.g. `reused <dir> (9 faces)`, `added 3 faces to <dir> (now 12)`, `built <dir> (…)`. */
  action: string;
  ms: number;
}
