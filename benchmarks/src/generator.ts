/**
 * Synthetic face-like embeddings: unit vectors in clusters of power-law sizes, reproducible from a seed.
 *
 * Real face embeddings of one person sit in a cap of the unit sphere (distance to each other ≈ 0.8–1.0)
 * while different people are nearly orthogonal (≈ √2). Each point is normalise(centre + σ·g) with g a
 * standard normal vector scaled by 1/√dim, which gives same-cluster distances ≈ σ√2/√(1+σ²).
 */

export interface ClusteredSet {
  vectors: Float32Array;
  /** The cluster each row was drawn from. */
  truth: Int32Array;
  n: number;
  dim: number;
  clusters: number;
}

export interface GeneratorOptions {
  n: number;
  dim: number;
  seed?: number;
  /** Spread of each cluster (σ above); 0.8 gives same-cluster distances near 0.9. */
  spread?: number;
  /** Mean cluster size; sizes follow a Zipf-like law as in photo libraries (a few people, many faces). */
  meanClusterSize?: number;
  /**
   * A skewed library (the owner's family in most photos): cluster 0 gets this many faces and the other
   * round(n / meanClusterSize) people share the rest by the same law (40,000 with 20,000: 2,001 people).
   * Unset: the plain Zipf sizes, unchanged.
   */
  largestPerson?: number;
}

/** mulberry32: small, fast and identical everywhere (the same generator as docs/ALGORITHMS.md). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalSampler(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    // Box–Muller; 1 − u keeps the log argument in (0, 1].
    const u = 1 - uniform();
    const v = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}

/** Cluster sizes summing to n: Zipf weights 1/(rank+1)^0.8, at least one point each. */
export function clusterSizes(n: number, meanClusterSize: number): number[] {
  const clusters = Math.max(1, Math.round(n / meanClusterSize));
  const weights = Array.from({ length: clusters }, (_, rank) => 1 / Math.pow(rank + 1, 0.8));
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(1, Math.floor((w / total) * n)));
  let assigned = sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; assigned < n; i = (i + 1) % clusters, assigned++) sizes[i]++;
  for (let i = clusters - 1; assigned > n; i = (i - 1 + clusters) % clusters) {
    if (sizes[i] > 1) {
      sizes[i]--;
      assigned--;
    }
  }
  return sizes;
}

/** {@link clusterSizes} with one person of `largest` faces first (see {@link GeneratorOptions.largestPerson}). */
export function skewedClusterSizes(n: number, meanClusterSize: number, largest: number): number[] {
  if (!Number.isInteger(largest) || largest < 1 || largest > n) throw new RangeError(`Expected largestPerson to be an integer in [1, ${n}] but received ${largest}`);
  if (largest === n) return [n];
  const others = Math.max(1, Math.min(n - largest, Math.round(n / meanClusterSize)));
  return [largest, ...clusterSizes(n - largest, (n - largest) / others)];
}

export function generateClustered(options: GeneratorOptions): ClusteredSet {
  const { n, dim, seed = 42, spread = 0.8, meanClusterSize = 20, largestPerson } = options;
  const uniform = mulberry32(seed);
  const normal = normalSampler(uniform);
  const sizes = largestPerson === undefined ? clusterSizes(n, meanClusterSize) : skewedClusterSizes(n, meanClusterSize, largestPerson);
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  const centre = new Float64Array(dim);
  const point = new Float64Array(dim);
  const scale = spread / Math.sqrt(dim);

  // Rows are shuffled so that cluster members are not contiguous (which would flatter cache behaviour).
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }

  let row = 0;
  sizes.forEach((size, cluster) => {
    let norm = 0;
    for (let k = 0; k < dim; k++) {
      centre[k] = normal();
      norm += centre[k] * centre[k];
    }
    norm = Math.sqrt(norm);
    for (let k = 0; k < dim; k++) centre[k] /= norm;
    for (let m = 0; m < size; m++, row++) {
      let pointNorm = 0;
      for (let k = 0; k < dim; k++) {
        point[k] = centre[k] + scale * normal();
        pointNorm += point[k] * point[k];
      }
      pointNorm = Math.sqrt(pointNorm);
      const target = order[row] * dim;
      for (let k = 0; k < dim; k++) vectors[target + k] = point[k] / pointNorm;
      truth[order[row]] = cluster;
    }
  });
  return { vectors, truth, n, dim, clusters: sizes.length };
}
