/**
 * Neighbour graphs in CSR form, the hand-off between the distance stage and the clustering stage.
 */
import { describe, expectFinite } from './validate.js';

/**
 * A symmetric radius neighbour graph in CSR form. Row i's neighbours are
 * `indices[offsets[i] .. offsets[i+1])`, in ascending index order, never i itself; `distances[k]` is
 * `Math.fround` of the float64 reference distance of that edge. Each undirected edge appears twice
 * (once in each endpoint's row), so the number of pairs is `offsets[n] / 2`.
 */
export interface NeighborGraph {
  n: number;
  offsets: Uint32Array;
  indices: Int32Array;
  distances: Float32Array;
}

/** Number of undirected edges (pairs) of a symmetric graph. */
export function edgeCount(graph: NeighborGraph): number {
  return graph.offsets[graph.n] / 2;
}

/**
 * Checks that `graph` is a well-formed CSR graph (types, lengths, monotone offsets, indices in range), in
 * O(n + edges), so that no backend ever reads out of bounds. Symmetry and ordering are not checked.
 */
export function assertGraph(graph: unknown, name = 'graph'): asserts graph is NeighborGraph {
  if (typeof graph !== 'object' || graph === null) {
    throw new TypeError(`Expected ${name} to be a NeighborGraph { n, offsets, indices, distances } but received ${describe(graph)}`);
  }
  const g = graph as Partial<NeighborGraph>;
  const n = g.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new (typeof n === 'number' ? RangeError : TypeError)(
      `Expected ${name}.n to be an integer >= 0 but received ${describe(n)}`,
    );
  }
  if (!(g.offsets instanceof Uint32Array)) {
    throw new TypeError(`Expected ${name}.offsets to be a Uint32Array but received ${describe(g.offsets)}`);
  }
  if (!(g.indices instanceof Int32Array)) {
    throw new TypeError(`Expected ${name}.indices to be an Int32Array but received ${describe(g.indices)}`);
  }
  if (!(g.distances instanceof Float32Array)) {
    throw new TypeError(`Expected ${name}.distances to be a Float32Array but received ${describe(g.distances)}`);
  }
  const { offsets, indices, distances } = g;
  if (offsets.length !== n + 1) {
    throw new RangeError(`Expected ${name}.offsets to have length n + 1 (${n + 1}) but received length ${offsets.length}`);
  }
  const edges = offsets[n];
  if (offsets[0] !== 0 || indices.length !== edges || distances.length !== edges) {
    throw new RangeError(
      `Expected ${name}.offsets[0] to be 0 and ${name}.indices and ${name}.distances to have length offsets[n] (${edges}) but received offsets[0] = ${offsets[0]}, lengths ${indices.length} and ${distances.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1] < offsets[i]) {
      throw new RangeError(`Expected ${name}.offsets to be non-decreasing but offsets[${i + 1}] = ${offsets[i + 1]} < offsets[${i}] = ${offsets[i]}`);
    }
  }
  for (let k = 0; k < edges; k++) {
    const j = indices[k];
    if (j < 0 || j >= n) throw new RangeError(`Expected ${name}.indices to lie in [0, ${n}) but received ${j} at position ${k}`);
  }
}

/**
 * The subgraph of the edges whose stored distance is `<= maxDistance` (new arrays; the input is untouched).
 * Lets a threshold sweep build one graph at its largest threshold and recluster at each smaller one.
 *
 * Exactness: {@link radiusGraph} decides an edge on the float64 distance but stores it rounded to float32,
 * so filtering equals building the graph at `maxDistance` directly except for an edge whose float64
 * distance lies within half a float32 ulp of `maxDistance` (e.g. `maxDistance + 1e-9` stored as
 * `maxDistance`). With real-valued embeddings such ties are vanishingly rare; rebuild the graph when
 * bit-exactness at a threshold matters.
 */
export function filterGraph(graph: NeighborGraph, maxDistance: number): NeighborGraph {
  assertGraph(graph);
  expectFinite('maxDistance', maxDistance);
  return filterExact(graph, maxDistance);
}

/**
 * {@link filterGraph} without the checks, for a graph already validated (sweeps filter one graph many
 * times). One pass into arrays sized for every input edge, returned as views of their first `kept`
 * entries: faster, but holds the larger buffers while the result lives.
 */
export function filterGraphUnchecked(graph: NeighborGraph, maxDistance: number): NeighborGraph {
  const { n, offsets, indices, distances } = graph;
  const total = offsets[n];
  const outOffsets = new Uint32Array(n + 1);
  const outIndices = new Int32Array(total);
  const outDistances = new Float32Array(total);
  let w = 0;
  for (let i = 0; i < n; i++) {
    for (let k = offsets[i], end = offsets[i + 1]; k < end; k++) {
      const d = distances[k];
      if (d <= maxDistance) {
        outIndices[w] = indices[k];
        outDistances[w] = d;
        w++;
      }
    }
    outOffsets[i + 1] = w;
  }
  return { n, offsets: outOffsets, indices: outIndices.subarray(0, w), distances: outDistances.subarray(0, w) };
}

/** Two passes (count, then copy) into arrays of the exact size. */
function filterExact(graph: NeighborGraph, maxDistance: number): NeighborGraph {
  const { n, offsets, indices, distances } = graph;
  let kept = 0;
  for (let k = 0; k < offsets[n]; k++) if (distances[k] <= maxDistance) kept++;
  const outOffsets = new Uint32Array(n + 1);
  const outIndices = new Int32Array(kept);
  const outDistances = new Float32Array(kept);
  let w = 0;
  for (let i = 0; i < n; i++) {
    for (let k = offsets[i], end = offsets[i + 1]; k < end; k++) {
      if (distances[k] <= maxDistance) {
        outIndices[w] = indices[k];
        outDistances[w] = distances[k];
        w++;
      }
    }
    outOffsets[i + 1] = w;
  }
  return { n, offsets: outOffsets, indices: outIndices, distances: outDistances };
}

/**
 * The same graph with its rows renumbered: row r of `graph` becomes row `order[r]` (a permutation of
 * 0..n−1), neighbours renumbered alike and each row's neighbours sorted ascending again, as CSR wants.
 */
export function permuteGraph(graph: NeighborGraph, order: Int32Array): NeighborGraph {
  const n = graph.n;
  if (order.length !== n) throw new RangeError(`Expected order to hold ${n} rows but received ${order.length}`);
  const from = new Int32Array(n); // new row → old row
  for (let r = 0; r < n; r++) from[order[r]!] = r;
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + (graph.offsets[from[i]! + 1]! - graph.offsets[from[i]!]!);
  const indices = new Int32Array(offsets[n]!);
  const distances = new Float32Array(offsets[n]!);
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const r = from[i]!;
    pairs.length = 0;
    for (let e = graph.offsets[r]!; e < graph.offsets[r + 1]!; e++) pairs.push([order[graph.indices[e]!]!, graph.distances[e]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    pairs.forEach(([j, d], k) => {
      indices[offsets[i]! + k] = j;
      distances[offsets[i]! + k] = d;
    });
  }
  return { n, offsets, indices, distances };
}
