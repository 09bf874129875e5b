/**
 * The metric of a call: its name and parameters (minkowski's p; w, V, VI) checked once, what the call
 * records of them, and the space every step of the call computes in (metricSpace of @faceclust/cluster):
 * the transformed metrics become one of the kernels' metrics on rows transformed once, when the faces are
 * loaded, so clustering, the assignment of new photos, the clusters' cohesion and `suggest` all use one
 * metric on one set of rows; the pair-pass metrics (minkowski with p other than 1, 2, ∞, braycurtis,
 * canberra) keep the rows and a float64 distance, and have no HNSW search.
 */
import fs from 'node:fs';
import { describe, METRIC_PARAMS, metricKind, paramOrDefault, metricSpace, minkowskiP, type ExtraMetric, type Metric, type MetricParams, type MetricSpace, type PairDistance } from '@faceclust/cluster';
import { UsageError } from './options.js';

/** A metric a call can cluster with: the kernels' five and the extra ones (see the cluster README's metric table). */
export type MetricName = Metric | ExtraMetric;

/** What a call records of its metric's parameters (log, xlsx, `--json`, store): only those the metric takes. */
export interface MetricRecord {
  /** minkowski: the power (Infinity is recorded as the string 'Infinity', which JSON keeps). */
  p?: number | 'Infinity';
  /** minkowski: 'none' or the weights' count; seuclidean: where V came from; mahalanobis: where VI came from. */
  w?: string;
  V?: string;
  VI?: string;
}

/** A call's metric, checked: the name, the parameters to compute with, and what to record of them. */
export interface MetricChoice {
  metric: MetricName;
  metricParams: MetricParams;
  record: MetricRecord;
  /** 'kernel': the SIMD kernels (and HNSW) on the (transformed) rows; 'pairwise': a float64 pair pass, exact only. */
  kind: MetricSpace['kind'];
}

/** The metric of the default V and VI, as the record says it. */
const FROM_FACES = { V: "the faces' variance (ddof 1)", VI: "the inverse of the faces' covariance (ddof 1)" } as const;

/**
 * `metric` (default euclidean) and `metricParams` ({ p?, w?, V?, VI? }, as the clustering calls of
 * @faceclust/cluster take them) checked, with the library's rules and wording: one of the metrics,
 * parameters that apply to it (p only for minkowski, …), p >= 1. Lengths of w, V and VI are checked when
 * the faces are loaded.
 */
export function metricChoice(o: { metric?: unknown; metricParams?: unknown }): MetricChoice {
  const metric = paramOrDefault<MetricName>(METRIC_PARAMS.metric, o.metric);
  const metricParams = (o.metricParams ?? {}) as MetricParams;
  const kind = metricKind(metric, o.metricParams as MetricParams | undefined); // the library's checks: names, p, which parameters apply
  const record: MetricRecord = {};
  const given = (v: ArrayLike<number>) => `given (${v.length} values)`;
  if (metric === 'minkowski') {
    const p = metricParams.p ?? METRIC_PARAMS.p.default;
    record.p = p === Infinity ? 'Infinity' : p;
    record.w = metricParams.w ? given(metricParams.w) : 'none';
  } else if (metric === 'seuclidean') record.V = metricParams.V ? given(metricParams.V) : FROM_FACES.V;
  else if (metric === 'mahalanobis') record.VI = metricParams.VI ? given(metricParams.VI) : FROM_FACES.VI;
  return { metric, metricParams, record, kind };
}

/** `minkowski p=3`, `seuclidean`: a metric as messages name it. */
export function metricLabel(c: Pick<MetricChoice, 'metric' | 'metricParams'>): string {
  return c.metric === 'minkowski' ? `minkowski p=${c.metricParams.p ?? METRIC_PARAMS.p.default}${c.metricParams.w ? ' (weighted)' : ''}` : c.metric;
}

/**
 * The faces' rows in the space of `choice` (see the module comment), computed once per call. The default V
 * and VI are the variance and covariance of every face loaded (the quality gate's rejects included), so
 * the assignment of new photos and the statistics measure with the clustering's scale.
 */
