/**
 * What a clustering call's `metric` option can be besides the five metrics the kernels compute (as
 * scikit-learn accepts them), read in this one place:
 * - metrics that are one of those five on transformed rows (run by the native kernels, HNSW included):
 *   seuclidean (rows / √V), mahalanobis (rows × L, VI = L Lᵀ), correlation (centred rows, cosine), weighted
 *   minkowski with p = 1, 2 or ∞ (rows × w^(1/p), as scipy weights them);
 * - metrics computed pair by pair in float64 here, for both backends (so their graphs are identical):
 *   minkowski with any other p and braycurtis over the pairs a kernel graph lets through (a norm
 *   inequality), canberra and a JavaScript function of two rows (pure-TypeScript backend) over every pair;
 * - `'precomputed'`, where the caller passes distances instead of vectors (a dense n×n matrix or a sparse
 *   neighbours graph).
 * The last two kinds become the exact neighbour graph here; the clustering then runs on it as on any graph.
 */
import { resolveBackend, type Backend } from './backend.js';
import { Slices, throwIfAborted } from './cancel.js';
import type { NeighborGraph } from './graph.js';
import { buildNeighborGraph, estimateRadiusEdges, exactEdgeBudget, type IndexUsed } from './neighbors.js';
import { EXTRA_METRICS, METRICS, type ExtraMetric, type Metric } from './metrics.js';
import { COMMON_PARAMS, minkowskiP, paramOrDefault } from './params.js';
import { describe } from './validate.js';
import { toMatrix, type Matrix, type VectorsInput } from './vectors.js';

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

export { EXTRA_METRICS, type ExtraMetric } from './metrics.js';

/** The `metric` option of the clustering calls: a vector metric, `'precomputed'` or a function. */
export type MetricInput = Metric | ExtraMetric | 'precomputed' | MetricFunction;

/**
 * The parameters of the extra metrics (scikit-learn's `p` and `metric_params`), as `metricParams`:
 * - `p` (minkowski): a number >= 1 or Infinity, default 2;
 * - `w` (minkowski): one weight >= 0 per dimension; scipy's weighting: Σ w |a−b|^p, max over w > 0 for p = ∞;
 * - `V` (seuclidean): one variance > 0 per dimension; default the rows' variance (ddof 1), as scikit-learn;
 * - `VI` (mahalanobis): the dim×dim inverse covariance, row-major, symmetric positive definite; default the
 *   inverse of the rows' covariance (ddof 1), as scikit-learn.
 */
export interface MetricParams {
  p?: number;
  w?: ArrayLike<number>;
  V?: ArrayLike<number>;
  VI?: ArrayLike<number>;
}

/**
 * The float64 distance of the `dim` values of `x` from offset `a` and of `y` from offset `b` (two rows of
 * one matrix, or a row and a vector of another), allowed to stop early and return anything > `limit` once
 * it knows.
 */
export type PairDistance = (x: Float32Array, a: number, y: Float32Array, b: number, dim: number, limit: number) => number;

/**
 * Where a pairwise metric's graph finds its candidate pairs: the kernels' exact graph under `metric`, at
 * `radius(r, rows)`, holds every pair within r of the pairwise metric (a norm inequality), so only those
 * pairs are computed pair by pair.
 */
interface Candidates {
  metric: Metric;
  radius(radius: number, rows: Matrix): number;
}

/** A validated `metric` option. @internal */
export type ResolvedMetric =
  | { kind: 'vectors'; metric: Metric }
  | { kind: 'transformed'; name: ExtraMetric; metric: Metric; transform: (m: Matrix) => Matrix }
  | { kind: 'pairwise'; name: ExtraMetric; transform?: (m: Matrix) => Matrix; distance: PairDistance; candidates?: Candidates }
  | { kind: 'precomputed' }
  | { kind: 'function'; fn: MetricFunction };

const ALL_NAMES = [...METRICS, ...EXTRA_METRICS, 'precomputed'];

/**
 * The `metric` option (and `metricParams`) checked: one of METRICS (default euclidean), an extra metric,
 * 'precomputed' or a function. Parameters that need the rows (their length, default V and VI) are checked
 * when the transform runs. @internal
 */
