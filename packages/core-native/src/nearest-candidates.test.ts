import { describe, expect, it } from 'vitest';
import { loadNative, type NativeCandidates, type NativeMetric } from './native.js';
import { METRICS, clusteredVectors, mulberry32, randomVectors, referenceDistance } from './test-helpers.js';

const native = loadNative();
const { supported, active: initialIsa } = native.capabilities();

/**
 * The float64 reference answer (docs/ALGORITHMS.md, "Nearest neighbours"): per query, its k nearest base rows by
 * (distance, index) within the radius. `x` holds the base rows then the query rows.
 */
function referenceNearest(x: Float32Array, nb: number, nq: number, dim: number, metric: NativeMetric, k: number, radius: number): number[][] {
  const out: number[][] = [];
  for (let q = 0; q < nq; q++) {
    const ds: Array<[number, number]> = [];
    for (let j = 0; j < nb; j++) {
      const d = referenceDistance(x, nb + q, j, dim, metric);
      if (d <= radius) ds.push([d, j]);
    }
    ds.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    out.push(ds.slice(0, k).map(([, j]) => j));
  }
  return out;
}

/** Every query's list ascending, in [0, nb), and holding each of its reference neighbours. */
function expectSuperset(c: NativeCandidates, expected: number[][], nb: number, label: string) {
  expect(c.offsets.length, label).toBe(expected.length + 1);
  expect(c.offsets[0], label).toBe(0);
  for (let q = 0; q < expected.length; q++) {
    const list = Array.from(c.indices.subarray(c.offsets[q], c.offsets[q + 1]));
    for (let t = 0; t < list.length; t++) {
      expect(list[t] >= 0 && list[t] < nb && (t === 0 || list[t] > list[t - 1]), `${label} q=${q}: ascending, in range`).toBe(true);
    }
    const have = new Set(list);
    const missing = expected[q].filter((j) => !have.has(j));
    expect(missing, `${label} q=${q}: reference neighbours missing`).toEqual([]);
  }
}

/** A radius equal to one real query–base distance near quantile p: an exact tie for the bounds. */
function tieRadius(x: Float32Array, nb: number, nq: number, dim: number, metric: NativeMetric, p: number): number {
  const next = mulberry32(nb + nq + dim);
  const ds: number[] = [];
  for (let t = 0; t < 300; t++) ds.push(referenceDistance(x, nb + (next() % nq), next() % nb, dim, metric));
  ds.sort((a, b) => a - b);
  return ds[Math.floor(p * ds.length)];
}

