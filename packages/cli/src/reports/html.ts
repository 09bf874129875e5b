/**
 * `report-<call>/`: the call's report as static pages, opened from disk (no server). `report.html` is page 1,
 * `page-2.html`, … the rest: every cluster of two or more faces, largest first, with its size and person,
 * then the faces seen once in one section, then no_class; each face is a tile linking to its photo. The tiles
 * are CSS sprites: `sprites/<k>.jpg` holds up to SPRITE_TILES crops, and a tile is an <a> with its sprite as
 * background, so the report writes a few hundred files where a file per face made 220,000 at 250k faces.
 * Past FULL_REPORT_MAX faces it shows a few faces of each cluster (`faceclust serve` shows them all).
 * `<out>/report.html` is an index of every call, rebuilt from the store's call records on each call.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ClusterSummary } from '../cluster-stats.js';
import { createFolder, replaceOwnFile, writeNewFile } from '../output.js';
import { clusterName, type CallRecord, type ClusteringResult } from '../result.js';
import type { CropSource } from './crops.js';
import { count } from './log.js';

/** Sprites hold the 112×112 aligned crops as they are (no resampling); the page shows them at SHOWN_PX. */
const TILE = 112;
const SHOWN_PX = 96;
const SPRITE_COLS = 25;
/** 500 tiles: a 2800×2240 sprite, ~19 MB of pixels while it is built, ~1 MB as JPEG. */
export const SPRITE_TILES = 500;
/** A page holds at most this many tiles and sections, so a browser opens each page quickly. */
export const PAGE_TILES = 2000;
export const PAGE_SECTIONS = 500;
/** Up to this many faces in all, the report shows every face. */
export const FULL_REPORT_MAX = 20_000;
/**
 * Past FULL_REPORT_MAX faces: a cluster shows its first SHOWN_PER_CLUSTER faces, and the report at most
 * MAX_TILES faces in all (decoding the crops is what a report costs: ~1 ms a face on a busy machine);
 * clusters past that budget keep their heading, size and person without faces.
 */
export const SHOWN_PER_CLUSTER = 24;
export const MAX_TILES = 10_000;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** One section of the report: a cluster of two or more, the faces seen once, or no_class. */
export interface ReportSection {
  kind: 'cluster' | 'once' | 'noise';
  /** The clusters it stands for (one, or every cluster of one face for 'once'). */
  clusters: ClusterSummary[];
  /** Indices into the result's faces. */
  members: number[];
  /** The members it shows as tiles: all of them, the first few, or none. */
  shown: number[];
}

/**
 * What the report shows and on which page: the one place that decides sections, caps and paging.
 * Sections are in report order (clusters largest first, seen once, no_class); a section never spans pages.
 */
export function planReport(summaries: readonly ClusterSummary[], faceCount: number): { sections: ReportSection[]; pages: ReportSection[][]; capped: boolean } {
  const several = summaries.filter((c) => c.cluster >= 0 && c.size > 1);
  const once = summaries.filter((c) => c.cluster >= 0 && c.size === 1);
  const noise = summaries.filter((c) => c.cluster < 0);
  const sections: ReportSection[] = [
    ...several.map((c): ReportSection => ({ kind: 'cluster', clusters: [c], members: c.members, shown: c.members })),
    ...(once.length ? [{ kind: 'once' as const, clusters: once, members: once.flatMap((c) => c.members), shown: [] }] : []),
    ...noise.map((c): ReportSection => ({ kind: 'noise', clusters: [c], members: c.members, shown: c.members })),
  ];
  const capped = faceCount > FULL_REPORT_MAX;
  if (!capped) {
    for (const s of sections) s.shown = s.members;
  } else {
    // seen once and no_class keep a few rows whatever the clusters took; the clusters share the rest
    const extra = (s: ReportSection) => s.kind !== 'cluster';
    for (const s of sections.filter(extra)) s.shown = s.members.slice(0, 4 * SHOWN_PER_CLUSTER);
    let budget = MAX_TILES - sections.filter(extra).reduce((k, s) => k + s.shown.length, 0);
    for (const s of sections.filter((x) => !extra(x))) {
      s.shown = s.members.slice(0, Math.max(0, Math.min(SHOWN_PER_CLUSTER, budget)));
      budget -= s.shown.length;
    }
  }
  const pages: ReportSection[][] = [];
  let page: ReportSection[] = [];
  let tiles = 0;
  for (const s of sections) {
    if (page.length && (tiles + s.shown.length > PAGE_TILES || page.length >= PAGE_SECTIONS)) {
      pages.push(page);
      page = [];
      tiles = 0;
    }
    page.push(s);
    tiles += s.shown.length;
  }
  if (page.length || !pages.length) pages.push(page);
  return { sections, pages, capped };
}

/** A page's file in the report folder: page 1 is report.html, so the report's address stays the same. */
export function pageFile(page: number): string {
  return page === 0 ? 'report.html' : `page-${page + 1}.html`;
}

