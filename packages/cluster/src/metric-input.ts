/**
 * What a clustering call's `metric` option can be besides a vector metric (as scikit-learn accepts them):
 * `'precomputed'`, where the caller passes distances instead of vectors (a dense n×n matrix or a sparse
 * neighbours graph), and a JavaScript function of two rows. Both become the exact neighbour graph here, the
 * one place that reads such inputs; the clustering then runs on it as on any graph.
 */
import { resolveBackend, type Backend } from './backend.js';
import { Slices, throwIfAborted } from './cancel.js';
import type { NeighborGraph } from './graph.js';
import { METRICS, type Metric } from './metrics.js';
import { COMMON_PARAMS, paramOrDefault } from './params.js';
import { describe } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/** A distance between two rows, as a callable metric of scikit-learn: finite and >= 0 (pure-TypeScript backend). */
export type MetricFunction = (a: Float32Array, b: Float32Array) => number;

/** A sparse neighbours graph of precomputed distances (CSR, as scikit-learn's sparse `precomputed` input). */
export interface PrecomputedGraph {
  /** n + 1 non-decreasing entry offsets, from 0. */
  offsets: ArrayLike<number>;
  /** Each entry's column, in [0, n). */
  indices: ArrayLike<number>;
  /** Each entry's distance, finite and >= 0. */
  distances: ArrayLike<number>;
}

/**
 * What `chineseWhispers` and `dbscan` cluster: vectors ({@link VectorsInput}), or with `metric: 'precomputed'`
 * an n×n distance matrix (`Float32Array` or `Float64Array`) or a {@link PrecomputedGraph}.
 */
export type ClusterInput = VectorsInput | Float64Array | PrecomputedGraph;

/** The `metric` option of the clustering calls: a vector metric, `'precomputed'` or a function. */
export type MetricInput = Metric | 'precomputed' | MetricFunction;

/** A validated `metric` option. @internal */
export type ResolvedMetric = { kind: 'vectors'; metric: Metric } | { kind: 'precomputed' } | { kind: 'function'; fn: MetricFunction };

/** The `metric` option checked: one of METRICS (default euclidean), 'precomputed' or a function. @internal */
export function resolveMetric(value: unknown): ResolvedMetric {
  if (value === 'precomputed') return { kind: 'precomputed' };
  if (typeof value === 'function') return { kind: 'function', fn: value as MetricFunction };
  if (value !== undefined && !(METRICS as readonly unknown[]).includes(value)) {
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `Expected metric to be one of ${METRICS.map((m) => `'${m}'`).join(', ')}, 'precomputed' or a function (a, b) => distance but received ${describe(value)}`,
    );
  }
  return { kind: 'vectors', metric: paramOrDefault<Metric>(COMMON_PARAMS.metric, value) };
}

/**
 * The rows of a precomputed or function input, checked without computing anything (so that constraints and
 * weights are validated before any work): precomputed: `dim` is n; function: the vectors' rows.
 * @internal
 */
export function customMetricRows(resolved: Exclude<ResolvedMetric, { kind: 'vectors' }>, vectors: unknown, dim: unknown): number {
  if (resolved.kind === 'function') return toMatrix(vectors, dim).n;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) throw new RangeError(`Expected dim to be the number of rows n (an integer >= 0) with metric 'precomputed' but received ${describe(dim)}`);
  return dim;
}

/**
 * The metric whose units a default in distance units (Chinese Whispers' merge radius) follows: a precomputed
 * or function metric is taken as linear in distance, as euclidean is.
 * @internal
 */
export function unitsOf(resolved: ResolvedMetric): Metric {
  return resolved.kind === 'vectors' ? resolved.metric : 'euclidean';
}

/**
 * The exact graph at `radius` of a precomputed or function metric, the number of rows, and the backend the
 * clustering runs on: a function needs the pure-TypeScript backend (the addon cannot call JavaScript per
 * pair); `neighbors: 'hnsw'` is refused for both, since an index needs vectors and a metric it knows.
 * @internal
 */
