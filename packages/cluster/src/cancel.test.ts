import { getEventListeners } from 'node:events';
import type { NativeBinding } from '@faceclust/core-native';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveBackend, setNativeImportForTesting } from './backend.js';
import { chineseWhispers, chineseWhispersOnGraph } from './chinese-whispers.js';
import { dbscan, dbscanOnGraph } from './dbscan.js';
import type { NeighborGraph } from './graph.js';
import { HnswIndex } from './hnsw.js';
import { kDistances } from './k-distance.js';
import { radiusGraph } from './radius-graph.js';
import { Mulberry32 } from './rng.js';
import { sweepGraph, sweepThresholds } from './sweep.js';
import { blobs, caught, firstDifference, randomVectors } from './test-helpers.js';

/** Set FACECLUST_TEST_TIMINGS=1 to print the measured abort→rejection times. */
const report = (what: string, ms: number, extra = '') => {
  if (process.env.FACECLUST_TEST_TIMINGS) console.info(`abort→rejection ${what}: ${ms.toFixed(1)} ms${extra}`);
};

const nativeError = await resolveBackend('native').then(
  () => undefined,
  (error: Error) => error,
);
/** Native-only tests are skipped with the reason when the addon does not load, except under CI. */
const needsNative = (ctx: { skip: (note?: string) => void }) => {
  if (!nativeError) return;
  if (process.env.CI) throw nativeError;
  ctx.skip(`native addon unavailable: ${nativeError.message.split('\n')[0]}`);
};

/**
 * Starts `run`, aborts its signal after `delayMs` (it must still be running then) and returns the
 * rejection, the time from `controller.abort()` to the rejection, and how late the abort timer fired (the
 * ts backend computes on this thread: the timer can only fire when it yields, every ~50 ms).
 */
async function abortAfter(delayMs: number, run: (signal: AbortSignal) => Promise<unknown>) {
  const controller = new AbortController();
  let settled = false;
  const job = run(controller.signal).then(
    () => {
      settled = true;
      return undefined;
    },
    (error: unknown) => {
      settled = true;
      return error as Error;
    },
  );
  const scheduled = performance.now() + delayMs;
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  expect(settled, `the call finished within ${delayMs} ms: make it longer`).toBe(false);
  const abortedAt = performance.now();
  controller.abort();
  const error = await job;
  return { error, ms: performance.now() - abortedAt, late: abortedAt - scheduled };
}

function expectAbortError(error: unknown, reason?: unknown) {
  expect(error).toBeInstanceOf(DOMException);
  expect((error as DOMException).name).toBe('AbortError');
  expect((error as DOMException).message).toBe('The operation was aborted');
  if (reason !== undefined) expect((error as Error).cause).toBe(reason);
}

/**
 * n clustered rows, cheaply: n/10 centres in [−1, 1)^dim, rows 10p … 10p+9 around centre p, each plus one
 * of 1,024 noise rows (±0.05). At dim 512, same-centre distances ≈ 0.9, other centres ≈ 18.
 */
function faces(n: number, dim: number, seed: number) {
  const centres = randomVectors(n / 10, dim, seed);
  const noise = randomVectors(1024, dim, seed + 1);
  for (let k = 0; k < noise.length; k++) noise[k] *= 0.05;
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / 10) * dim;
    const e = ((i * 7) % 1024) * dim;
    for (let k = 0; k < dim; k++) vectors[i * dim + k] = centres[c + k] + noise[e + k];
  }
  return vectors;
}

const dim = 512;
let big: Float32Array | undefined;
/** The 50k set, made on first use (≈ 0.1 s). */
const faces50k = () => (big ??= faces(50_000, dim, 42));

/** A random directed graph on which one Chinese Whispers pass takes a while (ts: about a second). */
function randomGraph(n: number, degree: number, seed: number): NeighborGraph {
  const rng = new Mulberry32(seed);
  const offsets = new Uint32Array(n + 1);
  const indices = new Int32Array(n * degree);
  const distances = new Float32Array(n * degree);
  for (let i = 0; i < n; i++) {
    offsets[i + 1] = (i + 1) * degree;
    for (let k = i * degree; k < (i + 1) * degree; k++) {
      indices[k] = rng.next() % n;
      distances[k] = (rng.next() % 1000) / 1000;
    }
  }
  return { n, offsets, indices, distances };
}