export function resolveMetric(value: unknown, paramsValue?: unknown): ResolvedMetric {
  const params = metricParams(paramsValue);
  const used = Object.keys(params);
  const only = (allowed: string[]) => {
    const extra = used.find((k) => !allowed.includes(k));
    if (extra) throw new RangeError(`metricParams.${extra} does not apply to metric ${typeof value === 'string' ? `'${value}'` : 'given'}${allowed.length ? ` (it takes ${allowed.join(', ')})` : ''}`);
  };
  if (value === 'precomputed') return only([]), { kind: 'precomputed' };
  if (typeof value === 'function') return only([]), { kind: 'function', fn: value as MetricFunction };
  if (value !== undefined && !ALL_NAMES.includes(value as string)) {
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `Expected metric to be one of ${ALL_NAMES.map((m) => `'${m}'`).join(', ')} or a function (a, b) => distance but received ${describe(value)}`,
    );
  }
  switch (value as ExtraMetric | undefined) {
    case 'minkowski':
      return only(['p', 'w']), minkowski(params);
    case 'correlation':
      return only([]), { kind: 'transformed', name: 'correlation', metric: 'cosine', transform: centreRows };
    case 'braycurtis':
      return only([]), { kind: 'pairwise', name: 'braycurtis', distance: braycurtis, candidates: braycurtisCandidates };
    case 'canberra':
      return only([]), { kind: 'pairwise', name: 'canberra', distance: canberra };
    case 'seuclidean':
      return only(['V']), { kind: 'transformed', name: 'seuclidean', metric: 'euclidean', transform: (m) => standardise(m, params.V) };
    case 'mahalanobis':
      return only(['VI']), { kind: 'transformed', name: 'mahalanobis', metric: 'euclidean', transform: (m) => whiten(m, params.VI) };
  }
  only([]);
  return { kind: 'vectors', metric: paramOrDefault<Metric>(COMMON_PARAMS.metric, value) };
}

function metricParams(value: unknown): MetricParams {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(`Expected metricParams to be an object { p?, w?, V?, VI? } but received ${describe(value)}`);
  const out: MetricParams = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (k === 'p') {
      out.p = minkowskiP(v);
    } else if (k === 'w' || k === 'V' || k === 'VI') {
      if (typeof v !== 'object' || v === null || typeof (v as ArrayLike<number>).length !== 'number') throw new TypeError(`Expected metricParams.${k} to be an array of numbers but received ${describe(v)}`);
      out[k] = v as ArrayLike<number>;
    } else {
      throw new RangeError(`Unknown metricParams.${k}: the parameters are p and w (minkowski), V (seuclidean) and VI (mahalanobis)`);
    }
  }
  return out;
}

/** `values` as float64, checked: `length` numbers, each finite and passing `ok` (named in the message). */
function vectorParam(name: string, values: ArrayLike<number>, length: number, ok: (v: number) => boolean, rule: string): Float64Array {
  if (values.length !== length) throw new RangeError(`Expected metricParams.${name} to hold ${length} values but received length ${values.length}`);
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    const v = values[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RangeError(`Expected metricParams.${name}[${k}] to be ${rule} but received ${describe(v)}`);
    out[k] = v;
  }
  return out;
}

/** Each row times `scale` per dimension, in float64, stored as float32. */
function scaleColumns(m: Matrix, scale: Float64Array): Matrix {
  const out = new Float32Array(m.n * m.dim);
  for (let i = 0; i < m.n; i++) for (let k = 0; k < m.dim; k++) out[i * m.dim + k] = m.data[i * m.dim + k] * scale[k];
  return { data: out, n: m.n, dim: m.dim };
}

/**
 * minkowski: p = 1, 2, ∞ are manhattan, euclidean and chebyshev (the same labels exactly); scipy's weights
 * scale the rows by w^(1/p) (w for p = 1, √w for 2, w ≠ 0 for ∞); any other p runs pair by pair, over the
 * candidates of a kernel's graph: by Hölder, ‖x‖₁ ≤ d^(1−1/p)·‖x‖_p for p ≥ 1 and ‖x‖₂ ≤ d^(1/2−1/p)·‖x‖_p for
 * p ≥ 2, so a pair within r holds within r·d^(1−1/p) in manhattan (used below p = 2) and within r·d^(1/2−1/p)
 * in euclidean (above). Each bound is tight for rows whose differences are spread evenly over the
 * dimensions, as face embeddings' are; the small factor covers the float64 sums' rounding.
 */
