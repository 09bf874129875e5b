import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chineseWhispers } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { evaluate } from './evaluate.js';
import { HnswIndex } from './hnsw.js';
import { radiusGraph } from './radius-graph.js';
import { blobs, caught, firstDifference, samePartition } from './test-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faceclust-cluster-hnsw-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dim = 32;
// 40 blobs of 50: same-blob distances ≈ 4.6, other blobs ≈ 46.
const mid = blobs(40, 50, dim, 1, 17);
const small = blobs(8, 25, dim, 1, 5);
const generous = { k: 199, ef: 200, efConstruction: 200 };

function sameGraph(a: { offsets: Uint32Array; indices: Int32Array; distances: Float32Array }, b: typeof a) {
  return firstDifference(a.offsets, b.offsets) ?? firstDifference(a.indices, b.indices) ?? firstDifference(a.distances, b.distances);
}

describe('neighbors: hnsw against exact', () => {
  it('reproduces the exact radius graph and clusterings with generous parameters', async () => {
    const exact = await radiusGraph(small.vectors, dim, { radius: 6 });
    const approx = await radiusGraph(small.vectors, dim, { radius: 6, neighbors: 'hnsw', hnsw: generous });
    expect(exact.offsets[exact.n]).toBeGreaterThan(0);
    expect(sameGraph(approx, exact)).toBeUndefined();
    const cwExact = await chineseWhispers(small.vectors, dim, { threshold: 6, neighbors: 'exact' });
    const cwHnsw = await chineseWhispers(small.vectors, dim, { threshold: 6, neighbors: 'hnsw', hnsw: generous });
    expect(cwExact.neighbors).toBe('exact');
    expect(cwHnsw.neighbors).toBe('hnsw');
    expect(firstDifference(cwHnsw.labels, cwExact.labels)).toBeUndefined();
    const dbExact = await dbscan(small.vectors, dim, { eps: 6, minSamples: 5, neighbors: 'exact' });
    const dbHnsw = await dbscan(small.vectors, dim, { eps: 6, minSamples: 5, neighbors: 'hnsw', hnsw: generous });
    expect(dbHnsw.neighbors).toBe('hnsw');
    expect(firstDifference(dbHnsw.labels, dbExact.labels)).toBeUndefined();
  });

  it('with default parameters on 2,000 points: a subgraph of the exact graph, same clustering', async () => {
    const exact = await radiusGraph(mid.vectors, dim, { radius: 8 });
    const index = await HnswIndex.build(mid.vectors, dim);
    const approx = await index.knnGraph({ radius: 8 });
    // Blobs of 50 with k = 32: every kept edge is exact; each row holds at least its 32 nearest.
    let found = 0;
    for (let i = 0; i < approx.n; i++) {
      const row = new Map<number, number>();
      for (let e = exact.offsets[i]; e < exact.offsets[i + 1]; e++) row.set(exact.indices[e], exact.distances[e]);
      for (let e = approx.offsets[i]; e < approx.offsets[i + 1]; e++) expect(row.get(approx.indices[e])).toBe(approx.distances[e]);
      found += Math.min(32, approx.offsets[i + 1] - approx.offsets[i]);
    }
    expect(found / (approx.n * 32)).toBeGreaterThan(0.98);
    // what the steps did: blobs of 50 leave no row short, and every blob (> k faces) is open
    expect(approx.stats).toMatchObject({ shortRows: 0, exactRows: 0, followers: 0, closedParts: 0 });
    expect(approx.stats.searchMs).toBeGreaterThan(0);
    const a = await chineseWhispers(mid.vectors, dim, { threshold: 8, neighbors: 'hnsw', hnsw: { index } });
    const e = await chineseWhispers(mid.vectors, dim, { threshold: 8, neighbors: 'exact' });
    expect(evaluate(a.labels, e.labels).pairwise.f).toBeGreaterThanOrEqual(0.99);
    expect(samePartition(a.labels, mid.truth)).toBe(true);
  });

  it('maxNeighbors widens full rows: k 8, maxNeighbors 512 finds (nearly) every exact edge in blobs of 100', async () => {
    // 20 blobs of 100: every row has 99 neighbours within the radius, far more than k = 8.
    const big = blobs(20, 100, dim, 1, 23);
    const exact = await radiusGraph(big.vectors, dim, { radius: 8 });
    const index = await HnswIndex.build(big.vectors, dim);
    const plain = await index.knnGraph({ radius: 8, k: 8 });
    const wide = await index.knnGraph({ radius: 8, k: 8, maxNeighbors: 512 });
    const exactEdges = exact.offsets[exact.n];
    expect(exactEdges).toBe(20 * 100 * 99);
    // every hnsw edge is an exact edge with the same distance
    for (const g of [plain, wide]) {
      let wrong = 0;
      for (let i = 0; i < g.n; i++) {
        const row = new Map<number, number>();
        for (let e = exact.offsets[i]; e < exact.offsets[i + 1]; e++) row.set(exact.indices[e], exact.distances[e]);
        for (let e = g.offsets[i]; e < g.offsets[i + 1]; e++) if (row.get(g.indices[e]) !== g.distances[e]) wrong++;
      }
      expect(wrong).toBe(0);
    }
    expect(wide.offsets[wide.n] / exactEdges).toBeGreaterThanOrEqual(0.98);
    expect(plain.offsets[plain.n] / exactEdges).toBeLessThan(0.3);
    // the same option through the vector-level calls (hnsw: { maxNeighbors })
    const viaOptions = await radiusGraph(big.vectors, dim, { radius: 8, neighbors: 'hnsw', hnsw: { index, k: 8, maxNeighbors: 512 } });
    expect(viaOptions.offsets[viaOptions.n] / exactEdges).toBeGreaterThanOrEqual(0.98);
    const cw = await chineseWhispers(big.vectors, dim, { threshold: 8, neighbors: 'hnsw', hnsw: { index, k: 8, maxNeighbors: 512 } });
    expect(cw.graph.edges / (exactEdges / 2)).toBeGreaterThanOrEqual(0.98);
    expect(samePartition(cw.labels, big.truth)).toBe(true);
  });

  it("auto picks exact for a small set (and hnsw whenever an index is given; the rest in neighbors.test.ts)", async () => {
    const r = await chineseWhispers(small.vectors, dim, { threshold: 6 });
    expect(r.neighbors).toBe('exact');
    const index = await HnswIndex.build(small.vectors, dim);
    expect((await chineseWhispers(small.vectors, dim, { threshold: 6, hnsw: { index } })).neighbors).toBe('hnsw');
  });
});

