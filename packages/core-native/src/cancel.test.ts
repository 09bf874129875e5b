import { describe, expect, it } from 'vitest';
import { loadNative, type NativeCancelToken } from './native.js';
import { clusteredVectors, csr, mulberry32, plain, randomVectors } from './test-helpers.js';

const native = loadNative();

/** Set FACECLUST_TEST_TIMINGS=1 to print the measured cancel→rejection times. */
const report = (what: string, ms: number) => {
  if (process.env.FACECLUST_TEST_TIMINGS) console.info(`cancel→rejection ${what}: ${ms.toFixed(1)} ms`);
};

/**
 * Starts `run` with a fresh token, raises it after `delayMs` (the call must still be running then) and
 * returns the rejection and the time from cancel() to the rejection.
 */
async function cancelAfter(delayMs: number, run: (token: NativeCancelToken) => Promise<unknown>) {
  const token = native.cancelToken();
  let settled = false;
  const job = run(token).then(
    () => {
      settled = true;
      return undefined;
    },
    (error: unknown) => {
      settled = true;
      return error as Error & { code?: string };
    },
  );
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  expect(settled, `the call finished within ${delayMs} ms: make it longer`).toBe(false);
  const cancelledAt = performance.now();
  native.cancel(token);
  const error = await job;
  return { error, ms: performance.now() - cancelledAt };
}

/** A random directed graph (n nodes, `degree` edges each) on which Chinese Whispers runs ~7 passes of ~0.2 s. */
function randomGraph(n: number, degree: number, seed: number) {
  const next = mulberry32(seed);
  const offsets = new Uint32Array(n + 1);
  const indices = new Int32Array(n * degree);
  const distances = new Float32Array(n * degree);
  for (let i = 0; i < n; i++) {
    offsets[i + 1] = (i + 1) * degree;
    for (let k = i * degree; k < (i + 1) * degree; k++) {
      indices[k] = next() % n;
      distances[k] = (next() % 1000) / 1000;
    }
  }
  return { offsets, indices, distances, n };
}

describe('cancellation: tokens', () => {
  it('cancel() is idempotent and a token may serve several calls', async () => {
    const token = native.cancelToken();
    native.cancel(token);
    native.cancel(token);
    const g = csr(3, [[0, 1]]);
    // Every rejection handled from the start (awaiting one by one left the second unhandled when it settled first).
    const calls = [
      native.dbscan(g.offsets, g.indices, 3, 1, undefined, undefined, undefined, token),
      native.chineseWhispers(g.offsets, g.indices, g.distances, 3, 5, 0, false, undefined, undefined, undefined, token),
    ];
    await Promise.all(calls.map((call) => expect(call).rejects.toMatchObject({ code: 'ERR_FACECLUST_CANCELLED', message: 'The operation was cancelled' })));
  });

  // [description, call, message]: wrong tokens are TypeErrors with code ERR_FACECLUST_ARG.
  const index = native.hnswCreate(4, 'euclidean', 16, 50, 4, 1);
  const token = native.cancelToken();
  const x = new Float32Array(8);
  const badCalls: [string, () => unknown, string][] = [
    ['cancel of an object', () => native.cancel({} as never), 'Expected a cancel token for cancel but received a value of type object'],
    ['cancel of undefined', () => native.cancel(undefined as never), 'Expected a cancel token for cancel but received undefined'],
    ['cancel of an index handle', () => native.cancel(index as never), 'Expected a cancel token for cancel but received a native handle of another kind'],
    ['a token where an index is expected', () => native.hnswCount(token as never), 'Expected an HNSW index handle for index but received a native handle of another kind'],
  ];
  for (const [what, call, message] of badCalls) {
    it(`BAD CALL – ${what}`, () => {
      expect(call).toThrow(TypeError);
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_FACECLUST_ARG', message }));
    });
  }

  const badAsync: [string, () => Promise<unknown>][] = [
    ['radiusGraph', () => native.radiusGraph(x, 2, 4, 'euclidean', 1, 1, 5 as never)],
    ['pairwise', () => native.pairwise(x, 2, x, 2, 4, 'euclidean', new Float32Array(4), 1, 'x' as never)],
    ['hnswAdd', () => native.hnswAdd(index, x, 2, 1, index as never)],
    ['hnswKnnGraph', () => native.hnswKnnGraph(index, new Float32Array(0), 0, 1, 1, 1, 1, undefined, {} as never)],
  ];
  for (const [name, call] of badAsync) {
    it(`BAD CALL – ${name} with a token that is not one rejects with a TypeError`, async () => {
      const error = await call().then(() => undefined, (e: Error) => e);
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ code: 'ERR_FACECLUST_ARG' });
      expect(error?.message).toMatch(/^Expected a cancel token for cancel but received /);
    });
  }
});

