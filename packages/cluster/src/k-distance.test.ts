import { describe, expect, it } from 'vitest';
import { dbscan } from './dbscan.js';
import { kDistances, kDistancesOnGraph } from './k-distance.js';
import { radiusGraph } from './radius-graph.js';
import { referenceDistance } from './distance.js';
import { METRICS } from './metrics.js';
import { blobs, caught, firstDifference, randomVectors } from './test-helpers.js';

describe('kDistances', () => {
  it('counts the point itself as the 1st neighbour (sklearn): k = 2 is the distance to the nearest other point', async () => {
    // points on a line at 0, 1, 3, 7
    const v = [[0], [1], [3], [7]];
    expect(Array.from(await kDistances(v, 1, { k: 1 }))).toEqual([0, 0, 0, 0]);
    expect(Array.from(await kDistances(v, 1, { k: 2 }))).toEqual([1, 1, 2, 4]);
    expect(Array.from(await kDistances(v, 1, { k: 3 }))).toEqual([3, 2, 3, 6]);
    expect(Array.from(await kDistances(v, 1, { k: 4 }))).toEqual([7, 6, 4, 7]);
    expect(Array.from(await kDistances(v, 1, { k: 5 }))).toEqual([Infinity, Infinity, Infinity, Infinity]);
  });

  it('matches a sort of every reference distance, for every metric, and a subarray view', async () => {
    const n = 37;
    const dim = 9;
    const backing = randomVectors(n + 2, dim, 5);
    const data = backing.subarray(dim, (n + 1) * dim);
    for (const metric of METRICS) {
      for (const k of [2, 3, 6]) {
        const got = await kDistances(data, dim, { k, metric, backend: 'ts' });
        for (let i = 0; i < n; i++) {
          const d: number[] = [];
          for (let j = 0; j < n; j++) if (j !== i) d.push(referenceDistance(data, dim, i, j, metric));
          d.sort((a, b) => a - b);
          expect(got[i], `${metric} k=${k} row ${i}`).toBe(d[k - 2]);
        }
      }
    }
  });

  it('native (fp32 blocks, float64 recheck) equals the ts reference bit for bit, every metric', async (ctx) => {
    const { vectors } = blobs(8, 40, 24, 1.5, 17);
    try {
      await kDistances(vectors, 24, { k: 2, backend: 'native' });
    } catch (err) {
      if (process.env.CI) throw err;
      ctx.skip(`native addon unavailable: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const metric of METRICS) {
      for (const k of [2, 5]) {
        const ts = await kDistances(vectors, 24, { k, metric, backend: 'ts' });
        const native = await kDistances(vectors, 24, { k, metric, backend: 'native', threads: 2 });
        expect(firstDifference(native, ts), `${metric} k=${k}`).toBeUndefined();
      }
    }
  });

  it('a point is a DBSCAN core point at eps exactly when its minSamples-distance is <= eps', async () => {
    const { vectors } = blobs(5, 30, 6, 1.2, 9);
    const minSamples = 4;
    const kd = await kDistances(vectors, 6, { k: minSamples, backend: 'ts' });
    const eps = [...kd].sort((a, b) => a - b)[90];
    const graph = await radiusGraph(vectors, 6, { radius: eps, backend: 'ts' });
    const fromGraph = kDistancesOnGraph(graph, minSamples);
    let core = 0;
    for (let i = 0; i < graph.n; i++) {
      const isCore = graph.offsets[i + 1] - graph.offsets[i] + 1 >= minSamples;
      expect(kd[i] <= eps).toBe(isCore);
      // read off the graph: the same float32 value when within the radius, else Infinity
      expect(fromGraph[i]).toBe(isCore ? Math.fround(kd[i]) : Infinity);
      if (isCore) core++;
    }
    expect(core).toBeGreaterThan(50);
    const db = await dbscan(vectors, 6, { eps, minSamples, backend: 'ts' });
    expect(db.noiseCount).toBeLessThanOrEqual(graph.n - core);
  });

  it('BAD CALL – k and the graph are checked', async () => {
    let err = await caught(() => kDistances([[0], [1]], 1, { k: 0 }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('Expected k to be an integer >= 1 but received 0');
    err = await caught(() => kDistances([[0], [1]], 1, undefined as never));
    expect(err.message).toBe('Expected options to be an object but received undefined');
    err = await caught(() => kDistancesOnGraph({ n: 1 } as never, 2));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('Expected graph.offsets to be a Uint32Array but received undefined');
  });
});
