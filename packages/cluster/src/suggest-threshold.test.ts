import { describe, expect, it } from 'vitest';
import { chineseWhispers } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { evaluate } from './evaluate.js';
import { kDistances, kDistancesOnGraph } from './k-distance.js';
import { radiusGraph } from './radius-graph.js';
import { Mulberry32 } from './rng.js';
import { suggestThreshold } from './suggest-threshold.js';
import { caught } from './test-helpers.js';

/** A standard normal from two uniforms (Box–Muller). */
function gaussian(rng: Mulberry32): number {
  const u = (rng.next() + 1) / 2 ** 32;
  const v = rng.next() / 2 ** 32;
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Face-like embeddings: unit vectors, one random direction per person, photos scattered around it.
 * As in real sets, many people appear once (their nearest face is a stranger) and a few many times.
 */
function people(seed: number, dim = 64) {
  const rng = new Mulberry32(seed);
  const counts = Array.from({ length: 160 }, (_, p) => (p < 80 ? 1 : p < 120 ? 2 : p < 150 ? 4 : 12));
  const n = counts.reduce((a, b) => a + b, 0);
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  let row = 0;
  counts.forEach((count, p) => {
    const centre = Array.from({ length: dim }, () => gaussian(rng));
    for (let c = 0; c < count; c++, row++) {
      const v = centre.map((x) => x + 0.35 * gaussian(rng));
      const norm = Math.hypot(...v);
      for (let k = 0; k < dim; k++) vectors[row * dim + k] = v[k] / norm;
      truth[row] = p;
    }
  });
  return { vectors, truth, n, dim };
}

describe('suggestThreshold', () => {
  it('lands in the gap of a two-group mixture', () => {
    const rng = new Mulberry32(1);
    const values = [
      ...Array.from({ length: 700 }, () => 0.3 + 0.3 * (rng.next() / 2 ** 32)),
      ...Array.from({ length: 300 }, () => 0.9 + 0.3 * (rng.next() / 2 ** 32)),
    ];
    const s = suggestThreshold(Float64Array.from(values));
    expect(s.threshold).toBeGreaterThan(0.6);
    expect(s.threshold).toBeLessThan(0.9);
    expect(s.split).toBeGreaterThan(0.6);
    expect(s.split).toBeLessThanOrEqual(0.9);
    expect([s.below, s.above]).toEqual([700, 300]);
    expect(s.separation).toBeGreaterThan(0.8);
    expect(s.valleyDepth).toBeLessThan(0.1);
    expect(s.clear).toBe(true);
    expect(s.valley).toBe(s.threshold);
    // dbscan: the 95th percentile of the 700 low values (sorted index floor(0.95 · 699) = 664)
    const db = suggestThreshold(Float64Array.from(values), { method: 'dbscan' });
    expect(db.valley).toBe(s.valley);
    expect(db.threshold).toBe(values.slice(0, 700).sort((a, b) => a - b)[664]);
    expect(db.threshold).toBeLessThan(0.6);
  });

  it('on face-like embeddings with a known gap, the suggestion separates every same-person pair from every stranger, and clustering there recovers the people', async () => {
    const { vectors, truth, n, dim } = people(7);
    // the gap: the largest same-person 1-NN distance and the smallest distance between two people
    const graph = await radiusGraph(vectors, dim, { radius: 1.6, backend: 'ts' });
    let sameMax = 0;
    let strangerMin = Infinity;
    for (let i = 0; i < n; i++) {
      let nearestSame = Infinity;
      for (let k = graph.offsets[i]; k < graph.offsets[i + 1]; k++) {
        const d = graph.distances[k];
        if (truth[graph.indices[k]] === truth[i]) nearestSame = Math.min(nearestSame, d);
        else strangerMin = Math.min(strangerMin, d);
      }
      if (Number.isFinite(nearestSame)) sameMax = Math.max(sameMax, nearestSame);
    }
    expect(strangerMin - sameMax).toBeGreaterThan(0.1); // the mixture really has a gap
    const kd = await kDistances(vectors, dim, { k: 2, backend: 'ts' });
    const s = suggestThreshold(kd);
    expect(s.threshold).toBeGreaterThan(sameMax);
    expect(s.threshold).toBeLessThan(strangerMin);
    expect(s.clear).toBe(true);
    // read off a graph whose radius cuts the upper group (Infinity = beyond it), the valley stays in the gap
    const cut = suggestThreshold(kDistancesOnGraph(await radiusGraph(vectors, dim, { radius: (strangerMin + 1.4) / 2, backend: 'ts' }), 2));
    expect(cut.threshold).toBeGreaterThan(sameMax);
    expect(cut.threshold).toBeLessThan(strangerMin);
    // within the gap each photo's nearest face of the same person is within reach and no stranger is, so both methods find every person
    const cw = await chineseWhispers(vectors, dim, { threshold: s.threshold, backend: 'ts' });
    expect(evaluate(cw.labels, truth).pairwise.f).toBe(1);
    const db = await dbscan(vectors, dim, { eps: s.threshold, minSamples: 1, backend: 'ts' });
    expect(evaluate(db.labels, truth).pairwise.f).toBe(1);
  });

  it('reports a weak separation for one mode, and NaN when there is nothing to split', () => {
    const rng = new Mulberry32(3);
    const one = Float64Array.from({ length: 2000 }, () => 0.8 + 0.1 * gaussian(rng));
    expect(suggestThreshold(one).separation).toBeLessThan(0.7);
    expect(suggestThreshold(one).clear).toBe(false);
    expect(suggestThreshold([1, 2, 3]).threshold).toBeNaN();
    expect(suggestThreshold([1, 1, 1, 1, 1]).threshold).toBeNaN();
    expect(suggestThreshold([Infinity, Infinity]).above).toBe(2);
  });

  it('BAD CALL – names the parameter and the value received', async () => {
    let err = await caught(() => suggestThreshold('1,2' as never));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('Expected kDistances to be a Float64Array, Float32Array or array of numbers but received "1,2" of type string');
    err = await caught(() => suggestThreshold([1, NaN, 2, 3]));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('Expected kDistances to hold numbers >= 0 or Infinity but received NaN at index 1');
    err = await caught(() => suggestThreshold([1, 2, 3, 4], { bins: 2 }));
    expect(err.message).toBe('Expected bins to be an integer between 16 and 4096 but received 2');
    err = await caught(() => suggestThreshold([1, 2, 3, 4], { method: 'kmeans' as never }));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe(`Expected method to be one of 'cw', 'dbscan' but received "kmeans" of type string`);
  });
});
