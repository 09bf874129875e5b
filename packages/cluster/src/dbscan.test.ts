import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dbscan, dbscanOnGraph } from './dbscan.js';
import { filterGraph } from './graph.js';
import type { Metric } from './metrics.js';
import { radiusGraph } from './radius-graph.js';
import { samePartition } from './test-helpers.js';
import { dbscanTs } from './ts-backend.js';

interface Fixture {
  note: string;
  datasets: {
    name: string;
    n: number;
    dim: number;
    vectors: number[];
    cases: { metric: Metric; eps: number; minSamples: number; labels: number[]; core: number[] }[];
  }[];
}

// Made by __fixtures__/make-dbscan-fixtures.py with scikit-learn (see the note inside the file).
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/dbscan-fixtures.json', import.meta.url), 'utf8')) as Fixture;
const cases = fixture.datasets.flatMap((set) =>
  set.cases.map((c) => ({ ...c, set, title: `${set.name} ${c.metric} eps=${c.eps.toPrecision(6)} minSamples=${c.minSamples}` })),
);

describe('dbscan against scikit-learn', () => {
  it('has fixtures for every metric', () => {
    expect(new Set(cases.map((c) => c.metric))).toEqual(new Set(['euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev']));
    expect(cases.length).toBeGreaterThan(100);
  });

  it.each(cases)('$title', async ({ set, metric, eps, minSamples, labels: expected, core: expectedCore }) => {
    const vectors = Float32Array.from(set.vectors);
    const graph = await radiusGraph(vectors, set.dim, { radius: eps, metric, backend: 'ts' });
    const result = await dbscan(vectors, set.dim, { eps, minSamples, metric, backend: 'ts' });
    const { labels } = result;

    // Core points: sklearn's core_sample_indices_ (a point counts itself).
    const core = [];
    for (let i = 0; i < set.n; i++) if (graph.offsets[i + 1] - graph.offsets[i] + 1 >= minSamples) core.push(i);
    expect(core).toEqual(expectedCore);

    // Noise set and the partition of core points equal sklearn's, up to renaming.
    const isCore = new Set(core);
    const noise = (l: ArrayLike<number>) => Array.from(l).flatMap((v, i) => (v === -1 ? [i] : []));
    expect(noise(labels)).toEqual(noise(expected));
    expect(samePartition(core.map((i) => labels[i]), core.map((i) => expected[i]))).toBe(true);

    // Border points sit in the cluster of one of their core neighbours.
    for (let i = 0; i < set.n; i++) {
      if (isCore.has(i) || labels[i] === -1) continue;
      const neighbours = Array.from(graph.indices.subarray(graph.offsets[i], graph.offsets[i + 1]));
      expect(neighbours.some((j) => isCore.has(j) && labels[j] === labels[i])).toBe(true);
    }

    // Renumbering: cluster sizes non-increasing, counts consistent.
    const sizes = new Array<number>(result.clusterCount).fill(0);
    for (const l of labels) if (l >= 0) sizes[l]++;
    for (let c = 1; c < sizes.length; c++) expect(sizes[c]).toBeLessThanOrEqual(sizes[c - 1]);
    expect(result.noiseCount).toBe(noise(expected).length);
    expect(result.clusterCount).toBe(Math.max(-1, ...expected) + 1);
  });
});

describe('dbscanTs', () => {
  it("expands in scikit-learn's stack order: a border point goes to the first cluster that reaches it", async () => {
    // Cores 1 (neighbours 0, 2, 5) and 3 (neighbours 2, 4, 6) with minSamples 4; 2 is a border point of
    // both but 1 and 3 are not neighbours: two clusters, and 2 joins cluster 0, found first from 1.
    const graph = {
      n: 7,
      offsets: Uint32Array.from([0, 1, 4, 6, 9, 10, 11, 12]),
      indices: Int32Array.from([1, 0, 2, 5, 1, 3, 2, 4, 6, 3, 1, 3]),
      distances: new Float32Array(12),
    };
    expect(Array.from(await dbscanTs(graph, 4))).toEqual([0, 0, 0, 1, 1, 0, 1]);
  });

  it('marks isolated points as noise unless minSamples is 1', async () => {
    const graph = { n: 3, offsets: new Uint32Array(4), indices: new Int32Array(0), distances: new Float32Array(0) };
    expect(Array.from(await dbscanTs(graph, 2))).toEqual([-1, -1, -1]);
    expect(Array.from(await dbscanTs(graph, 1))).toEqual([0, 1, 2]);
  });
});

describe('dbscanOnGraph', () => {
  it('on a filtered graph equals dbscan at the smaller eps', async () => {
    const set = fixture.datasets[1];
    const vectors = Float32Array.from(set.vectors);
    const big = await radiusGraph(vectors, set.dim, { radius: 3, backend: 'ts' });
    for (const eps of [1.3, 1.9, 2.5]) {
      const direct = await dbscan(vectors, set.dim, { eps, minSamples: 4, backend: 'ts' });
      const swept = await dbscanOnGraph(filterGraph(big, eps), { minSamples: 4, backend: 'ts' });
      expect(swept.labels).toEqual(direct.labels);
      expect(swept.timings.graphMs).toBe(0);
    }
  });
});
