import { describe, expect, it } from 'vitest';
import { clusterSizes, generateClustered, skewedClusterSizes } from './generator.js';

function distance(v: Float32Array, dim: number, i: number, j: number): number {
  let sum = 0;
  for (let k = 0; k < dim; k++) {
    const d = v[i * dim + k] - v[j * dim + k];
    sum += d * d;
  }
  return Math.sqrt(sum);
}

describe('generateClustered', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = generateClustered({ n: 200, dim: 32, seed: 7 });
    const b = generateClustered({ n: 200, dim: 32, seed: 7 });
    const c = generateClustered({ n: 200, dim: 32, seed: 8 });
    expect(a.vectors).toEqual(b.vectors);
    expect(a.truth).toEqual(b.truth);
    expect(a.vectors).not.toEqual(c.vectors);
  });

  it('gives unit vectors whose same-cluster distances are well below different-cluster ones', () => {
    const dim = 512;
    const set = generateClustered({ n: 400, dim, seed: 1 });
    let same = 0, sameCount = 0, other = 0, otherCount = 0;
    for (let i = 0; i < set.n; i++) {
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += set.vectors[i * dim + k] ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
      for (let j = i + 1; j < set.n; j += 7) {
        const d = distance(set.vectors, dim, i, j);
        if (set.truth[i] === set.truth[j]) { same += d; sameCount++; } else { other += d; otherCount++; }
      }
    }
    expect(same / sameCount).toBeGreaterThan(0.8);
    expect(same / sameCount).toBeLessThan(1.0);
    expect(other / otherCount).toBeGreaterThan(1.35);
  });

  it('sizes sum to n with at least one point per cluster', () => {
    for (const [n, mean] of [[1, 20], [10, 3], [1000, 20], [12345, 7]]) {
      const sizes = clusterSizes(n, mean);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    }
  });

  it('largestPerson: one person holds that many faces, the other n/20 people share the rest; unset changes nothing', () => {
    const sizes = skewedClusterSizes(40_000, 20, 20_000);
    expect(sizes.length).toBe(2001);
    expect(sizes[0]).toBe(20_000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40_000);
    expect(Math.max(...sizes.slice(1))).toBeLessThan(20_000);
    const skewed = generateClustered({ n: 400, dim: 16, seed: 3, largestPerson: 300 });
    expect(skewed.clusters).toBe(21);
    expect(skewed.truth.filter((c) => c === 0).length).toBe(300);
    expect(generateClustered({ n: 400, dim: 16, seed: 3, largestPerson: undefined }).vectors).toEqual(generateClustered({ n: 400, dim: 16, seed: 3 }).vectors);
    expect(() => skewedClusterSizes(100, 20, 101)).toThrow('Expected largestPerson to be an integer in [1, 100] but received 101');
  });
});
