import { describe, expect, it } from 'vitest';
import { resolveBackend, type BackendName } from './backend.js';
import { referenceDistance } from './distance.js';
import { METRICS, type Metric } from './metrics.js';
import { nearestNeighbors } from './nearest-neighbors.js';
import { Mulberry32 } from './rng.js';
import { blobs, caught, firstDifference, randomVectors } from './test-helpers.js';

const nativeLoads = await resolveBackend('native').then(
  () => true,
  () => false,
);
if (!nativeLoads) console.warn('nearest-neighbors.test.ts: the native addon did not load; the ts backend only');
const BACKEND_NAMES: BackendName[] = nativeLoads ? ['ts', 'native'] : ['ts'];

/** Brute force: every distance (one matrix: base rows then query rows), sorted by (distance, index). */
function bruteForce(base: Float32Array, queries: Float32Array, dim: number, metric: Metric, k: number, radius = Infinity) {
  const nb = base.length / dim;
  const nq = queries.length / dim;
  const all = new Float32Array(base.length + queries.length);
  all.set(base);
  all.set(queries, base.length);
  const offsets = [0];
  const indices: number[] = [];
  const distances: number[] = [];
  for (let q = 0; q < nq; q++) {
    const pairs = Array.from({ length: nb }, (_, j) => [referenceDistance(all, dim, nb + q, j, metric), j] as const)
      .filter(([d]) => d <= radius)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .slice(0, k);
    for (const [d, j] of pairs) indices.push(j), distances.push(d);
    offsets.push(indices.length);
  }
  return { offsets: Uint32Array.from(offsets), indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}

function expectSame(got: { offsets: Uint32Array; indices: Int32Array; distances: Float32Array }, want: typeof got, where: string) {
  expect(firstDifference(got.offsets, want.offsets), `${where} offsets`).toBeUndefined();
  expect(firstDifference(got.indices, want.indices), `${where} indices`).toBeUndefined();
  expect(firstDifference(got.distances, want.distances), `${where} distances`).toBeUndefined();
}

describe('nearestNeighbors equals brute force on both backends', () => {
  it.each(METRICS)('%s: random rows, several k and radii', async (metric) => {
    const dim = 12;
    const base = randomVectors(300, dim, 1);
    const queries = randomVectors(25, dim, 2);
    const typical = bruteForce(base, queries, dim, metric, 10).distances[5];
    for (const [k, radius] of [[1, undefined], [7, undefined], [400, undefined], [50, typical], [3, 0]] as const) {
      const want = bruteForce(base, queries, dim, metric, k, radius);
      for (const backend of BACKEND_NAMES) {
        const got = await nearestNeighbors(base, queries, dim, { metric, k, radius, backend, threads: 2 });
        expect(got.backend).toBe(backend);
        expectSame(got, want, `${backend} k=${k} radius=${radius}`);
      }
    }
  });

  it.each(METRICS)('%s: an integer grid, full of equal distances (ties to the lower index, radius inclusive)', async (metric) => {
    const rows: number[][] = [];
    for (let x = 0; x < 6; x++) for (let y = 0; y < 6; y++) for (let z = 0; z < 3; z++) rows.push([x, y, z, 1]);
    const base = Float32Array.from(rows.flat());
    const queries = Float32Array.from([2, 2, 1, 1, 0, 0, 0, 1, 5, 5, 2, 1, 2.5, 2.5, 1, 1]);
    for (const [k, radius] of [[4, undefined], [9, metric === 'cosine' ? 0.05 : 1], [30, metric === 'cosine' ? 0.1 : 2]] as const) {
      const want = bruteForce(base, queries, 4, metric, k, radius);
      for (const backend of BACKEND_NAMES) expectSame(await nearestNeighbors(base, queries, 4, { metric, k, radius, backend }), want, `${backend} k=${k}`);
    }
  });

  it('zero rows under cosine, huge values (the native fast pass steps aside), empty base or queries, subarray() views', async () => {
    const dim = 6;
    const base = randomVectors(40, dim, 3);
    base.fill(0, 0, dim); // row 0 is zero: cosine 1 to everything
    const queries = randomVectors(5, dim, 4);
    queries.fill(0, dim, 2 * dim);
    const backing = new Float32Array(base.length + 5);
    backing.set(base, 5);
    const view = backing.subarray(5);
    const huge = Float32Array.from(base, (v) => v * 1e20);
    for (const backend of BACKEND_NAMES) {
      expectSame(await nearestNeighbors(view, queries, dim, { metric: 'cosine', k: 41, backend }), bruteForce(base, queries, dim, 'cosine', 41), `${backend} cosine`);
      expectSame(await nearestNeighbors(huge, queries, dim, { k: 3, backend }), bruteForce(huge, queries, dim, 'euclidean', 3), `${backend} huge`);
      const none = await nearestNeighbors(new Float32Array(0), queries, dim, { k: 3, backend });
      expect(Array.from(none.offsets)).toEqual([0, 0, 0, 0, 0, 0]);
      const noQueries = await nearestNeighbors(base, [], dim, { k: 3, backend });
      expect(Array.from(noQueries.offsets)).toEqual([0]);
    }
  });
});

describe.skipIf(!nativeLoads)('nearestNeighbors: native and ts identical on larger sets', () => {
  it.each(METRICS)('%s: 4000 clustered base rows × 150 queries, dim 64', { timeout: 60_000 }, async (metric) => {
    const { vectors } = blobs(100, 41, 64, 3, 8);
    const base = vectors.subarray(0, 4000 * 64);
    const queries = vectors.subarray(4000 * 64, 4100 * 64);
    const extra = randomVectors(50, 64, 9).map((v) => v * 10);
    const all = new Float32Array(150 * 64);
    all.set(queries);
    all.set(extra, 100 * 64);
    for (const k of [1, 10, 64]) {
      const ts = await nearestNeighbors(base, all, 64, { metric, k, backend: 'ts' });
      const native = await nearestNeighbors(base, all, 64, { metric, k, backend: 'native' });
      expectSame(native, ts, `k=${k}`);
      const radius = ts.distances[ts.offsets[1] - 1];
      expectSame(
        await nearestNeighbors(base, all, 64, { metric, k, radius, backend: 'native' }),
        await nearestNeighbors(base, all, 64, { metric, k, radius, backend: 'ts' }),
        `k=${k} radius`,
      );
    }
  });

  it('512-dimensional face-like rows (unit norm), k = 5', { timeout: 60_000 }, async () => {
    const rng = new Mulberry32(5);
    const { vectors } = blobs(60, 40, 512, 0.05, 12);
    for (let i = 0; i < 2400; i++) {
      let s = 0;
      for (let t = 0; t < 512; t++) s += vectors[i * 512 + t] ** 2;
      for (let t = 0; t < 512; t++) vectors[i * 512 + t] /= Math.sqrt(s);
    }
    const qs = Array.from({ length: 100 }, () => rng.below(2400));
    const queries = new Float32Array(100 * 512);
    qs.forEach((r, t) => queries.set(vectors.subarray(r * 512, (r + 1) * 512), t * 512));
    for (const metric of ['euclidean', 'cosine'] as const) {
      const ts = await nearestNeighbors(vectors, queries, 512, { metric, k: 5, backend: 'ts' });
      const native = await nearestNeighbors(vectors, queries, 512, { metric, k: 5, backend: 'native' });
      expectSame(native, ts, metric);
      expect(qs.every((r, t) => native.indices[native.offsets[t]] === r || native.distances[native.offsets[t]] === 0)).toBe(true); // itself first
    }
  });

  it('what the CLI asks (k = 64, radius 1.0) on 512-dimensional unit rows, queries not in the base; every metric', { timeout: 120_000 }, async () => {
    const { vectors } = blobs(80, 40, 512, 0.04, 21);
    const n = 3200;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = 0; t < 512; t++) s += vectors[i * 512 + t] ** 2;
      for (let t = 0; t < 512; t++) vectors[i * 512 + t] /= Math.sqrt(s);
    }
    // every 16th row a query (200), the others the base (3000): each query's cluster is in the base
    const base = new Float32Array((n - n / 16) * 512);
    const queries = new Float32Array((n / 16) * 512);
    for (let i = 0, b = 0, q = 0; i < n; i++) {
      const row = vectors.subarray(i * 512, (i + 1) * 512);
      if (i % 16 === 5) queries.set(row, 512 * q++);
      else base.set(row, 512 * b++);
    }
    for (const metric of METRICS) {
      for (const radius of [1.0, undefined]) {
        const ts = await nearestNeighbors(base, queries, 512, { metric, k: 64, radius, backend: 'ts' });
        const native = await nearestNeighbors(base, queries, 512, { metric, k: 64, radius, backend: 'native', threads: 2 });
        expectSame(native, ts, `${metric} radius=${radius}`);
      }
    }
  });

  it('a non-zero row of norm < 1e-10 under cosine (the native tiles step aside): still identical', async () => {
    const dim = 32;
    const base = randomVectors(500, dim, 8);
    for (let t = 0; t < dim; t++) base[7 * dim + t] *= 1e-12;
    const queries = randomVectors(20, dim, 9);
    const ts = await nearestNeighbors(base, queries, dim, { metric: 'cosine', k: 10, backend: 'ts' });
    expectSame(await nearestNeighbors(base, queries, dim, { metric: 'cosine', k: 10, backend: 'native' }), ts, 'tiny row');
  });
});