function minkowski(params: MetricParams): ResolvedMetric {
  const p = params.p ?? 2;
  const named: Partial<Record<number, Metric>> = { 1: 'manhattan', 2: 'euclidean', [Infinity]: 'chebyshev' };
  const root = (w: number) => (p === Infinity ? (w !== 0 ? 1 : 0) : p === 1 ? w : p === 2 ? Math.sqrt(w) : Math.pow(w, 1 / p));
  const weigh = params.w && ((m: Matrix) => scaleColumns(m, vectorParam('w', params.w!, m.dim, (v) => v >= 0, 'a finite number >= 0').map(root)));
  const metric = named[p];
  if (metric) return weigh ? { kind: 'transformed', name: 'minkowski', metric, transform: weigh } : { kind: 'vectors', metric };
  const candidates: Candidates = p < 2
    ? { metric: 'manhattan', radius: (r, { dim }) => r * Math.pow(dim, 1 - 1 / p) * (1 + 1e-9) }
    : { metric: 'euclidean', radius: (r, { dim }) => r * Math.pow(dim, 0.5 - 1 / p) * (1 + 1e-9) };
  return {
    kind: 'pairwise',
    name: 'minkowski',
    candidates,
    ...(weigh ? { transform: weigh } : {}),
    distance: minkowskiDistance(p),
  };
}

/**
 * Σ |a−b|^p against limit^p, stopping once clearly past it (the bound's margin leaves a pair at the limit
 * to the root, so ties count as within, as for a function metric); an integer p by products (pow is 10×
 * slower), in its own function so each loop stays simple for the JIT.
 */
function minkowskiDistance(p: number): PairDistance {
  const whole = Number.isInteger(p) && p <= 16;
  // limit^p once per limit: Math.pow here, once per pair, made the first graph of a process 10× slower
  // (lfw-dev, p = 3: 8 s of 9 in it; V8 20.20)
  let limitSeen = NaN;
  let bound = NaN;
  return (x, a, y, b, dim, limit) => {
    if (limit !== limitSeen) {
      limitSeen = limit;
      bound = Math.pow(limit, p) * (1 + 1e-12);
    }
    let sum = 0;
    if (whole) {
      for (let k = 0; k < dim; k++) {
        const d = Math.abs(x[a + k] - y[b + k]);
        let t = d;
        for (let e = 1; e < p; e++) t *= d;
        sum += t;
        if (sum > bound) return Infinity;
      }
    } else {
      // |a−b|^p as exp(p·ln|a−b|) (0 for 0): half of Math.pow's time here, within a few ulps of it
      for (let k = 0; k < dim; k++) {
        sum += Math.exp(p * Math.log(Math.abs(x[a + k] - y[b + k])));
        if (sum > bound) return Infinity;
      }
    }
    return Math.pow(sum, 1 / p);
  };
}

/**
 * Σ|a+b| <= ‖a‖₁ + ‖b‖₁ <= 2·max‖x‖₁, so a pair within r in braycurtis is within r·2·max‖x‖₁ in manhattan:
 * tight when the rows' ‖x‖₁ are alike, as unit face embeddings' are.
 */
const braycurtisCandidates: Candidates = {
  metric: 'manhattan',
  radius: (r, { data, n, dim }) => {
    let most = 0;
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let k = i * dim; k < (i + 1) * dim; k++) norm += Math.abs(data[k]);
      most = Math.max(most, norm);
    }
    return r * 2 * most * (1 + 1e-9);
  },
};

/** braycurtis: Σ|a−b| / Σ|a+b| (scipy's); 0 when both sums are 0 (two zero rows). */
const braycurtis: PairDistance = (x, a, y, b, dim) => {
  let num = 0;
  let den = 0;
  for (let k = 0; k < dim; k++) {
    num += Math.abs(x[a + k] - y[b + k]);
    den += Math.abs(x[a + k] + y[b + k]);
  }
  return den === 0 ? 0 : num / den;
};

/** canberra: Σ |a−b| / (|a|+|b|), a term 0 where both are 0 (scipy's convention); stops past the limit. */
const canberra: PairDistance = (x, a, y, b, dim, limit) => {
  let sum = 0;
  for (let k = 0; k < dim; k++) {
    const u = x[a + k];
    const v = y[b + k];
    const den = Math.abs(u) + Math.abs(v);
    if (den !== 0) sum += Math.abs(u - v) / den;
    if (sum > limit) return sum;
  }
  return sum;
};

