/**
 * The HTML report in a real browser: Debian's chromium, headless, opens report.html from disk and every
 * face `<img>` must load (naturalWidth > 0). Runs the FacialClustering API on ../shared/data/groups.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FacialClustering } from '../facial-clustering.js';
import type { ClusteringResult } from '../result.js';
import { dataDir, findChromium, hasData, tempDir } from '../test-helpers.js';
import { escapeHtml } from './html.js';

const chromium = findChromium();
if (!chromium) console.warn('faceclust html report test: SKIPPED: no chromium found (Debian: apt-get install -y chromium; or set CHROMIUM_BIN)');

/** Loads `page` in headless chromium; returns how many images it has and how many loaded. */
function renderInChromium(page: string, profile: string): { total: number; loaded: number; sections: number } {
  // a copy beside the page (same relative paths) with a script that reports once everything has loaded
  const check = path.join(path.dirname(page), 'check.html');
  const script = `<script>addEventListener('load', () => { const i = [...document.images]; document.body.dataset.result = JSON.stringify({ total: i.length, loaded: i.filter((x) => x.complete && x.naturalWidth > 0).length, sections: document.querySelectorAll('section').length }); });</script>`;
  fs.writeFileSync(check, fs.readFileSync(page, 'utf8').replace('</body>', `${script}</body>`));
  const r = spawnSync(chromium!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', `file://${check}`,
  ], { encoding: 'utf8', timeout: 60_000 });
  fs.rmSync(check);
  const m = /data-result="([^"]*)"/.exec(r.stdout);
  if (!m) throw new Error(`chromium printed no result (status ${r.status}): ${r.stderr.slice(0, 500)}`);
  return JSON.parse(m[1].replace(/&quot;/g, '"'));
}

describe.skipIf(!hasData)('report.html and contact sheets (groups/)', () => {
  let dir: string;
  let result: ClusteringResult;
  let fc: FacialClustering;
  beforeAll(async () => {
    dir = tempDir();
    fc = new FacialClustering({ pathlist: path.join(dataDir, 'groups'), outPath: path.join(dir, 'out ü'), threads: 2 });
    result = await fc.chineseWhispers();
  }, 240_000);
  afterAll(() => {
    fc?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has one section per cluster of two or more, largest first, one for the faces seen once, one image per face linking to its photo', () => {
    const html = fs.readFileSync(result.outputs.report, 'utf8');
    const imgs = html.match(/<img /g) ?? [];
    expect(imgs.length).toBe(result.faces.length);
    expect(result.faces.length).toBeGreaterThanOrEqual(30); // groups/ has ~40 faces by eye
    // the first run made each cluster a person: `Cluster 3 — person 4 <small>…`
    const sizes = [...html.matchAll(/<h2>Cluster (\d+)(?: — person \d+(?::[^<]*)?)? <small>(\d+) faces?<\/small>/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const several = result.summaries.filter((c) => c.cluster >= 0 && c.size > 1);
    const once = result.summaries.filter((c) => c.cluster >= 0 && c.size === 1);
    expect(once.length).toBeGreaterThan(0); // groups/ has people seen once
    expect(sizes.map(([c]) => c)).toEqual(several.map((c) => c.cluster));
    expect(sizes.map(([, s]) => s)).toEqual(several.map((c) => c.size));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i][1]).toBeLessThanOrEqual(sizes[i - 1][1]);
    expect(html).toContain(`<h2>Seen once <small>${once.length} face${once.length === 1 ? '' : 's'}, each a cluster of its own`);
    for (const f of result.faces) expect(html).toContain(`title="${escapeHtml(f.file)} — face ${f.face}`);
    // each tile links to its photo, relative to the report folder, and the link resolves to the photo
    const hrefs = [...html.matchAll(/<a href="([^"]+)"><img /g)].map((m) => decodeURI(m[1]!));
    expect(hrefs.length).toBe(result.faces.length);
    const reportDir = path.dirname(result.outputs.report);
    expect(new Set(hrefs.map((h) => path.resolve(reportDir, h)))).toEqual(new Set(result.faces.map((f) => f.file)));
  });

  it('writes one contact-sheet PNG per cluster of two or more faces (and no_class) holding its faces', async () => {
    const sheets = path.join(path.dirname(result.outputs.report), 'sheets');
    expect(fs.readdirSync(sheets).length).toBe(result.summaries.filter((c) => c.cluster < 0 || c.size > 1).length);
    const big = result.summaries[0];
    const meta = await sharp(path.join(sheets, 'cluster-0.png')).metadata();
    const cols = Math.round((meta.width! - 4) / 116);
    expect(cols * Math.ceil(big.size / cols)).toBeGreaterThanOrEqual(big.size);
    expect(Math.round((meta.height! - 4) / 116)).toBe(Math.ceil(big.size / cols));
  });

  it.skipIf(!chromium)('renders in headless chromium with every face image loaded', () => {
    const r = renderInChromium(result.outputs.report, path.join(dir, 'chromium-profile'));
    expect(r.total).toBe(result.faces.length);
    expect(r.loaded).toBe(result.faces.length);
    const sections = result.summaries.filter((c) => c.cluster < 0 || c.size > 1).length + (result.summaries.some((c) => c.cluster >= 0 && c.size === 1) ? 1 : 0);
    expect(r.sections).toBe(sections);
  }, 90_000);

  it('the index page links every call\'s report and renders', async () => {
    const second = await fc.dbscan({ minSamples: 2 });
    const index = fs.readFileSync(second.outputs.reportIndex, 'utf8');
    expect(index).toContain('report-001-cw-t1/report.html');
    expect(index).toContain('report-002-dbscan-e0.925-m2/report.html');
    // one row per call, newest first: date, method, parameters, clusters, what it did with the people (the
    // second call of this FacialClustering has a pathlist: a run on a folder with people, which assigns), faces
    const rows = [...index.matchAll(/<tr><td><a href="([^"]+)">[^<]*<\/a><\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>(\d+)<\/td><td>([^<]*)<\/td><td>(\d+)/g)].map((m) => m.slice(1));
    expect(rows.map((r) => r[0])).toEqual(['report-002-dbscan-e0.925-m2/report.html', 'report-001-cw-t1/report.html']);
    expect(rows[0]!.slice(2)).toEqual(['DBSCAN', 'eps=0.925 minSamples=2 metric=euclidean', String(second.clusters), 'assigned', String(second.faces.length)]);
    expect(rows[1]!.slice(2)).toEqual(['Chinese Whispers', 'threshold=1 iterations=30 seed=0 minClusterSize=1 metric=euclidean', String(result.clusters), 'adopted', String(result.faces.length)]);
    expect(rows[0]![1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    if (chromium) expect(renderInChromium(second.outputs.report, path.join(dir, 'chromium-profile')).loaded).toBe(second.faces.length);
  }, 90_000);
});