export async function customMetricGraph(
  resolved: Exclude<ResolvedMetric, { kind: 'vectors' }>,
  vectors: unknown,
  dim: unknown,
  radius: number,
  opts: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<{ graph: NeighborGraph; n: number; backend: Backend }> {
  const what = resolved.kind === 'precomputed' ? "metric 'precomputed'" : 'a function as the metric';
  if (opts.neighbors === 'hnsw' || opts.hnsw !== undefined) {
    throw new RangeError(`neighbors 'hnsw' cannot serve ${what}: an HNSW index needs vectors and a metric it computes itself; leave neighbors 'auto' or pass 'exact'`);
  }
  if (resolved.kind === 'function') {
    if (opts.backend === 'native') throw new RangeError("A function as the metric runs on the pure-TypeScript backend only (the addon cannot call JavaScript per pair): pass backend 'ts' or 'auto'");
    const matrix = toMatrix(vectors, dim);
    const backend = await resolveBackend('ts');
    throwIfAborted(signal);
    return { graph: await functionGraph(matrix.data, matrix.n, matrix.dim, resolved.fn, radius, signal), n: matrix.n, backend };
  }
  const backend = await resolveBackend(opts.backend);
  const n = customMetricRows(resolved, vectors, dim);
  throwIfAborted(signal);
  return { graph: precomputedGraph(vectors, n, radius), n, backend };
}

/**
 * The graph of precomputed distances at `radius`: from a dense n×n matrix (row-major `Float32Array` or
 * `Float64Array`, symmetric; the diagonal is ignored) or a sparse CSR graph (entries beyond `radius` and on
 * the diagonal ignored; a pair stored in one row only, or with two values, joins at the smaller value, so
 * the graph is symmetric; scikit-learn reads an asymmetric sparse input row by row). Distances are
 * compared as given (float64) and stored as float32, as the vector metrics' are.
 * @internal
 */
export function precomputedGraph(input: unknown, n: number, radius: number): NeighborGraph {
  if (input instanceof Float32Array || input instanceof Float64Array) return denseGraph(input, n, radius);
  if (typeof input === 'object' && input !== null && 'offsets' in input && 'indices' in input && 'distances' in input) return sparseGraph(input as PrecomputedGraph, n, radius);
  throw new TypeError(
    `Expected vectors to be an n×n distance matrix (Float32Array or Float64Array) or a sparse graph { offsets, indices, distances } with metric 'precomputed' but received ${describe(input)}`,
  );
}

function denseGraph(d: Float32Array | Float64Array, n: number, radius: number): NeighborGraph {
  if (d.length !== n * n) throw new RangeError(`Expected the precomputed distance matrix to hold n × n = ${n * n} values (dim = n = ${n}) but received length ${d.length}`);
  const offsets = new Uint32Array(n + 1);
  const indices: number[] = [];
  const distances: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const v = d[i * n + j];
      if (!(v >= 0) || v === Infinity) throw new RangeError(`Expected precomputed distance [${i}][${j}] to be a finite number >= 0 but received ${describe(v)}`);
      if (v !== d[j * n + i]) throw new RangeError(`Expected the precomputed distance matrix to be symmetric but [${i}][${j}] = ${v} and [${j}][${i}] = ${d[j * n + i]}`);
      if (v <= radius) indices.push(j), distances.push(v);
    }
    offsets[i + 1] = indices.length;
  }
  return { n, offsets, indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}

function sparseGraph(g: PrecomputedGraph, n: number, radius: number): NeighborGraph {
  const { offsets, indices, distances } = g;
  if (offsets.length !== n + 1) throw new RangeError(`Expected the precomputed graph's offsets to have length n + 1 = ${n + 1} (dim = n = ${n}) but received ${offsets.length}`);
  const entries = offsets[n];
  if (offsets[0] !== 0 || indices.length < entries || distances.length < entries) {
    throw new RangeError(`Expected the precomputed graph's offsets[0] to be 0 and indices and distances to hold offsets[n] = ${entries} entries but received offsets[0] = ${offsets[0]}, lengths ${indices.length} and ${distances.length}`);
  }
  // each kept pair once per row, both directions, the smaller value when stored twice
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const keep = (a: number, b: number, v: number) => {
    const old = rows[a].get(b);
    if (old === undefined || v < old) rows[a].set(b, v);
  };
  for (let i = 0; i < n; i++) {
    if (!(offsets[i + 1] >= offsets[i])) throw new RangeError(`Expected the precomputed graph's offsets to be non-decreasing but offsets[${i + 1}] = ${offsets[i + 1]} < offsets[${i}] = ${offsets[i]}`);
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = indices[e];
      const v = distances[e];
      if (!Number.isInteger(j) || j < 0 || j >= n) throw new RangeError(`Expected the precomputed graph's indices to lie in [0, ${n}) but received ${describe(j)} at entry ${e}`);
      if (!(v >= 0) || v === Infinity) throw new RangeError(`Expected the precomputed graph's distances to be finite numbers >= 0 but received ${describe(v)} at entry ${e}`);
      if (j === i || v > radius) continue;
      keep(i, j, v);
      keep(j, i, v);
    }
  }
  const out = new Uint32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) out[i + 1] = total += rows[i].size;
  const outIndices = new Int32Array(total);
  const outDistances = new Float32Array(total);
  for (let i = 0; i < n; i++) {
    const sorted = [...rows[i]].sort((x, y) => x[0] - y[0]);
    sorted.forEach(([j, v], k) => {
      outIndices[out[i] + k] = j;
      outDistances[out[i] + k] = v;
    });
  }
  return { n, offsets: out, indices: outIndices, distances: outDistances };
}

/** Every pair i < j through `fn` (n(n−1)/2 calls), kept when within `radius`; yields every ~50 ms. */
async function functionGraph(data: Float32Array, n: number, dim: number, fn: MetricFunction, radius: number, signal?: AbortSignal): Promise<NeighborGraph> {
  const rows: [number, number][][] = Array.from({ length: n }, () => []);
  const slices = new Slices(signal);
  const row = (i: number) => data.subarray(i * dim, (i + 1) * dim);
  for (let i = 0; i < n; i++) {
    if (slices.due()) await slices.pause();
    const a = row(i);
    for (let j = i + 1; j < n; j++) {
      const v = fn(a, row(j));
      if (typeof v !== 'number' || !(v >= 0) || v === Infinity) throw new RangeError(`Expected the metric function to return a finite number >= 0 but it returned ${describe(v)} for rows ${i} and ${j}`);
      if (v <= radius) rows[i].push([j, v]), rows[j].push([i, v]);
    }
  }
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].length;
  const indices = new Int32Array(offsets[n]);
  const distances = new Float32Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    // row i holds its neighbours k < i (pushed while rows k were scanned) before its own j > i: ascending
    rows[i].forEach(([j, v], k) => {
      indices[offsets[i] + k] = j;
      distances[offsets[i] + k] = v;
    });
  }
  return { n, offsets, indices, distances };
}
