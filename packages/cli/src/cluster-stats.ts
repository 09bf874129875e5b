/**
 * Per-cluster statistics for the reports: each face's distance to its cluster's centre (the mean of its
 * members' embeddings), each cluster's cohesion and its representative face. O(n·dim), no pairwise work.
 */
import type { Metric, PairDistance } from '@faceclust/cluster';

export interface ClusterSummary {
  /** Cluster number (0 = largest), or −1 for the faces left as no_class. */
  cluster: number;
  size: number;
  /** Mean distance of the members to the centre (lower is tighter); null for no_class. */
  cohesion: number | null;
  /** Index (into the faces) of the member closest to the centre; for no_class, its first face. */
  representative: number;
  /** Indices of the members, in face order. */
  members: number[];
}

/** The float64 distance of docs/ALGORITHMS.md between row `a` of `v` and the vector `c`. */
export function distanceTo(metric: Metric, v: Float32Array, a: number, c: Float64Array): number {
  const dim = c.length;
  const o = a * dim;
  let s = 0;
  switch (metric) {
    case 'euclidean':
    case 'sqeuclidean':
      for (let k = 0; k < dim; k++) { const d = v[o + k] - c[k]; s += d * d; }
      return metric === 'euclidean' ? Math.sqrt(s) : s;
    case 'manhattan':
      for (let k = 0; k < dim; k++) s += Math.abs(v[o + k] - c[k]);
      return s;
    case 'chebyshev':
      for (let k = 0; k < dim; k++) s = Math.max(s, Math.abs(v[o + k] - c[k]));
      return s;
    case 'cosine': {
      let na = 0, nb = 0;
      for (let k = 0; k < dim; k++) { s += v[o + k] * c[k]; na += v[o + k] * v[o + k]; nb += c[k] * c[k]; }
      return na === 0 || nb === 0 ? 1 : 1 - s / (Math.sqrt(na) * Math.sqrt(nb));
    }
  }
}

/**
 * Distances to centres (NaN for no_class faces) and one summary per cluster, clusters in label order
 * (largest first), no_class last when present. `metric`: one of the kernels' metrics (on rows of a
 * metric's space, see metric.ts), or a pair-pass metric's float64 distance (the centre rounded to float32).
 */
export function clusterStats(vectors: Float32Array, dim: number, labels: Int32Array, clusterCount: number, metric: Metric | PairDistance): { distances: Float64Array; clusters: ClusterSummary[] } {
  const measure = typeof metric === 'function'
    ? (i: number, c: Float64Array) => metric(vectors, i * dim, Float32Array.from(c), 0, dim, Infinity)
    : (i: number, c: Float64Array) => distanceTo(metric, vectors, i, c);
  const n = labels.length;
  const sums = new Float64Array(clusterCount * dim);
  const members: number[][] = Array.from({ length: clusterCount }, () => []);
  const noise: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0) { noise.push(i); continue; }
    members[l].push(i);
    const o = l * dim;
    for (let k = 0; k < dim; k++) sums[o + k] += vectors[i * dim + k];
  }
  const distances = new Float64Array(n).fill(NaN);
  const clusters: ClusterSummary[] = [];
  for (let l = 0; l < clusterCount; l++) {
    const m = members[l];
    const centre = sums.subarray(l * dim, (l + 1) * dim);
    for (let k = 0; k < dim; k++) centre[k] /= m.length;
    let total = 0, best = m[0], bestD = Infinity;
    for (const i of m) {
      const d = measure(i, centre);
      distances[i] = d;
      total += d;
      if (d < bestD) { bestD = d; best = i; }
    }
    clusters.push({ cluster: l, size: m.length, cohesion: total / m.length, representative: best, members: m });
  }
  if (noise.length > 0) clusters.push({ cluster: -1, size: noise.length, cohesion: null, representative: noise[0], members: noise });
  return { distances, clusters };
}
