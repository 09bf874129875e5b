import { describe, expect, it } from 'vitest';
import { tryLoadNative } from '@faceclust/core-native';
import { resolveBackend } from './backend.js';
import { chineseWhispers } from './chinese-whispers.js';
import { AUTO_EXACT_MAX_EDGES, AUTO_EXACT_MAX_EDGES_PER_FACE, AUTO_HNSW_FROM, estimateRadiusEdges, resolveNeighbors } from './neighbors.js';
import { Mulberry32 } from './rng.js';
import { caught } from './test-helpers.js';

const hasNative = tryLoadNative().binding !== undefined;
const dim = 8;

/**
 * People as tight blobs (every pair of one person within radius 3, different people ≈ 20 apart), rows
 * shuffled: `sizes[p]` faces of person p. The exact graph then holds Σ size·(size−1)/2 edges.
 */
function people(sizes: number[], seed: number): { vectors: Float32Array; edges: number } {
  const rng = new Mulberry32(seed);
  const uniform = () => rng.next() / 2 ** 32;
  const n = sizes.reduce((a, b) => a + b, 0);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const vectors = new Float32Array(n * dim);
  let row = 0;
  for (const size of sizes) {
    const centre = Array.from({ length: dim }, () => uniform() * 40 - 20);
    for (let m = 0; m < size; m++, row++) for (let k = 0; k < dim; k++) vectors[order[row] * dim + k] = centre[k] + uniform() - 0.5;
  }
  return { vectors, edges: sizes.reduce((a, s) => a + (s * (s - 1)) / 2, 0) };
}

// 12,000 faces, 9,000 of one person: ~40.5 M exact edges, above the budget (24 M), far below AUTO_HNSW_FROM
const skewed = people([9000, ...Array<number>(150).fill(20)], 1);
// 12,000 faces in 600 people of 20: 114k edges
const uniform = people(Array<number>(600).fill(20), 2);
const radius = 3;