describe('HnswIndex: persistence and incremental add', () => {
  it('save/load round trip: same rows, same graph, and the folder holds index + embeddings', async () => {
    const index = await HnswIndex.build(mid.vectors, dim, { M: 12 });
    const folder = path.join(tmp, 'round-trip');
    await index.save(folder);
    expect(readdirSync(folder).sort()).toEqual(['embeddings.f32', 'hnsw.index', 'hnsw.json']);
    const loaded = await HnswIndex.load(folder);
    expect([loaded.size, loaded.dim, loaded.metric, loaded.M]).toEqual([2000, dim, 'euclidean', 12]);
    expect(firstDifference(loaded.vectors, mid.vectors)).toBeUndefined();
    const a = await index.knnGraph({ radius: 8, k: 20 });
    const b = await loaded.knnGraph({ radius: 8, k: 20 });
    expect(sameGraph(a, b)).toBeUndefined();
    // A second clustering at another threshold reuses the loaded index.
    const r = await chineseWhispers(loaded.vectors, dim, { threshold: 7, hnsw: { index: loaded } });
    expect(r.neighbors).toBe('hnsw');
  });

  it('incremental add (after a reload) clusters like a rebuild on the same data', async () => {
    const first = 1400;
    const part = await HnswIndex.build(mid.vectors.subarray(0, first * dim), dim);
    const folder = path.join(tmp, 'grow');
    await part.save(folder);
    const grown = await HnswIndex.load(folder);
    expect(await grown.add(mid.vectors.subarray(first * dim))).toBe(2000);
    expect(firstDifference(grown.vectors, mid.vectors)).toBeUndefined();
    const rebuilt = await HnswIndex.build(mid.vectors, dim);
    const a = await chineseWhispers(grown.vectors, dim, { threshold: 8, hnsw: { index: grown } });
    const b = await chineseWhispers(mid.vectors, dim, { threshold: 8, hnsw: { index: rebuilt } });
    expect(firstDifference(a.labels, b.labels)).toBeUndefined();
  });
});

