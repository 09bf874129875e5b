/** Seeded test data shared by the test files (excluded from the build). */
import type { NeighborGraph } from './graph.js';
import { Mulberry32 } from './rng.js';

/** Uniform float32 values in [−1, 1), n×dim, from mulberry32(seed). */
export function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const rng = new Mulberry32(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = rng.next() / 2 ** 31 - 1;
  return out;
}

/**
 * `clusters` tight blobs of `size` points each around random centres in [−10, 10)^dim (spread ±`spread`),
 * rows interleaved so that blob members are not contiguous. truth[i] is the blob of row i.
 */
export function blobs(clusters: number, size: number, dim: number, spread: number, seed: number): { vectors: Float32Array; truth: Int32Array } {
  const rng = new Mulberry32(seed);
  const uniform = () => rng.next() / 2 ** 32;
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => uniform() * 20 - 10));
  const n = clusters * size;
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    truth[i] = c;
    for (let k = 0; k < dim; k++) vectors[i * dim + k] = centres[c][k] + (uniform() * 2 - 1) * spread;
  }
  return { vectors, truth };
}

/** True when two labelings are the same partition up to renaming (−1 must match exactly). */
export function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((a[i] === -1) !== (b[i] === -1)) return false;
    if (a[i] === -1) continue;
    if ((ab.get(a[i]) ?? b[i]) !== b[i] || (ba.get(b[i]) ?? a[i]) !== a[i]) return false;
    ab.set(a[i], b[i]);
    ba.set(b[i], a[i]);
  }
  return true;
}

/** The error `run` throws or rejects with (fails the test when it returns normally). */
export async function caught(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

/**
 * Where two typed arrays first differ ("length 3 vs 4", "index 5: 0.25 vs 0.5"), or undefined when they
 * are equal element for element. Much faster than toEqual on large typed arrays.
 */
export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `index ${i}: ${a[i]} vs ${b[i]}`;
  return undefined;
}

/** A symmetric CSR graph from an undirected edge list [a, b, distance], each row sorted by neighbour. */
export function graphOf(n: number, edges: [number, number, number][]): NeighborGraph {
  const rows: [number, number][][] = Array.from({ length: n }, () => []);
  for (const [a, b, d] of edges) {
    rows[a].push([b, d]);
    rows[b].push([a, d]);
  }
  const offsets = new Uint32Array(n + 1);
  const indices: number[] = [];
  const distances: number[] = [];
  rows.forEach((row, i) => {
    row.sort((x, y) => x[0] - y[0]);
    for (const [j, d] of row) indices.push(j), distances.push(d);
    offsets[i + 1] = indices.length;
  });
  return { n, offsets, indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}
