import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import {
  METRICS,
  clusteredVectors,
  mulberry32,
  plain,
  randomVectors,
  referenceDistance,
  referenceGraph,
  referenceRow,
} from './test-helpers.js';

const native = loadNative();
const { supported, active: initialIsa } = native.capabilities();

/** A radius equal to the float64 distance of one real pair, near the given quantile: an exact tie. */
function tieRadius(x: Float32Array, n: number, dim: number, metric: (typeof METRICS)[number], q: number): number {
  const ds: number[] = [];
  const next = mulberry32(n + dim);
  for (let t = 0; n >= 2 && t < 400; t++) {
    const i = next() % n;
    const j = next() % n;
    if (i !== j) ds.push(referenceDistance(x, i, j, dim, metric));
  }
  ds.sort((a, b) => a - b);
  return ds.length ? ds[Math.min(ds.length - 1, Math.floor(q * ds.length))] : 1;
}

// The JS reference is the slow part: compute each expected graph once for all instruction sets.
const memo = new Map<string, { radius: number; expected: ReturnType<typeof referenceGraph> }>();
function expectedFor(x: Float32Array, n: number, dim: number, metric: (typeof METRICS)[number], q: number) {
  const key = `${n}:${dim}:${metric}:${q}`;
  let hit = memo.get(key);
  if (!hit) {
    const radius = tieRadius(x, n, dim, metric, q);
    hit = { radius, expected: referenceGraph(x, n, dim, metric, radius) };
    memo.set(key, hit);
  }
  return hit;
}