/** correlation: each row minus its mean (float64), then cosine; a constant row counts as cosine's zero row (distance 1). */
function centreRows(m: Matrix): Matrix {
  const out = new Float32Array(m.n * m.dim);
  for (let i = 0; i < m.n; i++) {
    let mean = 0;
    for (let k = 0; k < m.dim; k++) mean += m.data[i * m.dim + k];
    mean /= m.dim;
    for (let k = 0; k < m.dim; k++) out[i * m.dim + k] = m.data[i * m.dim + k] - mean;
  }
  return { data: out, n: m.n, dim: m.dim };
}

/** Per-dimension mean and the covariance (ddof 1) of the rows, in float64. */
function covariance(m: Matrix, diagonalOnly: boolean): Float64Array {
  const { n, dim, data } = m;
  if (n < 2) throw new RangeError(`The default ${diagonalOnly ? 'V (seuclidean)' : 'VI (mahalanobis)'} needs at least 2 rows to estimate from but received ${n}: pass metricParams.${diagonalOnly ? 'V' : 'VI'}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += data[i * dim + k];
  for (let k = 0; k < dim; k++) mean[k] /= n;
  const cov = new Float64Array(diagonalOnly ? dim : dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) centred[k] = data[i * dim + k] - mean[k];
    if (diagonalOnly) for (let k = 0; k < dim; k++) cov[k] += centred[k] * centred[k];
    else for (let r = 0; r < dim; r++) for (let c = r; c < dim; c++) cov[r * dim + c] += centred[r] * centred[c];
  }
  if (diagonalOnly) return cov.map((v) => v / (n - 1));
  for (let r = 0; r < dim; r++) for (let c = r; c < dim; c++) cov[c * dim + r] = cov[r * dim + c] /= n - 1;
  return cov;
}

/** seuclidean: rows / √V. */
function standardise(m: Matrix, given: ArrayLike<number> | undefined): Matrix {
  const V = given ? vectorParam('V', given, m.dim, (v) => v > 0, 'a finite number > 0') : covariance(m, true);
  V.forEach((v, k) => {
    if (!(v > 0)) throw new RangeError(`The rows' variance is 0 in dimension ${k}, so the default V of seuclidean divides by zero: pass metricParams.V`);
  });
  return scaleColumns(m, V.map((v) => 1 / Math.sqrt(v)));
}

/**
 * Lower-triangular L with A = L Lᵀ (row-major), or undefined when A is not positive definite: a pivot at or
 * below 1e-10 of its diagonal entry counts as zero (a singular matrix leaves round-off there, not 0).
 */
function cholesky(A: Float64Array, dim: number): Float64Array | undefined {
  const L = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let c = 0; c <= r; c++) {
      let s = A[r * dim + c];
      for (let k = 0; k < c; k++) s -= L[r * dim + k] * L[c * dim + k];
      if (r === c) {
        if (!(s > 1e-10 * Math.abs(A[r * dim + r]))) return undefined;
        L[r * dim + r] = Math.sqrt(s);
      } else L[r * dim + c] = s / L[c * dim + c];
    }
  }
  return L;
}

/**
 * mahalanobis: rows y with ‖y_i − y_j‖² = (x_i − x_j)ᵀ VI (x_i − x_j). Given VI = L Lᵀ: y = Lᵀ x. By default
 * VI = C⁻¹ for the covariance C = K Kᵀ, so y = K⁻¹ x (forward substitution, no inverse formed).
 */
