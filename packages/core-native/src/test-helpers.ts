// Shared by the tests only (excluded from the build): seeded data and plain float64 JS references written
// straight from docs/ALGORITHMS.md, independent of the C++ code they check.
import type { NativeBinding, NativeGraph, NativeIsa, NativeMetric } from './native.js';

export const METRICS: NativeMetric[] = ['euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev'];

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform values in [-scale, scale), reproducible from `seed`. */
export function randomVectors(n: number, dim: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = (next() / 2 ** 32 * 2 - 1) * scale;
  return out;
}

/** Points around `clusters` random centres (so that radius graphs have edges and non-edges). */
export function clusteredVectors(n: number, dim: number, clusters: number, seed: number, spread = 0.3): Float32Array {
  const centres = randomVectors(clusters, dim, seed);
  const noise = randomVectors(n, dim, seed + 1, spread);
  const next = mulberry32(seed + 2);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = next() % clusters;
    for (let k = 0; k < dim; k++) out[i * dim + k] = centres[c * dim + k] + noise[i * dim + k];
  }
  return out;
}

/** The float64 reference distance of rows i and j (sequential sums from +0, no FMA). */
export function referenceDistance(x: Float32Array, i: number, j: number, dim: number, metric: NativeMetric): number {
  const a = i * dim;
  const b = j * dim;
  let s = 0;
  switch (metric) {
    case 'euclidean':
    case 'sqeuclidean':
      for (let k = 0; k < dim; k++) {
        const d = x[a + k] - x[b + k];
        s += d * d;
      }
      return metric === 'euclidean' ? Math.sqrt(s) : s;
    case 'cosine': {
      let na = 0;
      let nb = 0;
      for (let k = 0; k < dim; k++) {
        s += x[a + k] * x[b + k];
        na += x[a + k] * x[a + k];
        nb += x[b + k] * x[b + k];
      }
      return na === 0 || nb === 0 ? 1 : 1 - s / (Math.sqrt(na) * Math.sqrt(nb));
    }
    case 'manhattan':
      for (let k = 0; k < dim; k++) s += Math.abs(x[a + k] - x[b + k]);
      return s;
    case 'chebyshev':
      for (let k = 0; k < dim; k++) {
        const d = Math.abs(x[a + k] - x[b + k]);
        if (d > s) s = d;
      }
      return s;
  }
}

/** Row i of the reference radius graph: ascending neighbours and their rounded distances. */
export function referenceRow(x: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number, i: number) {
  const indices: number[] = [];
  const distances: number[] = [];
  for (let j = 0; j < n; j++) {
    if (j === i) continue;
    const d = referenceDistance(x, i, j, dim, metric);
    if (d <= radius) {
      indices.push(j);
      distances.push(Math.fround(d));
    }
  }
  return { indices, distances };
}

export function referenceGraph(x: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number) {
  // Each pair once (the reference is symmetric), then rows in ascending order.
  const rows: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = referenceDistance(x, i, j, dim, metric);
      if (d <= radius) {
        rows[i].push([j, Math.fround(d)]);
        rows[j].push([i, Math.fround(d)]);
      }
    }
  }
  const offsets = [0];
  const indices: number[] = [];
  const distances: number[] = [];
  for (const row of rows) {
    row.sort((p, q) => p[0] - q[0]);
    for (const [j, d] of row) {
      indices.push(j);
      distances.push(d);
    }
    offsets.push(indices.length);
  }
  return { offsets, indices, distances };
}

export function plain(g: NativeGraph) {
  return { offsets: Array.from(g.offsets), indices: Array.from(g.indices), distances: Array.from(g.distances) };
}

/** A symmetric CSR graph from an undirected edge list [a, b, distance]. */
export function csr(n: number, edges: Array<[number, number, number?]>) {
  const rows: Array<Array<[number, number]>> = Array.from({ length: n }, () => []);
  for (const [a, b, d = 0.5] of edges) {
    rows[a].push([b, d]);
    rows[b].push([a, d]);
  }
  const offsets = new Uint32Array(n + 1);
  const indices: number[] = [];
  const distances: number[] = [];
  rows.forEach((row, i) => {
    row.sort((p, q) => p[0] - q[0]);
    for (const [j, d] of row) {
      indices.push(j);
      distances.push(d);
    }
    offsets[i + 1] = indices.length;
  });
  return { offsets, indices: Int32Array.from(indices), distances: Float32Array.from(distances), n };
}

/** Every instruction set this CPU supports, restoring the active one afterwards. */
export function forEachIsa(binding: NativeBinding, fn: (isa: NativeIsa) => void | Promise<void>) {
  return async () => {
    const initial = binding.capabilities().active;
    try {
      for (const isa of binding.capabilities().supported) {
        binding.setIsa(isa);
        await fn(isa);
      }
    } finally {
      binding.setIsa(initial);
    }
  };
}

/**
 * `values` as bf16 pairs in 32-bit words (even index low, odd high, zero-padded to a multiple of 32 words),
 * rounded as kernels/bf16.h rounds: to nearest even, subnormals to signed zero.
 */
export function bf16Words(values: Float32Array): Uint32Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const half = (u: number) => ((u & 0x7f800000) === 0 ? (u >>> 16) & 0x8000 : ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff);
  const words = new Uint32Array(Math.ceil(Math.ceil(values.length / 2) / 32) * 32);
  for (let k = 0; k < values.length; k++) words[k >> 1] |= half(bits[k]) << (k & 1 ? 16 : 0);
  return words;
}

/** Σ a·b over the bf16 values of two word arrays in float64, index order, from +0; also Σ |a·b|. */
export function referenceDotBf16(a: Uint32Array, b: Uint32Array): { dot: number; abs: number } {
  const bits = new Uint32Array(4);
  const f = new Float32Array(bits.buffer);
  let dot = 0;
  let abs = 0;
  for (let w = 0; w < a.length; w++) {
    bits[0] = a[w] << 16;
    bits[1] = b[w] << 16;
    bits[2] = a[w] & 0xffff0000;
    bits[3] = b[w] & 0xffff0000;
    dot += f[0] * f[1];
    dot += f[2] * f[3];
    abs += Math.abs(f[0] * f[1]) + Math.abs(f[2] * f[3]);
  }
  return { dot, abs };
}
