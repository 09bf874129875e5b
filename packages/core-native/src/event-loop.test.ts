import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { mulberry32, referenceRow } from './test-helpers.js';

const native = loadNative();

describe('event loop', () => {
  it('keeps ticking during a 20,000 × 512 radiusGraph, whose sampled rows equal the reference', async () => {
    const n = 20_000;
    const dim = 512;
    // 400 clusters of unit vectors (centre + noise, normalised): edges inside clusters only.
    const next = mulberry32(2024);
    const gauss = () => {
      const u = 1 - next() / 2 ** 32;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * next()) / 2 ** 32);
    };
    const centres = Array.from({ length: 400 }, () => Float64Array.from({ length: dim }, gauss));
    const x = new Float32Array(n * dim);
    const p = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const c = centres[i % 400];
      let norm = 0;
      for (let k = 0; k < dim; k++) {
        p[k] = c[k] / Math.sqrt(dim) + (0.8 / Math.sqrt(dim)) * gauss();
        norm += p[k] * p[k];
      }
      for (let k = 0; k < dim; k++) x[i * dim + k] = p[k] / Math.sqrt(norm);
    }
    const radius = 1.0;

    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let settled = false;
    const job = native.radiusGraph(x, n, dim, 'euclidean', radius, 0).finally(() => (settled = true));
    // Wait for a few ticks while the job is still running: impossible if the call blocked the loop.
    let ticksWhileRunning = 0;
    while (!settled && ticksWhileRunning < 3) {
      await new Promise((r) => setTimeout(r, 5));
      if (!settled) ticksWhileRunning = ticks;
    }
    const g = await job;
    clearInterval(timer);
    expect(ticksWhileRunning).toBeGreaterThanOrEqual(3);

    expect(g.offsets[n]).toBeGreaterThan(0);
    for (const i of [0, 1, 9_999, 19_999]) {
      const row = referenceRow(x, n, dim, 'euclidean', radius, i);
      expect(Array.from(g.indices.subarray(g.offsets[i], g.offsets[i + 1])), `row ${i}`).toEqual(row.indices);
      expect(Array.from(g.distances.subarray(g.offsets[i], g.offsets[i + 1])), `row ${i}`).toEqual(row.distances);
    }
  });
});
