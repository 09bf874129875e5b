/**
 * The native backend must give exactly the ts backend's graphs and labels (docs/ALGORITHMS.md).
 * Skipped with a message when the addon does not load, except under CI, where it must.
 */
import { describe, expect, it } from 'vitest';
import { resolveBackend } from './backend.js';
import { chineseWhispers, chineseWhispersOnGraph } from './chinese-whispers.js';
import type { Constraints } from './constraints.js';
import { dbscan, dbscanOnGraph } from './dbscan.js';
import { referenceDistance } from './distance.js';
import { METRICS, type Metric } from './metrics.js';
import { defaultMergeRadius } from './params.js';
import { radiusGraph } from './radius-graph.js';
import { Mulberry32 } from './rng.js';
import { blobs, firstDifference, randomVectors } from './test-helpers.js';

const loadError = await resolveBackend('native').then(
  () => undefined,
  (error: Error) => error,
);

if (loadError && process.env.CI) {
  describe('native backend', () => {
    it('loads under CI', () => {
      throw new Error(`CI must build the native addon, but it did not load: ${loadError.message}`);
    });
  });
} else if (loadError) {
  console.warn(`native-parity.test.ts skipped: the native addon did not load (${loadError.message.split('\n')[0]})`);
}

/** A radius keeping about `fraction` of the pairs, estimated on random pairs. */
function quantileRadius(data: Float32Array, n: number, dim: number, metric: Metric, fraction: number, seed: number): number {
  const rng = new Mulberry32(seed);
  const sample: number[] = [];
  for (let s = 0; s < 3000; s++) {
    const i = rng.below(n);
    const j = rng.below(n);
    if (i !== j) sample.push(referenceDistance(data, dim, i, j, metric));
  }
  sample.sort((a, b) => a - b);
  return sample[Math.floor(fraction * sample.length)] || 1;
}

// [n, dim, kind]: sizes up to 2000, dims 2–512, random and clustered data, every metric.
const shapes: [number, number, 'random' | 'blobs'][] = [
  [1, 3, 'random'],
  [2, 2, 'random'],
  [60, 2, 'random'],
  [700, 7, 'random'],
  [1000, 64, 'blobs'],
  [400, 512, 'blobs'],
  [2000, 16, 'blobs'],
  [1200, 128, 'random'],
];
const cases = METRICS.flatMap((metric) => shapes.map(([n, dim, kind]) => ({ metric, n, dim, kind, title: `${metric} n=${n} dim=${dim} ${kind}` })));