afterEach(() => setNativeImportForTesting());

describe('cancellation: bad signals', () => {
  const x = new Float32Array([0, 0, 1, 1, 5, 5]);
  const graph: NeighborGraph = { n: 1, offsets: new Uint32Array(2), indices: new Int32Array(0), distances: new Float32Array(0) };
  type Call = (signal: unknown) => Promise<unknown>;
  const calls: [string, Call][] = [
    ['radiusGraph', (signal) => radiusGraph(x, 2, { radius: 1, signal: signal as AbortSignal })],
    ['chineseWhispers', (signal) => chineseWhispers(x, 2, { threshold: 1, signal: signal as AbortSignal })],
    ['dbscan', (signal) => dbscan(x, 2, { eps: 1, signal: signal as AbortSignal })],
    ['chineseWhispersOnGraph', (signal) => chineseWhispersOnGraph(graph, { signal: signal as AbortSignal })],
    ['dbscanOnGraph', (signal) => dbscanOnGraph(graph, { signal: signal as AbortSignal })],
    ['sweepThresholds', (signal) => sweepThresholds(x, 2, { method: 'cw', thresholds: [1], signal: signal as AbortSignal })],
    ['sweepGraph', (signal) => sweepGraph(graph, { method: 'dbscan', thresholds: [1], signal: signal as AbortSignal })],
    ['kDistances', (signal) => kDistances(x, 2, { k: 2, signal: signal as AbortSignal })],
    ['HnswIndex.build', (signal) => HnswIndex.build(x, 2, { signal: signal as AbortSignal })],
  ];
  // [what, value, received]
  const values: [string, unknown, string][] = [
    ['an object', {}, 'an object'],
    ['an AbortController', new AbortController(), 'an instance of AbortController'],
    ['null', null, 'null'],
    ['a string', 'abort', '"abort" of type string'],
  ];
  for (const [name, call] of calls) {
    for (const [what, value, received] of values) {
      it(`BAD CALL – ${name} with ${what} for signal`, async () => {
        const error = await caught(() => call(value));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toBe(`Expected signal to be an AbortSignal but received ${received}`);
      });
    }
  }

  it('BAD CALL – HnswIndex add and knnGraph with a bad signal', async (ctx) => {
    needsNative(ctx);
    const index = await HnswIndex.build(x, 2);
    for (const call of [() => index.add(x, { signal: {} as AbortSignal }), () => index.knnGraph({ radius: 1, signal: 5 as never })]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/^Expected signal to be an AbortSignal but received /);
    }
    expect(index.size).toBe(3);
  });

  it('validates the other arguments before looking at an aborted signal', async () => {
    const error = await caught(() => dbscan(x, 2, { eps: -1, signal: AbortSignal.abort() }));
    expect(error).toBeInstanceOf(RangeError);
  });
});