export function facesSpace(vectors: Float32Array, dim: number, choice: MetricChoice): MetricSpace {
  try {
    return metricSpace(vectors, dim, choice.metric, Object.keys(choice.metricParams).length ? choice.metricParams : undefined);
  } catch (err) {
    // the library names the API's option; the command line gives the same values in a file
    if (err instanceof RangeError && /metricParams\.(w|V|VI)\b/.test(err.message)) {
      throw new RangeError(`${err.message} (on the command line: --metric-params FILE.json holding it)`);
    }
    throw err;
  }
}

/** What a space's clustering call takes as its metric: the kernel's, or the pair-pass metric with p. */
export function clusterMetric(space: MetricSpace): { metric: MetricName; metricParams?: MetricParams } {
  return space.kind === 'kernel' ? { metric: space.metric } : { metric: space.metric, metricParams: space.metricParams };
}

/** Whether the space's rows are the faces' embeddings as stored (so the folder's HNSW index serves them). */
export function storedRows(space: MetricSpace, vectors: Float32Array): boolean {
  return space.rows === vectors;
}

/**
 * A pair-pass metric's `k` nearest base rows of each query within `radius` (nearest first, ties to the lower
 * base row), exactly, in float64: what nearestNeighbors gives for the kernels' metrics. Yields to the event
 * loop every ~50 ms and honours `signal`.
 */
export async function nearestByDistance(
  distance: PairDistance, base: Float32Array, queries: Float32Array, dim: number, k: number, radius: number, signal?: AbortSignal,
): Promise<{ offsets: Uint32Array; indices: Int32Array; distances: Float32Array }> {
  const nb = base.length / dim;
  const nq = queries.length / dim;
  const lists: [number, number][][] = [];
  let last = performance.now();
  for (let q = 0; q < nq; q++) {
    if (performance.now() - last > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      last = performance.now();
    }
    const found: [number, number][] = [];
    let limit = radius;
    for (let b = 0; b < nb; b++) {
      const d = distance(base, b * dim, queries, q * dim, dim, limit);
      if (!(d <= limit)) continue;
      found.push([d, b]);
      if (found.length > k) {
        found.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        found.length = k;
        limit = found[k - 1]![0];
      }
    }
    lists.push(found.sort((x, y) => x[0] - y[0] || x[1] - y[1]));
  }
  const offsets = new Uint32Array(nq + 1);
  lists.forEach((l, q) => (offsets[q + 1] = offsets[q]! + l.length));
  const indices = new Int32Array(offsets[nq]!);
  const distances = new Float32Array(offsets[nq]!);
  lists.forEach((l, q) => l.forEach(([d, b], e) => {
    indices[offsets[q]! + e] = b;
    distances[offsets[q]! + e] = d;
  }));
  return { offsets, indices, distances };
}

/**
 * `--metric-params FILE`: a JSON object { "w": [...], "V": [...], "VI": [...] } (the ones the metric takes;
 * VI row-major dim×dim), read and checked to be numbers; lengths and values are checked with the faces.
 */
export function readMetricParamsFile(file: string): MetricParams {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`Invalid value for --metric-params: cannot read ${JSON.stringify(file)} as JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`Invalid value for --metric-params: expected ${JSON.stringify(file)} to hold a JSON object { "w"?, "V"?, "VI"? } but it holds ${describe(parsed)}`);
  }
  const out: MetricParams = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key !== 'w' && key !== 'V' && key !== 'VI') {
      throw new UsageError(`Invalid value for --metric-params: ${JSON.stringify(file)} holds "${key}"; it may hold w (minkowski), V (seuclidean) and VI (mahalanobis, row-major); p is --p`);
    }
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'number')) {
      throw new UsageError(`Invalid value for --metric-params: expected "${key}" in ${JSON.stringify(file)} to be an array of numbers but received ${describe(value)}`);
    }
    out[key] = value as number[];
  }
  return out;
}

/**
 * `--p` as typed: a number >= 1, or `inf` (chebyshev); the message names the flag. Whether p applies (only
 * to minkowski) is the library's rule, checked with the metric.
 */
export function parsePFlag(raw: string): number {
  const value = /^\s*\+?inf(inity)?\s*$/i.test(raw) ? Infinity : raw.trim() === '' ? NaN : Number(raw);
  try {
    return minkowskiP(value, '--p');
  } catch {
    throw new UsageError(`Invalid value for --p: expected a number >= 1 (or inf) but received ${JSON.stringify(raw)}`);
  }
}
