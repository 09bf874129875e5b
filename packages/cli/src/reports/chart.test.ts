import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { kDistanceChartSvg, ordinal, sweepChartSvg, ticks, writePng } from './chart.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faceclust-chart-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rows = Array.from({ length: 30 }, (_, i) => {
  const t = 0.6 + i * 0.02;
  return { threshold: t, clusters: 1000 - i * 30, noise: 0, largest: 10 + i * i, singletons: 800 - i * 25, pairwiseF: Math.exp(-((t - 0.95) ** 2) * 40), bcubedF: 0.5 + 0.4 * Math.exp(-((t - 1) ** 2) * 20) };
});

/** PNG signature, size and a non-blank raster (the curves and text drew something). */
async function checkPng(file: string, width: number, height: number) {
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const meta = await sharp(file).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['png', width, height]);
  const stats = await sharp(file).stats();
  expect(stats.channels[0].stdev).toBeGreaterThan(5);
  return stats;
}

describe('sweep chart', () => {
  it('is a valid PNG of the requested size, with scores (two panels) and without', async () => {
    const withScores = path.join(dir, 'sweep.png');
    expect(await writePng(sweepChartSvg(rows, { title: 'cw sweep', xLabel: 'threshold', suggested: 0.97, width: 800, height: 500 }), withScores)).toEqual({ width: 800, height: 500 });
    await checkPng(withScores, 800, 500);
    const plain = path.join(dir, 'sweep-plain.png');
    const counts = rows.map(({ pairwiseF: _p, bcubedF: _b, ...r }) => r);
    const svg = sweepChartSvg(counts, { title: 'dbscan <eps>', xLabel: 'eps' });
    expect(svg).not.toContain('F score');
    expect(svg).toContain('dbscan &lt;eps&gt;');
    await writePng(svg, plain);
    await checkPng(plain, 960, 640);
  });

  it('marks the suggested threshold, and copes with a single row', async () => {
    expect(sweepChartSvg(rows, { title: 't', xLabel: 'x', suggested: 0.97 })).toContain('suggested 0.97');
    const one = path.join(dir, 'one.png');
    await writePng(sweepChartSvg(rows.slice(0, 1), { title: 'one', xLabel: 'x' }), one);
    await checkPng(one, 960, 640);
  });
});

describe('k-distance chart', () => {
  it('is a valid PNG; infinite values are drawn at the top and counted', async () => {
    const kd = Float64Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? Infinity : 0.5 + (i % 1000) / 1600));
    const svg = kDistanceChartSvg(kd, { k: 3, title: 'k-distance', suggested: 0.9, width: 700, height: 360 });
    expect(svg).toContain('52 beyond');
    expect(svg).toContain('distance to the 3rd neighbour');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 111].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '111th']);
    expect(svg).toMatch(/suggested eps 0\.9: \d+ of 5000 faces core/);
    const file = path.join(dir, 'kd.png');
    await writePng(svg, file);
    await checkPng(file, 700, 360);
  });
});

describe('ticks', () => {
  it('are round numbers covering the range', () => {
    expect(ticks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.6, 1.3, 8)).toEqual([0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3]);
    expect(ticks(0, 7171, 5)).toEqual([0, 2000, 4000, 6000]);
  });
});