describe('cancellation: a token raised before the call', () => {
  it('makes every async call reject without working, and leaves an HNSW index unchanged and free', async () => {
    const n = 200;
    const dim = 16;
    const x = randomVectors(n, dim, 3);
    const g = await native.radiusGraph(x, n, dim, 'euclidean', 1.5, 2);
    const index = native.hnswCreate(dim, 'euclidean', 16, 50, n, 1);
    await native.hnswAdd(index, x.subarray(0, (n / 2) * dim), n / 2, 2);
    const raised = native.cancelToken();
    native.cancel(raised);
    const calls: [string, Promise<unknown>][] = [
      ['radiusGraph', native.radiusGraph(x, n, dim, 'euclidean', 1.5, 2, raised)],
      ['pairwise', native.pairwise(x, n, x, n, dim, 'euclidean', new Float32Array(n * n), 2, raised)],
      ['nearestCandidates', native.nearestCandidates(x, n, x, n, dim, 'euclidean', 5, Infinity, 2, raised)],
      ['chineseWhispers', native.chineseWhispers(g.offsets, g.indices, g.distances, n, 30, 0, false, undefined, undefined, undefined, raised)],
      ['dbscan', native.dbscan(g.offsets, g.indices, n, 3, undefined, undefined, undefined, raised)],
    ];
    // Every rejection handled from the start: awaiting them one by one would leave a later one unhandled if
    // it settled first.
    await Promise.all(calls.map(([name, call]) => expect(call, name).rejects.toMatchObject({ code: 'ERR_FACECLUST_CANCELLED' })));
    await expect(native.hnswAdd(index, x, n, 2, raised)).rejects.toMatchObject({ code: 'ERR_FACECLUST_CANCELLED' });
    expect(native.hnswCount(index)).toBe(n / 2);
    await expect(native.hnswKnnGraph(index, x.subarray(0, (n / 2) * dim), n / 2, 8, 16, 1.5, 2, undefined, raised)).rejects.toMatchObject({
      code: 'ERR_FACECLUST_CANCELLED',
    });
    // not busy: the next operation runs
    expect(await native.hnswAdd(index, x, n, 2, native.cancelToken())).toBe(n);
  });
});

