/**
 * The pure-TypeScript backend: every operation of {@link Backend} computed on the calling thread, with the
 * same algorithms and the same float64 reference distances as core-native (docs/ALGORITHMS.md), so labels
 * and graphs match the native backend's bit for bit. Each long loop yields to the event loop every ~50 ms
 * and stops there when its signal has aborted (cancel.ts).
 */
import type { Backend, CwConstrained, DbscanConstrained, MergeConstrained } from './backend.js';
import { Slices } from './cancel.js';
import { pairKernel, rowNorms } from './distance.js';
import type { NeighborGraph } from './graph.js';
import { baseBlockRows, TopK, type NeighborLists } from './knn.js';
import type { Metric } from './metrics.js';
import type { Matrix } from './vectors.js';
import { shuffleInPlace, Mulberry32 } from './rng.js';
import { SmallestRootSets } from './union-find.js';

/** @internal */
export const tsBackend: Backend = {
  name: 'ts',
  offThread: false,
  radiusGraph: ({ data, n, dim }, metric, radius, _threads, signal) => radiusGraphTs(data, n, dim, metric, radius, signal),
  chineseWhispers: chineseWhispersTs,
  dbscan: dbscanTs,
  mergeClusters: mergeClustersTs,
  kDistances: ({ data, n, dim }, metric, rank, _threads, signal) => kDistancesTs(data, n, dim, metric, rank, signal),
  nearestNeighbors: (base, queries, metric, k, radius, _threads, signal) => nearestNeighborsTs(base, queries, metric, k, radius, signal),
};

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

/**
 * The pure-TypeScript pass loop. Raw labels (a node index per cluster), not renumbered. Yields to the event
 * loop every ~50 ms, within a pass too (a pass over a large graph can take seconds), and stops there when
 * `signal` has aborted. `constrained`: explicit weights and forbidden labels (docs/ALGORITHMS.md, "Constraints").
 */
export async function chineseWhispersTs(
  graph: NeighborGraph,
  iterations: number,
  seed: number,
  unitWeights: boolean,
  signal?: AbortSignal,
  constrained?: CwConstrained,
): Promise<{ labels: Int32Array; iterations: number }> {
  const { n, offsets, indices, distances } = graph;
  const weights = constrained?.weights;
  // Constrained: the labels of the visited node's cannot-link partners, flagged for the visit only.
  const forbidden = constrained ? new Uint8Array(n) : undefined;
  const labels = new Int32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = order[i] = i;
  let maxDegree = 0;
  for (let i = 0; i < n; i++) maxDegree = Math.max(maxDegree, offsets[i + 1] - offsets[i]);
  // Per-visit scratch: summed weight per label, which labels were touched, and their list.
  const sum = new Float64Array(n);
  const touched = new Uint8Array(n);
  const seen = new Int32Array(maxDegree);
  const rng = new Mulberry32(seed);
  let ran = 0;
  const slices = new Slices(signal);
  while (ran < iterations) {
    shuffleInPlace(order, rng);
    ran++;
    let changes = 0;
    for (let p = 0; p < n; p++) {
      if ((p & 1023) === 1023 && slices.due()) await slices.pause();
      const v = order[p];
      const begin = offsets[v];
      const end = offsets[v + 1];
      if (begin === end) continue;
      let count = 0;
      for (let k = begin; k < end; k++) {
        const l = labels[indices[k]];
        const w = weights !== undefined ? weights[k] : unitWeights ? 1 : 1 / (1 + distances[k]);
        if (touched[l] === 0) {
          touched[l] = 1;
          sum[l] = w;
          seen[count++] = l;
        } else {
          sum[l] += w;
        }
      }
      if (forbidden !== undefined) {
        if (constrainedWinner(v, labels, sum, touched, seen, count, forbidden, constrained!)) changes++;
        continue;
      }
      let best = seen[0];
      let bestSum = sum[best];
      touched[best] = 0;
      for (let q = 1; q < count; q++) {
        const l = seen[q];
        const s = sum[l];
        touched[l] = 0;
        if (s > bestSum || (s === bestSum && l < best)) {
          best = l;
          bestSum = s;
        }
      }
      if (labels[v] !== best) {
        labels[v] = best;
        changes++;
      }
    }
    if (changes === 0) break;
    if (slices.due()) await slices.pause();
  }
  return { labels, iterations: ran };
}

/**
 * A constrained visit's winner: the best label (largest sum, ties to the smallest) that none of v's cannot-link
 * partners holds, or v's own when every label met is forbidden. Clears the visit's flags; true when v changed.
 */
