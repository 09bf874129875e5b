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
import { BACKENDS, resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { COMMON_PARAMS, hnswSearchParams, NEIGHBOR_STRATEGIES, paramOrDefault, type NeighborStrategy } from './params.js';
import { performance } from 'node:perf_hooks';
import { permuteGraph, type NeighborGraph } from './graph.js';
import { HnswIndex, hnswBuildParams, type HnswBuildOptions } from './hnsw.js';
import type { HnswIndexStore } from './hnsw-store.js';
import type { Metric } from './metrics.js';
import { Mulberry32 } from './rng.js';
import type { CancelOptions } from './types.js';
import { describe, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import { toMatrix, type Matrix, type VectorsInput } from './vectors.js';

export { NEIGHBOR_STRATEGIES, type NeighborStrategy } from './params.js';

/**
 * `auto` uses hnsw from this many rows up (native backend only), whatever the estimate below says: the exact
 * graph's time grows with n², and on face data its memory too (the largest people grow with the library);
 * from here hnsw keeps time and memory near-linear (measurements: README, "Neighbours: exact or HNSW").
 */
export const AUTO_HNSW_FROM = 120_000;

/**
 * Below {@link AUTO_HNSW_FROM}, `auto` takes hnsw when the exact graph would hold more undirected edges than
 * this (estimated from a sample, {@link estimateRadiusEdges}). The exact path peaks at about
 * {@link EXACT_BYTES_PER_EDGE} bytes per edge, so this keeps its graph near 1 GB and the call under 1.5 GB; a
 * library dominated by one person (40,000 faces, 20,000 of one person: 201 M edges, 6.3 GB) goes to hnsw.
 */
export const AUTO_EXACT_MAX_EDGES = 30_000_000;

/**
 * ... and more than this many per face, so that exact stays within about twice the time of hnsw on small
 * sets too: the exact path's work per edge (float64 recheck, CSR, Chinese Whispers) is ~0.15–0.19 µs and an
 * HNSW build + search ~0.19 ms per face on a quiet 2-core machine (issue 17's 40k run), so 2,000 edges per
 * face cost about as much as two HNSW faces. (On a loaded machine HNSW slows more than exact: README.)
 */
export const AUTO_EXACT_MAX_EDGES_PER_FACE = 2_000;

/** Peak bytes per undirected edge of the exact path, measured (README): CSR both ways, plus build buffers. */
export const EXACT_BYTES_PER_EDGE = 34;

/** Rows `auto` samples to estimate the exact graph's edges: at most this many, and at most n / 16. */
export const AUTO_SAMPLE_ROWS = 2000;

/** The sample's seed: the same rows every time for the same n, so the decision is deterministic. */
const AUTO_SAMPLE_SEED = 0x5eed;

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

/** The path a call takes, and why (for the record: the CLI's log and --json show it). */
export interface NeighborChoice {
  neighbors: 'exact' | 'hnsw';
  /** e.g. `auto: ~195M edges estimated from 2,000 sampled faces > budget 30M`. */
  reason: string;
  /** `auto`'s estimate of the exact graph's undirected edges, when it sampled. */
  estimatedEdges?: number;
}

/**
 * Estimates the undirected edges of the exact radius graph of `matrix` from the exact graph among a seeded
 * sample of m rows (m = min(`rows`, ceil(n / 16)), without replacement): pairs within `radius` there, times
 * n(n−1) / m(m−1) (unbiased). Costs at most 1/256 of the exact graph's distances (small graphs cost more per
 * pair, so that keeps it near 1% of the exact path's time where the estimate runs), holds the m sampled rows and
 * their graph only, and runs on either backend. Deterministic: the same rows for the same n.
 */
export async function estimateRadiusEdges(
  matrix: Matrix,
  metric: Metric,
  radius: number,
  backend: Backend,
  threads: number,
  signal?: AbortSignal,
  rows = AUTO_SAMPLE_ROWS,
): Promise<{ edges: number; sampled: number }> {
  const { n, dim, data } = matrix;
  const m = Math.min(n, rows, Math.ceil(n / 16));
  if (m < 2) return { edges: 0, sampled: m };
  const picked = sampleRows(n, m);
  const sample = new Float32Array(m * dim);
  picked.forEach((row, t) => sample.set(data.subarray(row * dim, (row + 1) * dim), t * dim));
  const graph = await backend.radiusGraph({ data: sample, n: m, dim }, metric, radius, threads, signal);
  return { edges: (graph.offsets[m] / 2) * ((n * (n - 1)) / (m * (m - 1))), sampled: m };
}

/** m distinct rows of n, ascending (partial Fisher–Yates driven by mulberry32(AUTO_SAMPLE_SEED)). */
function sampleRows(n: number, m: number): Int32Array {
  const rng = new Mulberry32(AUTO_SAMPLE_SEED);
  const swapped = new Map<number, number>(); // the virtual permutation's changed slots only: O(m) memory
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + rng.below(n - i);
    out[i] = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out.sort();
}

/** The most edges an exact graph of n rows is allowed: min({@link AUTO_EXACT_MAX_EDGES}, {@link AUTO_EXACT_MAX_EDGES_PER_FACE} · n). */
export function exactEdgeBudget(n: number): number {
  return Math.min(AUTO_EXACT_MAX_EDGES, AUTO_EXACT_MAX_EDGES_PER_FACE * n);
}

/**
 * THE decision between the exact graph and hnsw, used by every clustering call here and by the CLI
 * (through {@link resolveNeighbors}). An explicit `'exact'`/`'hnsw'` stands. `auto`: hnsw when an index is
 * given, or from {@link AUTO_HNSW_FROM} rows on the native backend; below, exact unless the exact graph's
 * estimated edges ({@link estimateRadiusEdges}) exceed the budget, min({@link AUTO_EXACT_MAX_EDGES},
 * {@link AUTO_EXACT_MAX_EDGES_PER_FACE} · n), checked only when n is large enough to hold that many. Over
 * the budget, the ts backend, which has no hnsw, rejects with a message saying what to do (code
 * `ERR_FACECLUST_EXACT_TOO_LARGE`) rather than fill the memory.
 */
export async function chooseNeighbors(
  strategy: NeighborStrategy,
  matrix: Matrix,
  metric: Metric,
  radius: number,
  backend: Backend,
  threads: number,
  hasIndex = false,
  signal?: AbortSignal,
): Promise<NeighborChoice> {
  if (strategy !== 'auto') return { neighbors: strategy, reason: `${strategy} (asked)` };
  if (hasIndex) return { neighbors: 'hnsw', reason: 'auto: an index was given' };
  const n = matrix.n;
  if (backend.hnsw && n >= AUTO_HNSW_FROM) return { neighbors: 'hnsw', reason: `auto: ${thousands(n)} faces >= ${thousands(AUTO_HNSW_FROM)}` };
  const most = (n * (n - 1)) / 2;
  const limit = exactEdgeBudget(n);
  const budget = `budget ${millions(limit)}`;
  if (most <= limit) return { neighbors: 'exact', reason: `auto: ${thousands(n)} faces, at most ${millions(most)} edges <= ${budget}` };
  const { edges, sampled } = await estimateRadiusEdges(matrix, metric, radius, backend, threads, signal);
  const estimate = `~${millions(edges)} edges estimated from ${thousands(sampled)} sampled faces`;
  if (edges <= limit) return { neighbors: 'exact', reason: `auto: ${estimate} <= ${budget}`, estimatedEdges: edges };
  if (backend.hnsw) return { neighbors: 'hnsw', reason: `auto: ${estimate} > ${budget}`, estimatedEdges: edges };
  const gb = ((edges * EXACT_BYTES_PER_EDGE) / 1e9).toFixed(1);
  throw Object.assign(
    new Error(
      `neighbors 'auto' on the ts backend: the exact graph of these ${thousands(n)} faces would hold ${estimate.slice(1)} (about ${gb} GB; ${budget}), ` +
        "and there is no pure-TypeScript hnsw. Load the native addon (npm rebuild @faceclust/core-native) for the hnsw path, or pass neighbors 'exact' to build the exact graph anyway.",
    ),
    { code: 'ERR_FACECLUST_EXACT_TOO_LARGE', estimatedEdges: edges },
  );
}

/** Options of {@link resolveNeighbors}. */
export interface ResolveNeighborsOptions extends CancelOptions {
  /** The clustering threshold (Chinese Whispers' `threshold`, DBSCAN's `eps`): a finite number > 0. */
  radius: number;
  /** Default `'euclidean'`. */
  metric?: Metric;
  /** Default `'auto'`, resolved as the clustering calls do (an addon that does not load means ts). */
  backend?: BackendOption;
  /** Worker threads of the estimate (native backend); default every core. */
  threads?: number;
  /** A prebuilt index will be given (`hnsw.index`): `auto` means hnsw. */
  hasIndex?: boolean;
}

/**
 * The neighbour search a clustering of these rows would run, and why, for callers that need it first (the
 * CLI records the reason): the same decision as every clustering call here ({@link chooseNeighbors}). Pass
 * the result's `neighbors` to the clustering call so that `auto` does not sample twice.
 */
export async function resolveNeighbors(strategy: NeighborStrategy, vectors: VectorsInput, dim: number, options: ResolveNeighborsOptions): Promise<NeighborChoice> {
  const s = expectOneOf('neighbors', strategy, NEIGHBOR_STRATEGIES);
  const opts = expectOptions('options', options, true);
  const radius = expectPositiveFinite('radius', opts.radius);
  const metric = paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric);
  const threads = resolveThreads(opts.threads);
  const signal = expectSignal('signal', opts.signal);
  const matrix = toMatrix(vectors, dim);
  const backend = await resolveBackend(expectOneOf('backend', orDefault(opts.backend, 'auto'), BACKENDS));
  throwIfAborted(signal);
  return chooseNeighbors(s, matrix, metric, radius, backend, threads, opts.hasIndex === true, signal);
}

/** 1234567 → "1,234,567". */
const thousands = (x: number) => Math.round(x).toLocaleString('en-US');

/** 31_400_000 → "31M", 2_450_000 → "2.5M", 12_300 → "12k". */
function millions(x: number): string {
  if (x >= 1e7) return `${Math.round(x / 1e6)}M`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e4) return `${Math.round(x / 1e3)}k`;
  return String(Math.round(x)); // 36, not 0k
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
): Promise<{ graph: NeighborGraph; neighbors: 'exact' | 'hnsw'; reason: string; index?: IndexUsed }> {
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
  if ((strategy === 'hnsw' || index) && !backend.hnsw) throw new Error("neighbors 'hnsw' needs the native backend (there is no pure-TypeScript HNSW); pass backend 'auto' or 'native', or neighbors 'exact'");
  if (index) {
    if (index.size !== matrix.n || index.dim !== matrix.dim) {
      throw new RangeError(`Expected hnsw.index to hold the ${matrix.n}×${matrix.dim} rows being clustered but it holds ${index.size}×${index.dim}`);
    }
    if (index.metric !== metric) throw new RangeError(`Expected hnsw.index to use metric '${metric}' but it uses '${index.metric}'`);
  }
  throwIfAborted(signal);
  const { neighbors: used, reason } = await chooseNeighbors(strategy, matrix, metric, radius, backend, threads, index !== undefined, signal);
  if (used === 'exact') return { graph: await backend.radiusGraph(matrix, metric, radius, threads, signal), neighbors: 'exact', reason };
  const rows = matrix.data.subarray(0, matrix.n * matrix.dim);
  if (store) {
    const start = performance.now();
    const opened = await store.open({ vectors: rows, dim: matrix.dim, ids: ids!, metric, M: build.M, efConstruction: build.efConstruction, threads, signal });
    const ms = performance.now() - start;
    const graph = await opened.index.graph(radius, k, ef, threads, maxNeighbors, signal);
    // the index's rows come in its own order (old rows, then added ones): the graph goes back to the caller's
    return { graph: opened.order ? permuteGraph(graph, opened.order) : graph, neighbors: 'hnsw', reason, index: { action: opened.action, ms } };
  }
  const idx = index ?? (await HnswIndex.build(rows, matrix.dim, { ...build, threads, signal }));
  return { graph: await idx.graph(radius, k, ef, threads, maxNeighbors, signal), neighbors: 'hnsw', reason };
}

/** What became of a stored HNSW index in a call (`hnsw.store`), and how long getting it took. */
export interface IndexUsed {
  /** e.g. `reused <dir> (9 faces)`, `added 3 faces to <dir> (now 12)`, `built <dir> (…)`. */
  action: string;
  ms: number;
}
