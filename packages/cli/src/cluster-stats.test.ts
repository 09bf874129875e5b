import { describe, expect, it } from 'vitest';
import { clusterStats, distanceTo } from './cluster-stats.js';

describe('clusterStats', () => {
  // two tight clusters on a line and one noise point, dim 2
  const v = new Float32Array([0, 0, 2, 0, 10, 0, 12, 0, 14, 0, 100, 100]);
  const labels = new Int32Array([1, 1, 0, 0, 0, -1]);

  it('computes centre distances, cohesion and the representative per cluster, no_class last', () => {
    const { distances, clusters } = clusterStats(v, 2, labels, 2, 'euclidean');
    expect(Array.from(distances.subarray(0, 5))).toEqual([1, 1, 2, 0, 2]);
    expect(distances[5]).toBeNaN();
    expect(clusters.map((c) => [c.cluster, c.size, c.representative])).toEqual([[0, 3, 3], [1, 2, 0], [-1, 1, 5]]);
    expect(clusters[0].cohesion).toBeCloseTo(4 / 3);
    expect(clusters[1].cohesion).toBe(1);
    expect(clusters[2].cohesion).toBeNull();
  });

  it('handles subarray views and every metric', () => {
    const buf = new Float32Array([9, 9, 3, 4]).subarray(2);
    const c = new Float64Array([0, 0]);
    expect(distanceTo('euclidean', buf, 0, c)).toBe(5);
    expect(distanceTo('sqeuclidean', buf, 0, c)).toBe(25);
    expect(distanceTo('manhattan', buf, 0, c)).toBe(7);
    expect(distanceTo('chebyshev', buf, 0, c)).toBe(4);
    expect(distanceTo('cosine', buf, 0, c)).toBe(1);
    expect(distanceTo('cosine', buf, 0, new Float64Array([6, 8]))).toBeCloseTo(0);
  });

  it('returns no clusters for no faces', () => {
    expect(clusterStats(new Float32Array(0), 4, new Int32Array(0), 0, 'euclidean').clusters).toEqual([]);
  });
});
