/**
 * Nearest neighbours of query rows among base rows (docs/ALGORITHMS.md, "Nearest neighbours"): the parts both
 * backends share, so that they order, cut and store results the same way. Rows of two matrices are compared
 * with the one-matrix reference kernels of distance.ts through a scratch buffer [query | other rows].
 */
import type { PairKernel } from './distance.js';
import type { Matrix } from './vectors.js';

/** Per query row, up to k base rows as CSR: ascending float64 reference distance, then ascending index. */
export interface NeighborLists {
  /** `Uint32Array(nq + 1)`: query q's neighbours are `indices[offsets[q] .. offsets[q+1])`. */
  offsets: Uint32Array;
  /** Base row indices. */
  indices: Int32Array;
  /** `Math.fround` of each neighbour's float64 reference distance. */
  distances: Float32Array;
}

/**
 * The k best (distance, index) pairs of each query so far, each query's kept sorted. Offered in ascending
 * base index per query, a pair enters only when strictly better than the k-th, so ties keep the lower index.
 * @internal
 */
export class TopK {
  readonly dist: Float64Array;
  readonly index: Int32Array;
  readonly count: Int32Array;

  constructor(
    nq: number,
    readonly k: number,
    readonly radius: number,
  ) {
    this.dist = new Float64Array(nq * k);
    this.index = new Int32Array(nq * k);
    this.count = new Int32Array(nq);
  }

  /** The largest distance that can still enter query q's list. */
  bound(q: number): number {
    return this.count[q] < this.k ? this.radius : Math.min(this.radius, this.dist[q * this.k + this.k - 1]);
  }

  offer(q: number, d: number, j: number): void {
    const k = this.k;
    const base = q * k;
    const c = this.count[q];
    if (!(d <= this.radius)) return;
    if (c === k && !(d < this.dist[base + k - 1])) return;
    let p = c < k ? c : k - 1;
    if (c < k) this.count[q] = c + 1;
    while (p > 0 && this.dist[base + p - 1] > d) {
      this.dist[base + p] = this.dist[base + p - 1];
      this.index[base + p] = this.index[base + p - 1];
      p--;
    }
    this.dist[base + p] = d;
    this.index[base + p] = j;
  }

  toLists(): NeighborLists {
    const nq = this.count.length;
    const offsets = new Uint32Array(nq + 1);
    for (let q = 0; q < nq; q++) offsets[q + 1] = offsets[q] + this.count[q];
    const indices = new Int32Array(offsets[nq]);
    const distances = new Float32Array(offsets[nq]);
    for (let q = 0; q < nq; q++) {
      for (let t = 0; t < this.count[q]; t++) {
        indices[offsets[q] + t] = this.index[q * this.k + t];
        distances[offsets[q] + t] = this.dist[q * this.k + t];
      }
    }
    return { offsets, indices, distances };
  }
}

/**
 * Float64 reference distances of query row q to the base rows `js`, through a scratch buffer holding the
 * query then those rows (the kernels read both from one array). `scratch` grows as needed; returns it.
 * @internal
 */
export function referenceDistances(
  kernel: PairKernel,
  base: Matrix,
  queries: Matrix,
  q: number,
  js: ArrayLike<number>,
  normQ: number,
  normsB: Float64Array,
  out: Float64Array,
  scratch: Float32Array,
): Float32Array {
  const dim = base.dim;
  const need = (js.length + 1) * dim;
  if (scratch.length < need) scratch = new Float32Array(Math.max(need, scratch.length * 2));
  scratch.set(queries.data.subarray(q * dim, (q + 1) * dim), 0);
  for (let t = 0; t < js.length; t++) scratch.set(base.data.subarray(js[t] * dim, (js[t] + 1) * dim), (t + 1) * dim);
  for (let t = 0; t < js.length; t++) out[t] = kernel.one(scratch, 0, (t + 1) * dim, dim, Infinity, normQ, normsB[js[t]]);
  return scratch;
}

/** Base rows per block of the ts scan: about 1 MB of base values (L2). */
export const baseBlockRows = (dim: number) => Math.max(16, Math.floor((1 << 18) / dim));
