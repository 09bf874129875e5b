import { describe, expect, it } from 'vitest';
import { referenceDistance } from './distance.js';
import { filterGraph, type NeighborGraph } from './graph.js';
import { METRICS, type Metric } from './metrics.js';
import { radiusGraph } from './radius-graph.js';
import { randomVectors } from './test-helpers.js';

/** Brute force from the spec: every ordered pair i ≠ j with reference distance <= radius. */
function bruteForce(data: Float32Array, n: number, dim: number, metric: Metric, radius: number): NeighborGraph {
  const offsets = new Uint32Array(n + 1);
  const indices: number[] = [];
  const distances: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = referenceDistance(data, dim, i, j, metric);
      if (d <= radius) {
        indices.push(j);
        distances.push(d);
      }
    }
    offsets[i + 1] = indices.length;
  }
  return { n, offsets, indices: Int32Array.from(indices), distances: Float32Array.from(distances) };
}

/** A radius that keeps about `fraction` of the pairs. */
function quantileRadius(data: Float32Array, n: number, dim: number, metric: Metric, fraction: number): number {
  const all: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) all.push(referenceDistance(data, dim, i, j, metric));
  all.sort((a, b) => a - b);
  return all[Math.floor(fraction * all.length)];
}

describe('radiusGraph (ts backend)', () => {
  it.each(METRICS.flatMap((metric) => [2, 17, 128].map((dim) => [metric, dim] as const)))(
    '%s, dim %i: equals the brute-force reference graph, rows sorted, symmetric',
    async (metric, dim) => {
      const n = 90;
      const data = randomVectors(n, dim, dim * 7 + metric.length);
      const radius = quantileRadius(data, n, dim, metric, 0.1);
      const graph = await radiusGraph(data, dim, { radius, metric, backend: 'ts' });
      const expected = bruteForce(data, n, dim, metric, radius);
      expect(graph.n).toBe(n);
      expect(graph.offsets).toEqual(expected.offsets);
      expect(graph.indices).toEqual(expected.indices);
      expect(graph.distances).toEqual(expected.distances);
      // The pair at the quantile lies at exactly `radius`: `<=` keeps it.
      expect(graph.offsets[n]).toBeGreaterThan(0);
    },
  );

  it('keeps pairs at exactly the radius and drops the next float above', async () => {
    const data = Float32Array.from([0, 0, 3, 4, 0, 1]);
    const at = await radiusGraph(data, 2, { radius: 5, backend: 'ts' });
    expect(Array.from(at.indices)).toEqual([1, 2, 0, 2, 0, 1]);
    const below = await radiusGraph(data, 2, { radius: 5 - 2 ** -50, backend: 'ts' });
    expect(Array.from(below.offsets)).toEqual([0, 1, 2, 4]);
    expect(Array.from(below.indices)).toEqual([2, 2, 0, 1]);
  });

  it('accepts subarray views, Float32Array[] and number[][] with the same result', async () => {
    const dim = 5;
    const n = 30;
    const backing = randomVectors(n + 7, dim, 4);
    const view = backing.subarray(3 * dim, (3 + n) * dim);
    const copy = Float32Array.from(view);
    const rows = Array.from({ length: n }, (_, i) => copy.slice(i * dim, (i + 1) * dim));
    const numbers = rows.map((r) => Array.from(r));
    const options = { radius: 1.2, backend: 'ts' } as const;
    const expected = await radiusGraph(copy, dim, options);
    expect(expected.offsets[n]).toBeGreaterThan(0);
    for (const input of [view, rows, numbers]) expect(await radiusGraph(input, dim, options)).toEqual(expected);
  });

  it('yields to the event loop during a long pure-TypeScript graph', async () => {
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    // Large enough to outlast several 50 ms slices even on a fast, idle machine (~8M pairs of 256-d).
    const graph = await radiusGraph(randomVectors(4000, 256, 8), 256, { radius: 1, backend: 'ts' });
    running = false;
    expect(graph.n).toBe(4000);
    expect(ticks).toBeGreaterThan(1);
  });

  it('gives an empty graph for empty input and for one point', async () => {
    expect(await radiusGraph(new Float32Array(0), 4, { radius: 1, backend: 'ts' })).toEqual({
      n: 0,
      offsets: new Uint32Array(1),
      indices: new Int32Array(0),
      distances: new Float32Array(0),
    });
    const one = await radiusGraph([[1, 2]], 2, { radius: 1, backend: 'ts' });
    expect(one.n).toBe(1);
    expect(Array.from(one.offsets)).toEqual([0, 0]);
  });
});

describe('filterGraph', () => {
  it('equals the graph built at the smaller radius (no edge within a float32 ulp of it)', async () => {
    const dim = 8;
    const n = 120;
    const data = randomVectors(n, dim, 21);
    const big = await radiusGraph(data, dim, { radius: 1.5, backend: 'ts' });
    for (const r of [0.6, 0.9, 1.2, 1.5]) {
      const direct = await radiusGraph(data, dim, { radius: r, backend: 'ts' });
      expect(filterGraph(big, r)).toEqual(direct);
    }
  });

  it('returns new arrays and leaves the input untouched', async () => {
    const big = await radiusGraph(randomVectors(20, 3, 2), 3, { radius: 1, backend: 'ts' });
    const before = structuredClone(big);
    const small = filterGraph(big, 0.5);
    expect(big).toEqual(before);
    expect(small.indices).not.toBe(big.indices);
  });

  it.each([
    [{ n: 1, offsets: [0, 0], indices: new Int32Array(0), distances: new Float32Array(0) }, TypeError, 'Expected graph.offsets to be a Uint32Array but received an array of length 2'],
    [{ n: 2, offsets: new Uint32Array([0, 1]), indices: new Int32Array(1), distances: new Float32Array(1) }, RangeError, 'Expected graph.offsets to have length n + 1 (3) but received length 2'],
    [{ n: 2, offsets: new Uint32Array([0, 1, 2]), indices: new Int32Array([1, 5]), distances: new Float32Array(2) }, RangeError, 'Expected graph.indices to lie in [0, 2) but received 5 at position 1'],
    [{ n: 2, offsets: new Uint32Array([0, 2, 1]), indices: new Int32Array([1]), distances: new Float32Array(1) }, RangeError, 'Expected graph.offsets to be non-decreasing but offsets[2] = 1 < offsets[1] = 2'],
    [null, TypeError, 'Expected graph to be a NeighborGraph { n, offsets, indices, distances } but received null'],
  ])('BAD CALL – malformed graph %#', (graph, ErrorClass, message) => {
    expect(() => filterGraph(graph as never, 1)).toThrow(ErrorClass);
    expect(() => filterGraph(graph as never, 1)).toThrow(message);
  });

  it('BAD CALL – maxDistance not finite', async () => {
    const g = await radiusGraph([[0], [1]], 1, { radius: 2, backend: 'ts' });
    expect(() => filterGraph(g, Number.NaN)).toThrow(new RangeError('Expected maxDistance to be a finite number but received NaN'));
  });
});
