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
import type { Metric } from './metrics.js';
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
