/**
 * What scikit-learn accepts besides vectors and a named metric: `sample_weight`, `metric='precomputed'`
 * (dense and sparse) and a callable metric; checked against scikit-learn's own labels
 * (__fixtures__/dbscan-extra-fixtures.json, made by make-dbscan-fixtures.py) on both backends.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveBackend, type BackendName } from './backend.js';
import { chineseWhispers } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { metricKind, metricSpace } from './metric-input.js';
import { radiusGraph } from './radius-graph.js';
import { blobs, firstDifference, samePartition } from './test-helpers.js';

interface Extra {
  n: number;
  dim: number;
  vectors: number[];
  weights: number[];
  weighted: { eps: number; minSamples: number; labels: number[]; core: number[] }[];
  dense: number[];
  precomputedDense: { eps: number; minSamples: number; labels: number[] }[];
  graph: { radius: number; offsets: number[]; indices: number[]; distances: number[] };
  precomputedSparse: { eps: number; minSamples: number; labels: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/dbscan-extra-fixtures.json', import.meta.url), 'utf8')) as Extra;
const nativeLoads = await resolveBackend('native').then(
  () => true,
  () => false,
);
const BACKENDS: BackendName[] = nativeLoads ? ['ts', 'native'] : ['ts'];

/** scikit-learn's labels up to renaming: the same noise and the same partition of the rest. */
function expectSklearn(labels: Int32Array, expected: number[], where: string) {
  const noise = (l: ArrayLike<number>) => Array.from(l).flatMap((v, i) => (v === -1 ? [i] : []));
  expect(noise(labels), where).toEqual(noise(expected));
  const kept = expected.flatMap((v, i) => (v === -1 ? [] : [i]));
  expect(samePartition(kept.map((i) => labels[i]), kept.map((i) => expected[i])), where).toBe(true);
}

describe('dbscan sampleWeight against scikit-learn', () => {
  const vectors = Float32Array.from(fixture.vectors);
  it.each(fixture.weighted)('eps $eps minSamples $minSamples', async ({ eps, minSamples, labels: expected }) => {
    expect(fixture.weights.some((w) => w === 0) && fixture.weights.some((w) => w < 0) && fixture.weights.some((w) => w > 1)).toBe(true);
    let first: Int32Array | undefined;
    for (const backend of BACKENDS) {
      const r = await dbscan(vectors, fixture.dim, { eps, minSamples, sampleWeight: fixture.weights, backend });
      expectSklearn(r.labels, expected, backend);
      if (first) expect(firstDifference(r.labels, first)).toBeUndefined();
      first = r.labels;
    }
  });

  it('weights of 1 change nothing; weights honour constraints too', async () => {
    const { vectors: v } = blobs(6, 15, 8, 2, 4);
    const plain = await dbscan(v, 8, { eps: 5, minSamples: 4, backend: 'ts' });
    const ones = await dbscan(v, 8, { eps: 5, minSamples: 4, sampleWeight: new Array(90).fill(1), backend: 'ts' });
    expect(firstDifference(ones.labels, plain.labels)).toBeUndefined();
    // a heavy row is core alone, and keeps its cannot-linked partner out of its cluster
    const w = new Array(90).fill(0);
    w[0] = 4;
    for (const backend of BACKENDS) {
      const r = await dbscan(v, 8, { eps: 5, minSamples: 4, sampleWeight: w, constraints: { cannotLink: [[0, 6]] }, backend });
      expect(r.labels[0]).not.toBe(-1);
      expect(r.labels[6]).not.toBe(r.labels[0]);
    }
  });

  it('BAD CALLs name sampleWeight', async () => {
    const v = [[0, 0], [1, 0]];
    await expect(dbscan(v, 2, { eps: 1, sampleWeight: [1] })).rejects.toThrow('Expected sampleWeight to hold one weight per row (2) but received length 1');
    await expect(dbscan(v, 2, { eps: 1, sampleWeight: [1, Number.NaN] })).rejects.toThrow('Expected sampleWeight[1] to be a finite number but received NaN');
    await expect(dbscan(v, 2, { eps: 1, sampleWeight: 3 as unknown as number[] })).rejects.toThrow(TypeError);
  });
});