/**
 * One sprite: the crops of `faceIds`, SPRITE_COLS across, as JPEG bytes. sharp decodes each crop (all at
 * once, on its thread pool); the tiles are copied into one RGB buffer, ~10× faster than a sharp composite
 * of many inputs; JPEG, because PNG-encoding a sheet of noisy faces took 4.8 ms a face against 0.16 ms.
 */
export async function spriteSheet(faceIds: readonly number[], crops: CropSource): Promise<Buffer> {
  const rows = Math.ceil(faceIds.length / SPRITE_COLS);
  const width = SPRITE_COLS * TILE;
  const height = Math.max(1, rows) * TILE;
  const canvas = Buffer.alloc(width * height * 3, 255);
  await Promise.all(faceIds.map(async (id, k) => {
    const tile = await sharp(crops(id)).removeAlpha().toColourspace('srgb').resize(TILE, TILE, { fit: 'fill' }).raw().toBuffer();
    const left = (k % SPRITE_COLS) * TILE;
    const top = Math.floor(k / SPRITE_COLS) * TILE;
    for (let y = 0; y < TILE; y++) tile.copy(canvas, ((top + y) * width + left) * 3, y * TILE * 3, (y + 1) * TILE * 3);
  }));
  return sharp(canvas, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/**
 * Writes the report's pages and `sprites/` into the new folder `dir` (it must not exist: nothing is
 * overwritten); returns page 1's path. `tick` counts faces done.
 */
export async function writeHtmlReport(dir: string, r: ClusteringResult, crops: CropSource, title: string, tick: (faces: number) => void = () => {}): Promise<string> {
  createFolder(dir);
  createFolder(path.join(dir, 'sprites'));
  const { pages, capped } = planReport(r.summaries, r.faces.length);
  const p = r.params as unknown as Record<string, unknown>;
  const params = Object.entries(p).map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`).join(', ');
  const serve = `<code>faceclust serve --out ${escapeHtml(JSON.stringify(path.dirname(path.resolve(dir))))}</code>`;
  const shownNote = capped
    ? `This report shows up to ${SHOWN_PER_CLUSTER} faces of a cluster and ${MAX_TILES.toLocaleString('en')} in all; to see every face (and name people, correct clusters), run ${serve}.`
    : `To name people and correct clusters, run ${serve}.`;
  const label = (s: ReportSection) => s.kind === 'once' ? 'seen once' : s.kind === 'noise' ? 'no_class' : clusterName(s.clusters[0]!.cluster);
  const nav = (at: number) => pages.length < 2 ? '' : `<nav>Pages: ${pages.map((pg, k) => {
    const span = `${label(pg[0]!)}${pg.length > 1 ? `–${label(pg.at(-1)!)}` : ''}`;
    return k === at ? `<b>${k + 1}</b> <small>(${span})</small>` : `<a href="${pageFile(k)}" title="clusters ${span}">${k + 1}</a>`;
  }).join(' ')}</nav>`;

  let sprite = 0;
  for (const [at, page] of pages.entries()) {
    // the page's tiles in order, SPRITE_TILES to a sprite; two sprites at a time keep sharp's threads busy
    const tiles = page.flatMap((s) => s.shown);
    const chunks: number[][] = [];
    for (let k = 0; k < tiles.length; k += SPRITE_TILES) chunks.push(tiles.slice(k, k + SPRITE_TILES));
    const first = sprite;
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(2, chunks.length) }, async () => {
      while (next < chunks.length) {
        const k = next++;
        const jpeg = await spriteSheet(chunks[k]!.map((i) => r.faces[i].faceId), crops);
        await writeNewFile(path.join(dir, 'sprites', `${first + k}.jpg`), jpeg);
      }
    }));
    sprite += chunks.length;
    let t = 0;
    /** Each face's tile: an <a> to its photo (relative to the page, so the folder opens from disk) with its sprite behind. */
    const tile = (i: number, withCluster: boolean): string => {
      const f = r.faces[i];
      const k = t++;
      const cell = k % SPRITE_TILES;
      const who = withCluster && f.person ? `, person ${f.person.id}${f.person.name ? ` ${f.person.name}` : ''}` : '';
      const tip = `${f.file} — face ${f.face}${withCluster ? `, cluster ${f.cluster}${who}` : ''}${f.distance === null ? '' : `, distance ${f.distance.toFixed(3)}`}`;
      const pos = `-${(cell % SPRITE_COLS) * SHOWN_PX}px -${Math.floor(cell / SPRITE_COLS) * SHOWN_PX}px`;
      return `<a href="${photoHref(dir, f.file)}" class="t s${first + Math.floor(k / SPRITE_TILES)}" style="background-position:${pos}" title="${escapeHtml(tip)}" aria-label="${escapeHtml(path.basename(f.file))}" data-face="${f.faceId}"></a>`;
    };
    const sections = page.map((s) => {
      const grid = s.shown.length ? `<div class="grid">${s.shown.map((i) => tile(i, s.kind === 'once')).join('')}</div>` : '';
      const more = s.members.length - s.shown.length;
      const note = more > 0 ? `<p>${s.shown.length ? `… and ${count(more, 'more face')}` : `${count(more, 'face')}, not shown here`} (see the xlsx, or <code>faceclust serve</code>)</p>` : '';
      if (s.kind === 'once') {
        return `<section id="seen-once"><h2>Seen once <small>${count(s.members.length, 'face')}, each a cluster of its own (clusters ${clusterName(s.clusters[0]!.cluster)}–${clusterName(s.clusters.at(-1)!.cluster)})</small></h2>${grid}${note}</section>`;
      }
      const c = s.clusters[0]!;
      const name = clusterName(c.cluster);
      const person = r.faces[c.representative]?.person;
      const who = person ? ` — person ${person.id}${person.name ? `: ${escapeHtml(person.name)}` : ''}` : '';
      const heading = c.cluster < 0 ? `no_class <small>${c.size} face${c.size === 1 ? '' : 's'} in no cluster</small>` : `Cluster ${name}${who} <small>${c.size} face${c.size === 1 ? '' : 's'}</small>`;
      return `<section id="cluster-${name}"><h2>${heading}</h2>${grid}${note}</section>`;
    });
    const sprites = Array.from({ length: chunks.length }, (_, k) => `.s${first + k}{background-image:url(sprites/${first + k}.jpg)}`).join('');
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}${pages.length > 1 ? ` (page ${at + 1} of ${pages.length})` : ''}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}nav{margin:1em 0;line-height:1.8}
h2{font-size:16px;margin:1.4em 0 .4em}h2 small{color:#666;font-weight:normal}
.grid{display:flex;flex-wrap:wrap;gap:4px}.t{display:block;width:${SHOWN_PX}px;height:${SHOWN_PX}px;border-radius:3px;background-size:${SPRITE_COLS * SHOWN_PX}px auto;background-repeat:no-repeat}
${sprites}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${count(r.faces.length, 'face')} in ${count(r.images, 'photo')}: <b>${count(r.clusters, 'cluster')}</b>, ${r.noise} in no_class${r.skipped.length ? `, ${count(r.skipped.length, 'file')} skipped` : ''}.<br>
${r.method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'}: ${params}; model ${escapeHtml(r.model)}.<br>
${shownNote}</p>
${nav(at)}
${sections.join('\n')}
${nav(at)}
</body></html>
`;
    await writeNewFile(path.join(dir, pageFile(at)), html);
    tick(page.reduce((k, s) => k + s.members.length, 0));
  }
  return path.join(dir, 'report.html');
}

/** A call as the index lists it: what the store recorded of it (`faceclust calls`). */
export interface IndexedCall {
  id: number;
  startedAt: string;
  record?: unknown;
}

/**
 * Rebuilds `<out>/report.html`: every call that has a report, newest first, with its date, method,
 * parameters, clusters, people and faces (from the store's call records); report folders the store has no
 * record of (older folders) are listed by name.
 */
export function writeReportIndex(out: string, calls: readonly IndexedCall[] = []): string {
  const reports = fs.readdirSync(out).filter((d) => d.startsWith('report-') && fs.existsSync(path.join(out, d, 'report.html'))).sort().reverse();
  const byFolder = new Map<string, { call: IndexedCall; record: Partial<CallRecord> }>();
  for (const call of calls) {
    const record = (call.record ?? {}) as Partial<CallRecord>;
    const page = record.outputs?.report;
    if (page) byFolder.set(path.basename(path.dirname(page)), { call, record });
  }
  const rows = reports.map((d) => {
    const link = `<a href="${encodeURI(d)}/report.html">${escapeHtml(d)}</a>`;
    const known = byFolder.get(d);
    if (!known) return `<tr><td>${link}</td><td colspan="6"></td></tr>`;
    const { call, record: rec } = known;
    const params = Object.entries((rec.params ?? {}) as Record<string, unknown>)
      .filter(([k]) => k !== 'backend')
      .map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`)
      .join(' ');
    const people = rec.people ? escapeHtml(rec.people.mode) : '';
    const when = escapeHtml(call.startedAt.slice(0, 16).replace('T', ' '));
    return `<tr><td>${link}</td><td>${when}</td><td>${rec.method === 'dbscan' ? 'DBSCAN' : 'Chinese Whispers'}</td><td>${params}</td><td>${rec.clusters ?? ''}</td><td>${people}</td><td>${rec.faces ?? ''}${rec.noise ? ` (${rec.noise} no_class)` : ''}</td></tr>`;
  });
  const file = path.join(out, 'report.html');
  replaceOwnFile(
    file,
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>faceclust reports</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{padding:.25em .8em;text-align:left;border-bottom:1px solid #ddd}</style>
</head><body>\n<h1>faceclust reports</h1>
<table>\n<tr><th>report</th><th>date (UTC)</th><th>method</th><th>parameters</th><th>clusters</th><th>people</th><th>faces</th></tr>\n${rows.join('\n')}\n</table>\n</body></html>\n`,
  );
  return file;
}

/** The link from a report folder to a photo: relative, so the output folder and the photos open from disk. */
function photoHref(dir: string, file: string): string {
  return encodeURI(path.relative(dir, file).split(path.sep).join('/')).replace(/#/g, '%23').replace(/\?/g, '%3F');
}
