/**
 * The native backend: every operation of {@link Backend} on `@faceclust/core-native`'s addon, on its own
 * threads, with the call's AbortSignal wired to an addon cancel token (cancel.ts's withCancel). The addon's
 * types come from core-native itself, by `import type` only, so this package type-checks and runs without
 * it; nothing exported here reaches the published declarations (see tsconfig.build.json's stripInternal).
 */
import type { NativeBinding } from '@faceclust/core-native';
import type { Backend } from './backend.js';
import { withCancel } from './cancel.js';
import { pairKernel, rowNorms } from './distance.js';
import { referenceDistances, TopK, type NeighborLists } from './knn.js';
import type { Metric } from './metrics.js';
import { nearestNeighborsTs } from './ts-backend.js';
import type { Matrix } from './vectors.js';

/**
 * The backend over a loaded `binding`; its `hnsw` is the binding itself (the HNSW functions live there).
 * @internal
 */
export function nativeBackend(native: NativeBinding): Backend {
  return {
    name: 'native',
    offThread: true,
    async radiusGraph({ data, n, dim }, metric, radius, threads, signal) {
      if (n === 0) return { n: 0, offsets: new Uint32Array(1), indices: new Int32Array(0), distances: new Float32Array(0) };
      const g = await withCancel(native, signal, (token) => native.radiusGraph(data, n, dim, metric, radius, threads, token));
      return { n, offsets: g.offsets, indices: g.indices, distances: g.distances };
    },
    chineseWhispers: ({ n, offsets, indices, distances }, iterations, seed, unitWeights, signal, c) =>
      withCancel(native, signal, (token) =>
        native.chineseWhispers(offsets, indices, distances, n, iterations, seed, unitWeights, c?.weights, c?.cannotOffsets, c?.cannotIndices, token),
      ),
    dbscan: ({ n, offsets, indices }, minSamples, signal, c) =>
      withCancel(native, signal, (token) => native.dbscan(offsets, indices, n, minSamples, c?.core, c?.cannotOffsets, c?.cannotIndices, token)),
    mergeClusters: ({ n, offsets, indices, distances }, labels, radius, signal, c) =>
      withCancel(native, signal, (token) =>
        native.mergeClusters(offsets, indices, distances, n, labels, radius, c?.nodeLabels, c?.cannotOffsets, c?.cannotIndices, token),
      ),
    kDistances: (matrix, metric, want, threads, signal) => kDistancesNative(native, matrix, metric, want, threads, signal),
    nearestNeighbors: (base, queries, metric, k, radius, threads, signal) => nearestNeighborsNative(native, base, queries, metric, k, radius, threads, signal),
    hnsw: native,
  };
}

/** Rows per native block: about 4M fp32 distances (16 MB) at a time. */
const blockRows = (n: number) => Math.max(1, Math.min(1024, Math.floor((4 << 20) / n)));

/**
 * k-distances on the addon: fp32 distances in blocks of rows on its threads, then a float64 recheck of every
 * candidate within 0.1% (plus 1e-4 for cosine) of each row's fp32 `want`-th value, far above the fp32
 * kernels' rounding error, so the result is the reference's (the ts backend's) bit for bit.
 */
async function kDistancesNative(
  native: NativeBinding,
  { data, n, dim }: Matrix,
  metric: Metric,
  want: number,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<Float64Array> {
  const out = new Float64Array(n);
  const kernel = pairKernel(metric);
  const norms = metric === 'cosine' ? rowNorms(data, n, dim) : new Float64Array(n);
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

/**
 * Nearest neighbours on the addon (docs/ALGORITHMS.md, "Nearest neighbours"): `nearestCandidates` finds, on its
 * threads with the radius graph's tiles (query panels × base panels, never nq×nb), each query's base rows whose
 * fp32 distance is within the kernels' proven error bound of the query's running k-th fp32 value (and of the
 * radius), and checks itself that the bounds' assumptions hold (else it uses the float64 reference, rounded);
 * then the float64 reference of the candidates, offered in ascending base index like the ts scan, so the result
 * is the ts backend's bit for bit. Cosine norms are computed only for the rows that are compared.
 */
async function nearestNeighborsNative(
  native: NativeBinding,
  base: Matrix,
  queries: Matrix,
  metric: Metric,
  k: number,
  radius: number,
  threads: number,
  signal: AbortSignal | undefined,
): Promise<NeighborLists> {
  const { dim } = base;
  const nb = base.n;
  const nq = queries.n;
  if (nb === 0 || nq === 0) return nearestNeighborsTs(base, queries, metric, k, radius, signal);
  const cand = await withCancel(native, signal, (token) =>
    native.nearestCandidates(base.data, nb, queries.data, nq, dim, metric, Math.min(k, nb), radius, threads, token),
  );

  const cosine = metric === 'cosine';
  const normsB = new Float64Array(nb);
  const normsQ = new Float64Array(nq);
  if (cosine) {
    // the same sums as rowNorms over every row, for the rows that are compared only
    const norm = (data: Float32Array, i: number) => rowNorms(data.subarray(i * dim, (i + 1) * dim), 1, dim)[0];
    normsB.fill(NaN);
    for (let q = 0; q < nq; q++) normsQ[q] = norm(queries.data, q);
    for (const j of cand.indices) if (Number.isNaN(normsB[j])) normsB[j] = norm(base.data, j);
  }
  const top = new TopK(nq, k, radius);
  const kernel = pairKernel(metric);
  let scratch: Float32Array = new Float32Array(0);
  let exact = new Float64Array(0);
  for (let q = 0; q < nq; q++) {
    const js = cand.indices.subarray(cand.offsets[q], cand.offsets[q + 1]);
    if (exact.length < js.length) exact = new Float64Array(js.length * 2);
    scratch = referenceDistances(kernel, base, queries, q, js, normsQ[q], normsB, exact, scratch);
    // ascending base index, as the ts scan offers them: the same ties, the same lists
    for (let t = 0; t < js.length; t++) top.offer(q, exact[t], js[t]);
  }
  return top.toLists();
}