function whiten(m: Matrix, given: ArrayLike<number> | undefined): Matrix {
  const { n, dim, data } = m;
  const out = new Float32Array(n * dim);
  const x = new Float64Array(dim);
  if (given) {
    const VI = vectorParam('VI', given, dim * dim, () => true, 'a finite number');
    for (let r = 0; r < dim; r++) for (let c = 0; c < r; c++) if (VI[r * dim + c] !== VI[c * dim + r]) throw new RangeError(`Expected metricParams.VI to be symmetric but VI[${r}][${c}] = ${VI[r * dim + c]} and VI[${c}][${r}] = ${VI[c * dim + r]}`);
    const L = cholesky(VI, dim);
    if (!L) throw new RangeError('Expected metricParams.VI to be positive definite (an inverse covariance) but its Cholesky factorisation failed');
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < dim; k++) x[k] = data[i * dim + k];
      // y_c = Σ_r L[r][c] x_r (Lᵀ x), r >= c
      for (let c = 0; c < dim; c++) {
        let s = 0;
        for (let r = c; r < dim; r++) s += L[r * dim + c] * x[r];
        out[i * dim + c] = s;
      }
    }
    return { data: out, n, dim };
  }
  const K = cholesky(covariance(m, false), dim);
  if (!K) throw new RangeError(`The rows' covariance is singular (${n} rows in ${dim} dimensions, or dimensions that depend on each other), so the default VI of mahalanobis does not exist: pass metricParams.VI`);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < dim; r++) {
      let s = data[i * dim + r];
      for (let k = 0; k < r; k++) s -= K[r * dim + k] * x[k];
      x[r] = s / K[r * dim + r];
      out[i * dim + r] = x[r];
    }
  }
  return { data: out, n, dim };
}

/**
 * A vector metric as the steps after a clustering use it on the same rows (nearest neighbours of new rows,
 * distances to a cluster's centre, linkage between clusters), decided once:
 * - `kernel`: a metric of {@link METRICS} on `rows`: the rows as given for those five, transformed once
 *   for seuclidean, mahalanobis, correlation and weighted minkowski with p = 1, 2, ∞ (with the default V or VI
 *   of these rows), so every later step runs the kernels, HNSW included;
 * - `pairwise`: minkowski with another p, braycurtis and canberra: `rows` (weighted for minkowski with w),
 *   the float64 `distance` of two rows, and the `metric` and `metricParams` that cluster `rows` (w left out:
 *   it is in the rows).
 * Clustering `rows` with `metric` (and `metricParams`) gives the graph the clustering calls give for the
 * rows as given with the metric option (the same V or VI when they are estimated from the same rows).
 */
export type MetricSpace =
  | { kind: 'kernel'; rows: Float32Array; metric: Metric }
  | { kind: 'pairwise'; rows: Float32Array; metric: ExtraMetric; metricParams: MetricParams; distance: PairDistance };

/**
 * `vectors` (n×dim, see {@link VectorsInput}) in the space of `metric` and `metricParams` (as the clustering
 * calls take them, without `'precomputed'` and functions): see {@link MetricSpace}. Errors as the clustering
 * calls', e.g. a singular covariance for the default VI.
 */
export function metricSpace(vectors: VectorsInput, dim: number, metric?: Metric | ExtraMetric, metricParams?: MetricParams): MetricSpace {
  metricKind(metric, metricParams);
  const resolved = resolveMetric(metric, metricParams) as Exclude<ResolvedMetric, { kind: 'precomputed' | 'function' }>;
  const matrix = toMatrix(vectors, dim);
  if (resolved.kind === 'vectors') return { kind: 'kernel', rows: matrix.data, metric: resolved.metric };
  if (resolved.kind === 'transformed') return { kind: 'kernel', rows: resolved.transform(matrix).data, metric: resolved.metric };
  const { w: _, ...rest } = (metricParams ?? {}) as MetricParams;
  return { kind: 'pairwise', rows: (resolved.transform ? resolved.transform(matrix) : matrix).data, metric: resolved.name, metricParams: rest, distance: resolved.distance };
}

/**
 * {@link metricSpace}'s kind for `metric` and `metricParams`, known without rows (so a caller can refuse an
 * HNSW search for a pair-pass metric before any work): 'kernel' or 'pairwise'. Checks both as the
 * clustering calls do (parameters that need the rows, their length and the default V and VI, excepted).
 */
export function metricKind(metric?: Metric | ExtraMetric, metricParams?: MetricParams): MetricSpace['kind'] {
  const resolved = resolveMetric(metric, metricParams);
  if (resolved.kind === 'precomputed' || resolved.kind === 'function') {
    throw new RangeError(`Expected metric to be a vector metric (${[...METRICS, ...EXTRA_METRICS].map((m) => `'${m}'`).join(', ')}) but received ${describe(metric)}`);
  }
  return resolved.kind === 'pairwise' ? 'pairwise' : 'kernel';
}

