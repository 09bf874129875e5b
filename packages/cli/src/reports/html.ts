/**
 * `report-<call>/report.html`: every cluster as a grid of its faces, largest first, with its size, and a
 * contact-sheet PNG per cluster made with sharp. Static files only: open it from disk, no server.
 * `<out>/report.html` is an index of every call's report, rebuilt from the folders on each call.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { clusterName, type ClusteringResult } from '../result.js';
import { imageExtension, type CropSource } from './crops.js';

const SHEET_THUMB = 96;
const LAZY_ABOVE = 1000;
/** A contact sheet shows at most this many faces (the page still shows all). */
export const MAX_SHEET_FACES = 600;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** One PNG grid of a cluster's faces. */
export async function contactSheet(faceIds: number[], crops: CropSource): Promise<Buffer> {
  const ids = faceIds.slice(0, MAX_SHEET_FACES);
  const cols = Math.min(ids.length, Math.max(4, Math.ceil(Math.sqrt(ids.length * 1.6))), 24);
  const rows = Math.ceil(ids.length / cols);
  const gap = 4;
  const tiles = await Promise.all(ids.map((id) => sharp(crops(id)).resize(SHEET_THUMB, SHEET_THUMB).png().toBuffer()));
  return sharp({
    create: { width: cols * (SHEET_THUMB + gap) + gap, height: rows * (SHEET_THUMB + gap) + gap, channels: 3, background: '#ffffff' },
  })
    .composite(tiles.map((input, k) => ({ input, left: gap + (k % cols) * (SHEET_THUMB + gap), top: gap + Math.floor(k / cols) * (SHEET_THUMB + gap) })))
    .png()
    .toBuffer();
}

/** Writes `dir/report.html`, `dir/faces/*` and `dir/sheets/cluster-*.png`; returns the page's path. */
export async function writeHtmlReport(dir: string, r: ClusteringResult, crops: CropSource, title: string): Promise<string> {
  fs.mkdirSync(path.join(dir, 'faces'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'sheets'), { recursive: true });
  const sections: string[] = [];
  // a big page loads its faces as they scroll into view; a small one all at once (and prints whole)
  const lazy = r.faces.length > LAZY_ABOVE ? ' loading="lazy"' : '';
  for (const c of r.summaries) {
    const name = clusterName(c.cluster);
    const sheet = `sheets/cluster-${name}.png`;
    await fs.promises.writeFile(path.join(dir, sheet), await contactSheet(c.members.map((i) => r.faces[i].faceId), crops));
    const imgs: string[] = [];
    for (const i of c.members) {
      const f = r.faces[i];
      const bytes = crops(f.faceId);
      const src = `faces/${f.faceId}.${imageExtension(bytes) === 'jpeg' ? 'jpg' : 'png'}`;
      await fs.promises.writeFile(path.join(dir, src), bytes);
      const tip = `${f.file} — face ${f.face}${f.distance === null ? '' : `, distance ${f.distance.toFixed(3)}`}`;
      imgs.push(`<img src="${src}" alt="${escapeHtml(path.basename(f.file))}" title="${escapeHtml(tip)}" width="96" height="96"${lazy} data-face="${f.faceId}">`);
    }
    const heading = c.cluster < 0 ? `no_class <small>${c.size} face${c.size === 1 ? '' : 's'} in no cluster</small>` : `Cluster ${name} <small>${c.size} face${c.size === 1 ? '' : 's'}</small>`;
    sections.push(`<section id="cluster-${name}"><h2>${heading} <a href="${sheet}">contact sheet</a></h2><div class="grid">${imgs.join('')}</div></section>`);
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
<p>${r.faces.length} faces in ${r.images} photos: <b>${r.clusters} clusters</b>, ${r.noise} in no_class${r.skipped.length ? `, ${r.skipped.length} files skipped` : ''}.<br>
${r.method === 'cw' ? 'Chinese Whispers' : 'DBSCAN'}: ${params}; model ${escapeHtml(r.model)}.</p>
${sections.join('\n')}
</body></html>
`;
  const page = path.join(dir, 'report.html');
  fs.writeFileSync(page, html);
  return page;
}

/** Rebuilds `<out>/report.html`, linking every `report-*` folder, newest first. */
export function writeReportIndex(out: string): string {
  const reports = fs.readdirSync(out).filter((d) => d.startsWith('report-') && fs.existsSync(path.join(out, d, 'report.html'))).sort().reverse();
  const items = reports.map((d) => `<li><a href="${encodeURI(d)}/report.html">${escapeHtml(d)}</a></li>`).join('\n');
  const file = path.join(out, 'report.html');
  fs.writeFileSync(file, `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>faceclust reports</title></head><body style="font:14px system-ui,sans-serif;margin:1.5em">\n<h1>faceclust reports</h1>\n<ul>\n${items}\n</ul>\n</body></html>\n`);
  return file;
}
