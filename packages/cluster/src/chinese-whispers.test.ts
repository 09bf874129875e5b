import { describe, expect, it } from 'vitest';
import { chineseWhispers, chineseWhispersOnGraph } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { filterGraph, type NeighborGraph } from './graph.js';
import { defaultMergeRadius } from './params.js';
import { radiusGraph } from './radius-graph.js';
import { Mulberry32, shuffleInPlace } from './rng.js';
import { blobs, graphOf, randomVectors, samePartition } from './test-helpers.js';
import { chineseWhispersTs } from './ts-backend.js';

describe('chineseWhispers', () => {
  it('keeps isolated points as clusters of one, never dropped', async () => {
    const vectors = [[0, 0], [100, 0], [0, 100], [100, 100], [0.5, 0]];
    const result = await chineseWhispers(vectors, 2, { threshold: 1, backend: 'ts' });
    expect(result.clusterCount).toBe(4);
    expect(result.noiseCount).toBe(0);
    // {0, 4} is the largest; the singletons follow in index order.
    expect(Array.from(result.labels)).toEqual([0, 1, 2, 3, 0]);
    expect(result.graph.edges).toBe(1);
  });

  it('finds two well-separated blobs', async () => {
    const { vectors, truth } = blobs(2, 60, 16, 0.5, 3);
    for (const weighting of ['similarity', 'unit'] as const) {
      const result = await chineseWhispers(vectors, 16, { threshold: 4, weighting, backend: 'ts' });
      expect(result.clusterCount).toBe(2);
      expect(samePartition(result.labels, truth)).toBe(true);
      expect(result.backend).toBe('ts');
      expect(result.iterations).toBeGreaterThanOrEqual(1);
      expect(result.iterations).toBeLessThan(30);
    }
  });

  it('gives the same labels for a subarray view, Float32Array[] rows and number[][] rows (both algorithms)', async () => {
    const dim = 6;
    const { vectors } = blobs(4, 15, dim, 1, 21);
    const backing = new Float32Array(vectors.length + 5 * dim);
    backing.set(vectors, 2 * dim);
    const view = backing.subarray(2 * dim, 2 * dim + vectors.length);
    const rows = Array.from({ length: 60 }, (_, i) => vectors.slice(i * dim, (i + 1) * dim));
    const numbers = rows.map((r) => Array.from(r));
    const cw = await chineseWhispers(vectors, dim, { threshold: 4, seed: 3, backend: 'ts' });
    const db = await dbscan(vectors, dim, { eps: 3, minSamples: 3, backend: 'ts' });
    expect(cw.clusterCount).toBe(4);
    for (const input of [view, rows, numbers]) {
      expect((await chineseWhispers(input, dim, { threshold: 4, seed: 3, backend: 'ts' })).labels).toEqual(cw.labels);
      expect((await dbscan(input, dim, { eps: 3, minSamples: 3, backend: 'ts' })).labels).toEqual(db.labels);
    }
  });

  it('finds several blobs of a clustered set in any metric', async () => {
    const { vectors, truth } = blobs(5, 30, 8, 0.4, 9);
    for (const [metric, threshold] of [['euclidean', 3], ['manhattan', 6], ['chebyshev', 1.5], ['sqeuclidean', 9]] as const) {
      const result = await chineseWhispers(vectors, 8, { threshold, metric, backend: 'ts' });
      expect(samePartition(result.labels, truth)).toBe(true);
    }
  });

  it('is deterministic: same seed twice gives the same labels; the seed changes the visiting order', async () => {
    const vectors = randomVectors(400, 6, 17);
    const options = { threshold: 0.9, backend: 'ts' } as const;
    const a = await chineseWhispers(vectors, 6, { ...options, seed: 1 });
    const b = await chineseWhispers(vectors, 6, { ...options, seed: 1 });
    expect(a.labels).toEqual(b.labels);
    expect(a.iterations).toBe(b.iterations);
    const others = await Promise.all([2, 3, 4, 5].map((seed) => chineseWhispers(vectors, 6, { ...options, seed })));
    expect(others.some((o) => !samePartition(o.labels, a.labels))).toBe(true);
  });

  it('minClusterSize sends smaller clusters to −1 and renumbers the rest', async () => {
    const { vectors } = blobs(3, 10, 4, 0.3, 5);
    const withSingles = new Float32Array(vectors.length + 2 * 4);
    withSingles.set(vectors);
    withSingles.set([50, 50, 50, 50, -50, -50, -50, -50], vectors.length);
    const all = await chineseWhispers(withSingles, 4, { threshold: 2, backend: 'ts' });
    expect(all.clusterCount).toBe(5);
    const big = await chineseWhispers(withSingles, 4, { threshold: 2, minClusterSize: 2, backend: 'ts' });
    expect(big.clusterCount).toBe(3);
    expect(big.noiseCount).toBe(2);
    expect(Array.from(big.labels.subarray(30))).toEqual([-1, -1]);
    const none = await chineseWhispers(withSingles, 4, { threshold: 2, minClusterSize: 11, backend: 'ts' });
    expect([none.clusterCount, none.noiseCount]).toEqual([0, 32]);
  });

  it('similarity weighting lets close neighbours outvote more numerous far ones; unit weighting counts edges', async () => {
    // Node 0 has one close neighbour (1, d = 0) and two far ones (2 and 3, d = 3), which are each other's
    // far neighbours too. One iteration so that only the first decisions matter.
    const graph = graphOf(4, [[0, 1, 0], [0, 2, 3], [0, 3, 3], [2, 3, 3]]);
    // Similarity: from 0, label 1 weighs 1/(1+0) = 1 and labels 2, 3 weigh 0.25 each.
    // Unit: labels 1, 2, 3 weigh 1 each, tie → the smallest label.
    const raw = (unit: boolean) => chineseWhispersTs(graph, 1, 0, unit);
    const order = Int32Array.from([0, 1, 2, 3]);
    shuffleInPlace(order, new Mulberry32(0));
    const similarity = (await raw(false)).labels;
    const unit = (await raw(true)).labels;
    // Replay the first pass by hand from the spec to know who went first.
    const expectPass = (unitWeights: boolean) => {
      const labels = [0, 1, 2, 3];
      const weight = (d: number) => (unitWeights ? 1 : 1 / (1 + d));
      for (const v of order) {
        const sums = new Map<number, number>();
        for (let k = graph.offsets[v]; k < graph.offsets[v + 1]; k++) {
          const l = labels[graph.indices[k]];
          sums.set(l, (sums.get(l) ?? 0) + weight(graph.distances[k]));
        }
        let best = -1;
        let bestSum = -Infinity;
        for (const [l, s] of sums) if (s > bestSum || (s === bestSum && l < best)) [best, bestSum] = [l, s];
        labels[v] = best;
      }
      return labels;
    };
    expect(Array.from(similarity)).toEqual(expectPass(false));
    expect(Array.from(unit)).toEqual(expectPass(true));
    expect(Array.from(similarity)).not.toEqual(Array.from(unit));
  });

  it('stops after the first pass that changes nothing', async () => {
    const graph = graphOf(3, [[0, 1, 0.1]]);
    const result = await chineseWhispersOnGraph(graph, { iterations: 30, backend: 'ts' });
    // Pass 1 merges 0 and 1; pass 2 changes nothing.
    expect(result.iterations).toBe(2);
    expect(Array.from(result.labels)).toEqual([0, 0, 1]);
    const once = await chineseWhispersOnGraph(graph, { iterations: 1, backend: 'ts' });
    expect(once.iterations).toBe(1);
  });

  it('on a filtered graph equals chineseWhispers at the smaller threshold', async () => {
    const { vectors } = blobs(6, 25, 10, 1.5, 12);
    const big = await radiusGraph(vectors, 10, { radius: 8, backend: 'ts' });
    for (const threshold of [3, 5, 8]) {
      const direct = await chineseWhispers(vectors, 10, { threshold, seed: 4, backend: 'ts' });
      const swept = await chineseWhispersOnGraph(filterGraph(big, threshold), { seed: 4, backend: 'ts', mergeRadius: defaultMergeRadius(threshold, 'euclidean') });
      expect(swept.labels).toEqual(direct.labels);
      expect(swept.iterations).toBe(direct.iterations);
    }
  });
});
