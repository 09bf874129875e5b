/**
 * The HTML report in a real browser: Debian's chromium, headless, opens report.html from disk and every
 * face tile's sprite must load and hold the tile (its position inside the sprite). Runs the
 * FacialClustering API on ../shared/data/groups; planReport's caps and paging on synthetic summaries.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FacialClustering } from '../facial-clustering.js';
import type { ClusteringResult } from '../result.js';
import { dataDir, findChromium, hasData, tempDir } from '../test-helpers.js';
import type { ClusterSummary } from '../cluster-stats.js';
import { escapeHtml, FULL_REPORT_MAX, MAX_TILES, PAGE_SECTIONS, PAGE_TILES, planReport, SHOWN_PER_CLUSTER, SPRITE_TILES } from './html.js';

const chromium = findChromium();
if (!chromium) console.warn('faceclust html report test: SKIPPED: no chromium found (Debian: apt-get install -y chromium; or set CHROMIUM_BIN)');

/**
 * Loads `page` in headless chromium; returns how many face tiles it has, how many show a loaded sprite with
 * the tile inside it, and its sections.
 */
function renderInChromium(page: string, profile: string): { total: number; loaded: number; sections: number } {
  // a copy beside the page (same relative paths) with a script that loads each tile's sprite and reports
  const check = path.join(path.dirname(page), 'check.html');
  const script = `<script>addEventListener('load', async () => {
    const tiles = [...document.querySelectorAll('a.t')].map((a) => { const s = getComputedStyle(a); return { url: /url\\("?([^")]*)"?\\)/.exec(s.backgroundImage)?.[1], x: -parseFloat(s.backgroundPositionX), y: -parseFloat(s.backgroundPositionY), w: a.offsetWidth, h: a.offsetHeight, scale: parseFloat(s.backgroundSize) }; });
    const sizes = new Map();
    await Promise.all([...new Set(tiles.map((t) => t.url).filter(Boolean))].map((u) => new Promise((done) => { const i = new Image(); i.onload = () => { sizes.set(u, [i.naturalWidth, i.naturalHeight]); done(); }; i.onerror = done; i.src = u; })));
    const loaded = tiles.filter((t) => { const s = sizes.get(t.url); if (!s || !(s[0] > 0)) return false; const k = t.scale / s[0]; return t.x >= 0 && t.y >= 0 && t.x + t.w <= s[0] * k + 0.5 && t.y + t.h <= s[1] * k + 0.5; });
    document.body.dataset.result = JSON.stringify({ total: tiles.length, loaded: loaded.length, sections: document.querySelectorAll('section').length });
  });</script>`;
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

/** Summaries as cluster-stats makes them: sizes largest first, one-face clusters, then no_class. */
function summaries(sizes: number[], noise = 0): ClusterSummary[] {
  let next = 0;
  const take = (k: number) => Array.from({ length: k }, () => next++);
  const out: ClusterSummary[] = sizes.map((size, cluster) => ({ cluster, size, cohesion: null, representative: next, members: take(size) }));
  if (noise) out.push({ cluster: -1, size: noise, cohesion: null, representative: next, members: take(noise) });
  return out;
}

describe('planReport', () => {
  it.each([
    { name: 'a small report shows every face on one page', sizes: [5, 3, 1, 1], noise: 2, pages: 1, tiles: 12 },
    { name: 'pages of at most PAGE_TILES tiles; a cluster never spans pages', sizes: [1500, 800, 700, 2], noise: 0, pages: 2, tiles: 3002 },
    { name: 'a cluster larger than a page gets a page of its own', sizes: [PAGE_TILES + 10, 5], noise: 0, pages: 2, tiles: PAGE_TILES + 15 },
    { name: 'pages of at most PAGE_SECTIONS sections', sizes: Array(PAGE_SECTIONS + 1).fill(2), noise: 0, pages: 2, tiles: 2 * (PAGE_SECTIONS + 1) },
  ])('$name', ({ sizes, noise, pages, tiles }) => {
    const s = summaries(sizes, noise);
    const faces = sizes.reduce((a, b) => a + b, 0) + noise;
    const plan = planReport(s, faces);
    expect(plan.capped).toBe(false);
    expect(plan.pages.length).toBe(pages);
    expect(plan.pages.flat()).toEqual(plan.sections);
    expect(plan.sections.reduce((k, x) => k + x.shown.length, 0)).toBe(tiles);
    for (const page of plan.pages) expect(page.length === 1 || page.reduce((k, x) => k + x.shown.length, 0) <= PAGE_TILES).toBe(true);
  });

  it('past FULL_REPORT_MAX faces: a few faces a cluster, MAX_TILES in all, every cluster still listed in order', () => {
    // 30,000 clusters of 30 and 2,000 seen once and 5,000 no_class: 907,000 faces
    const s = summaries([...Array(30_000).fill(30), ...Array(2000).fill(1)], 5000);
    const faces = 30_000 * 30 + 2000 + 5000;
    expect(faces).toBeGreaterThan(FULL_REPORT_MAX);
    const plan = planReport(s, faces);
    expect(plan.capped).toBe(true);
    expect(plan.sections.map((x) => x.kind)).toEqual([...Array(30_000).fill('cluster'), 'once', 'noise']);
    expect(plan.sections.reduce((k, x) => k + x.shown.length, 0)).toBe(MAX_TILES);
    expect(Math.max(...plan.sections.filter((x) => x.kind === 'cluster').map((x) => x.shown.length))).toBe(SHOWN_PER_CLUSTER);
    expect(plan.sections.at(-2)!.shown.length).toBeGreaterThan(0); // seen once and no_class keep some faces
    expect(plan.sections.at(-1)!.shown.length).toBeGreaterThan(0);
    expect(plan.pages.flat()).toEqual(plan.sections);
    for (const page of plan.pages) {
      expect(page.length).toBeLessThanOrEqual(PAGE_SECTIONS);
      expect(page.reduce((k, x) => k + x.shown.length, 0)).toBeLessThanOrEqual(PAGE_TILES);
    }
  });
});

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

  it('has one section per cluster of two or more, largest first, one for the faces seen once, one tile per face linking to its photo', () => {
    const html = fs.readFileSync(result.outputs.report, 'utf8');
    const tiles = html.match(/<a [^>]*class="t /g) ?? [];
    expect(tiles.length).toBe(result.faces.length);
    expect(html).toContain('faceclust serve --out');
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
    const hrefs = [...html.matchAll(/<a href="([^"]+)" class="t /g)].map((m) => decodeURI(m[1]!));
    expect(hrefs.length).toBe(result.faces.length);
    const reportDir = path.dirname(result.outputs.report);
    expect(new Set(hrefs.map((h) => path.resolve(reportDir, h)))).toEqual(new Set(result.faces.map((f) => f.file)));
  });

  it('writes one sprite per SPRITE_TILES faces, SPRITE_COLS tiles of 112 px across, and no file per face', async () => {
    const dirOf = path.dirname(result.outputs.report);
    expect(fs.readdirSync(dirOf).sort()).toEqual(['report.html', 'sprites']);
    const sprites = fs.readdirSync(path.join(dirOf, 'sprites'));
    expect(sprites).toEqual(Array.from({ length: Math.ceil(result.faces.length / SPRITE_TILES) }, (_, k) => `${k}.jpg`));
    const meta = await sharp(path.join(dirOf, 'sprites', '0.jpg')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(25 * 112);
    expect(meta.height).toBe(Math.ceil(Math.min(result.faces.length, SPRITE_TILES) / 25) * 112);
  });

  it.skipIf(!chromium)('renders in headless chromium with every face tile loaded', () => {
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
    expect(rows[1]!.slice(2)).toEqual(['Chinese Whispers', 'threshold=1 iterations=30 seed=0 minClusterSize=1 mergeRadius=0.9 metric=euclidean', String(result.clusters), 'adopted', String(result.faces.length)]);
    expect(rows[0]![1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    if (chromium) expect(renderInChromium(second.outputs.report, path.join(dir, 'chromium-profile')).loaded).toBe(second.faces.length);
  }, 90_000);
});