describe('resolveNeighbors: the one exact-or-hnsw decision (auto: by size, then by the estimated edges)', () => {
  it('the budget: 30 M edges, and 2,000 per face on small sets', async () => {
    expect([AUTO_EXACT_MAX_EDGES, AUTO_EXACT_MAX_EDGES_PER_FACE]).toEqual([30_000_000, 2_000]);
    // 8,000 faces, 5,000 of one person: 12.5 M edges, under both
    const under = people([5000, ...Array<number>(150).fill(20)], 5);
    expect(await resolveNeighbors('auto', under.vectors, dim, { radius, backend: 'ts' })).toMatchObject({ neighbors: 'exact', reason: expect.stringMatching(/<= budget 16M$/) });
    // 8,000 faces, 7,000 of one person: 24.5 M edges, under 30 M but over 2,000 per face
    const over = people([7000, ...Array<number>(50).fill(20)], 6);
    expect(await caught(() => resolveNeighbors('auto', over.vectors, dim, { radius, backend: 'ts' }))).toMatchObject({ code: 'ERR_FACECLUST_EXACT_TOO_LARGE' });
    if (hasNative) expect(await resolveNeighbors('auto', over.vectors, dim, { radius })).toMatchObject({ neighbors: 'hnsw', reason: expect.stringMatching(/> budget 16M$/) });
  });

  it('the test data is what it claims to be', () => {
    expect(skewed.edges).toBeGreaterThan(AUTO_EXACT_MAX_EDGES);
    expect(12_000).toBeLessThan(AUTO_HNSW_FROM);
  });

  it('auto picks hnsw for a library dominated by one person below AUTO_HNSW_FROM (native), and says why', async () => {
    if (!hasNative) return;
    const choice = await resolveNeighbors('auto', skewed.vectors, dim, { radius });
    expect(choice.neighbors).toBe('hnsw');
    expect(choice.reason).toMatch(/^auto: ~\d+M edges estimated from 750 sampled faces > budget 24M$/);
    expect(choice.estimatedEdges! / skewed.edges).toBeGreaterThan(0.85);
    expect(choice.estimatedEdges! / skewed.edges).toBeLessThan(1.15);
    // and the clustering calls take the same path
    expect((await chineseWhispers(skewed.vectors, dim, { threshold: radius })).neighbors).toBe('hnsw');
  }, 60_000); // an HNSW build of 12,000 rows: ~1.5 s, much more on a loaded machine

  it('auto keeps exact for a library of many small people, on both backends', async () => {
    for (const backend of ['ts', ...(hasNative ? ['native' as const] : [])] as const) {
      const choice = await resolveNeighbors('auto', uniform.vectors, dim, { radius, backend });
      expect(choice.neighbors).toBe('exact');
      expect(choice.reason).toMatch(/^auto: ~\d+k edges estimated from 750 sampled faces <= budget 24M$/);
    }
    const r = await chineseWhispers(uniform.vectors, dim, { threshold: radius });
    expect(r.neighbors).toBe('exact');
    expect(r.clusterCount).toBe(600);
  });

  it('is deterministic, and the same on both backends (the same sample, exact edges among it)', async () => {
    const a = await resolveNeighbors('auto', skewed.vectors, dim, { radius, backend: 'ts' }).catch((e: { estimatedEdges: number }) => e.estimatedEdges);
    const b = await resolveNeighbors('auto', skewed.vectors, dim, { radius, backend: 'ts' }).catch((e: { estimatedEdges: number }) => e.estimatedEdges);
    expect(a).toBe(b);
    if (hasNative) expect((await resolveNeighbors('auto', skewed.vectors, dim, { radius, backend: 'native' })).estimatedEdges).toBe(a);
  });

  it('the estimate is close to the exact graph it stands for', async () => {
    const ts = await resolveBackend('ts');
    const small = people([300, 150, ...Array<number>(20).fill(20)], 3);
    const matrix = { data: small.vectors, n: small.vectors.length / dim, dim };
    // people() counts its edges right (checked against the exact graph on a small set)...
    expect((await ts.radiusGraph(matrix, 'euclidean', radius, 1)).offsets[matrix.n] / 2).toBe(small.edges);
    // ...so a larger one is checked against that count
    const big = people([8000, 4000, ...Array<number>(200).fill(20)], 4);
    const { edges, sampled } = await estimateRadiusEdges({ data: big.vectors, n: 16_000, dim }, 'euclidean', radius, ts, 1);
    expect(sampled).toBe(1000);
    expect(edges / big.edges).toBeGreaterThan(0.85);
    expect(edges / big.edges).toBeLessThan(1.15);
  });

  it('small n: exact without sampling (the graph cannot exceed the budget); from AUTO_HNSW_FROM rows: hnsw (native)', async () => {
    const few = await resolveNeighbors('auto', skewed.vectors.subarray(0, 4000 * dim), dim, { radius });
    expect(few).toEqual({ neighbors: 'exact', reason: 'auto: 4,000 faces, at most 8.0M edges <= budget 8.0M' });
    const line = new Float32Array(AUTO_HNSW_FROM); // dim 1: cheap rows
    if (hasNative) expect(await resolveNeighbors('auto', line, 1, { radius: 1e-9, backend: 'native' })).toEqual({ neighbors: 'hnsw', reason: 'auto: 120,000 faces >= 120,000' });
    // ts: no hnsw, so large n is decided by the estimate too (all rows equal here: every pair is an edge)
    expect(await caught(() => resolveNeighbors('auto', line, 1, { radius: 1e-9, backend: 'ts' }))).toMatchObject({ code: 'ERR_FACECLUST_EXACT_TOO_LARGE' });
    const spread = Float32Array.from({ length: AUTO_HNSW_FROM }, (_, i) => i);
    expect((await resolveNeighbors('auto', spread, 1, { radius: 0.5, backend: 'ts' })).neighbors).toBe('exact');
  });

  it("auto on the ts backend refuses a graph beyond the budget with what to do, instead of filling the memory", async () => {
    const error = await caught(() => chineseWhispers(skewed.vectors, dim, { threshold: radius, backend: 'ts' }));
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'ERR_FACECLUST_EXACT_TOO_LARGE' });
    expect(error.message).toMatch(
      /^neighbors 'auto' on the ts backend: the exact graph of these 12,000 faces would hold \d+M edges estimated from 750 sampled faces \(about [\d.]+ GB; budget 24M\), and there is no pure-TypeScript hnsw\. Load the native addon \(npm rebuild @faceclust\/core-native\) for the hnsw path, or pass neighbors 'exact' to build the exact graph anyway\.$/,
    );
  });

  it('an explicit choice stands, without sampling', async () => {
    expect(await resolveNeighbors('exact', skewed.vectors, dim, { radius, backend: 'ts' })).toEqual({ neighbors: 'exact', reason: 'exact (asked)' });
    expect(await resolveNeighbors('hnsw', uniform.vectors, dim, { radius })).toEqual({ neighbors: 'hnsw', reason: 'hnsw (asked)' });
    expect(await resolveNeighbors('auto', uniform.vectors, dim, { radius, hasIndex: true })).toEqual({ neighbors: 'hnsw', reason: 'auto: an index was given' });
  });

  it.each([
    [['sometimes', new Float32Array(8), 8, { radius: 1 }], RangeError, "Expected neighbors to be one of 'exact', 'hnsw', 'auto' but received \"sometimes\" of type string"],
    [['auto', new Float32Array(8), 8, {}], TypeError, 'Expected radius to be'],
    [['auto', new Float32Array(8), 8, { radius: -1 }], RangeError, 'Expected radius to be'],
    [['auto', new Float32Array(7), 8, { radius: 1 }], RangeError, 'vectors'],
    [['auto', new Float32Array(8), 8, { radius: 1, backend: 'gpu' }], RangeError, "Expected backend to be one of 'auto', 'native', 'ts' but received \"gpu\" of type string"],
  ])('BAD CALL – resolveNeighbors(%j) throws %s', async (args, cls, message) => {
    const call = () => resolveNeighbors(...(args as Parameters<typeof resolveNeighbors>));
    await expect(call()).rejects.toThrow(cls);
    await expect(call()).rejects.toThrow(message);
  });
});
