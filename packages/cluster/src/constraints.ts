/**
 * Must-link / cannot-link constraints (docs/ALGORITHMS.md, "Constraints"): checked here once for the four
 * clustering entry points, and the must-link contraction both backends then cluster, so that they see the
 * same contracted graph, weights, core flags and cannot-link lists.
 */
import type { NeighborGraph } from './graph.js';
import { SmallestRootSets } from './union-find.js';
import { describe, expectInteger } from './validate.js';

/** Pairs of row indices: a flat `Int32Array` `[a0, b0, a1, b1, …]` or an array of `[a, b]`. */
export type RowPairs = Int32Array | readonly (readonly [number, number])[];

/** Constraints from the user's own knowledge, honoured by every clustering call that takes them. */
export interface Constraints {
  /** Pairs of rows that must end in one cluster (transitively: the groups are the connected components). */
  mustLink?: RowPairs;
  /** Pairs of rows that must never share a cluster. */
  cannotLink?: RowPairs;
}

/**
 * A cannot-link pair whose two rows are in one must-link group (joined directly or through other
 * must-link pairs): no clustering can honour both. `pair` is the first such cannot-link pair, in input order.
 */
export class ConstraintConflictError extends RangeError {
  readonly code = 'ERR_FACECLUST_CONSTRAINT_CONFLICT';
  constructor(
    readonly pair: [number, number],
    /** Its position in `constraints.cannotLink`. */
    readonly index: number,
  ) {
    super(
      `Expected constraints.cannotLink[${index}] to separate two rows that are not must-linked, but rows ${pair[0]} and ${pair[1]} ` +
        'are in one must-link group (through constraints.mustLink)',
    );
    this.name = 'ConstraintConflictError';
  }
}

/**
 * Validated constraints, contracted: one node per must-link group, numbered by smallest member row; the
 * cannot-link pairs as a CSR over those nodes (both directions, each row sorted ascending, no duplicates).
 * @internal
 */
export interface Contraction {
  /** Rows. */
  n: number;
  /** Must-link groups (contracted nodes). */
  groups: number;
  /** Row → its group. */
  groupOf: Int32Array;
  /** Group g's rows, ascending: `members[memberOffsets[g] .. memberOffsets[g+1])`. */
  memberOffsets: Uint32Array;
  members: Int32Array;
  cannotOffsets: Uint32Array;
  cannotIndices: Int32Array;
}

/**
 * `value` (the `constraints` option) checked against `n` rows and contracted; undefined when it is absent or
 * holds no pair, so that unconstrained calls take exactly the unconstrained path. Throws TypeError/RangeError
 * naming the offending entry, then {@link ConstraintConflictError} for a cannot-link inside a must-link group.
 * @internal
 */
export function prepareConstraints(value: unknown, n: number): Contraction | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new TypeError(`Expected constraints to be an object { mustLink?, cannotLink? } but received ${describe(value)}`);
  }
  const { mustLink, cannotLink } = value as Record<string, unknown>;
  const must = rowPairs('constraints.mustLink', mustLink, n);
  const cannot = rowPairs('constraints.cannotLink', cannotLink, n);
  if (must.length === 0 && cannot.length === 0) return undefined;

  const groupOf = mustLinkGroups(must, n);
  for (let p = 0; p < cannot.length; p += 2) {
    if (groupOf[cannot[p]] === groupOf[cannot[p + 1]]) throw new ConstraintConflictError([cannot[p], cannot[p + 1]], p / 2);
  }
  let groups = 0;
  for (let r = 0; r < n; r++) groups = Math.max(groups, groupOf[r] + 1);
  const memberOffsets = new Uint32Array(groups + 1);
  for (let r = 0; r < n; r++) memberOffsets[groupOf[r] + 1]++;
  for (let g = 0; g < groups; g++) memberOffsets[g + 1] += memberOffsets[g];
  const members = new Int32Array(n);
  const fill = memberOffsets.slice(0, groups);
  for (let r = 0; r < n; r++) members[fill[groupOf[r]]++] = r; // rows in ascending order: each group's too
  const groupPairs = new Int32Array(cannot.length);
  for (let p = 0; p < cannot.length; p++) groupPairs[p] = groupOf[cannot[p]];
  const { offsets: cannotOffsets, indices: cannotIndices } = pairsToCsr(groupPairs, groups);
  return { n, groups, groupOf, memberOffsets, members, cannotOffsets, cannotIndices };
}

