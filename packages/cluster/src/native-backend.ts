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
import { baseBlockRows, referenceDistances, TopK, type NeighborLists } from './knn.js';
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
 * Whether the fp32 kernels' error bounds hold for these rows (nearestNeighborsNative): every |value| < 1e15,
 * so no square or sum overflows; for cosine every row zero or of norm >= 1e-10, so no norm underflows.
 */
function fastPassSafe(m: Matrix, norms: Float64Array | undefined): boolean {
  for (let i = 0; i < m.data.length; i++) if (!(Math.abs(m.data[i]) < 1e15)) return false;
  if (norms) for (let i = 0; i < norms.length; i++) if (norms[i] !== 0 && !(norms[i] >= 1e-10)) return false;
  return true;
}

/**
 * Nearest neighbours on the addon (docs/ALGORITHMS.md, "Nearest neighbours"): fp32 distances of a block of
 * queries × a block of ~1 MB of base rows at a time (`pairwise`, on the addon's threads, never nq×nb); per
 * query, every base row whose fp32 distance is within the kernels' proven error bound of the query's current
 * k-th fp32 value (and of the radius) is kept as a candidate; then the float64 reference of the candidates,
 * offered in ascending base index like the ts scan, so the result is the ts backend's bit for bit. Inputs
 * outside the bounds' assumptions go to the reference scan.
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
  const cosine = metric === 'cosine';
  const normsB = cosine ? rowNorms(base.data, nb, dim) : new Float64Array(nb);
  const normsQ = cosine ? rowNorms(queries.data, nq, dim) : new Float64Array(nq);
  if (nb === 0 || nq === 0 || !fastPassSafe(base, cosine ? normsB : undefined) || !fastPassSafe(queries, cosine ? normsQ : undefined)) {
    return nearestNeighborsTs(base, queries, metric, k, radius, signal);
  }
  // |fp32 − reference| <= rho·reference + alpha (sums of non-negative terms; alpha: flushed subnormals), or
  // <= eps for cosine (dot products of rows of any norm): about twice the bounds derived in the docs.
  const u = 2 ** -24;
  const rho = 2 * (dim + 8) * u;
  const alpha = 1e-17;
  const eps = 4 * (dim + 16) * u;
  const grow = ((1 + rho) / (1 - rho)) * (1 + 1e-12);
  // The largest fp32 value a row of the true k nearest can have, given an fp32 k-th value v / a reference radius r.
  const reachFast = cosine ? (v: number) => v + 2 * eps : (v: number) => grow * (v + alpha) + alpha;
  const reachRef = cosine ? (r: number) => r + eps : (r: number) => (1 + rho) * (1 + 1e-12) * r + alpha;
  const radiusCut = reachRef(radius);

  const kth = new Float64Array(nq * k).fill(Infinity); // each query's k smallest fp32 values, sorted
  const cut = new Float64Array(nq).fill(radiusCut);
  const cand: number[][] = Array.from({ length: nq }, () => []);
  const candFast: number[][] = Array.from({ length: nq }, () => []);
  const rows = baseBlockRows(dim);
  const queryRows = Math.max(1, Math.min(nq, Math.floor((4 << 20) / rows)));
  const block = new Float32Array(queryRows * rows);
  for (let q0 = 0; q0 < nq; q0 += queryRows) {
    const qn = Math.min(queryRows, nq - q0);
    const a = queries.data.subarray(q0 * dim, (q0 + qn) * dim);
    for (let j0 = 0; j0 < nb; j0 += rows) {
      const bn = Math.min(rows, nb - j0);
      const view = block.subarray(0, qn * bn);
      const b = base.data.subarray(j0 * dim, (j0 + bn) * dim);
      await withCancel(native, signal, (token) => native.pairwise(a, qn, b, bn, dim, metric, view, threads, token));
      for (let r = 0; r < qn; r++) {
        const q = q0 + r;
        const top = q * k;
        const list = cand[q];
        const fast = candFast[q];
        let c = cut[q];
        for (let t = 0, off = r * bn; t < bn; t++) {
          const d = view[off + t];
          if (!(d <= c)) continue;
          list.push(j0 + t);
          fast.push(d);
          if (d < kth[top + k - 1]) {
            let p = k - 1;
            while (p > 0 && kth[top + p - 1] > d) {
              kth[top + p] = kth[top + p - 1];
              p--;
            }
            kth[top + p] = d;
            c = Math.min(radiusCut, reachFast(kth[top + k - 1]));
          }
        }
        cut[q] = c;
        if (list.length > 4 * k + 256) prune(list, fast, c);
      }
    }
  }

  const top = new TopK(nq, k, radius);
  const kernel = pairKernel(metric);
  let scratch: Float32Array = new Float32Array(0);
  let exact = new Float64Array(0);
  for (let q = 0; q < nq; q++) {
    prune(cand[q], candFast[q], cut[q]);
    const js = cand[q];
    if (exact.length < js.length) exact = new Float64Array(js.length * 2);
    scratch = referenceDistances(kernel, base, queries, q, js, normsQ[q], normsB, exact, scratch);
    // ascending base index, as the ts scan offers them: the same ties, the same lists
    for (let t = 0; t < js.length; t++) top.offer(q, exact[t], js[t]);
  }
  return top.toLists();
}

/** Drops the candidates whose fp32 value exceeds `cut`, keeping the order. */
function prune(list: number[], fast: number[], cut: number): void {
  let w = 0;
  for (let t = 0; t < list.length; t++) {
    if (fast[t] <= cut) {
      list[w] = list[t];
      fast[w] = fast[t];
      w++;
    }
  }
  list.length = w;
  fast.length = w;
}
