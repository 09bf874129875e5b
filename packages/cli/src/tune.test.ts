import { chineseWhispers, dbscan, evaluate } from '@faceclust/cluster';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, UsageError } from './options.js';
import { bestRow, defaultRange, tune, tuneCsv, tuneJson, tuneTable } from './tune.js';

/** Seeded unit vectors: `people` directions, each with `per` noisy photos, plus `strangers` seen once. */
function faces(people: number, per: number, strangers: number, dim = 32, seed = 1) {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const n = people * per + strangers;
  const vectors = new Float32Array(n * dim);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = i < people * per ? i % people : people + i;
    truth[i] = p;
    if (i < people || i >= people * per) for (let k = 0; k < dim; k++) vectors[i * dim + k] = gauss();
    else for (let k = 0; k < dim; k++) vectors[i * dim + k] = vectors[(i % people) * dim + k] + 0.3 * gauss();
  }
  for (let i = 0; i < n; i++) {
    const row = vectors.subarray(i * dim, (i + 1) * dim);
    const norm = Math.hypot(...row);
    row.forEach((v, k) => (row[k] = v / norm));
  }
  return { vectors, truth, dim };
}

describe('tune', () => {
  const { vectors, truth, dim } = faces(20, 5, 60);

  it('sweeps the default range, suggests a value in the gap and its rows equal single clusterings', async () => {
    const r = await tune(vectors, dim, { method: 'cw', truth, backend: 'ts' });
    expect(r.rows).toHaveLength(30);
    expect([r.rows[0].threshold, r.rows[29].threshold]).toEqual(defaultRange('cw', 'euclidean'));
    expect(r.suggested).not.toBeNull();
    expect(r.suggestedFrom).toBe('valley');
    const atSuggestion = await chineseWhispers(vectors, dim, { threshold: r.suggested!, backend: 'ts' });
    const best = bestRow(r.rows)!;
    expect(evaluate(atSuggestion.labels, truth).pairwise.f).toBeGreaterThan(best.pairwiseF! - 0.02);
    const row = r.rows[12];
    const single = await chineseWhispers(vectors, dim, { threshold: row.threshold, backend: 'ts' });
    expect(row.pairwiseF).toBe(evaluate(single.labels, truth).pairwise.f);
    expect(r.kDistances).toBeUndefined();
  });

  it('dbscan: k-distances with k = minSamples, JSON of exactly the documented shape, CSV and table', async () => {
    const r = await tune(vectors, dim, { method: 'dbscan', minSamples: 3, from: 0.5, to: 1.2, steps: 8, truth, backend: 'ts' });
    expect(r.kDistances).toHaveLength(vectors.length / dim);
    const row = r.rows[5];
    const single = await dbscan(vectors, dim, { eps: row.threshold, minSamples: 3, backend: 'ts' });
    expect([row.clusters, row.noise]).toEqual([single.clusterCount, single.noiseCount]);
    const json = tuneJson(r);
    expect(Object.keys(json)).toEqual(['method', 'suggested', 'rows']);
    expect(Object.keys(json.rows[0])).toEqual(['threshold', 'clusters', 'noise', 'largest', 'singletons', 'pairwiseF', 'bcubedF']);
    const plain = tuneJson(await tune(vectors, dim, { method: 'dbscan', from: 0.5, to: 1.2, steps: 3, backend: 'ts' }));
    expect(Object.keys(plain.rows[0])).toEqual(['threshold', 'clusters', 'noise', 'largest', 'singletons']);
    const csv = tuneCsv(r).trim().split('\n');
    expect(csv[0]).toBe('threshold,clusters,noise,largest,singletons,edges,pairwiseF,bcubedF,pairwiseP,pairwiseR,bcubedP,bcubedR,nmi,ari');
    expect(csv).toHaveLength(9);
    expect(csv[1].startsWith('0.5,')).toBe(true);
    const table = tuneTable(r).split('\n');
    expect(table[0]).toMatch(/^\s+eps\s+clusters\s+noise\s+largest\s+singletons\s+pairwiseF\s+bcubedF$/);
    expect(table.filter((l) => l.trimStart().startsWith('*'))).toHaveLength(1);
  });

  it('BAD CALL – ranges', async () => {
    expect(() => defaultRange('cw', 'manhattan')).toThrow(new UsageError('No default range for --metric manhattan: give --from and --to'));
    const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
    expect(defaultRange('cw', 'euclidean')).toEqual([r4(0.7 * DEFAULTS.threshold), r4(1.15 * DEFAULTS.threshold)]);
    expect(defaultRange('dbscan', 'euclidean')).toEqual([r4(0.6 * DEFAULTS.eps), r4(1.2 * DEFAULTS.eps)]);
    expect(defaultRange('dbscan', 'cosine')).toEqual([r4((0.6 * DEFAULTS.eps) ** 2 / 2), r4((1.2 * DEFAULTS.eps) ** 2 / 2)]);
    await expect(tune(vectors, dim, { method: 'cw', from: 1, to: 0.5 })).rejects.toThrow('--to (0.5) must be >= --from (1)');
  });
});