/**
 * The metric whose units a default in distance units (Chinese Whispers' merge radius) follows for `metric`
 * and `metricParams`, as the clustering calls take it (correlation: cosine's; the pair-pass metrics:
 * euclidean's), e.g. for `mergeRadiusFor(value, threshold, metricUnits(metric, params))`.
 */
export function metricUnits(metric?: Metric | ExtraMetric, metricParams?: MetricParams): Metric {
  return unitsOf(resolveMetric(metric, metricParams));
}

/** The kinds whose graph is made here rather than by the backends' kernels. @internal */
export type GraphMetric = Extract<ResolvedMetric, { kind: 'pairwise' | 'precomputed' | 'function' }>;

/** Whether `resolved`'s graph is made here (pair by pair, or from given distances). @internal */
export function madeHere(resolved: ResolvedMetric): resolved is GraphMetric {
  return resolved.kind === 'pairwise' || resolved.kind === 'precomputed' || resolved.kind === 'function';
}

/**
 * The rows of a precomputed, pairwise or function input, checked without computing anything (so that
 * constraints and weights are validated before any work): precomputed: `dim` is n; else the vectors' rows.
 * @internal
 */
export function customMetricRows(resolved: GraphMetric, vectors: unknown, dim: unknown): number {
  if (resolved.kind !== 'precomputed') return toMatrix(vectors, dim).n;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 0) throw new RangeError(`Expected dim to be the number of rows n (an integer >= 0) with metric 'precomputed' but received ${describe(dim)}`);
  return dim;
}

/**
 * The metric whose units a default in distance units (Chinese Whispers' merge radius) follows: a transformed
 * metric its kernel's (correlation: cosine's); pairwise, precomputed and function metrics are taken as
 * linear in distance, as euclidean is.
 * @internal
 */
export function unitsOf(resolved: ResolvedMetric): Metric {
  return resolved.kind === 'vectors' || resolved.kind === 'transformed' ? resolved.metric : 'euclidean';
}

/**
 * The rows the kernels see for a vector or transformed metric, and the kernel's metric. A transformed
 * metric's rows are new, so a stored HNSW index of the rows as given (`hnsw.store`) cannot serve it.
 * @internal
 */
export function kernelRows(resolved: Extract<ResolvedMetric, { kind: 'vectors' | 'transformed' }>, vectors: unknown, dim: unknown, opts: Record<string, unknown>): { matrix: Matrix; metric: Metric } {
  const matrix = toMatrix(vectors, dim);
  if (resolved.kind === 'vectors') return { matrix, metric: resolved.metric };
  const hnsw = opts.hnsw as { store?: unknown } | undefined;
  if (hnsw?.store !== undefined) throw new RangeError(`hnsw.store keeps an index of the rows as given, but metric '${resolved.name}' clusters transformed rows: pass no store (a throwaway index is built)`);
  return { matrix: resolved.transform(matrix), metric: resolved.metric };
}

/**
 * The exact graph at `radius` of a pairwise, precomputed or function metric, the number of rows, and the
 * backend the clustering runs on: a function needs the pure-TypeScript backend (the addon cannot call
 * JavaScript per pair); `neighbors: 'hnsw'` is refused, since hnswlib serves L2 and inner products only.
 * @internal
 */
