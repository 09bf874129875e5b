import { chineseWhispers, dbscan, evaluate } from '@faceclust/cluster';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, metricDefault, UsageError } from './options.js';
import { bestRow, defaultRange, gridDecimals, MERGE_SWEEP_RATIOS, mergeTable, suggestedRow, sweepGrid, tune, tuneCsv, tuneJson, tuneSummary, tuneTable, typeable } from './tune.js';

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
    expect([r.rows[0].threshold, r.rows.at(-1)!.threshold]).toEqual(defaultRange('cw', 'euclidean'));
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

  it('cw: sweeps the merge radius at the suggested threshold (else the default), each row a single clustering; a fixed --merge-radius replaces the table', async () => {
    const r = await tune(vectors, dim, { method: 'cw', truth, backend: 'ts' });
    const merge = r.merge!;
    const [from, to] = defaultRange('cw', 'euclidean')!;
    const at = r.suggested! >= from && r.suggested! <= to ? r.suggested! : metricDefault('cw', 'euclidean')!;
    expect(merge.threshold).toBe(at);
    expect(merge.rows.map((row) => row.mergeRadius)).toEqual(MERGE_SWEEP_RATIOS.map((k) => Number((at * k).toPrecision(6))));
    for (const row of [merge.rows[0], merge.rows[3], merge.rows[5]]) {
      const single = await chineseWhispers(vectors, dim, { threshold: merge.threshold, mergeRadius: row.mergeRadius, backend: 'ts' });
      expect([row.clusters, row.pairwiseF], `merge ${row.mergeRadius}`).toEqual([single.clusterCount, evaluate(single.labels, truth).pairwise.f]);
    }
    // the pass only joins: clusters never grow with the radius
    for (let k = 1; k < merge.rows.length; k++) expect(merge.rows[k].clusters).toBeLessThanOrEqual(merge.rows[k - 1].clusters);
    expect(mergeTable(r).split('\n')[0]).toBe(`merge pass at threshold ${at} (cw's default merge radius: ${Number((at * 0.9).toPrecision(6))}):`);
    expect(tuneJson(r).merge!.rows[0]).toMatchObject({ mergeRadius: 0, threshold: at });
    const fixed = await tune(vectors, dim, { method: 'cw', mergeRadius: 0.5, from: 0.7, to: 1.1, steps: 4, truth, backend: 'ts' });
    expect(fixed.merge).toBeUndefined();
    expect(fixed.params.mergeRadius).toBe(0.5);
    const single = await chineseWhispers(vectors, dim, { threshold: fixed.rows[2].threshold, mergeRadius: 0.5, backend: 'ts' });
    expect(fixed.rows[2].clusters).toBe(single.clusterCount);
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
    // these faces' valley lies below 0.5: no row is starred, the summary says where the suggestion went
    expect(r.suggested).toBeLessThan(0.5);
    expect(table.filter((l) => l.trimStart().startsWith('*'))).toHaveLength(0);
    expect(tuneSummary(r)).toContain('(outside the swept range 0.5 to 1.2: widen --from/--to to see it in the table)');
  });

  it('rounds the grid to a value a user would type and keeps the ends as given', () => {
    const grid = sweepGrid(0.7, 1.15, 30);
    expect(grid.slice(0, 4)).toEqual([0.7, 0.716, 0.731, 0.747]);
    expect([grid.length, grid.at(-1)]).toEqual([30, 1.15]);
    for (let i = 1; i < grid.length; i++) expect(grid[i]).toBeGreaterThan(grid[i - 1]);
    expect(grid.every((v) => /^\d+(\.\d{1,3})?$/.test(String(v)))).toBe(true);
    expect(sweepGrid(0.8, 1.1, 31)).toEqual(Array.from({ length: 31 }, (_, i) => Number((0.8 + i / 100).toFixed(2))));
    expect(sweepGrid(0.5, 1.2, 8)).toEqual([0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2]);
    expect(sweepGrid(0.12345, 0.2, 3)).toEqual([0.12345, 0.162, 0.2]);
    expect([gridDecimals(0.7, 1.15, 30), gridDecimals(0.8, 1.1, 31), gridDecimals(0.7, 1.15, 1000), gridDecimals(10, 40, 4), gridDecimals(1, 1, 5)]).toEqual([3, 3, 5, 0, 0]);
    expect(sweepGrid(1, 1, 3)).toEqual([1, 1, 1]);
    expect([typeable(0.98734), typeable(1.0004), typeable(0.4278), typeable(12.3456), typeable(123.456)]).toEqual([0.987, 1, 0.428, 12.35, 123.5]);
  });

  it('gives the suggestion a row of its own, starred, printed as in the summary, the CSV and the JSON', async () => {
    const r = await tune(vectors, dim, { method: 'cw', from: 0.3, to: 1.15, truth, backend: 'ts' });
    expect(r.suggestedFrom).toBe('valley');
    const s = r.suggested!;
    expect(String(s)).toMatch(/^0\.\d{1,3}$/);
    // 30 grid values, and the suggestion between two of them
    expect(sweepGrid(0.3, 1.15, 30)).not.toContain(s);
    expect(r.rows.map((row) => row.threshold)).toEqual([...sweepGrid(0.3, 1.15, 30), s].sort((a, b) => a - b));
    const at = suggestedRow(r);
    expect(r.rows[at].threshold).toBe(s);
    const single = await chineseWhispers(vectors, dim, { threshold: s, backend: 'ts' });
    expect([r.rows[at].clusters, r.rows[at].pairwiseF]).toEqual([single.clusterCount, evaluate(single.labels, truth).pairwise.f]);
    const starred = tuneTable(r).split('\n').filter((l) => l.trimStart().startsWith('*'));
    expect(starred).toHaveLength(1);
    expect(starred[0].trim().split(/\s+/)[0]).toBe(`*${s}`);
    expect(tuneSummary(r)).toContain(`suggested threshold: ${s} (the valley`);
    expect(tuneCsv(r).split('\n')[at + 1].startsWith(`${s},`)).toBe(true);
    const json = tuneJson(r);
    expect(json.suggested).toBe(s);
    expect(json.rows.filter((row) => row.threshold === s)).toHaveLength(1);
    expect(r.rows.every((row) => /^\d+(\.\d{1,3})?$/.test(String(row.threshold)))).toBe(true);

    // a suggestion that is a grid value (here the lower end) is starred without an extra row
    const onGrid = await tune(vectors, dim, { method: 'cw', from: s, to: 1.15, steps: 10, backend: 'ts' });
    expect(onGrid.suggested).toBe(s);
    expect([onGrid.rows.length, suggestedRow(onGrid)]).toEqual([10, 0]);
    expect(tuneTable(onGrid).split('\n')[1].trim().startsWith(`*${s} `)).toBe(true);
  });

  it('BAD CALL – ranges', async () => {
    // manhattan has no exact scale: the same factors of its measured default
    expect(defaultRange('cw', 'manhattan')).toEqual([0.7 * metricDefault('cw', 'manhattan')!, 1.15 * metricDefault('cw', 'manhattan')!].map((v) => Math.round(v * 1e4) / 1e4));
    const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
    expect(defaultRange('cw', 'euclidean')).toEqual([r4(0.7 * DEFAULTS.threshold), r4(1.15 * DEFAULTS.threshold)]);
    expect(defaultRange('dbscan', 'euclidean')).toEqual([r4(0.6 * DEFAULTS.eps), r4(1.2 * DEFAULTS.eps)]);
    expect(defaultRange('dbscan', 'cosine')).toEqual([r4((0.6 * DEFAULTS.eps) ** 2 / 2), r4((1.2 * DEFAULTS.eps) ** 2 / 2)]);
    await expect(tune(vectors, dim, { method: 'cw', from: 1, to: 0.5 })).rejects.toThrow('--to (0.5) must be >= --from (1)');
  });
});