describe("metric 'precomputed' against scikit-learn", () => {
  it.each(fixture.precomputedDense.map((c, k) => ({ ...c, sparse: fixture.precomputedSparse[k] })))(
    'dense and sparse, eps $eps minSamples $minSamples',
    async ({ eps, minSamples, labels: expected, sparse }) => {
      for (const backend of BACKENDS) {
        const dense = await dbscan(Float64Array.from(fixture.dense), fixture.n, { metric: 'precomputed', eps, minSamples, backend });
        expectSklearn(dense.labels, expected, `dense ${backend}`);
        expect(dense.neighbors).toBe('exact');
        const fromGraph = await dbscan(fixture.graph, fixture.n, { metric: 'precomputed', eps, minSamples, backend });
        expectSklearn(fromGraph.labels, sparse.labels, `sparse ${backend}`);
        expect(firstDifference(fromGraph.labels, dense.labels)).toBeUndefined();
      }
      // and the same clusters as the vectors themselves
      const fromVectors = await dbscan(Float32Array.from(fixture.vectors), fixture.dim, { eps, minSamples, backend: 'ts' });
      expectSklearn(fromVectors.labels, expected, 'vectors');
    },
  );

  it('Chinese Whispers on precomputed distances equals Chinese Whispers on the vectors; float32 matrices and a graph missing one direction', async () => {
    const { vectors } = blobs(5, 12, 6, 1.5, 9);
    const n = 60;
    const d32 = new Float32Array(n * n);
    const graph = await radiusGraph(vectors, 6, { radius: 100, backend: 'ts' });
    for (let i = 0; i < n; i++) for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) d32[i * n + graph.indices[e]] = graph.distances[e];
    const threshold = 4;
    const fromVectors = await chineseWhispers(vectors, 6, { threshold, backend: 'ts' });
    const fromMatrix = await chineseWhispers(d32, n, { metric: 'precomputed', threshold, backend: 'ts' });
    expect(samePartition(fromMatrix.labels, fromVectors.labels)).toBe(true);
    expect(fromMatrix.clusterCount).toBeGreaterThan(2); // not everything in one cluster, nor all apart
    expect(fromMatrix.clusterCount).toBeLessThan(20);
    // upper triangle only (each pair stored once), with the diagonal: the same graph
    const offsets = [0];
    const indices: number[] = [];
    const distances: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) indices.push(j), distances.push(d32[i * n + j]);
      offsets.push(indices.length);
    }
    const fromUpper = await chineseWhispers({ offsets, indices, distances }, n, { metric: 'precomputed', threshold, backend: 'ts' });
    expect(firstDifference(fromUpper.labels, fromMatrix.labels)).toBeUndefined();
  });

  it('BAD CALLs name the matrix or graph entry and refuse hnsw', async () => {
    const sym = Float64Array.of(0, 1, 1, 0);
    await expect(dbscan(sym, 3, { metric: 'precomputed', eps: 1 })).rejects.toThrow('Expected the precomputed distance matrix to hold n × n = 9 values (dim = n = 3) but received length 4');
    await expect(dbscan(Float64Array.of(0, 1, 2, 0), 2, { metric: 'precomputed', eps: 1 })).rejects.toThrow('Expected the precomputed distance matrix to be symmetric but [0][1] = 1 and [1][0] = 2');
    await expect(dbscan(Float64Array.of(0, -1, -1, 0), 2, { metric: 'precomputed', eps: 1 })).rejects.toThrow('Expected precomputed distance [0][1] to be a finite number >= 0 but received -1');
    await expect(dbscan({ offsets: [0, 1, 1], indices: [5], distances: [0.5] }, 2, { metric: 'precomputed', eps: 1 })).rejects.toThrow(
      "Expected the precomputed graph's indices to lie in [0, 2) but received 5 at entry 0",
    );
    await expect(dbscan(sym, 2, { metric: 'precomputed', eps: 1, neighbors: 'hnsw' })).rejects.toThrow(/neighbors 'hnsw' cannot serve metric 'precomputed'/);
    await expect(dbscan([[0, 1]], 2, { metric: 'precomputed', eps: 1 })).rejects.toThrow(TypeError);
    await expect(dbscan(sym, 2, { metric: 'hamming' as never, eps: 1 })).rejects.toThrow(/Expected metric to be one of 'euclidean', .*'precomputed' or a function/);
  });
});