export async function customMetricGraph(
  resolved: GraphMetric,
  vectors: unknown,
  dim: unknown,
  radius: number,
  opts: Record<string, unknown>,
  threads: number,
  signal?: AbortSignal,
): Promise<{ graph: NeighborGraph; n: number; backend: Backend }> {
  const what = resolved.kind === 'precomputed' ? "metric 'precomputed'" : resolved.kind === 'function' ? 'a function as the metric' : `metric '${resolved.name}'`;
  if (opts.neighbors === 'hnsw' || opts.hnsw !== undefined) {
    throw new RangeError(`neighbors 'hnsw' cannot serve ${what}: an HNSW index (hnswlib) computes L2 and inner-product distances only; leave neighbors 'auto' or pass 'exact'`);
  }
  if (resolved.kind === 'precomputed') {
    const backend = await resolveBackend(opts.backend);
    const n = customMetricRows(resolved, vectors, dim);
    throwIfAborted(signal);
    return { graph: precomputedGraph(vectors, n, radius), n, backend };
  }
  if (resolved.kind === 'function' && opts.backend === 'native') {
    throw new RangeError("A function as the metric runs on the pure-TypeScript backend only (the addon cannot call JavaScript per pair): pass backend 'ts' or 'auto'");
  }
  const backend = await resolveBackend(resolved.kind === 'function' ? 'ts' : opts.backend);
  let matrix = toMatrix(vectors, dim);
  if (resolved.kind === 'pairwise' && resolved.transform) matrix = resolved.transform(matrix);
  throwIfAborted(signal);
  if (resolved.kind === 'pairwise' && resolved.candidates) {
    const candidates = await candidateGraph(matrix, resolved.candidates, radius, backend, threads, signal);
    if (candidates) return { graph: await keptPairs(matrix, candidates, resolved.distance, radius, signal), n: matrix.n, backend };
  }
  const distance: PairDistance = resolved.kind === 'function' ? callDistance(resolved.fn) : resolved.distance;
  return { graph: await pairGraph(matrix.data, matrix.n, matrix.dim, distance, radius, signal), n: matrix.n, backend };
}

/** A clustering call's graph, how it was built, and the backend that clusters it. @internal */
export interface CallGraph {
  graph: NeighborGraph;
  backend: Backend;
  neighbors: 'exact' | 'hnsw';
  /** Why `auto` took its path (the kernels' metrics only). */
  reason?: string;
  index?: IndexUsed;
}

/**
 * A clustering call's input (`chineseWhispers`, `dbscan`) for any `metric`, checked: its rows, known before
 * any work so that constraints and weights are validated first, and its graph at a radius: the kernels'
 * (exact or hnsw, as the neighbour options decide) of the rows or transformed rows, or the graph made here.
 * @internal
 */
export function callInput(resolved: ResolvedMetric, vectors: unknown, dim: unknown, opts: Record<string, unknown>): { n: number; graph(radius: number, threads: number, minK: number, signal?: AbortSignal): Promise<CallGraph> } {
  if (madeHere(resolved)) {
    return {
      n: customMetricRows(resolved, vectors, dim),
      graph: async (radius, threads, _minK, signal) => ({ ...(await customMetricGraph(resolved, vectors, dim, radius, opts, threads, signal)), neighbors: 'exact' }),
    };
  }
  const { matrix, metric } = kernelRows(resolved, vectors, dim, opts);
  return {
    n: matrix.n,
    graph: async (radius, threads, minK, signal) => {
      const backend = await resolveBackend(opts.backend);
      return { ...(await buildNeighborGraph(matrix, metric, radius, backend, threads, opts, minK, signal)), backend };
    },
  };
}

/**
 * The exact radius graph of any `metric` option (radiusGraph's exact path, threshold sweeps): the kernels'
 * graph of the (transformed) rows, or the graph made here; and the rows' count.
 * @internal
 */
export async function exactGraph(
  resolved: ResolvedMetric,
  vectors: unknown,
  dim: unknown,
  radius: number,
  opts: Record<string, unknown>,
  threads: number,
  signal?: AbortSignal,
): Promise<{ graph: NeighborGraph; n: number; backend: Backend }> {
  if (madeHere(resolved)) return customMetricGraph(resolved, vectors, dim, radius, opts, threads, signal);
  const { matrix, metric } = kernelRows(resolved, vectors, dim, opts);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(signal);
  return { graph: await backend.radiusGraph(matrix, metric, radius, threads, signal), n: matrix.n, backend };
}

