/**
 * Must-link / cannot-link constraints: both backends against a brute-force reference of docs/ALGORITHMS.md
 * ("Constraints") written here without the contraction code, the guarantees on larger data, the conflict
 * error and the validation messages, and that no (or empty) constraints change nothing.
 */
import { describe, expect, it } from 'vitest';
import { resolveBackend, type BackendName } from './backend.js';
import { chineseWhispers, chineseWhispersOnGraph } from './chinese-whispers.js';
import { ConstraintConflictError, contractGraph, prepareConstraints, type Constraints } from './constraints.js';
import { dbscan, dbscanOnGraph } from './dbscan.js';
import type { NeighborGraph } from './graph.js';
import { radiusGraph } from './radius-graph.js';
import { renumberLabels } from './renumber.js';
import { Mulberry32 } from './rng.js';
import { blobs, caught, firstDifference, graphOf } from './test-helpers.js';

const nativeLoads = await resolveBackend('native').then(
  () => true,
  () => false,
);
if (!nativeLoads) console.warn('constraints.test.ts: the native addon did not load; the ts backend only');
const BACKEND_NAMES: BackendName[] = nativeLoads ? ['ts', 'native'] : ['ts'];

// ---- the brute-force reference, straight from the documented semantics ----

/** Must-link groups: each row's smallest reachable row, found by relaxing until nothing changes. */
function refGroups(n: number, must: [number, number][]): { groupOf: number[]; members: number[][] } {
  const low = Array.from({ length: n }, (_, r) => r);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [a, b] of must) {
      const m = Math.min(low[a], low[b]);
      if (low[a] !== m || low[b] !== m) (low[a] = m), (low[b] = m), (changed = true);
    }
  }
  const ids = [...new Set(low)].sort((x, y) => x - y); // group order: by smallest member row
  const groupOf = low.map((l) => ids.indexOf(l));
  const members = ids.map((_, g) => groupOf.flatMap((h, r) => (h === g ? [r] : [])));
  return { groupOf, members };
}

/** A cannot-link pair inside a must-link group, the first in input order. */
function refConflict(n: number, must: [number, number][], cannot: [number, number][]): [number, number] | undefined {
  const { groupOf } = refGroups(n, must);
  return cannot.find(([a, b]) => groupOf[a] === groupOf[b]);
}

/** Per group: neighbour group → float64 weight summed over member edges (members ascending, CSR order). */
function refWeights(g: NeighborGraph, groupOf: number[], members: number[][], unit: boolean): Map<number, number>[] {
  return members.map((rows, G) => {
    const w = new Map<number, number>();
    for (const m of rows) {
      for (let e = g.offsets[m]; e < g.offsets[m + 1]; e++) {
        const H = groupOf[g.indices[e]];
        if (H !== G) w.set(H, (w.get(H) ?? 0) + (unit ? 1 : 1 / (1 + g.distances[e])));
      }
    }
    return w;
  });
}

function refPartners(groupOf: number[], groups: number, cannot: [number, number][]): Set<number>[] {
  const partners = Array.from({ length: groups }, () => new Set<number>());
  for (const [a, b] of cannot) partners[groupOf[a]].add(groupOf[b]), partners[groupOf[b]].add(groupOf[a]);
  return partners;
}