/**
 * The graph over must-link groups: group G joins H ≠ G when an edge joins a member of each; edges inside a
 * group disappear; rows sorted ascending. With `weighting` (Chinese Whispers), each contracted edge weighs
 * the float64 sum of its member edges' weights (unit: 1, similarity: 1 / (1 + d)), added in the order met:
 * G's members ascending, each member's edges in CSR order. The contracted graph's `distances` is empty: the
 * backends read `weights` instead (DBSCAN reads neither).
 *
 * Without must-links (every group one row), a graph whose rows ascend strictly and skip the row itself, as
 * every graph made here does, is its own contraction: it comes back as it is and `weights` is absent, since
 * the backends derive the same float64 weights from its distances. A copy would cost 12 bytes per CSR entry
 * (twice that while trimmed) at the clustering's memory peak (packages/cluster README, "A million faces").
 * @internal
 */
export function contractGraph(graph: NeighborGraph, c: Contraction, weighting?: 'unit' | 'similarity'): { graph: NeighborGraph; weights?: Float64Array } {
  if (c.groups === c.n && rowsAscendWithoutSelf(graph)) return { graph };
  const { offsets, indices, distances } = graph;
  const { groups, groupOf, memberOffsets, members } = c;
  const unit = weighting === 'unit';
  const withWeights = weighting !== undefined;
  const outOffsets = new Uint32Array(groups + 1);
  const outIndices = new Int32Array(offsets[graph.n]);
  const outWeights = new Float64Array(withWeights ? offsets[graph.n] : 0);
  // Per group: the neighbour groups met (seen, mark) and their summed weights.
  const mark = new Int32Array(groups).fill(-1);
  const sum = new Float64Array(withWeights ? groups : 0);
  const seen = new Int32Array(groups);
  let w = 0;
  for (let g = 0; g < groups; g++) {
    let count = 0;
    for (let p = memberOffsets[g]; p < memberOffsets[g + 1]; p++) {
      const m = members[p];
      for (let e = offsets[m], end = offsets[m + 1]; e < end; e++) {
        const h = groupOf[indices[e]];
        if (h === g) continue;
        const weight = unit ? 1 : withWeights ? 1 / (1 + distances[e]) : 0;
        if (mark[h] !== g) {
          mark[h] = g;
          seen[count++] = h;
          if (withWeights) sum[h] = weight;
        } else if (withWeights) {
          sum[h] += weight;
        }
      }
    }
    const row = seen.subarray(0, count).sort();
    outIndices.set(row, w);
    if (withWeights) for (let q = 0; q < count; q++) outWeights[w + q] = sum[row[q]];
    w += count;
    outOffsets[g + 1] = w;
  }
  // trimmed only when edges went (a copy, so the unused tail is freed)
  const trim = <T extends Int32Array | Float64Array>(a: T, length: number): T => (a.length === length ? a : (a.slice(0, length) as T));
  return {
    graph: { n: groups, offsets: outOffsets, indices: trim(outIndices, w), distances: new Float32Array(0) },
    weights: trim(outWeights, withWeights ? w : 0),
  };
}

/** Whether every row of `graph` lists its neighbours in strictly ascending order, never the row itself. */
function rowsAscendWithoutSelf({ n, offsets, indices }: NeighborGraph): boolean {
  for (let i = 0; i < n; i++) {
    let previous = -1;
    for (let e = offsets[i], end = offsets[i + 1]; e < end; e++) {
      const j = indices[e];
      if (j <= previous || j === i) return false;
      previous = j;
    }
  }
  return true;
}

/**
 * DBSCAN's core flags of the groups: a group of two or more rows is always core (they are one person); a
 * single row m is core when degree(m) + 1 >= minSamples, i.e. |{m} ∪ N_eps(m)| >= minSamples, as without
 * constraints (`rowCore`, e.g. the weighted test of `sampleWeight`, replaces that test).
 * @internal
 */
export function groupCore(graph: NeighborGraph, c: Contraction, minSamples: number, rowCore?: Uint8Array): Uint8Array {
  const core = new Uint8Array(c.groups);
  for (let g = 0; g < c.groups; g++) {
    const begin = c.memberOffsets[g];
    if (c.memberOffsets[g + 1] - begin >= 2) core[g] = 1;
    else {
      const m = c.members[begin];
      core[g] = rowCore ? rowCore[m] : graph.offsets[m + 1] - graph.offsets[m] + 1 >= minSamples ? 1 : 0;
    }
  }
  return core;
}