describe('cancellation: a token raised while the call runs', () => {
  it('radiusGraph (fast pass) stops within a second, and the same call then runs to the same graph', async () => {
    // enough rows that even the AMX kernels are still at work when the token is raised (20k were not)
    const n = 50_000;
    const dim = 512;
    const x = clusteredVectors(n, dim, 2000, 11); // within a cluster ≈ 5.5 apart, between clusters ≈ 18
    const { error, ms } = await cancelAfter(150, (token) => native.radiusGraph(x, n, dim, 'euclidean', 8, 0, token));
    report(`radiusGraph ${n}×${dim} (${native.capabilities().active})`, ms);
    expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
    expect(ms).toBeLessThan(1000);
    // a small call after the cancelled one equals one made before it
    const small = x.subarray(0, 2000 * dim);
    const before = plain(await native.radiusGraph(small, 2000, dim, 'euclidean', 8, 0));
    const again = plain(await native.radiusGraph(small, 2000, dim, 'euclidean', 8, 0, native.cancelToken()));
    expect(before.offsets[2000]).toBeGreaterThan(0);
    expect(again).toEqual(before);
  });

  it('nearestCandidates stops within a second, and the same call then runs to the same lists', async () => {
    const nb = 60_000;
    const nq = 2_000;
    const dim = 512;
    const x = clusteredVectors(nb + nq, dim, 2000, 13);
    const base = x.subarray(0, nb * dim);
    const { error, ms } = await cancelAfter(150, (token) => native.nearestCandidates(base, nb, x.subarray(nb * dim), nq, dim, 'euclidean', 64, Infinity, 0, token));
    report(`nearestCandidates ${nq}×${nb}×${dim} (${native.capabilities().active})`, ms);
    expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
    expect(ms).toBeLessThan(1000);
    const queries = x.subarray(nb * dim, (nb + 20) * dim);
    const before = await native.nearestCandidates(base, nb, queries, 20, dim, 'euclidean', 64, Infinity, 0);
    const again = await native.nearestCandidates(base, nb, queries, 20, dim, 'euclidean', 64, Infinity, 0, native.cancelToken());
    expect(before.offsets[20]).toBeGreaterThanOrEqual(20 * 64);
    expect(Array.from(again.indices)).toEqual(Array.from(before.indices));
  });

  it('radiusGraph on the scalar reference path stops within a second', async () => {
    const initial = native.capabilities().active;
    native.setIsa('scalar');
    try {
      const n = 10_000;
      const dim = 512;
      const x = randomVectors(n, dim, 12);
      const { error, ms } = await cancelAfter(300, (token) => native.radiusGraph(x, n, dim, 'euclidean', 12.5, 0, token));
      report(`radiusGraph ${n}×${dim} (scalar)`, ms);
      expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
      expect(ms).toBeLessThan(1000);
    } finally {
      native.setIsa(initial);
    }
  });

  it('chineseWhispers stops within a pass, and gives the same labels afterwards', async () => {
    const g = randomGraph(200_000, 16, 5);
    const { error, ms } = await cancelAfter(300, (token) =>
      native.chineseWhispers(g.offsets, g.indices, g.distances, g.n, 1000, 0, false, undefined, undefined, undefined, token),
    );
    report('chineseWhispers 200k nodes, 3.2M edges', ms);
    expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
    expect(ms).toBeLessThan(1000);
    const small = csr(6, [[0, 1], [1, 2], [3, 4], [4, 5], [2, 3, 0.9]]);
    const a = await native.chineseWhispers(small.offsets, small.indices, small.distances, 6, 30, 1, false);
    const b = await native.chineseWhispers(small.offsets, small.indices, small.distances, 6, 30, 1, false, undefined, undefined, undefined, native.cancelToken());
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  });

  it('hnswAdd stops between batches, keeping a prefix of the rows; the index stays usable and the add can finish', async () => {
    const n = 8000;
    const dim = 128;
    const x = randomVectors(n, dim, 13);
    const index = native.hnswCreate(dim, 'euclidean', 16, 100, n, 1);
    const { error, ms } = await cancelAfter(300, (token) => native.hnswAdd(index, x, n, 0, token));
    report(`hnswAdd ${n}×${dim}`, ms);
    expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
    expect(ms).toBeLessThan(1000);
    const kept = native.hnswCount(index);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(n);
    // a graph over the kept rows runs; the add then continues from them, and ends with exactly n rows, which
    // it could not if a row past the prefix had been indexed (hnswlib would update it, not add it)
    const part = await native.hnswKnnGraph(index, x.subarray(0, kept * dim), kept, 4, 16, 1e9, 0);
    expect(part.offsets.length).toBe(kept + 1);
    expect(await native.hnswAdd(index, x, n, 0)).toBe(n);
    const all = await native.hnswKnnGraph(index, x, n, 4, 16, 1e9, 0);
    expect(all.offsets[n]).toBeGreaterThanOrEqual(4 * n);
  });

  it('hnswKnnGraph stops within a second and the index is free afterwards', async () => {
    const n = 3000;
    const dim = 32;
    const x = randomVectors(n, dim, 17);
    const index = native.hnswCreate(dim, 'euclidean', 16, 100, n, 1);
    await native.hnswAdd(index, x, n, 0);
    // maxNeighbors 4096 at a radius that keeps everything: every row is searched ever wider (tens of seconds)
    const { error, ms } = await cancelAfter(300, (token) => native.hnswKnnGraph(index, x, n, 32, 64, 1e9, 0, 4096, token));
    report(`hnswKnnGraph ${n}×${dim}, maxNeighbors 4096`, ms);
    expect(error?.code).toBe('ERR_FACECLUST_CANCELLED');
    expect(ms).toBeLessThan(1000);
    const g = await native.hnswKnnGraph(index, x, n, 4, 16, 1e9, 0);
    expect(g.offsets.length).toBe(n + 1);
  });
});
