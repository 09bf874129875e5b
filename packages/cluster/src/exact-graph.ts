/**
 * The exact radius graph (docs/ALGORITHMS.md, "Radius graph") on either backend: every pair within
 * `radius`, as CSR, never an n×n matrix. radiusGraph (radius-graph.ts) and the neighbour choice
 * (neighbors.ts) both build on it.
 */
import type { Backend } from './backend.js';
import { Slices, throwIfAborted, withCancel } from './cancel.js';
import { pairKernel, rowNorms } from './distance.js';
import type { NeighborGraph } from './graph.js';
import type { Metric } from './metrics.js';
import type { Matrix } from './vectors.js';

/** Validated inputs to a graph on the chosen backend. */
export async function buildRadiusGraph(
  matrix: Matrix,
  metric: Metric,
  radius: number,
  backend: Backend,
  threads: number,
  signal?: AbortSignal,
): Promise<NeighborGraph> {
  const { data, n, dim } = matrix;
  if (n === 0) return { n: 0, offsets: new Uint32Array(1), indices: new Int32Array(0), distances: new Float32Array(0) };
  const native = backend.native;
  if (native) {
    const g = await withCancel(native, signal, (token) => native.radiusGraph(data, n, dim, metric, radius, threads, token));
    return { n, offsets: g.offsets, indices: g.indices, distances: g.distances };
  }
  return radiusGraphTs(data, n, dim, metric, radius, signal);
}

/**
 * The pure-TypeScript graph: every pair i < j once (distances are symmetric), four columns at a time,
 * kept pairs appended to growable upper-triangle buffers, then mirrored into the full CSR. Rows come out sorted because row i
 * receives its neighbours k < i while rows k are processed, before its own j > i.
 */
export async function radiusGraphTs(
  data: Float32Array,
  n: number,
  dim: number,
  metric: Metric,
  radius: number,
  signal?: AbortSignal,
): Promise<NeighborGraph> {
  const kernel = pairKernel(metric);
  const limit = kernel.limit(radius);
  const norms = metric === 'cosine' ? rowNorms(data, n, dim) : new Float64Array(n);
  const degree = new Uint32Array(n);
  const upperOffsets = new Uint32Array(n + 1);
  let upperIndices = new Int32Array(1024);
  let upperDistances = new Float32Array(1024);
  let m = 0;
  const four = new Float64Array(4);
  const keep = (i: number, j: number, d: number) => {
    if (m === upperIndices.length) {
      const grownIndices = new Int32Array(m * 2);
      grownIndices.set(upperIndices);
      upperIndices = grownIndices;
      const grownDistances = new Float32Array(m * 2);
      grownDistances.set(upperDistances);
      upperDistances = grownDistances;
    }
    upperIndices[m] = j;
    upperDistances[m] = d;
    m++;
    degree[i]++;
    degree[j]++;
  };
  const slices = new Slices(signal);
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    const normA = norms[i];
    let j = i + 1;
    for (; j + 4 <= n; j += 4) {
      kernel.four(data, a, j * dim, dim, limit, normA, norms, j, four);
      for (let q = 0; q < 4; q++) if (four[q] <= radius) keep(i, j + q, four[q]);
    }
    for (; j < n; j++) {
      const d = kernel.one(data, a, j * dim, dim, limit, normA, norms[j]);
      if (d <= radius) keep(i, j, d);
    }
    upperOffsets[i + 1] = m;
    if (slices.due()) await slices.pause();
  }
  if (2 * m > 0xffffffff) throw new RangeError(`The radius graph has ${m} edges, more than a Uint32Array CSR can index: lower radius`);

  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + degree[i];
  const cursor = offsets.slice(0, n);
  const indices = new Int32Array(2 * m);
  const distances = new Float32Array(2 * m);
  for (let i = 0; i < n; i++) {
    for (let k = upperOffsets[i], end = upperOffsets[i + 1]; k < end; k++) {
      const j = upperIndices[k];
      const d = upperDistances[k];
      let w = cursor[i]++;
      indices[w] = j;
      distances[w] = d;
      w = cursor[j]++;
      indices[w] = i;
      distances[w] = d;
    }
  }
  return { n, offsets, indices, distances };
}