describe('a function as the metric', () => {
  it('clusters as the named metric it computes, on the ts backend; refuses the native one', async () => {
    const { vectors } = blobs(6, 10, 5, 1.5, 2);
    const manhattan = (a: Float32Array, b: Float32Array) => {
      let s = 0;
      for (let k = 0; k < a.length; k++) s += Math.abs(a[k] - b[k]);
      return s;
    };
    const named = await dbscan(vectors, 5, { eps: 6, minSamples: 3, metric: 'manhattan', backend: 'ts' });
    const fn = await dbscan(vectors, 5, { eps: 6, minSamples: 3, metric: manhattan });
    expect(fn.backend).toBe('ts');
    expect(firstDifference(fn.labels, named.labels)).toBeUndefined();
    const cw = await chineseWhispers(vectors, 5, { threshold: 6, metric: manhattan });
    expect(firstDifference(cw.labels, (await chineseWhispers(vectors, 5, { threshold: 6, metric: 'manhattan', backend: 'ts' })).labels)).toBeUndefined();
    await expect(dbscan(vectors, 5, { eps: 6, metric: manhattan, backend: 'native' })).rejects.toThrow(/pure-TypeScript backend only/);
    await expect(dbscan(vectors, 5, { eps: 6, metric: () => Number.NaN })).rejects.toThrow('Expected the metric function to return a finite number >= 0 but it returned NaN for rows 0 and 1');
  });
});

interface MetricsFixture {
  dim: number;
  vectors: number[];
  positiveDim: number;
  positiveVectors: number[];
  cases: { name: string; metric: string; p: number | null; params: Record<string, number[]>; positive: boolean; eps: number; minSamples: number; labels: number[] }[];
}
const metricsFixture = JSON.parse(readFileSync(new URL('./__fixtures__/dbscan-metrics-fixtures.json', import.meta.url), 'utf8')) as MetricsFixture;