function refChineseWhispers(
  g: NeighborGraph,
  must: [number, number][],
  cannot: [number, number][],
  { iterations, seed, unit, minClusterSize }: { iterations: number; seed: number; unit: boolean; minClusterSize: number },
) {
  const { groupOf, members } = refGroups(g.n, must);
  const G = members.length;
  const weights = refWeights(g, groupOf, members, unit);
  const partners = refPartners(groupOf, G, cannot);
  const label = Array.from({ length: G }, (_, i) => i);
  const order = Array.from({ length: G }, (_, i) => i);
  const rng = new Mulberry32(seed);
  let ran = 0;
  for (let it = 0; it < iterations; it++) {
    for (let i = G - 1; i >= 1; i--) {
      const j = rng.below(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    ran++;
    let changes = 0;
    for (const v of order) {
      const neighbours = [...weights[v].keys()].sort((x, y) => x - y);
      if (neighbours.length === 0) continue;
      const sums = new Map<number, number>();
      for (const H of neighbours) sums.set(label[H], (sums.get(label[H]) ?? 0) + weights[v].get(H)!);
      const forbidden = new Set([...partners[v]].map((p) => label[p]));
      let best = -1;
      for (const [l, s] of sums) {
        if (forbidden.has(l)) continue;
        if (best === -1 || s > sums.get(best)! || (s === sums.get(best)! && l < best)) best = l;
      }
      if (best !== -1 && best !== label[v]) (label[v] = best), changes++;
    }
    if (changes === 0) break;
  }
  const rows = Int32Array.from(groupOf, (h) => label[h]);
  return { labels: renumberLabels(rows, minClusterSize).labels, iterations: ran };
}

/** The merge pass, by brute force over row labels: inter-cluster edges within `radius`, closest first (ties in row order), each joining its two clusters unless a cannot-link pair spans them. */
function refMerge(g: NeighborGraph, labels: Int32Array, cannot: [number, number][], radius: number): Int32Array {
  const out = Int32Array.from(labels);
  const edges: [number, number, number][] = [];
  for (let i = 0; i < g.n; i++) for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) if (g.indices[e] > i && g.distances[e] <= radius) edges.push([g.distances[e], i, g.indices[e]]);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  for (const [, i, j] of edges) {
    const [x, y] = [out[i], out[j]];
    if (x === y || cannot.some(([a, b]) => (out[a] === x && out[b] === y) || (out[a] === y && out[b] === x))) continue;
    for (let r = 0; r < out.length; r++) if (out[r] === y) out[r] = x;
  }
  return out;
}

function refDbscan(g: NeighborGraph, must: [number, number][], cannot: [number, number][], minSamples: number): Int32Array {
  const { groupOf, members } = refGroups(g.n, must);
  const G = members.length;
  const partners = refPartners(groupOf, G, cannot);
  const neighbours = members.map((rows, H) => {
    const set = new Set<number>();
    for (const m of rows) for (let e = g.offsets[m]; e < g.offsets[m + 1]; e++) if (groupOf[g.indices[e]] !== H) set.add(groupOf[g.indices[e]]);
    return [...set].sort((x, y) => x - y);
  });
  const core = members.map((rows) => {
    const points = new Set(rows);
    for (const m of rows) for (let e = g.offsets[m]; e < g.offsets[m + 1]; e++) points.add(g.indices[e]);
    return points.size >= minSamples || rows.length >= 2;
  });
  const label = new Array<number>(G).fill(-1);
  let next = 0;
  for (let i = 0; i < G; i++) {
    if (label[i] !== -1 || !core[i]) continue;
    const stack = [i];
    while (stack.length) {
      const v = stack.pop()!;
      if (label[v] !== -1) continue;
      if ([...partners[v]].some((p) => label[p] === next)) continue; // refused
      label[v] = next;
      if (core[v]) for (const u of neighbours[v]) if (label[u] === -1) stack.push(u);
    }
    next++;
  }
  return renumberLabels(Int32Array.from(groupOf, (h) => label[h])).labels;
}

/** Random pairs of distinct rows. */
function randomPairs(rng: Mulberry32, n: number, count: number): [number, number][] {
  const pairs: [number, number][] = [];
  while (pairs.length < count && n >= 2) {
    const a = rng.below(n);
    const b = rng.below(n);
    if (a !== b) pairs.push([a, b]);
  }
  return pairs;
}

/** Half the cases pass flat Int32Arrays, half arrays of pairs. */
function asInput(pairs: [number, number][], flat: boolean): Constraints['mustLink'] {
  return flat ? Int32Array.from(pairs.flat()) : pairs;
}

describe('constraints: both backends equal the brute-force reference (n <= 9)', () => {
  const rng = new Mulberry32(2024);
  const cases = Array.from({ length: 300 }, (_, c) => {
    const n = 1 + rng.below(9);
    const edges: [number, number, number][] = [];
    const p = rng.below(100) / 100;
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (rng.below(100) < p * 100) edges.push([a, b, [0.25, 0.5, 0.75, 1][rng.below(4)]]);
    const must = randomPairs(rng, n, rng.below(4));
    const cannot = randomPairs(rng, n, rng.below(4));
    return { c, n, graph: graphOf(n, edges), must, cannot, flat: c % 2 === 0 };
  });
  const conflicts = cases.filter(({ n, must, cannot }) => refConflict(n, must, cannot)).length;

  it(`${cases.length} random graphs (${conflicts} with a conflict): Chinese Whispers and DBSCAN labels, passes, conflicts`, async () => {
    expect(conflicts).toBeGreaterThan(5); // the conflict path is exercised too
    let checked = 0;
    for (const { c, n, graph, must, cannot, flat } of cases) {
      const constraints = { mustLink: asInput(must, flat), cannotLink: asInput(cannot, !flat) };
      const conflict = refConflict(n, must, cannot);
      for (const backend of BACKEND_NAMES) {
        const where = `case ${c} (${backend}): n=${n} must=${JSON.stringify(must)} cannot=${JSON.stringify(cannot)}`;
        if (conflict) {
          const error = await caught(() => chineseWhispersOnGraph(graph, { constraints, backend }));
          expect(error, where).toBeInstanceOf(ConstraintConflictError);
          expect((error as ConstraintConflictError).pair, where).toEqual(conflict);
          await expect(dbscanOnGraph(graph, { constraints, backend }), where).rejects.toBeInstanceOf(ConstraintConflictError);
          continue;
        }
        for (const [seed, unit, minClusterSize, iterations] of [[c, false, 1, 30], [c + 1, true, 2, 30], [7, false, 1, 1]] as const) {
          const got = await chineseWhispersOnGraph(graph, { constraints, backend, seed, weighting: unit ? 'unit' : 'similarity', minClusterSize, iterations });
          const want = refChineseWhispers(graph, must, cannot, { iterations, seed, unit, minClusterSize });
          expect(firstDifference(got.labels, want.labels), `${where} cw seed=${seed}`).toBeUndefined();
          expect(got.iterations, where).toBe(want.iterations);
        }
        for (const [mergeRadius, minClusterSize] of [[0.6, 1], [1, 2]] as const) {
          const got = await chineseWhispersOnGraph(graph, { constraints, backend, seed: c, mergeRadius, minClusterSize });
          const passes = refChineseWhispers(graph, must, cannot, { iterations: 30, seed: c, unit: false, minClusterSize: 1 });
          const want = renumberLabels(refMerge(graph, passes.labels, cannot, mergeRadius), minClusterSize).labels;
          expect(firstDifference(got.labels, want), `${where} cw merge ${mergeRadius}`).toBeUndefined();
        }
        for (const minSamples of [1, 2, 3, 5]) {
          const got = await dbscanOnGraph(graph, { constraints, backend, minSamples });
          expect(firstDifference(got.labels, refDbscan(graph, must, cannot, minSamples)), `${where} dbscan minSamples=${minSamples}`).toBeUndefined();
        }
        checked++;
      }
    }
    expect(checked).toBe((cases.length - conflicts) * BACKEND_NAMES.length);
  });
});

describe('constraints: guarantees on clustered data', () => {
  // 30 blobs of 20; must-links inside and across blobs, cannot-links inside blobs (the ones that bite).
  const { vectors, truth } = blobs(30, 20, 16, 3, 5);
  const n = 600;
  const rng = new Mulberry32(9);
  const must = randomPairs(rng, n, 60);
  const { groupOf } = refGroups(n, must);
  const cannot = randomPairs(rng, n, 4000)
    .filter(([a, b]) => truth[a] === truth[b] && groupOf[a] !== groupOf[b])
    .slice(0, 120);
  const constraints: Constraints = { mustLink: must, cannotLink: cannot };

  const check = (labels: Int32Array, noiseAllowed: boolean) => {
    for (const [a, b] of must) {
      expect(labels[a], `must [${a}, ${b}]`).toBe(labels[b]);
      if (!noiseAllowed) expect(labels[a]).not.toBe(-1);
    }
    for (const [a, b] of cannot) if (labels[a] !== -1) expect(labels[a], `cannot [${a}, ${b}]`).not.toBe(labels[b]);
  };

  it('every must-link pair shares a cluster and no cannot-link pair does, on both backends, identically', { timeout: 30_000 }, async () => {
    const graph = await radiusGraph(vectors, 16, { radius: 9, backend: 'ts' });
    const results: Record<string, Int32Array[]> = {};
    for (const backend of BACKEND_NAMES) {
      const cw = await chineseWhispersOnGraph(graph, { constraints, backend });
      const cwUnit = await chineseWhispersOnGraph(graph, { constraints, backend, weighting: 'unit', seed: 3 });
      const cwMerged = await chineseWhispersOnGraph(graph, { constraints, backend, mergeRadius: 9 });
      check(cwMerged.labels, false);
      const db = await dbscanOnGraph(graph, { constraints, backend, minSamples: 4 });
      check(cw.labels, false);
      check(cwUnit.labels, false);
      check(db.labels, false); // must-link groups are core: never noise
      results[backend] = [cw.labels, cwUnit.labels, db.labels, cwMerged.labels];
      // the constraints changed something: the unconstrained clustering splits no blob of this size
      const plain = await chineseWhispersOnGraph(graph, { backend });
      expect(firstDifference(plain.labels, cw.labels)).toBeDefined();
    }
    if (nativeLoads) results.native.forEach((labels, k) => expect(firstDifference(labels, results.ts[k])).toBeUndefined());
  });

  it('the vector-level calls honour them as well', async () => {
    for (const backend of BACKEND_NAMES) {
      check((await chineseWhispers(vectors, 16, { threshold: 9, constraints, backend })).labels, false);
      check((await dbscan(vectors, 16, { eps: 9, minSamples: 4, constraints, backend })).labels, false);
    }
  });

  it('minClusterSize counts rows: a must-link pair of isolated rows is a cluster of two', async () => {
    const graph = graphOf(5, [[0, 1, 0.5]]);
    for (const backend of BACKEND_NAMES) {
      const r = await chineseWhispersOnGraph(graph, { constraints: { mustLink: [[3, 4]] }, minClusterSize: 2, backend });
      expect(Array.from(r.labels)).toEqual([0, 0, -1, 1, 1]);
      const d = await dbscanOnGraph(graph, { constraints: { mustLink: [[3, 4]] }, minSamples: 3, backend });
      expect(Array.from(d.labels)).toEqual([-1, -1, -1, 0, 0]);
    }
  });
});

describe('constraints: absent or empty change nothing', () => {
  const { vectors } = blobs(10, 20, 8, 3, 11);
  const empties: [string, Constraints | undefined][] = [
    ['undefined', undefined],
    ['{}', {}],
    ['empty arrays', { mustLink: [], cannotLink: new Int32Array(0) }],
  ];
  it.each(empties)('%s: identical labels to a call without the option, and no contraction', async (_, constraints) => {
    expect(prepareConstraints(constraints, 200)).toBeUndefined();
    const graph = await radiusGraph(vectors, 8, { radius: 6, backend: 'ts' });
    for (const backend of BACKEND_NAMES) {
      const cw = await chineseWhispersOnGraph(graph, { backend, constraints });
      expect(firstDifference(cw.labels, (await chineseWhispersOnGraph(graph, { backend })).labels)).toBeUndefined();
      const db = await dbscanOnGraph(graph, { backend, minSamples: 3, constraints });
      expect(firstDifference(db.labels, (await dbscanOnGraph(graph, { backend, minSamples: 3 })).labels)).toBeUndefined();
    }
  });

  it('cannot-links alone (no must-link) give a graph of one node per row', () => {
    const c = prepareConstraints({ cannotLink: [[2, 0], [0, 2], [1, 2]] }, 4)!;
    expect(c.groups).toBe(4);
    expect(Array.from(c.cannotOffsets)).toEqual([0, 1, 2, 4, 4]); // sorted, duplicates dropped
    expect(Array.from(c.cannotIndices)).toEqual([2, 2, 0, 1]);
  });

  it('without must-links the graph is its own contraction (no copy, weights from its distances); rows out of order are still contracted', async () => {
    const graph = await radiusGraph(vectors, 8, { radius: 6, backend: 'ts' });
    const c = prepareConstraints({ cannotLink: [[0, 1]] }, 200)!;
    for (const weighting of [undefined, 'unit', 'similarity'] as const) {
      const own = contractGraph(graph, c, weighting);
      expect(own.graph).toBe(graph);
      expect(own.weights).toBeUndefined();
    }
    // a row listed in descending order: the contraction sorts it (and weighs each edge as before)
    const row = graph.offsets.findIndex((o, i) => i < graph.n && graph.offsets[i + 1]! - o >= 2);
    const indices = graph.indices.slice();
    const distances = graph.distances.slice();
    indices.subarray(graph.offsets[row], graph.offsets[row + 1]).reverse();
    distances.subarray(graph.offsets[row], graph.offsets[row + 1]).reverse();
    const shuffled = contractGraph({ ...graph, indices, distances }, c, 'similarity');
    expect(shuffled.graph).not.toBe(graph);
    expect(Array.from(shuffled.graph.indices)).toEqual(Array.from(graph.indices));
    expect(Array.from(shuffled.weights!)).toEqual(Array.from(graph.distances, (d) => 1 / (1 + d)));
    // and the clustering of the graph as it is equals the one with the explicit weights, on both backends
    const cannot = { cannotLink: [[0, 1], [2, 3], [5, 9]] as [number, number][] };
    for (const backend of BACKEND_NAMES) {
      const b = await resolveBackend(backend);
      const cc = prepareConstraints(cannot, 200)!;
      const explicit = await b.chineseWhispers(graph, 30, 0, false, undefined, { weights: Float64Array.from(graph.distances, (d) => 1 / (1 + d)), cannotOffsets: cc.cannotOffsets, cannotIndices: cc.cannotIndices });
      const cw = await chineseWhispersOnGraph(graph, { backend, constraints: cannot, mergeRadius: 0, minClusterSize: 1, iterations: 30, seed: 0 });
      expect(firstDifference(cw.labels, renumberLabels(explicit.labels, 1).labels), backend).toBeUndefined();
    }
  });
});

describe('constraints: conflicts and BAD CALLs', () => {
  const graph = graphOf(4, [[0, 1, 0.5]]);

  it('a cannot-link inside a must-link group (through a chain) throws ConstraintConflictError naming the first such pair', async () => {
    const constraints = { mustLink: [[0, 1], [1, 2]] as [number, number][], cannotLink: [[3, 0], [2, 0], [1, 0]] as [number, number][] };
    for (const call of [
      () => chineseWhispersOnGraph(graph, { constraints }),
      () => dbscanOnGraph(graph, { constraints }),
      () => chineseWhispers(new Float32Array(8), 2, { threshold: 1, constraints }),
      () => dbscan(new Float32Array(8), 2, { eps: 1, constraints }),
    ]) {
      const error = (await caught(call)) as ConstraintConflictError;
      expect(error).toBeInstanceOf(ConstraintConflictError);
      expect(error).toBeInstanceOf(RangeError);
      expect(error.name).toBe('ConstraintConflictError');
      expect(error.code).toBe('ERR_FACECLUST_CONSTRAINT_CONFLICT');
      expect(error.pair).toEqual([2, 0]);
      expect(error.message).toBe(
        'Expected constraints.cannotLink[1] to separate two rows that are not must-linked, but rows 2 and 0 are in one must-link group (through constraints.mustLink)',
      );
    }
  });

  // [description, constraints, error class, exact message]; n = 4 rows
  const bad: [string, unknown, ErrorConstructor, string][] = [
    ['not an object', 5, TypeError, 'Expected constraints to be an object { mustLink?, cannotLink? } but received 5'],
    ['an array', [[0, 1]], TypeError, 'Expected constraints to be an object { mustLink?, cannotLink? } but received an array of length 1'],
    ['mustLink a Float64Array', { mustLink: new Float64Array(2) }, TypeError,
      'Expected constraints.mustLink to be an Int32Array [a0, b0, a1, b1, …] or an array of [a, b] pairs but received Float64Array of length 2'],
    ['cannotLink a number', { cannotLink: 3 }, TypeError,
      'Expected constraints.cannotLink to be an Int32Array [a0, b0, a1, b1, …] or an array of [a, b] pairs but received 3'],
    ['odd flat length', { mustLink: Int32Array.of(0, 1, 2) }, RangeError,
      'Expected constraints.mustLink to hold pairs [a0, b0, a1, b1, …] (an even length) but received Int32Array of length 3'],
    ['flat index out of range', { mustLink: Int32Array.of(0, 1, 2, 120) }, RangeError,
      'Expected constraints.mustLink[3] to be an integer between 0 and 3 but received 120'],
    ['flat negative index', { cannotLink: Int32Array.of(-1, 1) }, RangeError,
      'Expected constraints.cannotLink[0] to be an integer between 0 and 3 but received -1'],
    ['pair out of range', { mustLink: [[0, 1], [2, 4]] }, RangeError, 'Expected constraints.mustLink[1][1] to be an integer between 0 and 3 but received 4'],
    ['pair with a fraction', { cannotLink: [[0.5, 1]] }, RangeError, 'Expected constraints.cannotLink[0][0] to be an integer between 0 and 3 but received 0.5'],
    ['pair with a string', { cannotLink: [[0, '1']] }, TypeError, 'Expected constraints.cannotLink[0][1] to be an integer between 0 and 3 but received "1" of type string'],
    ['not a pair', { mustLink: [[0, 1], [2]] }, TypeError, 'Expected constraints.mustLink[1] to be a pair [a, b] of row indices but received an array of length 1'],
    ['a number for a pair', { mustLink: [0, 1] }, TypeError, 'Expected constraints.mustLink[0] to be a pair [a, b] of row indices but received 0'],
    ['a row with itself', { mustLink: [[0, 1], [2, 2]] }, RangeError, 'Expected constraints.mustLink[1] to join two different rows but received [2, 2]'],
    ['a flat row with itself', { cannotLink: Int32Array.of(0, 1, 3, 3) }, RangeError,
      'Expected constraints.cannotLink[2], constraints.cannotLink[3] to join two different rows but received [3, 3]'],
  ];
  it.each(bad)('BAD CALL – %s', async (_, constraints, ErrorClass, message) => {
    for (const call of [
      () => chineseWhispersOnGraph(graph, { constraints: constraints as Constraints }),
      () => dbscanOnGraph(graph, { constraints: constraints as Constraints }),
      () => chineseWhispers(new Float32Array(8), 2, { threshold: 1, constraints: constraints as Constraints }),
      () => dbscan(new Float32Array(8), 2, { eps: 1, constraints: constraints as Constraints }),
    ]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.message).toBe(message);
    }
  });

  it('BAD CALL – a pair on an empty input', async () => {
    const error = await caught(() => dbscan(new Float32Array(0), 2, { eps: 1, constraints: { mustLink: [[0, 1]] } }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('Expected constraints.mustLink[0][0] to be a row index but there are no rows (received 0)');
  });
});