describe.skipIf(loadError !== undefined)('native vs ts: identical graphs and labels', () => {
  it.each(cases)('$title', { timeout: 30_000 }, async ({ metric, n, dim, kind }) => {
    const seed = n * 31 + dim;
    const vectors = kind === 'random' ? randomVectors(n, dim, seed) : blobs(Math.max(1, Math.round(n / 40)), 40, dim, 3, seed).vectors.subarray(0, n * dim);
    // A subarray view with a non-zero byteOffset, as callers may pass.
    const backing = new Float32Array(vectors.length + 3 * dim);
    backing.set(vectors, 3 * dim);
    const view = backing.subarray(3 * dim);
    const radius = quantileRadius(vectors, n, dim, metric, kind === 'random' ? 0.02 : 0.05, seed);

    const ts = await radiusGraph(vectors, dim, { radius, metric, backend: 'ts' });
    const native = await radiusGraph(view, dim, { radius, metric, backend: 'native', threads: 2 });
    expect(native.n).toBe(ts.n);
    expect(firstDifference(native.offsets, ts.offsets)).toBeUndefined();
    expect(firstDifference(native.indices, ts.indices)).toBeUndefined();
    expect(firstDifference(native.distances, ts.distances)).toBeUndefined();

    for (const minSamples of [1, 3, 8]) {
      const a = await dbscanOnGraph(ts, { minSamples, backend: 'ts' });
      const b = await dbscanOnGraph(ts, { minSamples, backend: 'native' });
      expect(firstDifference(b.labels, a.labels)).toBeUndefined();
      expect(b.backend).toBe('native');
    }
    for (const [seedCw, weighting, iterations] of [[0, 'similarity', 30], [7, 'unit', 30], [123456789, 'similarity', 2]] as const) {
      const a = await chineseWhispersOnGraph(ts, { seed: seedCw, weighting, iterations, backend: 'ts' });
      const b = await chineseWhispersOnGraph(ts, { seed: seedCw, weighting, iterations, backend: 'native' });
      expect(firstDifference(b.labels, a.labels)).toBeUndefined();
      expect(b.iterations).toBe(a.iterations);
    }
  });

  it.each(METRICS)('%s: pairs at exactly the radius (integer grid) are kept by both', async (metric) => {
    const rows: number[][] = [];
    for (let x = 0; x < 9; x++) for (let y = 0; y < 9; y++) for (let z = 0; z < 3; z++) rows.push([x, y, z, 1]);
    for (const radius of metric === 'cosine' ? [0.01, 0.05] : [1, 2, 3]) {
      const ts = await radiusGraph(rows, 4, { radius, metric, backend: 'ts' });
      const native = await radiusGraph(rows, 4, { radius, metric, backend: 'native' });
      expect(native).toEqual(ts);
    }
  });

  it('with must-link and cannot-link constraints, labels are identical on a 3000-node graph', { timeout: 60_000 }, async () => {
    const { vectors, truth } = blobs(100, 30, 32, 3, 21);
    const n = 3000;
    const radius = quantileRadius(vectors, n, 32, 'euclidean', 0.02, 4);
    const graph = await radiusGraph(vectors, 32, { radius, backend: 'native' });
    const rng = new Mulberry32(17);
    const pair = (): [number, number] => [rng.below(n), rng.below(n)];
    // must-links within blobs and a few across; cannot-links within blobs (they split clusters), none inside
    // a must-link group, found by a small union-find of the must-links
    const must: [number, number][] = [];
    while (must.length < 400) {
      const [a, b] = pair();
      if (a !== b && (truth[a] === truth[b] || must.length % 10 === 0)) must.push([a, b]);
    }
    const root = Array.from({ length: n }, (_, i) => i);
    const find = (i: number): number => (root[i] === i ? i : (root[i] = find(root[i])));
    for (const [a, b] of must) root[find(a)] = find(b);
    const cannot: number[] = [];
    while (cannot.length < 2 * 600) {
      const [a, b] = pair();
      if (a !== b && truth[a] === truth[b] && find(a) !== find(b)) cannot.push(a, b);
    }
    const constraints: Constraints = { mustLink: must, cannotLink: Int32Array.from(cannot) };
    for (const [seed, weighting, mergeRadius] of [[0, 'similarity', 0], [5, 'unit', 0], [0, 'similarity', radius]] as const) {
      const a = await chineseWhispersOnGraph(graph, { constraints, seed, weighting, mergeRadius, backend: 'ts' });
      const b = await chineseWhispersOnGraph(graph, { constraints, seed, weighting, mergeRadius, backend: 'native' });
      expect(firstDifference(b.labels, a.labels)).toBeUndefined();
      expect(b.iterations).toBe(a.iterations);
      honoured(b.labels);
    }
    for (const minSamples of [2, 5, 12]) {
      const a = await dbscanOnGraph(graph, { constraints, minSamples, backend: 'ts' });
      const b = await dbscanOnGraph(graph, { constraints, minSamples, backend: 'native' });
      expect(firstDifference(b.labels, a.labels)).toBeUndefined();
      honoured(b.labels);
    }
    function honoured(labels: Int32Array) {
      expect(must.every(([x, y]) => labels[x] === labels[y] && labels[x] !== -1)).toBe(true);
      for (let p = 0; p < cannot.length; p += 2) if (labels[cannot[p]] !== -1) expect(labels[cannot[p]]).not.toBe(labels[cannot[p + 1]]);
    }
  });

  it('chineseWhispers and dbscan end to end agree on a 2000×512 clustered set', { timeout: 60_000 }, async () => {
    const { vectors } = blobs(50, 40, 512, 3, 77);
    const radius = quantileRadius(vectors, 2000, 512, 'euclidean', 0.03, 1);
    const graph = await radiusGraph(vectors, 512, { radius, backend: 'ts' });
    const cw = await chineseWhispers(vectors, 512, { threshold: radius, backend: 'native' });
    expect(cw.backend).toBe('native');
    expect(firstDifference(cw.labels, (await chineseWhispersOnGraph(graph, { backend: 'ts', mergeRadius: defaultMergeRadius(radius, 'euclidean') })).labels)).toBeUndefined();
    const db = await dbscan(vectors, 512, { eps: radius, minSamples: 4, backend: 'native' });
    expect(firstDifference(db.labels, (await dbscanOnGraph(graph, { minSamples: 4, backend: 'ts' })).labels)).toBeUndefined();
    expect(db.graph.edges).toBe(graph.offsets[2000] / 2);
  });
});