describe.each(supported)('radiusGraph on %s equals the float64 reference exactly', (isa) => {
  const cases: Array<[number, number]> = [
    [0, 3],
    [1, 3],
    [2, 1],
    [17, 7],
    [17, 31],
    [300, 16],
    [300, 512],
  ];
  it.each(cases)('n=%i dim=%i, every metric, sync and async, 1-3 threads', async (n, dim) => {
    native.setIsa(isa);
    try {
      const x = clusteredVectors(n, dim, 5, n * 31 + dim);
      for (const metric of METRICS) {
        for (const q of [0.05, 0.3]) {
          const { radius, expected } = expectedFor(x, n, dim, metric, q);
          expect(plain(native.radiusGraphSync(x, n, dim, metric, radius, 1)), `${metric} r=${radius}`).toEqual(expected);
          expect(plain(await native.radiusGraph(x, n, dim, metric, radius, 3)), `${metric} r=${radius}`).toEqual(expected);
        }
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });

  it('integer data with many exactly tied distances', () => {
    native.setIsa(isa);
    try {
      const n = 120;
      const dim = 5;
      const x = Float32Array.from(randomVectors(n, dim, 9), (v) => Math.round(v * 2));
      for (const metric of METRICS) {
        for (const radius of [1, 2, Math.sqrt(2), 3, 0.5]) {
          expect(plain(native.radiusGraphSync(x, n, dim, metric, radius, 2)), `${metric} r=${radius}`).toEqual(
            referenceGraph(x, n, dim, metric, radius),
          );
        }
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });

  it('adversarial: every pair at (or within 1e-4 of) the radius, where bf16 candidates are least accurate', () => {
    native.setIsa(isa);
    try {
      const n = 70;
      const dim = 64;
      const jitter = randomVectors(n, dim, 21, 1e-4);
      for (const noise of [0, 1]) {
        // scaled basis vectors: every pair has the same reference distance, so radius = that distance ties them all
        const x = new Float32Array(n * dim);
        for (let i = 0; i < n; i++) {
          x[i * dim + (i % dim)] = 0.7;
          if (i >= dim) x[i * dim + ((i * 7) % dim)] += 0.3;
          for (let k = 0; k < dim; k++) x[i * dim + k] += noise * jitter[i * dim + k];
        }
        for (const metric of ['euclidean', 'sqeuclidean', 'cosine'] as const) {
          const radius = referenceDistance(x, 0, 1, dim, metric);
          const expected = referenceGraph(x, n, dim, metric, radius);
          expect(expected.indices.length).toBeGreaterThan(n);
          expect(plain(native.radiusGraphSync(x, n, dim, metric, radius, 2)), `${metric} noise=${noise}`).toEqual(expected);
        }
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });

  it('zero rows, very small and very large magnitudes, radius 0 and Infinity', () => {
    native.setIsa(isa);
    try {
      const n = 40;
      const dim = 9;
      const x = randomVectors(n, dim, 4);
      x.fill(0, 0, dim); // row 0 is zero: cosine distance 1 to everything
      x.fill(0, 5 * dim, 6 * dim); // row 5 too: distance 0 to row 0
      for (let k = 0; k < dim; k++) x[10 * dim + k] *= 1e-20;
      for (let k = 0; k < dim; k++) x[11 * dim + k] *= 1e-20;
      for (const scale of [1, 1e20]) {
        const y = Float32Array.from(x, (v, t) => (t >= 20 * dim ? v * scale : v));
        for (const metric of METRICS) {
          for (const radius of [0, 1, 0.7, Infinity]) {
            expect(plain(native.radiusGraphSync(y, n, dim, metric, radius, 2)), `${metric} r=${radius} s=${scale}`).toEqual(
              referenceGraph(y, n, dim, metric, radius),
            );
          }
        }
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });
});

describe('radiusGraph blocking at a larger size', () => {
  it('n=2500 dim=512 (several row and column blocks): sampled rows equal the reference', async () => {
    const n = 2500;
    const dim = 512;
    const x = clusteredVectors(n, dim, 40, 77, 0.5);
    const rows = [0, 1, 111, 112, 113, 447, 1000, 1337, 2047, 2048, 2400, 2498, 2499];
    for (const metric of ['euclidean', 'cosine', 'manhattan'] as const) {
      const radius = tieRadius(x, n, dim, metric, 0.04);
      const g = await native.radiusGraph(x, n, dim, metric, radius, 0);
      expect(g.offsets.length).toBe(n + 1);
      expect(g.offsets[n]).toBeGreaterThan(0);
      for (const i of rows) {
        const got = {
          indices: Array.from(g.indices.subarray(g.offsets[i], g.offsets[i + 1])),
          distances: Array.from(g.distances.subarray(g.offsets[i], g.offsets[i + 1])),
        };
        expect(got, `${metric} row ${i}`).toEqual(referenceRow(x, n, dim, metric, radius, i));
      }
    }
  });
});

describe('radiusGraph candidate passes agree', () => {
  it('n=3000 dim=512: every instruction set gives the identical graph (euclidean, cosine)', async () => {
    const n = 3000;
    const dim = 512;
    const x = clusteredVectors(n, dim, 60, 99, 0.45);
    try {
      for (const metric of ['euclidean', 'cosine'] as const) {
        const radius = tieRadius(x, n, dim, metric, 0.03);
        let first: ReturnType<typeof plain> | undefined;
        for (const isa of supported.filter((i) => i !== 'scalar')) {
          native.setIsa(isa);
          const g = plain(await native.radiusGraph(x, n, dim, metric, radius, 0));
          if (!first) first = g;
          else expect(g, `${metric} ${isa}`).toEqual(first);
        }
        expect(first!.indices.length).toBeGreaterThan(0);
      }
    } finally {
      native.setIsa(initialIsa);
    }
  });
});

describe('radiusGraph inputs', () => {
  it('reads subarray() views at their byteOffset', async () => {
    const n = 50;
    const dim = 7;
    const backing = clusteredVectors(n + 3, dim, 4, 5);
    const view = backing.subarray(3 * dim, (n + 3) * dim);
    const copy = Float32Array.from(view);
    const radius = referenceDistance(copy, 0, 1, dim, 'euclidean');
    const expected = referenceGraph(copy, n, dim, 'euclidean', radius);
    expect(view.byteOffset).not.toBe(0);
    expect(plain(native.radiusGraphSync(view, n, dim, 'euclidean', radius, 1))).toEqual(expected);
    expect(plain(await native.radiusGraph(view, n, dim, 'euclidean', radius, 2))).toEqual(expected);
  });

  it('BAD CALL - length not n×dim: RangeError with code ERR_FACECLUST_DIM (sync and async)', async () => {
    const x = new Float32Array(10);
    expect(() => native.radiusGraphSync(x, 3, 4, 'euclidean', 1, 1)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_DIM', message: expect.stringMatching(/vectors\.length == n \* dim = 3 \* 4 but received length 10/) }),
    );
    await expect(native.radiusGraph(x, 3, 4, 'euclidean', 1, 1)).rejects.toMatchObject({
      name: 'RangeError',
      code: 'ERR_FACECLUST_DIM',
    });
  });

  it('BAD CALL - wrong array type, unknown metric, non-integer n', () => {
    expect(() => native.radiusGraphSync(new Float64Array(4) as unknown as Float32Array, 2, 2, 'euclidean', 1, 1)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG', message: expect.stringMatching(/Float32Array for vectors/) }),
    );
    expect(() => native.radiusGraphSync(new Float32Array(4), 2, 2, 'hamming' as never, 1, 1)).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_METRIC', message: expect.stringMatching(/euclidean, sqeuclidean, cosine, manhattan, chebyshev .* 'hamming'/) }),
    );
    expect(() => native.radiusGraphSync(new Float32Array(4), 1.5, 2, 'euclidean', 1, 1)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_ARG', message: expect.stringMatching(/n but received number 1.5/) }),
    );
  });
});