/** Each row gets its group's raw label. @internal */
export function expandLabels(groupLabels: Int32Array, c: Contraction): Int32Array {
  const labels = new Int32Array(c.n);
  for (let r = 0; r < c.n; r++) labels[r] = groupLabels[c.groupOf[r]];
  return labels;
}

/** `value` as a flat Int32Array of pairs, each index an integer in [0, n) and each pair of two rows. */
function rowPairs(name: string, value: unknown, n: number): Int32Array {
  if (value === undefined) return new Int32Array(0);
  let flat: Int32Array;
  if (value instanceof Int32Array) {
    if (value.length % 2 !== 0) {
      throw new RangeError(`Expected ${name} to hold pairs [a0, b0, a1, b1, …] (an even length) but received ${describe(value)}`);
    }
    flat = value;
    for (let k = 0; k < flat.length; k++) checkRow(`${name}[${k}]`, flat[k], n);
  } else if (Array.isArray(value)) {
    flat = new Int32Array(2 * value.length);
    value.forEach((pair: unknown, p) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`Expected ${name}[${p}] to be a pair [a, b] of row indices but received ${describe(pair)}`);
      flat[2 * p] = checkRow(`${name}[${p}][0]`, pair[0], n);
      flat[2 * p + 1] = checkRow(`${name}[${p}][1]`, pair[1], n);
    });
  } else {
    throw new TypeError(`Expected ${name} to be an Int32Array [a0, b0, a1, b1, …] or an array of [a, b] pairs but received ${describe(value)}`);
  }
  for (let p = 0; p < flat.length; p += 2) {
    if (flat[p] === flat[p + 1]) {
      const at = value instanceof Int32Array ? `${name}[${p}], ${name}[${p + 1}]` : `${name}[${p / 2}]`;
      throw new RangeError(`Expected ${at} to join two different rows but received [${flat[p]}, ${flat[p + 1]}]`);
    }
  }
  return flat;
}

function checkRow(name: string, value: unknown, n: number): number {
  if (n === 0) throw new RangeError(`Expected ${name} to be a row index but there are no rows (received ${describe(value)})`);
  return expectInteger(name, value, 0, n - 1);
}

/** Row → group: the connected components of the must-link pairs, numbered by their smallest row. */
function mustLinkGroups(must: Int32Array, n: number): Int32Array {
  // every root is its component's smallest row
  const sets = new SmallestRootSets(n);
  for (let p = 0; p < must.length; p += 2) {
    const a = sets.find(must[p]);
    const b = sets.find(must[p + 1]);
    if (a !== b) sets.joinRoots(a, b);
  }
  const groupOf = new Int32Array(n);
  let groups = 0;
  for (let r = 0; r < n; r++) groupOf[r] = sets.find(r) === r ? groups++ : groupOf[sets.find(r)];
  return groupOf;
}

/** Group pairs as a symmetric CSR over `groups` nodes, each row sorted ascending without duplicates. */
function pairsToCsr(pairs: Int32Array, groups: number): { offsets: Uint32Array; indices: Int32Array } {
  const degree = new Uint32Array(groups + 1);
  for (let p = 0; p < pairs.length; p++) degree[pairs[p] + 1]++;
  for (let g = 0; g < groups; g++) degree[g + 1] += degree[g];
  const all = new Int32Array(pairs.length);
  const fill = degree.slice(0, groups);
  for (let p = 0; p < pairs.length; p += 2) {
    all[fill[pairs[p]]++] = pairs[p + 1];
    all[fill[pairs[p + 1]]++] = pairs[p];
  }
  const offsets = new Uint32Array(groups + 1);
  let w = 0;
  for (let g = 0; g < groups; g++) {
    // Compacted in place: the write position never passes the read position.
    const row = all.subarray(degree[g], degree[g + 1]).sort();
    const start = w;
    for (let q = 0; q < row.length; q++) if (w === start || all[w - 1] !== row[q]) all[w++] = row[q];
    offsets[g + 1] = w;
  }
  return { offsets, indices: all.slice(0, w) };
}