describe('HnswIndex.load with the caller\'s vectors (embeddings held once)', () => {
  const folder = path.join(tmp, 'given');
  let plain: HnswIndex;
  const copy = () => mid.vectors.slice();
  it('keeps the very array given (a subarray view too), after comparing it with embeddings.f32', async () => {
    await (await HnswIndex.build(mid.vectors, dim, { M: 12 })).save(folder);
    plain = await HnswIndex.load(folder);
    const rows = copy();
    const loaded = await HnswIndex.load(folder, { vectors: rows });
    expect(loaded.vectors).toBe(rows);
    expect([loaded.size, loaded.dim, loaded.M]).toEqual([2000, dim, 12]);
    expect(sameGraph(await loaded.knnGraph({ radius: 8, k: 20 }), await plain.knnGraph({ radius: 8, k: 20 }))).toBeUndefined();
    // a view into a larger array, at a byteOffset
    const big = new Float32Array(rows.length + 3 * dim);
    big.set(rows, 3 * dim);
    const view = big.subarray(3 * dim);
    expect((await HnswIndex.load(folder, { vectors: view })).vectors).toBe(view);
    const r = await chineseWhispers(loaded.vectors, dim, { threshold: 8, hnsw: { index: loaded } });
    expect(samePartition(r.labels, mid.truth)).toBe(true);
  });

  it('add() after such a load copies into its own buffer and leaves the given rows alone', async () => {
    const first = 1400;
    const part = path.join(tmp, 'given-part');
    await (await HnswIndex.build(mid.vectors.subarray(0, first * dim), dim)).save(part);
    const rows = mid.vectors.slice(0, first * dim);
    const grown = await HnswIndex.load(part, { vectors: rows });
    expect(await grown.add(mid.vectors.subarray(first * dim))).toBe(2000);
    expect(grown.vectors.buffer).not.toBe(rows.buffer);
    expect(firstDifference(grown.vectors, mid.vectors)).toBeUndefined();
    expect(firstDifference(rows, mid.vectors.subarray(0, first * dim))).toBeUndefined();
    const a = await chineseWhispers(grown.vectors, dim, { threshold: 8, hnsw: { index: grown } });
    const b = await chineseWhispers(mid.vectors, dim, { threshold: 8, hnsw: { index: await HnswIndex.build(mid.vectors, dim) } });
    expect(firstDifference(a.labels, b.labels)).toBeUndefined();
  });

  it('BAD CALL: wrong type, wrong length, other content (naming the first differing row)', async () => {
    const notArray = await caught(() => HnswIndex.load(folder, { vectors: [1, 2] as never }));
    expect(notArray).toBeInstanceOf(TypeError);
    expect(notArray.message).toBe('Expected options.vectors to be a Float32Array (row-major n×dim) but received an array of length 2');
    const notObject = await caught(() => HnswIndex.load(folder, 5 as never));
    expect(notObject).toBeInstanceOf(TypeError);
    expect(notObject.message).toBe('Expected options to be an object but received 5');
    const short = await caught(() => HnswIndex.load(folder, { vectors: mid.vectors.subarray(dim) }));
    expect(short).toBeInstanceOf(RangeError);
    expect(short.message).toBe(`Expected options.vectors to hold the index's 2000×${dim} rows (length ${2000 * dim}) but received length ${1999 * dim}`);
    for (const row of [0, 777, 1999]) {
      const other = copy();
      other[row * dim + dim - 1] += 1e-3;
      const error = await caught(() => HnswIndex.load(folder, { vectors: other }));
      expect(error).toBeInstanceOf(RangeError);
      expect(error.message).toMatch(new RegExp(`^Expected options.vectors to equal the saved embeddings .*embeddings\\.f32 but row ${row} differs$`));
    }
  });

  it('compares files larger than one 8 MiB block, across the block boundary', async () => {
    // 4200 rows of 512 floats = 8.2 MiB: row 4096 starts the second block. The content check runs before the
    // native index is read, so this folder needs no hnsw.index: a match fails later, on the missing file.
    const [rowsN, d] = [4200, 512];
    const rows = new Float32Array(rowsN * d).map((_, i) => (i % 9973) / 7);
    const big = path.join(tmp, 'two-blocks');
    mkdirSync(big, { recursive: true });
    writeFileSync(path.join(big, 'hnsw.json'), JSON.stringify({ format: 'faceclust-hnsw', version: 1, dim: d, n: rowsN, metric: 'euclidean', M: 16, efConstruction: 100 }));
    writeFileSync(path.join(big, 'embeddings.f32'), new Uint8Array(rows.buffer));
    for (const [row, col] of [[4095, d - 1], [4096, 0], [4199, 3]]) {
      const other = rows.slice();
      other[row * d + col] = -1;
      expect((await caught(() => HnswIndex.load(big, { vectors: other }))).message).toMatch(new RegExp(`but row ${row} differs$`));
    }
    const same = await caught(() => HnswIndex.load(big, { vectors: rows.slice() }));
    expect(same.message).toMatch(/Cannot load the HNSW index .*hnsw\.index/);
    // the file shorter than hnsw.json says: reported as before, with or without vectors
    writeFileSync(path.join(big, 'embeddings.f32'), new Uint8Array(rows.buffer, 0, rows.byteLength - 4));
    for (const options of [{}, { vectors: rows }]) {
      expect((await caught(() => HnswIndex.load(big, options))).message).toMatch(/embeddings\.f32 holds 8601596 bytes but hnsw\.json says 4200×512 float32 = 8601600/);
    }
  });
});