describe('the metrics scipy adds, against scikit-learn', () => {
  it('has fixtures for every extra metric', () => {
    expect(new Set(metricsFixture.cases.map((c) => c.metric))).toEqual(new Set(['minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis']));
  });

  it.each(metricsFixture.cases.map((c) => ({ ...c, title: `${c.name} eps ${c.eps.toPrecision(5)} minSamples ${c.minSamples}` })))('$title', async (c) => {
    const vectors = Float32Array.from(c.positive ? metricsFixture.positiveVectors : metricsFixture.vectors);
    const dim = c.positive ? metricsFixture.positiveDim : metricsFixture.dim;
    const metricParams = { ...(c.p === null ? {} : { p: c.p }), ...c.params };
    let first: Int32Array | undefined;
    for (const backend of BACKENDS) {
      const r = await dbscan(vectors, dim, { eps: c.eps, minSamples: c.minSamples, metric: c.metric as never, metricParams, backend });
      expectSklearn(r.labels, c.labels, backend);
      if (first) expect(firstDifference(r.labels, first), 'native = ts').toBeUndefined();
      first = r.labels;
    }
  });

  it('minkowski with p = 1, 2 and ∞ is manhattan, euclidean and chebyshev exactly, on both clustering methods', async () => {
    const { vectors } = blobs(8, 12, 6, 2, 31);
    for (const [p, metric, radius] of [[1, 'manhattan', 8], [2, 'euclidean', 4], [Infinity, 'chebyshev', 2.5]] as const) {
      for (const backend of BACKENDS) {
        const named = await chineseWhispers(vectors, 6, { threshold: radius, metric, backend });
        const mink = await chineseWhispers(vectors, 6, { threshold: radius, metric: 'minkowski', metricParams: { p }, backend });
        expect(firstDifference(mink.labels, named.labels), `p ${p} ${backend}`).toBeUndefined();
        expect(mink.graph.edges).toBe(named.graph.edges);
      }
    }
  });

  it('minkowski with any other p, and braycurtis, compute only the candidates of a kernel graph, and keep every pair within the radius', async () => {
    const dim = 16;
    const { vectors } = blobs(12, 15, dim, 1.5, 7);
    const n = vectors.length / dim;
    const row = (i: number) => vectors.subarray(i * dim, (i + 1) * dim);
    const minkowski = (p: number) => (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + Math.abs(v - b[k]) ** p, 0) ** (1 / p);
    const braycurtis = (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + Math.abs(v - b[k]), 0) / a.reduce((s, v, k) => s + Math.abs(v + b[k]), 0);
    const cases = [
      ...[1.2, 1.5, 2.5, 3, 7].map((p) => ({ name: `minkowski p ${p}`, metric: 'minkowski' as const, metricParams: { p }, dist: minkowski(p) })),
      { name: 'braycurtis', metric: 'braycurtis' as const, metricParams: {}, dist: braycurtis },
    ];
    for (const c of cases) {
      const dist = (i: number, j: number) => c.dist(row(i), row(j));
      // the radius: the within-blob median (blobs hold 15 rows in order), so the graph is neither empty nor full
      const within = Array.from({ length: n - 1 }, (_, i) => (Math.floor(i / 15) === Math.floor((i + 1) / 15) ? dist(i, i + 1) : NaN)).filter((d) => d === d).sort((a, b) => a - b);
      const radius = within[within.length >> 1];
      let first: Int32Array | undefined;
      for (const backend of BACKENDS) {
        const g = await radiusGraph(vectors, dim, { radius, metric: c.metric, metricParams: c.metricParams, backend });
        const edges = new Set<string>();
        const wrong: string[] = [];
        for (let i = 0; i < n; i++) for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) {
          const j = g.indices[e];
          if (e > g.offsets[i] && j <= g.indices[e - 1]) wrong.push(`row ${i} not ascending`);
          if (Math.abs(g.distances[e] - dist(i, j)) > 1e-5 * radius) wrong.push(`${i}-${j} distance ${g.distances[e]}`);
          edges.add(`${i}-${j}`);
        }
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          const d = dist(i, j);
          if (i !== j && Math.abs(d - radius) > 1e-9 * radius && edges.has(`${i}-${j}`) !== d <= radius) wrong.push(`${i}-${j} at ${d}`);
        }
        expect(wrong, `${c.name} ${backend} radius ${radius}`).toEqual([]);
        expect(g.offsets[n]).toBeGreaterThan(n);
        if (first) expect(firstDifference(g.indices, first), 'native = ts').toBeUndefined();
        first = g.indices;
      }
    }
  });

  it('transformed metrics run through the kernels and the hnsw path too; pairwise ones refuse hnsw', async () => {
    const { vectors } = blobs(10, 20, 8, 1, 12);
    if (nativeLoads) {
      const exact = await dbscan(vectors, 8, { eps: 2.5, minSamples: 3, metric: 'seuclidean' });
      const hnsw = await dbscan(vectors, 8, { eps: 2.5, minSamples: 3, metric: 'seuclidean', neighbors: 'hnsw', hnsw: { maxNeighbors: 256 } });
      expect(hnsw.neighbors).toBe('hnsw');
      expect(samePartition(hnsw.labels, exact.labels)).toBe(true);
    }
    await expect(dbscan(vectors, 8, { eps: 1, metric: 'canberra', neighbors: 'hnsw' })).rejects.toThrow(/neighbors 'hnsw' cannot serve metric 'canberra'/);
  });

  it('BAD CALLs name the metric parameter', async () => {
    const { vectors } = blobs(3, 5, 4, 1, 1);
    const call = (metric: string, metricParams: unknown) => dbscan(vectors, 4, { eps: 1, metric: metric as never, metricParams: metricParams as never });
    await expect(call('minkowski', { p: 0.5 })).rejects.toThrow('Expected metricParams.p to be a number >= 1 (or Infinity) but received 0.5');
    await expect(call('minkowski', { w: [1, 2] })).rejects.toThrow('Expected metricParams.w to hold 4 values but received length 2');
    await expect(call('minkowski', { w: [1, -1, 1, 1] })).rejects.toThrow('Expected metricParams.w[1] to be a finite number >= 0 but received -1');
    await expect(call('seuclidean', { V: [1, 0, 1, 1] })).rejects.toThrow('Expected metricParams.V[1] to be a finite number > 0 but received 0');
    await expect(call('seuclidean', { p: 3 })).rejects.toThrow("metricParams.p does not apply to metric 'seuclidean' (it takes V)");
    await expect(call('euclidean', { p: 3 })).rejects.toThrow("metricParams.p does not apply to metric 'euclidean'");
    await expect(call('mahalanobis', { VI: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1] })).rejects.toThrow('Expected metricParams.VI to be positive definite');
    await expect(call('mahalanobis', { VI: [1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] })).rejects.toThrow('Expected metricParams.VI to be symmetric but VI[1][0] = 0 and VI[0][1] = 2');
    await expect(call('minkowski', { q: 1 })).rejects.toThrow('Unknown metricParams.q');
    // 3 rows in 4 dimensions: no covariance to invert
    await expect(dbscan(vectors.subarray(0, 12), 4, { eps: 1, metric: 'mahalanobis' })).rejects.toThrow(/covariance is singular/);
    const flat = new Float32Array(20).fill(1);
    await expect(dbscan(flat, 4, { eps: 1, metric: 'seuclidean' })).rejects.toThrow("The rows' variance is 0 in dimension 0");
  });
});

