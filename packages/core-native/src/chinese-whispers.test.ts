import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { csr, mulberry32 } from './test-helpers.js';

const native = loadNative();

/** Chinese Whispers written from docs/ALGORITHMS.md, independently of the C++. */
function referenceCw(g: ReturnType<typeof csr>, iterations: number, seed: number, unit: boolean) {
  const { offsets, indices, distances, n } = g;
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
        const w = unit ? 1 : 1 / (1 + distances[e]);
        sums.set(label[indices[e]], (sums.get(label[indices[e]]) ?? 0) + w);
      }
      let best = -1;
      let bestSum = -Infinity;
      for (const [l, s] of sums) if (s > bestSum || (s === bestSum && l < best)) [best, bestSum] = [l, s];
      if (best !== label[v]) {
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