function constrainedWinner(
  v: number,
  labels: Int32Array,
  sum: Float64Array,
  touched: Uint8Array,
  seen: Int32Array,
  count: number,
  forbidden: Uint8Array,
  { cannotOffsets, cannotIndices }: CwConstrained,
): boolean {
  const from = cannotOffsets[v];
  const to = cannotOffsets[v + 1];
  for (let f = from; f < to; f++) forbidden[labels[cannotIndices[f]]] = 1;
  let best = -1;
  let bestSum = 0;
  for (let q = 0; q < count; q++) {
    const l = seen[q];
    const s = sum[l];
    touched[l] = 0;
    if (forbidden[l] === 0 && (best === -1 || s > bestSum || (s === bestSum && l < best))) {
      best = l;
      bestSum = s;
    }
  }
  for (let f = from; f < to; f++) forbidden[labels[cannotIndices[f]]] = 0;
  if (best === -1 || labels[v] === best) return false;
  labels[v] = best;
  return true;
}

/**
 * The pure-TypeScript expansion, in scikit-learn's stack order. Raw labels 0, 1, … in discovery order; −1
 * noise. Yields to the event loop every ~50 ms (read every 4096 points) and stops there when `signal` has
 * aborted.
 */
export async function dbscanTs(graph: NeighborGraph, minSamples: number, signal?: AbortSignal, constrained?: DbscanConstrained): Promise<Int32Array> {
  const { n, offsets, indices } = graph;
  let core = constrained?.core;
  if (core === undefined) {
    core = new Uint8Array(n);
    for (let i = 0; i < n; i++) core[i] = offsets[i + 1] - offsets[i] + 1 >= minSamples ? 1 : 0;
  }
  const cannotOffsets = constrained?.cannotOffsets;
  const cannotIndices = constrained?.cannotIndices;
  const labels = new Int32Array(n).fill(-1);
  // A point may be pushed once per core neighbour before it is labelled, hence a growable stack.
  let stack = new Int32Array(1024);
  let next = 0;
  const slices = new Slices(signal);
  let steps = 0; // points scanned or popped
  for (let i = 0; i < n; i++) {
    if ((++steps & 4095) === 0 && slices.due()) await slices.pause();
    if (labels[i] !== -1 || core[i] === 0) continue;
    let top = 0;
    stack[top++] = i;
    while (top > 0) {
      if ((++steps & 4095) === 0 && slices.due()) await slices.pause();
      const v = stack[--top];
      if (labels[v] !== -1) continue;
      if (cannotOffsets !== undefined && holdsPartner(v, next, labels, cannotOffsets, cannotIndices!)) continue; // refused
      labels[v] = next;
      if (core[v] === 0) continue;
      const end = offsets[v + 1];
      if (top + end - offsets[v] > stack.length) {
        const grown = new Int32Array(Math.max(stack.length * 2, top + end - offsets[v]));
        grown.set(stack.subarray(0, top));
        stack = grown;
      }
      for (let k = offsets[v]; k < end; k++) {
        const u = indices[k];
        if (labels[u] === -1) stack[top++] = u;
      }
    }
    next++;
  }
  return labels;
}

/**
 * The pure-TypeScript merge pass, the native one's step for step: the inter-cluster edges within `radius`
 * (i < j, in row order), stably sorted by distance, each joining the sets of its two labels
 * ({@link SmallestRootSets}) unless `constrained` finds a cannot-link between them. Yields every ~50 ms.
 */
export async function mergeClustersTs(graph: NeighborGraph, labels: Int32Array, radius: number, signal?: AbortSignal, constrained?: MergeConstrained): Promise<Int32Array> {
  const { n, offsets, indices, distances } = graph;
  const slices = new Slices(signal);
  // each candidate: its row i and its CSR entry e (to row indices[e] at distances[e])
  const candRow: number[] = [];
  const candEdge: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((i & 4095) === 0 && slices.due()) await slices.pause();
    const li = labels[i];
    for (let e = offsets[i], end = offsets[i + 1]; e < end; e++) {
      const j = indices[e];
      if (j > i && distances[e] <= radius && labels[j] !== li) {
        candRow.push(i);
        candEdge.push(e);
      }
    }
  }
  // stable: equal distances stay in row order, as std::stable_sort keeps them
  const order = Array.from(candRow, (_, k) => k).sort((x, y) => distances[candEdge[x]] - distances[candEdge[y]] || x - y);
  const sets = new SmallestRootSets(n);
  // the cannot-link partner nodes of each set's members, kept at its root
  const partners: number[][] | undefined = constrained ? Array.from({ length: n }, () => []) : undefined;
  if (constrained && partners) {
    const { nodeLabels, cannotOffsets, cannotIndices } = constrained;
    for (let g = 0; g < nodeLabels.length; g++) for (let f = cannotOffsets[g]; f < cannotOffsets[g + 1]; f++) partners[nodeLabels[g]].push(cannotIndices[f]);
  }
  let steps = 0;
  for (const k of order) {
    if ((++steps & 4095) === 0 && slices.due()) await slices.pause();
    const x = sets.find(labels[candRow[k]]);
    const y = sets.find(labels[indices[candEdge[k]]]);
    if (x === y) continue;
    if (constrained && partners) {
      const xShorter = partners[x].length <= partners[y].length;
      const other = xShorter ? y : x;
      if (partners[xShorter ? x : y].some((h) => sets.find(constrained.nodeLabels[h]) === other)) continue; // refused
    }
    const kept = sets.joinRoots(x, y);
    if (partners) {
      const absorbed = kept === x ? y : x;
      for (const h of partners[absorbed]) partners[kept].push(h);
      partners[absorbed] = [];
    }
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = sets.find(labels[i]);
  return out;
}