describe('metricSpace: the rows and metric later steps use', () => {
  const dim = 6;
  const { vectors } = blobs(3, 14, dim, 1.5, 5);
  const n = vectors.length / dim;
  /** Every pair's distance in the space: the kernel metric on its rows through radiusGraph, or its float64 distance. */
  async function spaceDistances(space: ReturnType<typeof metricSpace>): Promise<Float64Array> {
    const out = new Float64Array(n * n);
    if (space.kind === 'kernel') {
      const g = await radiusGraph(space.rows, dim, { radius: 1e9, metric: space.metric, backend: 'ts' });
      for (let i = 0; i < n; i++) for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) out[i * n + g.indices[e]] = g.distances[e];
    } else {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) out[i * n + j] = space.distance(space.rows, i * dim, space.rows, j * dim, dim, Infinity);
    }
    return out;
  }
  it.each([
    ['seuclidean', undefined, 'kernel'],
    ['mahalanobis', undefined, 'kernel'],
    ['correlation', undefined, 'kernel'],
    ['minkowski', { p: 3 }, 'pairwise'],
    ['minkowski', { p: 2, w: [1, 2, 3, 1, 2, 3] }, 'kernel'],
    ['minkowski', { p: 1.5, w: [1, 2, 3, 1, 2, 3] }, 'pairwise'],
    ['braycurtis', undefined, 'pairwise'],
    ['canberra', undefined, 'pairwise'],
    ['cosine', undefined, 'kernel'],
  ] as const)('%s %j: the same distances as radiusGraph with the metric option (%s)', async (metric, params, kind) => {
    const space = metricSpace(vectors, dim, metric, params);
    expect(space.kind).toBe(kind);
    const got = await spaceDistances(space);
    const g = await radiusGraph(vectors, dim, { radius: 1e9, metric, ...(params ? { metricParams: params } : {}), backend: 'ts' });
    for (let i = 0; i < n; i++) {
      for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) expect(got[i * n + g.indices[e]]).toBeCloseTo(g.distances[e], 4);
    }
    if (space.kind === 'pairwise') {
      // clustering the space's rows with its metric and metricParams is the call with the option
      expect(space.metricParams.w).toBeUndefined();
      const a = await dbscan(space.rows, dim, { eps: 1, minSamples: 2, metric: space.metric, metricParams: space.metricParams, backend: 'ts' });
      const b = await dbscan(vectors, dim, { eps: 1, minSamples: 2, metric, ...(params ? { metricParams: params } : {}), backend: 'ts' });
      expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    }
  });
  it('BAD CALL – precomputed and functions have no space', () => {
    expect(() => metricSpace(vectors, dim, 'precomputed' as never)).toThrow(/Expected metric to be a vector metric .* but received "precomputed"/);
    expect(() => metricKind('seuclidean', { p: 3 })).toThrow("metricParams.p does not apply to metric 'seuclidean' (it takes V)");
    expect(metricKind('minkowski', { p: 3 })).toBe('pairwise');
    expect(metricKind('minkowski', { p: 1 })).toBe('kernel');
    expect(metricKind('mahalanobis')).toBe('kernel');
  });
});