describe('cancellation: an already-aborted signal', () => {
  /** A binding whose every method is a spy: the calls below must touch none of them. */
  function spyBinding() {
    const spies = {
      radiusGraph: vi.fn(),
      chineseWhispers: vi.fn(),
      dbscan: vi.fn(),
      pairwise: vi.fn(),
      cancelToken: vi.fn(),
      cancel: vi.fn(),
      hnswCreate: vi.fn(),
      hnswLoad: vi.fn(),
      hnswSave: vi.fn(),
      hnswCount: vi.fn(),
      hnswAdd: vi.fn(),
      hnswKnnGraph: vi.fn(),
    };
    setNativeImportForTesting(async () => ({ binding: spies as unknown as NativeBinding }));
    return spies;
  }

  const x = randomVectors(200, 8, 3);
  const graph: NeighborGraph = { n: 2, offsets: Uint32Array.from([0, 1, 2]), indices: Int32Array.from([1, 0]), distances: Float32Array.from([0.5, 0.5]) };
  const calls: [string, (signal: AbortSignal) => Promise<unknown>][] = [
    ['radiusGraph', (signal) => radiusGraph(x, 8, { radius: 1, signal })],
    ['radiusGraph, hnsw', (signal) => radiusGraph(x, 8, { radius: 1, neighbors: 'hnsw', signal })],
    ['chineseWhispers', (signal) => chineseWhispers(x, 8, { threshold: 1, signal })],
    ['chineseWhispers, hnsw', (signal) => chineseWhispers(x, 8, { threshold: 1, neighbors: 'hnsw', signal })],
    ['dbscan', (signal) => dbscan(x, 8, { eps: 1, signal })],
    ['chineseWhispersOnGraph', (signal) => chineseWhispersOnGraph(graph, { signal })],
    ['dbscanOnGraph', (signal) => dbscanOnGraph(graph, { signal })],
    ['sweepThresholds', (signal) => sweepThresholds(x, 8, { method: 'cw', thresholds: [1, 2], signal })],
    ['sweepGraph', (signal) => sweepGraph(graph, { method: 'dbscan', thresholds: [1, 2], signal })],
    ['kDistances', (signal) => kDistances(x, 8, { k: 3, signal })],
    ['HnswIndex.build', (signal) => HnswIndex.build(x, 8, { signal })],
  ];
  for (const [name, call] of calls) {
    it(`${name} rejects with an AbortError (cause: the reason) without calling the addon`, async () => {
      const spies = spyBinding();
      const reason = new Error('user pressed stop');
      const error = await caught(() => call(AbortSignal.abort(reason)));
      expectAbortError(error, reason);
      for (const [method, spy] of Object.entries(spies)) expect(spy, method).not.toHaveBeenCalled();
    });
  }

  it('the ts backend rejects at once too, whatever the reason', async () => {
    const n = 4000; // a ts radius graph of several seconds
    const vectors = randomVectors(n, dim, 5);
    for (const signal of [AbortSignal.abort(), AbortSignal.abort('a string reason'), AbortSignal.abort(new RangeError('r'))]) {
      const start = performance.now();
      const error = await caught(() => chineseWhispers(vectors, dim, { threshold: 17, backend: 'ts', signal }));
      expect(performance.now() - start).toBeLessThan(200);
      expectAbortError(error, signal.reason);
    }
  });

  it('HnswIndex add and knnGraph reject and leave the index as it was', async (ctx) => {
    needsNative(ctx);
    const index = await HnswIndex.build(x.subarray(0, 100 * 8), 8, { efConstruction: 16 });
    const signal = AbortSignal.abort();
    expectAbortError(await caught(() => index.add(x.subarray(100 * 8), { signal })), signal.reason);
    expectAbortError(await caught(() => index.knnGraph({ radius: 1, signal })), signal.reason);
    expect(index.size).toBe(100);
    expect(await index.add(x.subarray(100 * 8))).toBe(200);
  });
});

