/**
 * Reference distances (docs/ALGORITHMS.md, "Distances"): float64 arithmetic, summed over k = 0..dim−1 in
 * order. JavaScript never contracts a·b+c into an FMA, so these loops are the reference bit for bit.
 *
 * Speed without changing a single bit: each pair's sum stays sequential, but {@link PairKernel.four}
 * runs four pairs side by side (four independent dependency chains instead of one), and a pair stops
 * early once its partial sum proves it lies beyond `limit` (the sums only grow).
 */
import type { Metric } from './metrics.js';

/** Distances from one row to others. Offsets index `data`; norms (for cosine) come from {@link rowNorms}. */
export interface PairKernel {
  /**
   * `radius` in the units the kernels compare partial sums with (for euclidean: the largest double whose
   * square root is <= radius, so that no sqrt is needed per block). Compute it once per radius.
   */
  limit(radius: number): number;
  /** The distance of rows at `a` and `b`, or some value > `limit` once it provably exceeds `limit`. */
  one(data: Float32Array, a: number, b: number, dim: number, limit: number, normA: number, normB: number): number;
  /**
   * The distances of row `a` to rows j, j+1, j+2, j+3 (starting at offset `b`) into `out[0..3]`; each is
   * exact, or some value > `limit` when it exceeds `limit`.
   */
  four(data: Float32Array, a: number, b: number, dim: number, limit: number, normA: number, norms: Float64Array, j: number, out: Float64Array): void;
}

// Early exits are checked once per block: often enough to save work, rarely enough to cost nothing.
const BLOCK = 64;

function min4(a: number, b: number, c: number, d: number): number {
  const x = a < b ? a : b;
  const y = c < d ? c : d;
  return x < y ? x : y;
}

/** Sum of squared differences; Infinity once the partial sum exceeds `limit`. */
const squares: PairKernel['one'] = (data, a, b, dim, limit) => {
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
};

