import { describe, expect, it } from 'vitest';
import { pairKernel, referenceDistance, rowNorms, squaredLimit } from './distance.js';
import { METRICS } from './metrics.js';
import { randomVectors } from './test-helpers.js';

describe('referenceDistance', () => {
  const v = Float32Array.from([1, 2, 3, 4, 6, 3, 0, 0, 0]); // rows a, b, zero

  it.each([
    ['euclidean', 5],
    ['sqeuclidean', 25],
    ['manhattan', 7],
    ['chebyshev', 4],
    ['cosine', 1 - (4 + 12 + 9) / (Math.sqrt(14) * Math.sqrt(61))],
  ] as const)('%s of two hand-made rows', (metric, expected) => {
    expect(referenceDistance(v, 3, 0, 1, metric)).toBe(expected);
  });

  it('cosine is 1 when either row is zero, and ~0 for a row with itself', () => {
    expect(referenceDistance(v, 3, 0, 2, 'cosine')).toBe(1);
    expect(referenceDistance(v, 3, 2, 2, 'cosine')).toBe(1);
    expect(Math.abs(referenceDistance(v, 3, 1, 1, 'cosine'))).toBeLessThan(1e-15);
  });

  it('sums in float64 in index order (not float32, not reordered)', () => {
    const dim = 300;
    const data = randomVectors(2, dim, 3);
    let s = 0;
    for (let k = 0; k < dim; k++) s += (data[k] - data[dim + k]) ** 2;
    expect(referenceDistance(data, dim, 0, 1, 'sqeuclidean')).toBe(s);
    expect(referenceDistance(data, dim, 0, 1, 'euclidean')).toBe(Math.sqrt(s));
  });
});

describe('pair kernels', () => {
  it.each(METRICS)('%s: one() and four() give the exact distance when <= radius and something > radius otherwise', (metric) => {
    const dim = 200;
    const n = 13;
    const data = randomVectors(n, dim, 11);
    const norms = rowNorms(data, n, dim);
    const kernel = pairKernel(metric);
    const out = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j + 4 <= n; j++) {
        const exact = referenceDistance(data, dim, i, j, metric);
        for (const radius of [exact, exact * 0.999, exact * 0.5, exact * 1.001]) {
          const limit = kernel.limit(radius);
          const d = kernel.one(data, i * dim, j * dim, dim, limit, norms[i], norms[j]);
          kernel.four(data, i * dim, j * dim, dim, limit, norms[i], norms, j, out);
          for (const got of [d, out[0]]) {
            if (exact <= radius) expect(got).toBe(exact);
            else expect(got).toBeGreaterThan(radius);
          }
          for (let q = 1; q < 4; q++) {
            const other = referenceDistance(data, dim, i, j + q, metric);
            if (other <= radius) expect(out[q]).toBe(other);
            else expect(out[q]).toBeGreaterThan(radius);
          }
        }
      }
    }
  });

  it('squaredLimit(r) is the largest double whose square root is <= r', () => {
    for (const r of [1, 0.1, 0.7, 1.2345678, 3, 1e-5, 123.456, Math.SQRT2]) {
      const s = squaredLimit(r);
      expect(Math.sqrt(s)).toBeLessThanOrEqual(r);
      const up = new Float64Array([s]);
      new BigInt64Array(up.buffer)[0] += 1n;
      expect(Math.sqrt(up[0])).toBeGreaterThan(r);
    }
  });
});