describe('cancellation: native backend, aborted while running', () => {
  it('Chinese Whispers on 50,000 faces (exact graph) rejects within a second; the same call afterwards gives the same labels', async (ctx) => {
    needsNative(ctx);
    const x = faces50k();
    const small = x.subarray(0, 2000 * dim);
    const before = await chineseWhispers(small, dim, { threshold: 2, backend: 'native' });
    const { error, ms } = await abortAfter(300, (signal) => chineseWhispers(x, dim, { threshold: 2, backend: 'native', neighbors: 'exact', signal }));
    report('native chineseWhispers 50k×512 (exact)', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    const after = await chineseWhispers(small, dim, { threshold: 2, backend: 'native' });
    expect(before.clusterCount).toBe(200);
    expect(firstDifference(after.labels, before.labels)).toBeUndefined();
  });

  it('DBSCAN on 50,000 faces (exact graph) rejects within a second; the same call afterwards gives the same labels', async (ctx) => {
    needsNative(ctx);
    const x = faces50k();
    const small = x.subarray(0, 2000 * dim);
    const before = await dbscan(small, dim, { eps: 2, minSamples: 3, backend: 'native' });
    const { error, ms } = await abortAfter(300, (signal) => dbscan(x, dim, { eps: 2, minSamples: 3, backend: 'native', neighbors: 'exact', signal }));
    report('native dbscan 50k×512 (exact)', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    const after = await dbscan(small, dim, { eps: 2, minSamples: 3, backend: 'native' });
    expect(before.clusterCount).toBe(200);
    expect(firstDifference(after.labels, before.labels)).toBeUndefined();
  });

  it('Chinese Whispers on the hnsw path (index build) rejects within a second', async (ctx) => {
    needsNative(ctx);
    const x = faces50k().subarray(0, 20_000 * dim);
    const { error, ms } = await abortAfter(300, (signal) => chineseWhispers(x, dim, { threshold: 2, neighbors: 'hnsw', signal }));
    report('native chineseWhispers 20k×512 (hnsw build)', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
  });

  it('HnswIndex.build rejects within a second; a build afterwards gives the same graph as before', async (ctx) => {
    needsNative(ctx);
    const x = faces50k();
    // one thread: hnswlib's inserts are then deterministic, so the graphs can be compared
    const small = x.subarray(0, 1000 * dim);
    const graphOf = async () => (await HnswIndex.build(small, dim, { threads: 1, efConstruction: 32 })).knnGraph({ radius: 2, k: 8 });
    const before = await graphOf();
    const { error, ms } = await abortAfter(300, (signal) => HnswIndex.build(x.subarray(0, 20_000 * dim), dim, { signal }));
    report('HnswIndex.build 20k×512', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    const after = await graphOf();
    expect(firstDifference(after.offsets, before.offsets) ?? firstDifference(after.indices, before.indices)).toBeUndefined();
    expect(before.offsets[before.n]).toBeGreaterThan(0);
  });

  it('HnswIndex.add keeps the prefix it indexed; adding the rest completes the index', async (ctx) => {
    needsNative(ctx);
    const x = faces50k();
    const rows = 30_000; // about a second to add, with these parameters
    const index = await HnswIndex.build(x.subarray(0, 500 * dim), dim, { M: 8, efConstruction: 32 });
    const { error, ms } = await abortAfter(150, (signal) => index.add(x.subarray(500 * dim, rows * dim), { signal }));
    report('HnswIndex.add 29.5k×512', ms, ` (kept ${index.size} rows)`);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    const kept = index.size;
    expect(kept).toBeGreaterThanOrEqual(500);
    expect(kept).toBeLessThan(rows);
    expect(firstDifference(index.vectors, x.subarray(0, kept * dim))).toBeUndefined();
    // exactly `rows` in the end: had a row past the prefix been indexed, hnswlib would update it, not add it
    expect(await index.add(x.subarray(kept * dim, rows * dim))).toBe(rows);
  });

  it('HnswIndex.knnGraph rejects within a second and the index is free afterwards', async (ctx) => {
    needsNative(ctx);
    const x = faces50k().subarray(0, 3000 * dim);
    const index = await HnswIndex.build(x, dim, { M: 8, efConstruction: 32 });
    // everything within the radius and maxNeighbors 4096: every row is searched ever wider (tens of seconds)
    const { error, ms } = await abortAfter(300, (signal) => index.knnGraph({ radius: 1e6, maxNeighbors: 4096, signal }));
    report('HnswIndex.knnGraph 3k×512, maxNeighbors 4096', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    expect((await index.knnGraph({ radius: 2, k: 8 })).n).toBe(3000);
  });

  it('sweepThresholds rejects within a second while building its graph', async (ctx) => {
    needsNative(ctx);
    const x = faces50k();
    const { error, ms } = await abortAfter(300, (signal) => sweepThresholds(x, dim, { method: 'cw', thresholds: [1, 1.5, 2], backend: 'native', signal }));
    report('native sweepThresholds 50k×512', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
  });

  it('sweepGraph stops every clustering in flight and rejects within a second', async (ctx) => {
    needsNative(ctx);
    const graph = randomGraph(200_000, 16, 9);
    const thresholds = [1, 0.95, 0.9, 0.85, 0.8, 0.75];
    const { error, ms } = await abortAfter(300, (signal) => sweepGraph(graph, { method: 'cw', thresholds, iterations: 1000, backend: 'native', threads: 4, signal }));
    report('native sweepGraph (200k nodes, 3.2M edges, 4 in flight)', ms);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
  });

  it('leaves no abort listener behind on a signal used for many calls', async (ctx) => {
    needsNative(ctx);
    const signal = new AbortController().signal;
    const x = faces50k().subarray(0, 500 * dim);
    await chineseWhispers(x, dim, { threshold: 2, signal });
    await sweepThresholds(x, dim, { method: 'dbscan', thresholds: [1, 2], minSamples: 2, signal });
    await (await HnswIndex.build(x, dim, { efConstruction: 16, signal })).knnGraph({ radius: 2, signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('cancellation: ts backend, aborted while running', () => {
  // 4,000 random 512-d rows at threshold 17 (most pairs computed to the end): the graph takes several seconds.
  const n = 4000;
  const x = randomVectors(n, dim, 7);
  const small = { vectors: blobs(20, 15, 16, 1, 3).vectors, dim: 16 };

  it('Chinese Whispers rejects within a second; the same call afterwards gives the same labels', async () => {
    const before = await chineseWhispers(small.vectors, small.dim, { threshold: 4, backend: 'ts' });
    const { error, ms, late } = await abortAfter(300, (signal) => chineseWhispers(x, dim, { threshold: 17, backend: 'ts', signal }));
    report(`ts chineseWhispers ${n}×${dim}`, ms, ` (abort timer ${late.toFixed(1)} ms late)`);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    expect(late).toBeLessThan(1000);
    const after = await chineseWhispers(small.vectors, small.dim, { threshold: 4, backend: 'ts' });
    expect(before.clusterCount).toBe(20);
    expect(firstDifference(after.labels, before.labels)).toBeUndefined();
  });

  it('DBSCAN rejects within a second; the same call afterwards gives the same labels', async () => {
    const before = await dbscan(small.vectors, small.dim, { eps: 4, minSamples: 3, backend: 'ts' });
    const { error, ms, late } = await abortAfter(300, (signal) => dbscan(x, dim, { eps: 17, minSamples: 3, backend: 'ts', signal }));
    report(`ts dbscan ${n}×${dim}`, ms, ` (abort timer ${late.toFixed(1)} ms late)`);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    expect(late).toBeLessThan(1000);
    const after = await dbscan(small.vectors, small.dim, { eps: 4, minSamples: 3, backend: 'ts' });
    expect(firstDifference(after.labels, before.labels)).toBeUndefined();
  });

  it('AbortSignal.timeout rejects with an AbortError whose cause is the TimeoutError', async () => {
    const start = performance.now();
    const error = await caught(() => radiusGraph(x, dim, { radius: 17, backend: 'ts', signal: AbortSignal.timeout(300) }));
    report(`ts radiusGraph ${n}×${dim}, AbortSignal.timeout(300)`, performance.now() - start - 300, ' (from the timeout)');
    expectAbortError(error);
    expect((error.cause as Error).name).toBe('TimeoutError');
    expect(performance.now() - start).toBeLessThan(1300);
  });

  it('sweepGraph rejects within a second in the middle of a Chinese Whispers pass', async () => {
    const graph = randomGraph(200_000, 16, 9);
    const { error, ms, late } = await abortAfter(300, (signal) =>
      sweepGraph(graph, { method: 'cw', thresholds: [1, 0.9, 0.8], iterations: 1000, backend: 'ts', signal }),
    );
    report('ts sweepGraph (200k nodes, 3.2M edges)', ms, ` (abort timer ${late.toFixed(1)} ms late)`);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
    expect(late).toBeLessThan(1000);
  });

  it('kDistances rejects within a second', async () => {
    const { error, ms, late } = await abortAfter(300, (signal) => kDistances(x, dim, { k: 3, backend: 'ts', signal }));
    report(`ts kDistances ${n}×${dim}`, ms, ` (abort timer ${late.toFixed(1)} ms late)`);
    expectAbortError(error);
    expect(ms).toBeLessThan(1000);
  });
});
