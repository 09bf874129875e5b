/**
 * k-distances, DBSCAN's classic aid for choosing eps: each point's distance to its k-th nearest neighbour,
 * counting the point itself as the first, as scikit-learn counts `min_samples`.
 */
import { resolveBackend, resolveThreads, type NativeClusterBinding } from './backend.js';
import { Slices, throwIfAborted, withCancel } from './cancel.js';
import { pairKernel, rowNorms } from './distance.js';
import { assertGraph, type NeighborGraph } from './graph.js';
import { METRICS, type Metric } from './metrics.js';
import type { BackendOptions, CancelOptions, MetricOptions } from './types.js';
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
  const metric = expectOneOf('metric', orDefault(opts.metric, 'euclidean'), METRICS);
  const { data, n } = toMatrix(vectors, dim);
  const threads = resolveThreads((opts as BackendOptions).threads);
  const signal = expectSignal('signal', opts.signal);
  const backend = await resolveBackend((opts as BackendOptions).backend);
  throwIfAborted(signal);
  const out = new Float64Array(n);
  if (k === 1 || n === 0) return out;
  const want = k - 1;
  if (n - 1 < want) return out.fill(Infinity);
  const kernel = pairKernel(metric);
  const norms = metric === 'cosine' ? rowNorms(data, n, dim) : new Float64Array(n);
  if (backend.native) return kDistancesNative(backend.native, data, n, dim, metric, want, threads, norms, out, signal);
  // A sorted buffer of the `want` smallest distances so far; its last value bounds the early exit.
  const best = new Float64Array(want);
  const four = new Float64Array(4);
  const slices = new Slices(signal);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    const a = i * dim;
    const insert = (d: number) => {
      if (!(d < best[want - 1])) return;
      let p = want - 1;
      while (p > 0 && best[p - 1] > d) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = d;
    };
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const limit = kernel.limit(best[want - 1]);
      kernel.four(data, a, j * dim, dim, limit, norms[i], norms, j, four);
      for (let q = 0; q < 4; q++) if (j + q !== i) insert(four[q]);
    }
    for (; j < n; j++) {
      if (j === i) continue;
      insert(kernel.one(data, a, j * dim, dim, kernel.limit(best[want - 1]), norms[i], norms[j]));
    }
    out[i] = best[want - 1];
    if (slices.due()) await slices.pause();
  }
  return out;
}

/** Rows per native block: about 4M fp32 distances (16 MB) at a time. */
const blockRows = (n: number) => Math.max(1, Math.min(1024, Math.floor((4 << 20) / n)));

async function kDistancesNative(
  native: NativeClusterBinding,
  data: Float32Array,
  n: number,
  dim: number,
  metric: Metric,
  want: number,
  threads: number,
  norms: Float64Array,
  out: Float64Array,
  signal: AbortSignal | undefined,
): Promise<Float64Array> {
  const kernel = pairKernel(metric);
  const rows = blockRows(n);
  const block = new Float32Array(rows * n);
  const smallest = new Float64Array(want);
  const candidates: number[] = [];
  for (let i0 = 0; i0 < n; i0 += rows) {
    const na = Math.min(rows, n - i0);
    const view = block.subarray(0, na * n);
    // Each block's distances are computed off the main thread, its k-th values picked on it (a few ms).
    const a = data.subarray(i0 * dim, (i0 + na) * dim);
    await withCancel(native, signal, (token) => native.pairwise(a, na, data, n, dim, metric, view, threads, token));
    for (let r = 0; r < na; r++) {
      const i = i0 + r;
      const row = view.subarray(r * n, (r + 1) * n);
      row[i] = Infinity; // never its own neighbour
      // the fp32 `want`-th smallest, by insertion into a sorted buffer
      smallest.fill(Infinity);
      for (let j = 0; j < n; j++) {
        const d = row[j];
        if (!(d < smallest[want - 1])) continue;
        let p = want - 1;
        while (p > 0 && smallest[p - 1] > d) {
          smallest[p] = smallest[p - 1];
          p--;
        }
        smallest[p] = d;
      }
      const v = smallest[want - 1];
      const margin = v * (1 + 1e-3) + (metric === 'cosine' ? 1e-4 : 0);
      candidates.length = 0;
      for (let j = 0; j < n; j++) {
        if (row[j] <= margin) candidates.push(kernel.one(data, i * dim, j * dim, dim, Infinity, norms[i], norms[j]));
      }
      candidates.sort((a, b) => a - b);
      out[i] = candidates[want - 1];
    }
  }
  return out;
}
