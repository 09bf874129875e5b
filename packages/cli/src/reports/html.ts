/**
 * `report-<call>/report.html`: every cluster of two or more faces as a grid of its faces, largest first, with
 * its size and person, then the faces seen once in one section, then no_class; each face links to its
 * photo; a contact-sheet PNG per cluster made with sharp. Static files only: open it from disk, no server.
 * `<out>/report.html` is an index of every call (date, method, parameters, clusters, people, faces),
 * rebuilt from the store's call records on each call.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { ClusterSummary } from '../cluster-stats.js';
import { createFolder, replaceOwnFile, writeNewFile } from '../output.js';
import { clusterName, type CallRecord, type ClusteringResult } from '../result.js';
import { imageExtension, type CropSource } from './crops.js';
import { count } from './log.js';

/** Tiles are the 112×112 aligned crops as they are: no resampling. */
const TILE = 112;
const GAP = 4;
const LAZY_ABOVE = 1000;
/** Past this many faces in all, a cluster's grid shows its first SHOWN_PER_CLUSTER faces and says how many more. */
export const FULL_PAGE_MAX = 20_000;
const SHOWN_PER_CLUSTER = 300;
/** A contact sheet shows at most this many faces (the page still shows all). */
export const MAX_SHEET_FACES = 600;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * One PNG grid of a cluster's faces. sharp decodes each crop and encodes the sheet; the tiles are laid
 * out by copying rows into one RGB buffer, which is ~10× faster than a sharp composite of many inputs.
 */
