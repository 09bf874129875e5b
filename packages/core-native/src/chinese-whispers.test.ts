import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { csr, mulberry32 } from './test-helpers.js';

const native = loadNative();

/**
 * Chinese Whispers written from docs/ALGORITHMS.md, independently of the C++: weights from the distances
 * (`unit`: 1), or explicit `weights`; with `cannot` pairs ("Constraints"), the labels of a node's cannot-link
 * partners are forbidden when it is visited (it keeps its label when every candidate is forbidden).
 */
function referenceCw(
  g: ReturnType<typeof csr>,
  iterations: number,
  seed: number,
  unit: boolean,
  constrained?: { weights: Float64Array; cannot: Array<[number, number]> },
) {
  const { offsets, indices, distances, n } = g;
  const partners = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of constrained?.cannot ?? []) partners[a].push(b), partners[b].push(a);
  const label = Int32Array.from({ length: n }, (_, i) => i);
  const order = Array.from({ length: n }, (_, i) => i);
  const next = mulberry32(seed);
  const below = (m: number) => Math.floor((next() * m) / 2 ** 32);
  let run = 0;
  for (let it = 0; it < iterations; it++) {
    for (let i = n - 1; i >= 1; i--) {
      const j = below(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    let changes = 0;
    for (const v of order) {
      if (offsets[v] === offsets[v + 1]) continue;
      const sums = new Map<number, number>();
      for (let e = offsets[v]; e < offsets[v + 1]; e++) {
        const w = constrained ? constrained.weights[e] : unit ? 1 : 1 / (1 + distances[e]);
        sums.set(label[indices[e]], (sums.get(label[indices[e]]) ?? 0) + w);
      }
      const forbidden = new Set(partners[v].map((p) => label[p]));
      let best = -1;
      let bestSum = -Infinity;
      for (const [l, s] of sums) if (!forbidden.has(l) && (s > bestSum || (s === bestSum && l < best))) [best, bestSum] = [l, s];
      if (best !== -1 && best !== label[v]) {
        label[v] = best;
        changes++;
      }
    }
    run = it + 1;
    if (changes === 0) break;
  }
  return { labels: Array.from(label), iterations: run };
}

function randomGraph(n: number, edges: number, seed: number) {
  const next = mulberry32(seed);
  const seen = new Set<string>();
  const list: Array<[number, number, number]> = [];
  while (list.length < edges) {
    const a = next() % n;
    const b = next() % n;
    if (a === b || seen.has(`${Math.min(a, b)},${Math.max(a, b)}`)) continue;
    seen.add(`${Math.min(a, b)},${Math.max(a, b)}`);
    // distances from a small set so that equal weight sums (ties) actually occur
    list.push([a, b, [0.25, 0.5, 0.75][next() % 3]]);
  }
  return csr(n, list);
}

function run(g: ReturnType<typeof csr>, iterations: number, seed: number, unit: boolean) {
  const r = native.chineseWhispersSync(g.offsets, g.indices, g.distances, g.n, iterations, seed, unit);
  return { labels: Array.from(r.labels), iterations: r.iterations };
}

describe('chineseWhispers', () => {
  it('two cliques joined by one edge become two clusters; an isolated node stays alone', () => {
    const edges: Array<[number, number, number]> = [];
    for (const [lo, hi] of [[0, 5], [5, 10]]) for (let a = lo; a < hi; a++) for (let b = a + 1; b < hi; b++) edges.push([a, b, 0.2]);
    edges.push([4, 5, 0.9]);
    const g = csr(11, edges);
    for (const seed of [0, 1, 2, 3]) {
      const { labels } = run(g, 30, seed, false);
      expect(new Set(labels.slice(0, 5)).size, `seed ${seed}`).toBe(1);
      expect(new Set(labels.slice(5, 10)).size, `seed ${seed}`).toBe(1);
      expect(labels[0]).not.toBe(labels[5]);
      expect(labels[10]).toBe(10);
    }
  });

  it('a node between two equally weighted labels takes the smaller one', () => {
    // 0 - 2 - 1, unit weights, one pass: whichever order, when 2 is visited its neighbours have labels {0 or 2, 1 or 2}.
    const g = csr(3, [[0, 2], [1, 2]]);
    for (let seed = 0; seed < 20; seed++) {
      const got = run(g, 1, seed, true);
      expect(got).toEqual(referenceCw(g, 1, seed, true));
    }
    // isolated pair 0-1: both see the other's label; the first visited takes it, the second keeps it.
    const pair = csr(2, [[0, 1]]);
    expect(new Set(run(pair, 5, 7, true).labels).size).toBe(1);
  });

  it('equals the reference on random graphs (both weightings, several seeds, early stop)', () => {
    for (const [n, m] of [[1, 0], [2, 1], [30, 40], [200, 600], [500, 400]]) {
      const g = randomGraph(n, m, n + m);
      for (const seed of [0, 1, 42, -1, 2 ** 32 + 5, 123456789]) {
        for (const unit of [true, false]) {
          for (const iterations of [1, 3, 30]) {
            expect(run(g, iterations, seed, unit), `n=${n} seed=${seed} unit=${unit} it=${iterations}`).toEqual(
              referenceCw(g, iterations, seed, unit),
            );
          }
        }
      }
    }
  });

  it('async equals sync; empty graph; subarray() views', async () => {
    const g = randomGraph(100, 300, 5);
    const expected = run(g, 30, 9, false);
    const got = await native.chineseWhispers(g.offsets, g.indices, g.distances, g.n, 30, 9, false);
    expect({ labels: Array.from(got.labels), iterations: got.iterations }).toEqual(expected);

    const pad = (a: Int32Array | Uint32Array | Float32Array) => {
      const b = new (a.constructor as Int32ArrayConstructor)(a.length + 3);
      b.set(a as Int32Array, 3);
      return b.subarray(3);
    };
    const viewed = native.chineseWhispersSync(
      pad(g.offsets) as unknown as Uint32Array,
      pad(g.indices) as Int32Array,
      pad(g.distances) as unknown as Float32Array,
      g.n,
      30,
      9,
      false,
    );
    expect(Array.from(viewed.labels)).toEqual(expected.labels);

    const empty = native.chineseWhispersSync(new Uint32Array(1), new Int32Array(0), new Float32Array(0), 0, 30, 0, true);
    expect(empty.labels.length).toBe(0);
  });

  it('BAD CALL - malformed CSR and iterations 0', async () => {
    const g = csr(3, [[0, 1]]);
    expect(() => native.chineseWhispersSync(g.offsets, g.indices, g.distances, 4, 1, 0, true)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: expect.stringMatching(/offsets\.length == n \+ 1 = 5 but received 4/) }),
    );
    const bad = Int32Array.from(g.indices);
    bad[0] = 7;
    expect(() => native.chineseWhispersSync(g.offsets, bad, g.distances, 3, 1, 0, true)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: expect.stringMatching(/indices\[0\] = 7/) }),
    );
    await expect(native.chineseWhispers(g.offsets, g.indices, g.distances, 3, 0, 0, true)).rejects.toMatchObject({
      name: 'RangeError',
      code: 'ERR_FACECLUST_ARG',
    });
  });
});

