import { describe, expect, it } from 'vitest';
import { chineseWhispers } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { evaluate } from './evaluate.js';
import { radiusGraph } from './radius-graph.js';
import { sweepGraph, sweepThresholds, thresholdRange } from './sweep.js';
import { blobs, caught, firstDifference } from './test-helpers.js';

// Blobs of different spreads, so that clusters merge and split at different thresholds.
function mixture() {
  const a = blobs(6, 20, 8, 0.6, 11);
  const b = blobs(4, 15, 8, 1.5, 12);
  const dim = 8;
  const vectors = new Float32Array(a.vectors.length + b.vectors.length);
  vectors.set(a.vectors);
  vectors.set(b.vectors, a.vectors.length);
  const truth = new Int32Array(a.truth.length + b.truth.length);
  truth.set(a.truth);
  truth.set(b.truth.map((t) => t + 6), a.truth.length);
  return { vectors, truth, dim };
}

describe('sweepThresholds', () => {
  const { vectors, truth, dim } = mixture();
  const thresholds = thresholdRange(0.5, 12, 24);

  it('equals separate Chinese Whispers runs at each threshold (rows in the order given)', async () => {
    const shuffled = [...thresholds].reverse();
    shuffled.splice(3, 0, shuffled[7]); // a duplicate gives a duplicate row
    const sweep = await sweepThresholds(vectors, dim, { method: 'cw', thresholds: shuffled, seed: 3, truth, backend: 'ts' });
    expect(sweep.rows.map((r) => r.threshold)).toEqual(shuffled);
    expect(sweep.graph.n).toBe(vectors.length / dim);
    const seen = new Set<number>();
    for (const row of sweep.rows) {
      const single = await chineseWhispers(vectors, dim, { threshold: row.threshold, seed: 3, backend: 'ts' });
      const sizes = new Map<number, number>();
      for (const l of single.labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
      expect(row.clusters).toBe(single.clusterCount);
      expect(row.noise).toBe(single.noiseCount);
      expect(row.edges).toBe(single.graph.edges);
      expect(row.largest).toBe(sizes.get(0) ?? 0);
      expect(row.singletons).toBe([...sizes.entries()].filter(([l, s]) => l >= 0 && s === 1).length);
      const e = evaluate(single.labels, truth);
      expect(row.pairwiseF).toBe(e.pairwise.f);
      expect(row.bcubedF).toBe(e.bcubed.f);
      expect(row.evaluation).toEqual(e);
      seen.add(row.clusters);
    }
    // the range really spans different clusterings: from many small clusters down to the 10 blobs
    expect(seen.size).toBeGreaterThan(4);
    expect(Math.min(...seen)).toBeLessThanOrEqual(10);
  });

  it('equals separate DBSCAN runs at each eps', async () => {
    const sweep = await sweepThresholds(vectors, dim, { method: 'dbscan', thresholds, minSamples: 4, backend: 'ts' });
    let noisy = 0;
    for (const row of sweep.rows) {
      const single = await dbscan(vectors, dim, { eps: row.threshold, minSamples: 4, backend: 'ts' });
      expect([row.threshold, row.clusters, row.noise, row.edges]).toEqual([row.threshold, single.clusterCount, single.noiseCount, single.graph.edges]);
      expect(row.pairwiseF).toBeUndefined();
      expect(row.singletons).toBe(0); // minSamples 4: no cluster of one
      if (row.noise > 0) noisy++;
    }
    expect(noisy).toBeGreaterThan(2);
  });

  it('native: runs clusterings side by side and still equals separate native runs', async (ctx) => {
    try {
      await sweepThresholds(vectors, dim, { method: 'cw', thresholds: [1], backend: 'native' });
    } catch (err) {
      if (process.env.CI) throw err;
      ctx.skip(`native addon unavailable: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const method of ['cw', 'dbscan'] as const) {
      const sweep = await sweepThresholds(vectors, dim, { method, thresholds, minSamples: 3, truth, backend: 'native', threads: 4 });
      expect(sweep.backend).toBe('native');
      for (const row of sweep.rows) {
        const single = method === 'cw'
          ? await chineseWhispers(vectors, dim, { threshold: row.threshold, backend: 'native' })
          : await dbscan(vectors, dim, { eps: row.threshold, minSamples: 3, backend: 'native' });
        expect(row.evaluation).toEqual(evaluate(single.labels, truth));
        expect([row.clusters, row.noise, row.edges]).toEqual([single.clusterCount, single.noiseCount, single.graph.edges]);
      }
    }
  });

  it('sweepGraph on a prebuilt graph gives the same labels counts as the vectors form, also on a subarray view', async () => {
    const backing = new Float32Array(vectors.length + 3 * dim);
    backing.set(vectors, 2 * dim);
    const view = backing.subarray(2 * dim, 2 * dim + vectors.length);
    const graph = await radiusGraph(view, dim, { radius: 12, backend: 'ts' });
    const a = await sweepGraph(graph, { method: 'cw', thresholds, truth, metric: 'euclidean', backend: 'ts' });
    const b = await sweepThresholds(view, dim, { method: 'cw', thresholds, truth, backend: 'ts' });
    expect(a.rows).toEqual(b.rows);
    expect(a.timings.graphMs).toBe(0);
    expect(firstDifference(a.graph.distances, b.graph.distances)).toBeUndefined();
  });

  it('BAD CALL – names the parameter and the value received', async () => {
    const cases: [unknown, ErrorConstructor, string][] = [
      [{ method: 'kmeans', thresholds: [1] }, RangeError, `Expected method to be one of 'cw', 'dbscan' but received "kmeans" of type string`],
      [{ method: 'cw', thresholds: 1 }, TypeError, 'Expected thresholds to be an array of numbers but received 1'],
      [{ method: 'cw', thresholds: [] }, RangeError, 'Expected thresholds to hold at least one value but received an empty array'],
      [{ method: 'cw', thresholds: [1, -2] }, RangeError, 'Expected thresholds[1] to be a finite number > 0 but received -2'],
      [{ method: 'cw', thresholds: [1], truth: [1, 2] }, TypeError, 'Expected truth to be an Int32Array but received an array of length 2'],
      [{ method: 'cw', thresholds: [1], truth: new Int32Array(3) }, RangeError, `Expected truth to have one label per row (${vectors.length / dim}) but received length 3`],
      [{ method: 'dbscan', thresholds: [1], minSamples: 0 }, RangeError, 'Expected minSamples to be an integer >= 1 but received 0'],
    ];
    for (const [options, type, message] of cases) {
      const err = await caught(() => sweepThresholds(vectors, dim, options as never));
      expect(err).toBeInstanceOf(type);
      expect(err.message).toBe(message);
    }
  });
});

describe('thresholdRange', () => {
  it('spaces values evenly, ends included', () => {
    expect(thresholdRange(0.5, 1, 6)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(thresholdRange(0.7, 0.7, 1)).toEqual([0.7]);
    expect(() => thresholdRange(1, 0.5, 3)).toThrow('Expected to (0.5) to be >= from (1)');
    expect(() => thresholdRange(0.5, 1, 0)).toThrow(RangeError);
  });
});