/** A user's function as a pair distance, its result checked. */
function callDistance(fn: MetricFunction): PairDistance {
  return (x, a, y, b, dim) => {
    const v = fn(x.subarray(a, a + dim), y.subarray(b, b + dim));
    if (typeof v !== 'number' || !(v >= 0) || v === Infinity) throw new RangeError(`Expected the metric function to return a finite number >= 0 but it returned ${describe(v)} for rows ${a / dim} and ${b / dim}`);
    return v;
  };
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

/**
 * The kernels' exact graph of `candidates`, or undefined when it would hold more edges than an exact graph
 * may ({@link exactEdgeBudget}, estimated from a sample as `auto` estimates): then every pair is computed,
 * which holds only the kept ones.
 */
async function candidateGraph(matrix: Matrix, candidates: Candidates, radius: number, backend: Backend, threads: number, signal?: AbortSignal): Promise<NeighborGraph | undefined> {
  const wide = candidates.radius(radius, matrix);
  const budget = exactEdgeBudget(matrix.n);
  if ((matrix.n * (matrix.n - 1)) / 2 > budget && (await estimateRadiusEdges(matrix, candidates.metric, wide, backend, threads, signal)).edges > budget) return undefined;
  return backend.radiusGraph(matrix, candidates.metric, wide, threads, signal);
}

/**
 * The pairs of `candidates` within `radius` by `distance` (float64), each computed once, in typed arrays
 * (no array per pair); yields every ~50 ms.
 */
async function keptPairs(matrix: Matrix, candidates: NeighborGraph, distance: PairDistance, radius: number, signal?: AbortSignal): Promise<NeighborGraph> {
  const { data, n, dim } = matrix;
  const { offsets, indices } = candidates;
  // the distance of each kept pair at its entry (i, j > i) of the candidates; NaN where not kept
  const kept = new Float64Array(indices.length).fill(NaN);
  const degree = new Uint32Array(n);
  const slices = new Slices(signal);
  for (let i = 0; i < n; i++) {
    if (slices.due()) await slices.pause();
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const j = indices[e];
      if (j <= i) continue;
      const v = distance(data, i * dim, data, j * dim, dim, radius);
      if (v <= radius) {
        kept[e] = v;
        degree[i]++;
        degree[j]++;
      }
    }
  }
  const rowStart = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) rowStart[i + 1] = rowStart[i] + degree[i];
  const out: NeighborGraph = { n, offsets: rowStart, indices: new Int32Array(rowStart[n]), distances: new Float32Array(rowStart[n]) };
  const filled = rowStart.slice(0, n);
  // rows i ascending: row j receives its neighbours i < j before its own j' > j
  for (let i = 0; i < n; i++) {
    for (let e = offsets[i]; e < offsets[i + 1]; e++) {
      const v = kept[e];
      if (v !== v) continue;
      const j = indices[e];
      out.indices[filled[i]] = j;
      out.distances[filled[i]++] = v;
      out.indices[filled[j]] = i;
      out.distances[filled[j]++] = v;
    }
  }
  sortRows(out);
  return out;
}

/** Sorts each row of `g` by neighbour where it is not ascending already (a candidate graph's rows need not be). */
function sortRows(g: NeighborGraph): void {
  for (let i = 0; i < g.n; i++) {
    const from = g.offsets[i], to = g.offsets[i + 1];
    let sorted = true;
    for (let e = from + 1; e < to && sorted; e++) sorted = g.indices[e - 1] < g.indices[e];
    if (sorted) continue;
    const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => g.indices[a] - g.indices[b]);
    const js = order.map((e) => g.indices[e]), vs = order.map((e) => g.distances[e]);
    g.indices.set(js, from);
    g.distances.set(vs, from);
  }
}

/** Every pair i < j through `distance` (n(n−1)/2 calls, float64), kept when within `radius`; yields every ~50 ms. */
async function pairGraph(data: Float32Array, n: number, dim: number, distance: PairDistance, radius: number, signal?: AbortSignal): Promise<NeighborGraph> {
  const rows: [number, number][][] = Array.from({ length: n }, () => []);
  const slices = new Slices(signal);
  for (let i = 0; i < n; i++) {
    if (slices.due()) await slices.pause();
    for (let j = i + 1; j < n; j++) {
      const v = distance(data, i * dim, data, j * dim, dim, radius);
      if (v <= radius) rows[i].push([j, v]), rows[j].push([i, v]);
    }
  }
  // row i holds its neighbours k < i (pushed while rows k were scanned) before its own j > i: ascending
  return toGraph(rows);
}

/** Rows of [neighbour, distance], each ascending by neighbour, as a graph. */
function toGraph(rows: [number, number][][]): NeighborGraph {
  const n = rows.length;
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + rows[i].length;
  const indices = new Int32Array(offsets[n]);
  const distances = new Float32Array(offsets[n]);
  for (let i = 0; i < n; i++) {
    rows[i].forEach(([j, v], k) => {
      indices[offsets[i] + k] = j;
      distances[offsets[i] + k] = v;
    });
  }
  return { n, offsets, indices, distances };
}
