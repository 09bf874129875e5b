/**
 * Reference distances (docs/ALGORITHMS.md, "Distances"): float64 arithmetic, summed over k = 0..dim−1 in
 * order. JavaScript never contracts a·b+c into an FMA, so these loops are the reference bit for bit.
 */
import type { Metric } from './metrics.js';

/**
 * Distance of rows starting at offsets `a` and `b` of `data`. `norms` (from {@link rowNorms}) is needed
 * for cosine only. May return +Infinity instead of the distance once the partial sum proves it exceeds
 * `limit` (the sums only grow), which spares most of the work on far pairs.
 */
export type RowDistance = (data: Float32Array, a: number, b: number, dim: number, limit: number, normA: number, normB: number) => number;

// Early exits are checked once per block: often enough to save work, rarely enough to cost nothing.
const BLOCK = 64;

function euclidean(data: Float32Array, a: number, b: number, dim: number, limit: number): number {
  let s = 0;
  let k = 0;
  while (k < dim) {
    const end = k + BLOCK < dim ? k + BLOCK : dim;
    for (; k < end; k++) {
      const d = data[a + k] - data[b + k];
      s += d * d;
    }
    // sqrt is correctly rounded hence monotone: sqrt(final) >= sqrt(partial) > limit.
    if (Math.sqrt(s) > limit) return Infinity;
  }
  return Math.sqrt(s);
}

function sqeuclidean(data: Float32Array, a: number, b: number, dim: number, limit: number): number {
  let s = 0;
  let k = 0;
  while (k < dim) {
    const end = k + BLOCK < dim ? k + BLOCK : dim;
    for (; k < end; k++) {
      const d = data[a + k] - data[b + k];
      s += d * d;
    }
    if (s > limit) return Infinity;
  }
  return s;
}

function manhattan(data: Float32Array, a: number, b: number, dim: number, limit: number): number {
  let s = 0;
  let k = 0;
  while (k < dim) {
    const end = k + BLOCK < dim ? k + BLOCK : dim;
    for (; k < end; k++) s += Math.abs(data[a + k] - data[b + k]);
    if (s > limit) return Infinity;
  }
  return s;
}

function chebyshev(data: Float32Array, a: number, b: number, dim: number, limit: number): number {
  let m = 0;
  let k = 0;
  while (k < dim) {
    const end = k + BLOCK < dim ? k + BLOCK : dim;
    for (; k < end; k++) {
      const d = Math.abs(data[a + k] - data[b + k]);
      if (d > m) m = d;
    }
    if (m > limit) return Infinity;
  }
  return m;
}

function cosine(data: Float32Array, a: number, b: number, dim: number, _limit: number, normA: number, normB: number): number {
  if (normA === 0 || normB === 0) return 1;
  let dot = 0;
  for (let k = 0; k < dim; k++) dot += data[a + k] * data[b + k];
  return 1 - dot / (normA * normB);
}

const KERNELS: Record<Metric, RowDistance> = { euclidean, sqeuclidean, cosine, manhattan, chebyshev };

/** The row kernel for `metric`. */
export function rowDistance(metric: Metric): RowDistance {
  return KERNELS[metric];
}

/** `sqrt(Σ a_k²)` of every row, in float64 (the cosine denominators). */
export function rowNorms(data: Float32Array, n: number, dim: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0, a = 0; i < n; i++, a += dim) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += data[a + k] * data[a + k];
    norms[i] = Math.sqrt(s);
  }
  return norms;
}

/** The float64 reference distance of rows i and j (no early exit). For tests and one-off use. */
export function referenceDistance(data: Float32Array, dim: number, i: number, j: number, metric: Metric): number {
  const a = i * dim;
  const b = j * dim;
  let normA = 0;
  let normB = 0;
  if (metric === 'cosine') {
    const norms = rowNorms(data.subarray(a, a + dim), 1, dim);
    normA = norms[0];
    normB = rowNorms(data.subarray(b, b + dim), 1, dim)[0];
  }
  return KERNELS[metric](data, a, b, dim, Infinity, normA, normB);
}