describe('neighbors: BAD CALL', () => {
  const cases: [string, Record<string, unknown>, ErrorConstructor, RegExp][] = [
    ['M < 2', { hnsw: { M: 1 } }, RangeError, /Expected M to be an integer between 2 and 10000 but received 1/],
    ['k < 1', { hnsw: { k: 0 } }, RangeError, /Expected k to be an integer >= 1 but received 0/],
    ['ef < k', { hnsw: { k: 40, ef: 10 } }, RangeError, /Expected ef to be an integer >= k \(40\) but received 10/],
    ['efConstruction 0', { hnsw: { efConstruction: 0 } }, RangeError, /Expected efConstruction to be an integer >= 1 but received 0/],
    ['maxNeighbors < k', { hnsw: { k: 5, maxNeighbors: 4 } }, RangeError, /Expected maxNeighbors to be an integer >= k \(5\) but received 4/],
    ['maxNeighbors < default k', { hnsw: { maxNeighbors: 16 } }, RangeError, /Expected maxNeighbors to be an integer >= k \(32\) but received 16/],
    ['maxNeighbors not an integer', { hnsw: { maxNeighbors: 40.5 } }, RangeError, /Expected maxNeighbors to be an integer >= 1 but received 40.5/],
    ['maxNeighbors not a number', { hnsw: { maxNeighbors: '64' } }, TypeError, /Expected maxNeighbors to be an integer >= 1 but received "64" of type string/],
    ['k not a number', { hnsw: { k: '8' } }, TypeError, /Expected k to be an integer >= 1 but received "8" of type string/],
    ['unknown strategy', { neighbors: 'fast' }, RangeError, /Expected neighbors to be one of 'exact', 'hnsw', 'auto' but received "fast"/],
    ['index of another type', { hnsw: { index: {} } }, TypeError, /Expected hnsw.index to be an HnswIndex but received an object/],
    ['hnsw on the ts backend', { neighbors: 'hnsw', backend: 'ts' }, Error, /needs the native backend/],
  ];
  for (const [name, extra, ErrorClass, message] of cases) {
    it(name, async () => {
      const error = await caught(() => chineseWhispers(small.vectors, dim, { threshold: 6, neighbors: 'hnsw', ...extra }));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error.message).toMatch(message);
    });
  }

  it('DBSCAN needs k >= minSamples − 1; an index must match the rows and metric', async () => {
    const error = await caught(() => dbscan(small.vectors, dim, { eps: 6, minSamples: 10, neighbors: 'hnsw', hnsw: { k: 5 } }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/Expected k to be an integer >= 9 .* but received 5/);
    const index = await HnswIndex.build(small.vectors, dim);
    const wrongRows = await caught(() => chineseWhispers(mid.vectors, dim, { threshold: 6, hnsw: { index } }));
    expect(wrongRows.message).toMatch(/Expected hnsw.index to hold the 2000×32 rows being clustered but it holds 200×32/);
    const wrongMetric = await caught(() => chineseWhispers(small.vectors, dim, { threshold: 0.5, metric: 'cosine', hnsw: { index } }));
    expect(wrongMetric.message).toMatch(/metric 'cosine' but it uses 'euclidean'/);
    const direct = await caught(() => index.knnGraph({ radius: 6, k: 5, maxNeighbors: 4 }));
    expect(direct).toBeInstanceOf(RangeError);
    expect(direct.message).toMatch(/Expected maxNeighbors to be an integer >= k \(5\) but received 4/);
    expect((await caught(() => HnswIndex.load(path.join(tmp, 'nowhere')))).message).toMatch(/Cannot read the HNSW index description .*nowhere.hnsw\.json/);
  });
});

describe('hnsw defaults', () => {
  it('search 64 wide (never below k) with k 32 and maxNeighbors k', async () => {
    const { hnswSearchParams: hnswGraphParams } = await import('./params.js');
    expect(hnswGraphParams({}, 1)).toEqual({ k: 32, ef: 64, maxNeighbors: 32 });
    expect(hnswGraphParams({ k: 200 }, 1)).toEqual({ k: 200, ef: 200, maxNeighbors: 200 });
    expect(hnswGraphParams({}, 50)).toEqual({ k: 50, ef: 64, maxNeighbors: 50 });
    expect(hnswGraphParams({ k: 8, maxNeighbors: 4096 }, 1)).toEqual({ k: 8, ef: 64, maxNeighbors: 4096 });
  });
});