/** A cannot-link CSR over n nodes from pairs (both directions, rows sorted, duplicates kept: harmless). */
function cannotCsr(n: number, pairs: Array<[number, number]>) {
  const g = csr(n, pairs);
  return { cannotOffsets: g.offsets, cannotIndices: g.indices };
}

/** `count` pairs of distinct nodes of [0, n), drawn from `next`. */
function randomPairs(n: number, count: number, next: () => number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  while (pairs.length < count) {
    const a = next() % n;
    const b = next() % n;
    if (a !== b) pairs.push([a, b]);
  }
  return pairs;
}

describe('chineseWhispers with constraints (weights and cannot-links)', () => {
  it('equals the reference on random graphs; cannot-linked nodes never share a label', () => {
    for (const [n, m, c] of [[2, 1, 1], [12, 30, 4], [60, 200, 20], [300, 900, 60]]) {
      const g = randomGraph(n, m, 3 * n + m);
      const next = mulberry32(n);
      // weights from a small set, so that ties occur
      const weights = Float64Array.from(g.distances, () => [0.5, 1, 1.5, 2][next() % 4]);
      const cannot = randomPairs(n, c, next);
      const { cannotOffsets, cannotIndices } = cannotCsr(n, cannot);
      for (const seed of [0, 5, 99]) {
        for (const iterations of [1, 30]) {
          const got = native.chineseWhispersSync(g.offsets, g.indices, new Float32Array(0), n, iterations, seed, false, weights, cannotOffsets, cannotIndices);
          const labels = Array.from(got.labels);
          expect({ labels, iterations: got.iterations }, `n=${n} seed=${seed}`).toEqual(referenceCw(g, iterations, seed, false, { weights, cannot }));
          for (const [a, b] of cannot) expect(labels[a]).not.toBe(labels[b]);
        }
      }
    }
  });

  it('with no cannot-link and the distance-derived weights, equals the unconstrained call; async equals sync', async () => {
    const g = randomGraph(200, 600, 8);
    const weights = Float64Array.from(g.distances, (d) => 1 / (1 + d));
    const none = new Uint32Array(g.n + 1);
    const plain = run(g, 30, 3, false);
    const constrained = native.chineseWhispersSync(g.offsets, g.indices, g.distances, g.n, 30, 3, false, weights, none, new Int32Array(0));
    expect({ labels: Array.from(constrained.labels), iterations: constrained.iterations }).toEqual(plain);
    const later = await native.chineseWhispers(g.offsets, g.indices, new Float32Array(0), g.n, 30, 3, true, weights, none, new Int32Array(0));
    expect(Array.from(later.labels)).toEqual(plain.labels);
  });

  it('cannot-links without weights take the weights from the distances (or unit): the labels of those weights given', async () => {
    for (const [n, m, c] of [[2, 1, 1], [30, 90, 10], [120, 360, 40]]) {
      const g = randomGraph(n, m, 7 * n + m);
      const cannot = randomPairs(n, c, mulberry32(m));
      const { cannotOffsets, cannotIndices } = cannotCsr(n, cannot);
      for (const unit of [false, true]) {
        const weights = Float64Array.from(g.distances, (d) => (unit ? 1 : 1 / (1 + d)));
        const given = native.chineseWhispersSync(g.offsets, g.indices, new Float32Array(0), n, 20, 5, unit, weights, cannotOffsets, cannotIndices);
        const derived = native.chineseWhispersSync(g.offsets, g.indices, g.distances, n, 20, 5, unit, undefined, cannotOffsets, cannotIndices);
        expect({ labels: Array.from(derived.labels), iterations: derived.iterations }, `n=${n} unit=${unit}`).toEqual({ labels: Array.from(given.labels), iterations: given.iterations });
        const later = await native.chineseWhispers(g.offsets, g.indices, g.distances, n, 20, 5, unit, undefined, cannotOffsets, cannotIndices);
        expect(Array.from(later.labels)).toEqual(Array.from(given.labels));
      }
    }
  });

  it('BAD CALL - short weights, a malformed cannot-link CSR, a partial set of constraint arrays', () => {
    const g = csr(3, [[0, 1], [1, 2]]);
    const w = new Float64Array(4);
    const none = new Uint32Array(4);
    const empty = new Int32Array(0);
    const call = (...args: unknown[]) => () =>
      (native.chineseWhispersSync as (...a: unknown[]) => unknown)(g.offsets, g.indices, new Float32Array(0), 3, 5, 0, false, ...args);
    expect(call(new Float64Array(3), none, empty)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_GRAPH', message: 'Expected weights to hold offsets[n] = 4 edges but received length 3' }),
    );
    expect(call(w, new Uint32Array(3), empty)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: 'Expected cannotOffsets.length == n + 1 = 4 but received 3' }),
    );
    expect(call(w, Uint32Array.of(0, 1, 1, 1), Int32Array.of(3))).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: 'Expected cannotIndices in [0, n) = [0, 3) but received cannotIndices[0] = 3' }),
    );
    expect(call(w, Uint32Array.of(0, 1, 1, 1), empty)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: 'Expected cannotIndices to hold cannotOffsets[n] = 1 edges but received lengths 0' }),
    );
    expect(call(w)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG', message: 'Expected Uint32Array for cannotOffsets but received undefined' }));
    expect(call(new Float32Array(4), none, empty)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG', message: 'Expected Float64Array for weights but received a typed array of another type' }),
    );
    // without weights, the distances are needed as before, constrained too
    expect(call(undefined, none, empty)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: expect.stringMatching(/indices \(and distances\) to hold offsets\[n\] = 4/) }),
    );
    // without weights, the distances are needed as before
    expect(() => native.chineseWhispersSync(g.offsets, g.indices, new Float32Array(0), 3, 5, 0, false)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: expect.stringMatching(/indices \(and distances\) to hold offsets\[n\] = 4/) }),
    );
  });
});