/** Whether one of v's cannot-link partners already holds `label`. */
function holdsPartner(v: number, label: number, labels: Int32Array, cannotOffsets: Uint32Array, cannotIndices: Int32Array): boolean {
  for (let f = cannotOffsets[v], end = cannotOffsets[v + 1]; f < end; f++) if (labels[cannotIndices[f]] === label) return true;
  return false;
}

/**
 * Each row's float64 reference distance to its `want`-th nearest other row (1 <= want <= n − 1), by brute
 * force: every distance computed exactly, four columns at a time, with an early exit past the row's current
 * `want`-th value. Yields every ~50 ms.
 */
export async function kDistancesTs(data: Float32Array, n: number, dim: number, metric: Metric, want: number, signal?: AbortSignal): Promise<Float64Array> {
  const out = new Float64Array(n);
  const kernel = pairKernel(metric);
  const norms = metric === 'cosine' ? rowNorms(data, n, dim) : new Float64Array(n);
  // A sorted buffer of the `want` smallest distances so far; its last value bounds the early exit.
  const best = new Float64Array(want);
  const four = new Float64Array(4);
  const slices = new Slices(signal);
  for (let i = 0; i < n; i++) {
    best.fill(Infinity);
    const a = i * dim;
    const insert = (d: number) => {
      if (!(d < best[want - 1])) return;
      let p = want - 1;
      while (p > 0 && best[p - 1] > d) {
        best[p] = best[p - 1];
        p--;
      }
      best[p] = d;
    };
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const limit = kernel.limit(best[want - 1]);
      kernel.four(data, a, j * dim, dim, limit, norms[i], norms, j, four);
      for (let q = 0; q < 4; q++) if (j + q !== i) insert(four[q]);
    }
    for (; j < n; j++) {
      if (j === i) continue;
      insert(kernel.one(data, a, j * dim, dim, kernel.limit(best[want - 1]), norms[i], norms[j]));
    }
    out[i] = best[want - 1];
    if (slices.due()) await slices.pause();
  }
  return out;
}

/**
 * Nearest neighbours by brute force, every distance the float64 reference: the base streamed in blocks (each
 * copied once after a query slot in a scratch buffer, as the kernels read one array), four base rows at a
 * time with an early exit past the query's current k-th distance (or the radius). Yields every ~50 ms.
 */
export async function nearestNeighborsTs(
  base: Matrix,
  queries: Matrix,
  metric: Metric,
  k: number,
  radius: number,
  signal?: AbortSignal,
): Promise<NeighborLists> {
  const { dim } = base;
  const nb = base.n;
  const nq = queries.n;
  const kernel = pairKernel(metric);
  const normsB = metric === 'cosine' ? rowNorms(base.data, nb, dim) : new Float64Array(nb);
  const normsQ = metric === 'cosine' ? rowNorms(queries.data, nq, dim) : new Float64Array(nq);
  const top = new TopK(nq, k, radius);
  const rows = baseBlockRows(dim);
  const scratch = new Float32Array((rows + 1) * dim);
  const four = new Float64Array(4);
  const slices = new Slices(signal);
  for (let j0 = 0; j0 < nb; j0 += rows) {
    const bn = Math.min(rows, nb - j0);
    scratch.set(base.data.subarray(j0 * dim, (j0 + bn) * dim), dim);
    for (let q = 0; q < nq; q++) {
      scratch.set(queries.data.subarray(q * dim, (q + 1) * dim), 0);
      let t = 0;
      for (; t + 4 <= bn; t += 4) {
        kernel.four(scratch, 0, (t + 1) * dim, dim, kernel.limit(top.bound(q)), normsQ[q], normsB, j0 + t, four);
        for (let r = 0; r < 4; r++) top.offer(q, four[r], j0 + t + r);
      }
      for (; t < bn; t++) top.offer(q, kernel.one(scratch, 0, (t + 1) * dim, dim, kernel.limit(top.bound(q)), normsQ[q], normsB[j0 + t]), j0 + t);
      if ((q & 15) === 15 && slices.due()) await slices.pause();
    }
  }
  return top.toLists();
}