export async function contactSheet(faceIds: number[], crops: CropSource): Promise<Buffer> {
  const ids = faceIds.slice(0, MAX_SHEET_FACES);
  const cols = Math.min(ids.length, Math.max(4, Math.ceil(Math.sqrt(ids.length * 1.6))), 24);
  const rows = Math.ceil(ids.length / cols);
  const width = cols * (TILE + GAP) + GAP;
  const height = rows * (TILE + GAP) + GAP;
  const canvas = Buffer.alloc(width * height * 3, 255);
  const tiles = await Promise.all(ids.map((id) => sharp(crops(id)).removeAlpha().toColourspace('srgb').resize(TILE, TILE, { fit: 'fill' }).raw().toBuffer()));
  tiles.forEach((tile, k) => {
    const left = GAP + (k % cols) * (TILE + GAP);
    const top = GAP + Math.floor(k / cols) * (TILE + GAP);
    for (let y = 0; y < TILE; y++) tile.copy(canvas, ((top + y) * width + left) * 3, y * TILE * 3, (y + 1) * TILE * 3);
  });
  return sharp(canvas, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/**
 * Writes `dir/report.html`, `dir/faces/*` and `dir/sheets/cluster-*.png` into the new folder `dir` (it must
 * not exist: nothing is overwritten); returns the page's path. `tick` counts faces done.
 */
export async function writeHtmlReport(dir: string, r: ClusteringResult, crops: CropSource, title: string, tick: (faces: number) => void = () => {}): Promise<string> {
  createFolder(dir);
  createFolder(path.join(dir, 'faces'));
  createFolder(path.join(dir, 'sheets'));
  // a big page loads its faces as they scroll into view; a small one all at once (and prints whole)
  const lazy = r.faces.length > LAZY_ABOVE ? ' loading="lazy"' : '';
  /** Each face's tile: its crop, linking to its photo (relative to the page, so the folder opens from disk). */
  const tiles = (members: number[], writes: Promise<void>[], withCluster = false): string[] =>
    members.map((i) => {
      const f = r.faces[i];
      const bytes = crops(f.faceId);
      const src = `faces/${f.faceId}.${imageExtension(bytes) === 'jpeg' ? 'jpg' : 'png'}`;
      writes.push(writeNewFile(path.join(dir, src), bytes));
      const who = withCluster && f.person ? `, person ${f.person.id}${f.person.name ? ` ${f.person.name}` : ''}` : '';
      const tip = `${f.file} — face ${f.face}${withCluster ? `, cluster ${f.cluster}${who}` : ''}${f.distance === null ? '' : `, distance ${f.distance.toFixed(3)}`}`;
      return `<a href="${photoHref(dir, f.file)}"><img src="${src}" alt="${escapeHtml(path.basename(f.file))}" title="${escapeHtml(tip)}" width="96" height="96"${lazy} data-face="${f.faceId}"></a>`;
    });
  const section = async (c: ClusterSummary): Promise<string> => {
    const name = clusterName(c.cluster);
    const sheet = `sheets/cluster-${name}.png`;
    const shown = r.faces.length > FULL_PAGE_MAX ? c.members.slice(0, SHOWN_PER_CLUSTER) : c.members;
    const writes: Promise<void>[] = [];
    const imgs = tiles(shown, writes);
    writes.push(contactSheet(c.members.map((i) => r.faces[i].faceId), crops).then((png) => writeNewFile(path.join(dir, sheet), png)));
    await Promise.all(writes);
    tick(c.members.length);
    const person = r.faces[c.representative]?.person;
    const who = person ? ` — person ${person.id}${person.name ? `: ${escapeHtml(person.name)}` : ''}` : '';
    const heading = c.cluster < 0 ? `no_class <small>${c.size} face${c.size === 1 ? '' : 's'} in no cluster</small>` : `Cluster ${name}${who} <small>${c.size} face${c.size === 1 ? '' : 's'}</small>`;
    const more = c.members.length - shown.length;
    const note = more > 0 ? `<p>… and ${more} more faces (see the xlsx)</p>` : '';
    return `<section id="cluster-${name}"><h2>${heading} <a href="${sheet}">contact sheet</a></h2><div class="grid">${imgs.join('')}</div>${note}</section>`;
  };
  // clusters of one face share one section ("seen once"), in cluster order, instead of a heading each
  const several = r.summaries.filter((c) => c.cluster < 0 || c.size > 1);
  const once = r.summaries.filter((c) => c.cluster >= 0 && c.size === 1);
  const seenOnce = async (): Promise<string> => {
    const members = once.flatMap((c) => c.members);
    const shown = r.faces.length > FULL_PAGE_MAX ? members.slice(0, SHOWN_PER_CLUSTER) : members;
    const writes: Promise<void>[] = [];
    const imgs = tiles(shown, writes, true);
    await Promise.all(writes);
    tick(members.length);
    const more = members.length - shown.length;
    return `<section id="seen-once"><h2>Seen once <small>${count(members.length, 'face')}, each a cluster of its own (clusters ${clusterName(once[0]!.cluster)}–${clusterName(once.at(-1)!.cluster)})</small></h2><div class="grid">${imgs.join('')}</div>${more > 0 ? `<p>… and ${more} more faces (see the xlsx)</p>` : ''}</section>`;
  };
  // a few clusters at a time keep sharp's threads and the disk busy without holding every sheet in memory
  const sections: string[] = new Array(several.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(4, several.length) }, async () => {
    while (next < several.length) {
      const k = next++;
      sections[k] = await section(several[k]!);
    }
  }));
  if (once.length) {
    const at = several.findIndex((c) => c.cluster < 0);
    sections.splice(at < 0 ? sections.length : at, 0, await seenOnce());
  }
  const p = r.params as unknown as Record<string, unknown>;
  const params = Object.entries(p).map(([k, v]) => `${escapeHtml(k)}=${escapeHtml(String(v))}`).join(', ');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h2{font-size:16px;margin:1.4em 0 .4em}h2 small{color:#666;font-weight:normal}h2 a{font-size:12px;font-weight:normal;margin-left:1em}
.grid{display:flex;flex-wrap:wrap;gap:4px}.grid img{width:96px;height:96px;border-radius:3px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${count(r.faces.length, 'face')} in ${count(r.images, 'photo')}: <b>${count(r.clusters, 'cluster')}</b>, ${r.noise} in no_class${r.skipped.length ? `, ${count(r.skipped.length, 'file')} skipped` : ''}.<br>
${r.method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'}: ${params}; model ${escapeHtml(r.model)}.</p>
${sections.join('\n')}
</body></html>
`;
  const page = path.join(dir, 'report.html');
  await writeNewFile(page, html);
  return page;
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