function squares4(data: Float32Array, a: number, b0: number, dim: number, limit: number, out: Float64Array): void {
  const b1 = b0 + dim;
  const b2 = b1 + dim;
  const b3 = b2 + dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  while (k < dim) {
    const end = k + BLOCK < dim ? k + BLOCK : dim;
    for (; k < end; k++) {
      const x = data[a + k];
      const d0 = x - data[b0 + k];
      s0 += d0 * d0;
      const d1 = x - data[b1 + k];
      s1 += d1 * d1;
      const d2 = x - data[b2 + k];
      s2 += d2 * d2;
      const d3 = x - data[b3 + k];
      s3 += d3 * d3;
    }
    if (min4(s0, s1, s2, s3) > limit) break;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

const sqeuclidean: PairKernel = {
  limit: (radius) => radius,
  one: squares,
  four: (data, a, b, dim, limit, _normA, _norms, _j, out) => squares4(data, a, b, dim, limit, out),
};

// sqrt is correctly rounded, hence monotone: the largest double s with sqrt(s) <= r bounds the sum.
export function squaredLimit(r: number): number {
  if (!Number.isFinite(r)) return r;
  let s = r * r;
  while (Math.sqrt(s) > r) s = nextDown(s);
  for (let up = nextUp(s); Math.sqrt(up) <= r; up = nextUp(s)) s = up;
  return s;
}

const scratch = new Float64Array(1);
const bits = new BigInt64Array(scratch.buffer);
function nextUp(x: number): number {
  scratch[0] = x;
  bits[0] += x >= 0 ? 1n : -1n;
  return scratch[0];
}
function nextDown(x: number): number {
  scratch[0] = x;
  bits[0] -= x > 0 ? 1n : -1n;
  return scratch[0];
}

const euclidean: PairKernel = {
  limit: squaredLimit,
  one(data, a, b, dim, limit) {
    return Math.sqrt(squares(data, a, b, dim, limit, 0, 0));
  },
  four(data, a, b, dim, limit, _normA, _norms, _j, out) {
    squares4(data, a, b, dim, limit, out);
    out[0] = Math.sqrt(out[0]);
    out[1] = Math.sqrt(out[1]);
    out[2] = Math.sqrt(out[2]);
    out[3] = Math.sqrt(out[3]);
  },
};

const manhattan: PairKernel = {
  limit: (radius) => radius,
  one(data, a, b, dim, limit) {
    let s = 0;
    let k = 0;
    while (k < dim) {
      const end = k + BLOCK < dim ? k + BLOCK : dim;
      for (; k < end; k++) s += Math.abs(data[a + k] - data[b + k]);
      if (s > limit) return Infinity;
    }
    return s;
  },
  four(data, a, b0, dim, limit, _normA, _norms, _j, out) {
    const b1 = b0 + dim;
    const b2 = b1 + dim;
    const b3 = b2 + dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let k = 0;
    while (k < dim) {
      const end = k + BLOCK < dim ? k + BLOCK : dim;
      for (; k < end; k++) {
        const x = data[a + k];
        s0 += Math.abs(x - data[b0 + k]);
        s1 += Math.abs(x - data[b1 + k]);
        s2 += Math.abs(x - data[b2 + k]);
        s3 += Math.abs(x - data[b3 + k]);
      }
      if (min4(s0, s1, s2, s3) > limit) break;
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  },
};

const chebyshev: PairKernel = {
  limit: (radius) => radius,
  one(data, a, b, dim, limit) {
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
  },
  four(data, a, b0, dim, limit, _normA, _norms, _j, out) {
    const b1 = b0 + dim;
    const b2 = b1 + dim;
    const b3 = b2 + dim;
    let m0 = 0;
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let k = 0;
    while (k < dim) {
      const end = k + BLOCK < dim ? k + BLOCK : dim;
      for (; k < end; k++) {
        const x = data[a + k];
        const d0 = Math.abs(x - data[b0 + k]);
        if (d0 > m0) m0 = d0;
        const d1 = Math.abs(x - data[b1 + k]);
        if (d1 > m1) m1 = d1;
        const d2 = Math.abs(x - data[b2 + k]);
        if (d2 > m2) m2 = d2;
        const d3 = Math.abs(x - data[b3 + k]);
        if (d3 > m3) m3 = d3;
      }
      if (min4(m0, m1, m2, m3) > limit) break;
    }
    out[0] = m0;
    out[1] = m1;
    out[2] = m2;
    out[3] = m3;
  },
};

function cosineOf(dot: number, normA: number, normB: number): number {
  return normA === 0 || normB === 0 ? 1 : 1 - dot / (normA * normB);
}

// Cosine has no early exit: the dot product is not monotone.
const cosine: PairKernel = {
  limit: (radius) => radius,
  one(data, a, b, dim, _limit, normA, normB) {
    let dot = 0;
    for (let k = 0; k < dim; k++) dot += data[a + k] * data[b + k];
    return cosineOf(dot, normA, normB);
  },
  four(data, a, b0, dim, _limit, normA, norms, j, out) {
    const b1 = b0 + dim;
    const b2 = b1 + dim;
    const b3 = b2 + dim;
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    for (let k = 0; k < dim; k++) {
      const x = data[a + k];
      p0 += x * data[b0 + k];
      p1 += x * data[b1 + k];
      p2 += x * data[b2 + k];
      p3 += x * data[b3 + k];
    }
    out[0] = cosineOf(p0, normA, norms[j]);
    out[1] = cosineOf(p1, normA, norms[j + 1]);
    out[2] = cosineOf(p2, normA, norms[j + 2]);
    out[3] = cosineOf(p3, normA, norms[j + 3]);
  },
};

const KERNELS: Record<Metric, PairKernel> = { euclidean, sqeuclidean, cosine, manhattan, chebyshev };

/** The pair kernels for `metric`. */
export function pairKernel(metric: Metric): PairKernel {
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
  const normA = rowNorms(data.subarray(a, a + dim), 1, dim)[0];
  const normB = rowNorms(data.subarray(b, b + dim), 1, dim)[0];
  return KERNELS[metric].one(data, a, b, dim, Infinity, normA, normB);
}