describe('nearestNeighbors: BAD CALLs', () => {
  const ok = new Float32Array(8);
  const bad: [string, () => Promise<unknown>, ErrorConstructor, string][] = [
    ['k 0', () => nearestNeighbors(ok, ok, 2, { k: 0 }), RangeError, 'Expected k to be an integer >= 1 but received 0'],
    ['k a string', () => nearestNeighbors(ok, ok, 2, { k: '3' as never }), TypeError, 'Expected k to be an integer >= 1 but received "3" of type string'],
    ['radius negative', () => nearestNeighbors(ok, ok, 2, { radius: -1 }), RangeError, 'Expected radius to be a finite number >= 0 but received -1'],
    ['radius NaN', () => nearestNeighbors(ok, ok, 2, { radius: Number.NaN }), RangeError, 'Expected radius to be a finite number >= 0 but received NaN'],
    ['metric', () => nearestNeighbors(ok, ok, 2, { metric: 'cosin' as never }), RangeError,
      "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev' but received \"cosin\" of type string"],
    ['base of the wrong length', () => nearestNeighbors(new Float32Array(7), ok, 2), RangeError,
      'Expected base.length to be a multiple of dim (2) but received 7 (7 / 2 = 3.500 rows)'],
    ['queries with a NaN', () => nearestNeighbors(ok, [[0, Number.NaN]], 2), RangeError, 'Expected queries to contain only finite numbers but received NaN at row 0, column 1'],
    ['queries a string', () => nearestNeighbors(ok, 'x' as never, 2), TypeError,
      'Expected queries to be a Float32Array (row-major n×dim), an array of Float32Array rows or an array of number arrays but received "x" of type string'],
    ['options not an object', () => nearestNeighbors(ok, ok, 2, 5 as never), TypeError, 'Expected options to be an object but received 5'],
  ];
  it.each(bad)('BAD CALL – %s', async (_, call, ErrorClass, message) => {
    const error = await caught(call);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.message).toBe(message);
  });
});