describe.each(supported)('nearestCandidates on %s holds every float64 reference neighbour', (isa) => {
  const cases: Array<[number, number, number]> = [
    [1, 1, 3],
    [40, 7, 5],
    [300, 33, 16],
    [600, 20, 512],
  ];
  it.each(cases)('nb=%i nq=%i dim=%i, every metric, several k and radii, sync and async', async (nb, nq, dim) => {
    native.setIsa(isa);
    try {
      const x = clusteredVectors(nb + nq, dim, 6, nb * 7 + dim);
      const base = x.subarray(0, nb * dim);
      const queries = x.subarray(nb * dim);
      for (const metric of METRICS) {
        for (const radius of [Infinity, tieRadius(x, nb, nq, dim, metric, 0.1)]) {
          for (const k of [1, 5, nb + 3]) {
            const label = `${metric} k=${k} r=${radius}`;
            const expected = referenceNearest(x, nb, nq, dim, metric, k, radius);
            const sync = native.nearestCandidatesSync(base, nb, queries, nq, dim, metric, k, radius, 1);
            expectSuperset(sync, expected, nb, label);
            const async = await native.nearestCandidates(base, nb, queries, nq, dim, metric, k, radius, 3);
            expect({ offsets: Array.from(async.offsets), indices: Array.from(async.indices) }, `${label}: threads do not change the lists`).toEqual({
              offsets: Array.from(sync.offsets),
              indices: Array.from(sync.indices),
            });
            // the bounds are tight: few candidates beyond the k nearest
            if (k === 1 && radius === Infinity && nb >= 300) expect(sync.offsets[nq] / nq, label).toBeLessThan(40);
          }
        }
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });
});

describe('nearestCandidates edge cases', () => {
  const initial = native.capabilities().active;

  it('exact ties (duplicate base rows) keep every tied row in reach, on every path', async () => {
    const dim = 24;
    const row = randomVectors(1, dim, 5);
    const nb = 50;
    const base = new Float32Array(nb * dim);
    for (let j = 0; j < nb; j++) base.set(j % 3 === 0 ? row : randomVectors(1, dim, 100 + j), j * dim);
    const x = new Float32Array((nb + 1) * dim);
    x.set(base);
    x.set(row, nb * dim);
    try {
      for (const isa of supported) {
        native.setIsa(isa);
        for (const metric of METRICS) {
          const c = await native.nearestCandidates(base, nb, row, 1, dim, metric, 4, Infinity, 2);
          expectSuperset(c, referenceNearest(x, nb, 1, dim, metric, 4, Infinity), nb, `${isa} ${metric}`);
        }
      }
    } finally {
      native.setIsa(initial);
    }
  });

  it('reads subarray views at their byteOffset', async () => {
    const nb = 80;
    const nq = 6;
    const dim = 9;
    const x = clusteredVectors(nb + nq + 2, dim, 4, 77);
    const base = x.subarray(dim, (nb + 1) * dim);
    const queries = x.subarray((nb + 1) * dim, (nb + 1 + nq) * dim);
    const packed = new Float32Array((nb + nq) * dim);
    packed.set(base);
    packed.set(queries, nb * dim);
    for (const metric of METRICS) {
      const c = await native.nearestCandidates(base, nb, queries, nq, dim, metric, 3, Infinity, 2);
      expectSuperset(c, referenceNearest(packed, nb, nq, dim, metric, 3, Infinity), nb, metric);
    }
  });

  it('empty inputs give empty lists', () => {
    expect(Array.from(native.nearestCandidatesSync(new Float32Array(0), 0, new Float32Array(8), 2, 4, 'euclidean', 3, Infinity, 1).offsets)).toEqual([0, 0, 0]);
    const none = native.nearestCandidatesSync(new Float32Array(8), 2, new Float32Array(0), 0, 4, 'cosine', 3, 1, 1);
    expect(Array.from(none.offsets)).toEqual([0]);
    expect(none.indices.length).toBe(0);
  });

  it('values outside the fast bounds (|value| >= 1e15) take the reference distances and stay exact', async () => {
    const nb = 60;
    const nq = 5;
    const dim = 8;
    const x = randomVectors(nb + nq, dim, 9, 1e16);
    for (const metric of METRICS) {
      const c = await native.nearestCandidates(x.subarray(0, nb * dim), nb, x.subarray(nb * dim), nq, dim, metric, 3, Infinity, 2);
      expectSuperset(c, referenceNearest(x, nb, nq, dim, metric, 3, Infinity), nb, metric);
    }
  });

  it('BAD CALL – mismatched lengths, k < 1, a negative or NaN radius', async () => {
    const x = new Float32Array(12);
    expect(() => native.nearestCandidatesSync(x, 4, x, 3, 4, 'euclidean', 1, 1, 1)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_DIM', message: expect.stringMatching(/base\.length == nb \* dim = 4 \* 4 but received length 12/) }),
    );
    await expect(native.nearestCandidates(x, 3, x, 2, 4, 'euclidean', 1, 1, 1)).rejects.toMatchObject({
      name: 'RangeError',
      code: 'ERR_FACECLUST_DIM',
      message: expect.stringMatching(/queries\.length == nq \* dim = 2 \* 4 but received length 12/),
    });
    expect(() => native.nearestCandidatesSync(x, 3, x, 3, 4, 'euclidean', 0, 1, 1)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_ARG', message: 'Expected k >= 1 but received 0' }),
    );
    for (const radius of [-1, NaN]) {
      expect(() => native.nearestCandidatesSync(x, 3, x, 3, 4, 'euclidean', 1, radius, 1)).toThrow(
        expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_ARG', message: expect.stringMatching(/^Expected radius >= 0 \(Infinity for none\) but received/) }),
      );
    }
  });
});
