/**
 * The review page in a real browser, as a person uses it: Debian's chromium driven by playwright-core
 * (pointed at the system browser, nothing downloaded), over `faceclust serve` on real photos
 * (photos-small: one folder per person, and the group photos). Every click is checked against the store;
 * screenshots of the grid, a person page and a photo with its boxes go to test-output/serve/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCorrections } from '../corrections.js';
import { listPeople, type PersonEntry } from '../people.js';
import { suggest } from '../suggest.js';
import { dataDir, findChromium, hasBin, hasData, pkgRoot, runCli, scratchDir } from '../test-helpers.js';
import { startServer, type RunningServer } from './server.js';

// what the functions run inside the page see (this package compiles for node, without the DOM's types)
declare const document: { images: Iterable<HTMLImageElement>; querySelectorAll(s: string): { length: number }; querySelector(s: string): (HTMLImageElement & { getAttribute(n: string): string | null }) | null };
declare const innerHeight: number;
interface HTMLImageElement {
  complete: boolean;
  naturalWidth: number;
  getBoundingClientRect(): { top: number };
}

const browserPath = findChromium();
if (!browserPath) console.warn('faceclust review page test: SKIPPED: no chromium found (Debian: apt-get install -y chromium; or set CHROMIUM_BIN)');
const SCREENS = path.join(pkgRoot, 'test-output', 'serve');
const inputs = () => [path.join(dataDir, 'photos-small'), path.join(dataDir, 'groups')];

describe.skipIf(!hasData || !hasBin || !browserPath)('the review page in chromium (photos-small + groups)', () => {
  let out: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  /** Biden's faces as the first run found them (the truth: his folder, and his face in two group photos). */
  let bidenFaces: number[];

  /** The person holding the face of `file` (a path ending), from the store. */
  const personWith = (ending: string): PersonEntry => {
    const p = listPeople(out).find((q) => q.faces.some((f) => f.file.endsWith(ending)));
    if (!p) throw new Error(`no person has a face of ${ending}`);
    return p;
  };
  const ready = (view: string) => page.waitForSelector(`[data-view="${view}"][data-state="ready"]`);
  /** Waits until every image in the viewport has loaded (a first screen a person can see). */
  const imagesShown = (p: Page = page) =>
    p.waitForFunction(() => [...document.images].filter((i) => i.getBoundingClientRect().top < innerHeight).every((i) => i.complete && i.naturalWidth > 0));
  const toast = async () => (await page.waitForSelector('[data-toast]')).textContent();

  beforeAll(async () => {
    out = scratchDir();
    const run = await runCli(['run', ...inputs(), '--out', out, '-q', '--threads', '2']);
    expect(run.code, run.stderr).toBe(0);
    server = await startServer(out);
    base = `http://127.0.0.1:${server.port}`;
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => {
      throw err;
    });
    fs.mkdirSync(SCREENS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('opens the grid from the printed URL: every person, largest first, each with a face', async () => {
    await page.goto(server.url);
    await ready('grid');
    await imagesShown();
    const people = listPeople(out);
    const shown = await page.$$eval('[data-person]', (els) => els.map((e) => Number(e.getAttribute('data-person'))));
    expect(shown).toEqual(people.map((p) => p.id));
    expect(await page.$$eval('[data-person] img', (imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth === 112))).toBe(true);
    // the token left the address bar? it stays in the URL the user opened, but the page works from its cookie and meta tag
    await page.screenshot({ path: path.join(SCREENS, 'grid.png') });
  }, 60_000);

  it('a person page: select two faces with click and shift-click, move them to a new person', async () => {
    const biden = personWith('biden/biden.jpg');
    bidenFaces = biden.faces.map((f) => f.faceId);
    expect(biden.faces.length).toBeGreaterThanOrEqual(3);
    await page.click(`[data-person="${biden.id}"] a`);
    await ready('person');
    await imagesShown();
    const tiles = await page.$$eval('[data-face]', (els) => els.map((e) => Number(e.getAttribute('data-face'))));
    expect(tiles.sort((a, b) => a - b)).toEqual(biden.faces.map((f) => f.faceId).sort((a, b) => a - b));
    await page.click(`[data-face="${tiles[0]}"] .pick`);
    await page.click(`[data-face="${tiles[1]}"] .pick`, { modifiers: ['Shift'] });
    expect(await page.getAttribute('[data-selected]', 'data-selected')).toBe('2');
    await page.screenshot({ path: path.join(SCREENS, 'person.png') });
    await page.click('[data-action="new"]');
    expect(await toast()).toMatch(/moved 2 faces to new person/);
    await page.waitForFunction((n) => document.querySelectorAll('[data-face]').length === n, biden.faces.length - 2);
    const moved = listPeople(out).find((p) => p.faces.some((f) => f.faceId === tiles[0]))!;
    expect(moved.id).not.toBe(biden.id);
    expect(moved.faces.map((f) => f.faceId).sort()).toEqual([tiles[0], tiles[1]].sort());
  }, 60_000);

  it('the grid: select two people and merge them back into one', async () => {
    // the two people Biden's faces are in after the move
    const holding = () => listPeople(out).filter((p) => p.faces.some((f) => bidenFaces.includes(f.faceId)));
    const parts = holding();
    expect(parts.length).toBe(2);
    await page.goto(`${base}/#/`);
    await ready('grid');
    for (const p of parts) await page.click(`[data-person="${p.id}"] input[type="checkbox"]`);
    await page.click('[data-action="merge"]');
    expect(await toast()).toMatch(/merged/);
    expect(holding().map((p) => p.faces.map((f) => f.faceId).sort())).toEqual([[...bidenFaces].sort()]);
  }, 60_000);

  it('names a person from the person page, and the name shows everywhere', async () => {
    const biden = personWith('biden/biden.jpg');
    await page.goto(`${base}/#/people/${biden.id}`);
    await ready('person');
    await page.keyboard.press('n');
    await page.fill('.name-form input', 'Joe Biden');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h2 .name:text("Joe Biden")');
    expect(personWith('biden/biden.jpg').name).toBe('Joe Biden');
    const obama = personWith('obama/obama.jpg');
    await page.goto(`${base}/#/people/${obama.id}`);
    await ready('person');
    await page.click('[data-action="name"]');
    await page.fill('.name-form input', 'Barack Obama');
    await page.click('.name-form button[type="submit"]');
    await page.waitForSelector('h2 .name:text("Barack Obama")');
  }, 60_000);

  it('a photo opens with every face boxed and labelled with its person', async () => {
    const obama = personWith('obama/obama.jpg');
    const inGroup = obama.faces.find((f) => f.file.endsWith('facerec_obama_and_biden.jpg'))!;
    await page.goto(`${base}/#/people/${obama.id}`);
    await ready('person');
    await page.click(`[data-face="${inGroup.faceId}"] .open`);
    await page.waitForSelector('.viewer[data-state="ready"]');
    await page.waitForFunction(() => (document.querySelector('.viewer img') as HTMLImageElement | null)?.complete === true);
    const boxes = await page.$$eval('[data-box]', (gs) => gs.map((g) => ({ id: Number(g.getAttribute('data-box')), current: g.classList.contains('current'), text: g.textContent })));
    const faces = listPeople(out).flatMap((p) => p.faces.filter((f) => f.file === inGroup.file).map((f) => ({ ...f, person: p })));
    expect(boxes.length).toBeGreaterThanOrEqual(2);
    expect(boxes.filter((b) => b.current).map((b) => b.id)).toEqual([inGroup.faceId]);
    expect(boxes.map((b) => b.text)).toEqual(expect.arrayContaining(['Barack Obama', 'Joe Biden']));
    for (const f of faces) expect(boxes.find((b) => b.id === f.faceId)?.text).toBe(f.person.name ?? `person ${f.person.id}`);
    await page.screenshot({ path: path.join(SCREENS, 'photo.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('.viewer', { state: 'detached' });
  }, 60_000);

  it('answers "may be the same person?": different people are never suggested again', async () => {
    const before = (await suggest(out, { limit: 50 })).pairs;
    expect(before.length).toBeGreaterThan(0);
    await page.goto(`${base}/#/pairs`);
    await ready('pairs');
    const shown = await page.getAttribute('[data-pair]', 'data-pair');
    expect(shown).toBe(`${before[0]!.a.id}-${before[0]!.b.id}`);
    await page.click('[data-answer="no"]');
    expect(await toast()).toMatch(/apart/);
    await page.waitForFunction((key) => document.querySelector('[data-pair]')?.getAttribute('data-pair') !== key, shown);
    const after = (await suggest(out, { limit: 50 })).pairs.map((p) => `${p.a.id}-${p.b.id}`);
    expect(after).not.toContain(shown);
    expect(listCorrections(out).at(-1)?.kind).toBe('separate');
  }, 60_000);

  it('"not a face" with the keyboard, then undo puts it back', async () => {
    const rose = personWith('rose_leslie/img1.jpg');
    await page.goto(`${base}/#/people/${rose.id}`);
    await ready('person');
    const face = rose.faces[0]!.faceId;
    await page.click(`[data-face="${face}"] .pick`);
    await page.keyboard.press('f');
    expect(await toast()).toMatch(/not a face/i);
    await page.waitForSelector(`[data-face="${face}"]`, { state: 'detached' });
    await page.keyboard.press('u');
    await page.waitForSelector(`[data-face="${face}"]`);
    expect(personWith('rose_leslie/img1.jpg').faces.map((f) => f.faceId)).toContain(face);
  }, 60_000);

  it('a second tab sees a change made in the first (the store is the only state)', async () => {
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await other.goto(server.url);
      await other.waitForSelector('[data-view="grid"][data-state="ready"]');
      const kit = personWith('kit_harington/john1.jpeg');
      await page.goto(`${base}/#/people/${kit.id}`);
      await ready('person');
      await page.keyboard.press('n');
      await page.fill('.name-form input', 'Kit Harington');
      await page.keyboard.press('Enter');
      await other.waitForSelector(`[data-person="${kit.id}"] .name:text("Kit Harington")`, { timeout: 10_000 });
    } finally {
      await other.close();
    }
  }, 60_000);

  it('after a reload every change is there; a CLI re-cluster at another threshold keeps names and corrections', async () => {
    await page.goto(`${base}/#/`);
    await ready('grid');
    await page.fill('input[type="search"]', 'biden');
    await page.waitForFunction(() => document.querySelectorAll('[data-person]').length === 1);
    const separated = listCorrections(out).find((c) => c.kind === 'separate')!.args as { a: number; b: number };
    const run = await runCli(['run', ...inputs(), '--out', out, '-q', '--recluster', '--threshold', '1.15']);
    expect(run.code, run.stderr).toBe(0);
    expect(personWith('biden/biden.jpg').name).toBe('Joe Biden');
    expect(personWith('biden/biden2.jpg').name).toBe('Joe Biden');
    expect(personWith('obama/obama.jpg').name).toBe('Barack Obama');
    expect(personWith('kit_harington/john1.jpeg').name).toBe('Kit Harington');
    const people = listPeople(out);
    const holder = (id: number) => people.find((p) => p.id === id);
    if (holder(separated.a) && holder(separated.b)) expect(separated.a).not.toBe(separated.b);
    await page.reload();
    await ready('grid');
    await page.fill('input[type="search"]', 'Obama');
    await page.waitForSelector(`[data-person="${personWith('obama/obama.jpg').id}"] .name:text("Barack Obama")`);
  }, 60_000);

  it('re-clusters from the page: counts first, then apply; names kept', async () => {
    await page.goto(`${base}/#/recluster`);
    await ready('recluster');
    await page.fill('input[name="value"]', '0.95');
    await page.click('form.recluster button[type="submit"]');
    const preview = await page.waitForSelector('[data-view="recluster"][data-state="done"] .preview', { timeout: 60_000 });
    const clusters = Number((await page.textContent('[data-count="clusters"]'))!.replace(/\D/g, ''));
    expect(clusters).toBeGreaterThan(5);
    expect(await preview.getAttribute('data-call')).toMatch(/^\d+$/);
    await page.click('[data-action="apply"]');
    expect(await toast()).toMatch(/adopted call \d+/);
    expect(personWith('biden/biden.jpg').name).toBe('Joe Biden');
    expect(personWith('obama/obama.jpg').name).toBe('Barack Obama');
  }, 60_000);
});
