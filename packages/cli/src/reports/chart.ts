/**
 * Charts for `faceclust tune`, drawn without a browser: an SVG string built here, rasterised to PNG by
 * sharp (librsvg). The sweep chart plots counts and, with ground truth, scores against the threshold; the
 * k-distance chart is DBSCAN's classic aid for choosing eps.
 */
import sharp from 'sharp';
import { writeNewFile } from '../output.js';

/** The fields of a sweep row the chart draws (a `SweepRow` of @faceclust/cluster fits). */
export interface ChartRow {
  threshold: number;
  clusters: number;
  noise: number;
  largest: number;
  singletons: number;
  pairwiseF?: number;
  bcubedF?: number;
}

export interface ChartSize {
  width?: number;
  height?: number;
}

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const COUNT_SERIES = [
  ['clusters', '#1f77b4'],
  ['noise', '#7f7f7f'],
  ['largest', '#d62728'],
  ['singletons', '#ff7f0e'],
] as const;
const SCORE_SERIES = [
  ['pairwiseF', '#2ca02c'],
  ['bcubedF', '#9467bd'],
] as const;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Round "nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, 21st … */
export function ordinal(k: number): string {
  const tens = k % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k}${suffix}`;
}

function fmt(v: number): string {
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(1);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

interface Panel {
  x: number;
  y: number;
  w: number;
  h: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

const px = (p: Panel, v: number) => p.x + ((v - p.xMin) / (p.xMax - p.xMin || 1)) * p.w;
const py = (p: Panel, v: number) => p.y + p.h - ((v - p.yMin) / (p.yMax - p.yMin || 1)) * p.h;

function axes(p: Panel, yLabel: string, xLabel: string | undefined): string {
  const parts: string[] = [`<rect x="${p.x}" y="${p.y}" width="${p.w}" height="${p.h}" fill="#fff" stroke="#888"/>`];
  for (const t of ticks(p.yMin, p.yMax, 5)) {
    const y = py(p, t).toFixed(1);
    parts.push(`<line x1="${p.x}" x2="${p.x + p.w}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${p.x - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(p.xMin, p.xMax, 8)) {
    const x = px(p, t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${p.y}" y2="${p.y + p.h}" stroke="#f3f3f3"/>`);
    parts.push(`<text x="${x}" y="${p.y + p.h + 14}" font-size="11" text-anchor="middle">${fmt(t)}</text>`);
  }
  const cy = p.y + p.h / 2;
  parts.push(`<text x="${p.x - 46}" y="${cy}" font-size="12" text-anchor="middle" transform="rotate(-90 ${p.x - 46} ${cy})">${esc(yLabel)}</text>`);
  if (xLabel) parts.push(`<text x="${p.x + p.w / 2}" y="${p.y + p.h + 32}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  return parts.join('\n');
}

function polyline(p: Panel, xs: number[], ys: (number | undefined)[], color: string): string {
  const pts = xs.flatMap((x, i) => (ys[i] === undefined || !Number.isFinite(ys[i]) ? [] : [`${px(p, x).toFixed(1)},${py(p, ys[i]!).toFixed(1)}`]));
  if (pts.length === 0) return '';
  const dots = pts.length <= 60 ? pts.map((pt) => `<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="2.2" fill="${color}"/>`).join('') : '';
  return `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`;
}

function legend(x: number, y: number, items: readonly (readonly [string, string])[]): string {
  return items
    .map(([label, color], i) => {
      const lx = x + i * 118;
      return `<line x1="${lx}" x2="${lx + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"/><text x="${lx + 23}" y="${y}" font-size="12" dominant-baseline="middle">${esc(label)}</text>`;
    })
    .join('\n');
}

function marker(p: Panel, value: number | undefined, label: string): string {
  if (value === undefined || !Number.isFinite(value) || value < p.xMin || value > p.xMax) return '';
  const x = px(p, value).toFixed(1);
  return `<line x1="${x}" x2="${x}" y1="${p.y}" y2="${p.y + p.h}" stroke="#000" stroke-dasharray="5,4" stroke-width="1.5"/>` +
    (label ? `<text x="${Number(x) + 4}" y="${p.y + 13}" font-size="12" font-weight="bold">${esc(label)}</text>` : '');
}

/**
 * The sweep chart as SVG: clusters, noise, largest cluster and singletons against the threshold (top
 * panel) and, when the rows carry scores, pairwise and BCubed F (bottom panel, 0–1); the suggested
 * threshold as a dashed line in both.
 */
export function sweepChartSvg(rows: readonly ChartRow[], opts: ChartSize & { title: string; xLabel: string; suggested?: number }): string {
  const width = opts.width ?? 960;
  const height = opts.height ?? 640;
  const sorted = [...rows].sort((a, b) => a.threshold - b.threshold);
  const xs = sorted.map((r) => r.threshold);
  let xMin = Math.min(...xs);
  let xMax = Math.max(...xs);
  if (opts.suggested !== undefined && Number.isFinite(opts.suggested)) {
    xMin = Math.min(xMin, opts.suggested);
    xMax = Math.max(xMax, opts.suggested);
  }
  if (xMax === xMin) {
    xMin -= 0.05;
    xMax += 0.05;
  }
  const scored = sorted.some((r) => r.pairwiseF !== undefined || r.bcubedF !== undefined);
  const left = 74;
  const right = 24;
  const top = 64;
  const gap = 46;
  const bottom = 48;
  const plotH = height - top - bottom - (scored ? gap : 0);
  const countH = scored ? Math.round(plotH * 0.58) : plotH;
  const yMax = Math.max(1, ...sorted.flatMap((r) => [r.clusters, r.noise, r.largest, r.singletons]));
  const counts: Panel = { x: left, y: top, w: width - left - right, h: countH, xMin, xMax, yMin: 0, yMax: ticks(0, yMax, 5).at(-1)! < yMax ? yMax * 1.05 : ticks(0, yMax, 5).at(-1)! };
  const label = opts.suggested === undefined ? '' : `suggested ${fmt(opts.suggested)}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
    legend(left, 46, scored ? [...COUNT_SERIES, ...SCORE_SERIES] : COUNT_SERIES),
    axes(counts, 'faces / clusters', scored ? undefined : opts.xLabel),
    ...COUNT_SERIES.map(([key, color]) => polyline(counts, xs, sorted.map((r) => r[key]), color)),
    marker(counts, opts.suggested, label),
  ];
  if (scored) {
    const scores: Panel = { x: left, y: top + countH + gap, w: counts.w, h: plotH - countH, xMin, xMax, yMin: 0, yMax: 1 };
    parts.push(
      axes(scores, 'F score', opts.xLabel),
      ...SCORE_SERIES.map(([key, color]) => polyline(scores, xs, sorted.map((r) => r[key]), color)),
      marker(scores, opts.suggested, ''),
    );
  }
  parts.push('</svg>');
  return parts.filter(Boolean).join('\n');
}

/**
 * DBSCAN's k-distance plot as SVG: every face's distance to its k-th neighbour (itself the 1st, k =
 * minSamples), sorted ascending; a face is a core point at eps exactly when its value is <= eps, so the
 * dashed line at the suggested eps shows how many faces would be core. Infinite values (beyond the graph
 * the sweep built) are drawn at the top edge.
 */
export function kDistanceChartSvg(kDistances: ArrayLike<number>, opts: ChartSize & { k: number; title: string; suggested?: number; cap?: number }): string {
  const width = opts.width ?? 960;
  const height = opts.height ?? 420;
  const values = Float64Array.from(kDistances).sort();
  const n = values.length;
  const finite = values.filter((v) => Number.isFinite(v));
  const capped = n - finite.length;
  const top = Math.max(opts.cap ?? 0, finite.length ? finite[finite.length - 1] : 1, opts.suggested ?? 0);
  const left = 74;
  const p: Panel = { x: left, y: 56, w: width - left - 24, h: height - 56 - 48, xMin: 0, xMax: Math.max(1, n - 1), yMin: 0, yMax: ticks(0, top, 5).at(-1)! < top ? top : ticks(0, top, 5).at(-1)! };
  // at most ~2 points per pixel column: a 500k-face plot stays a small SVG
  const stride = Math.max(1, Math.floor(n / (p.w * 2)));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i += stride) {
    xs.push(i);
    ys.push(Number.isFinite(values[i]) ? values[i] : p.yMax);
  }
  if (n > 0 && xs[xs.length - 1] !== n - 1) {
    xs.push(n - 1);
    ys.push(Number.isFinite(values[n - 1]) ? values[n - 1] : p.yMax);
  }
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#fafafa"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
    `<text x="${left}" y="44" font-size="12">distance to the ${ordinal(opts.k)} neighbour (the face itself is the 1st), sorted${capped ? `; ${capped} beyond ${fmt(top)} drawn at the top` : ''}</text>`,
    axes(p, `${opts.k}-distance`, 'faces, sorted by k-distance'),
    polyline(p, xs, ys, '#1f77b4'),
  ];
  if (opts.suggested !== undefined && Number.isFinite(opts.suggested)) {
    const y = py(p, opts.suggested).toFixed(1);
    const core = values.filter((v) => v <= opts.suggested!).length;
    parts.push(
      `<line x1="${p.x}" x2="${p.x + p.w}" y1="${y}" y2="${y}" stroke="#000" stroke-dasharray="5,4" stroke-width="1.5"/>`,
      `<text x="${p.x + 6}" y="${Number(y) - 6}" font-size="12" font-weight="bold">suggested eps ${fmt(opts.suggested)}: ${core} of ${n} faces core</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Rasterises an SVG string to a new PNG file (never over an existing one); returns its size in pixels. */
export async function writePng(svg: string, file: string): Promise<{ width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
  await writeNewFile(file, data);
  return { width: info.width, height: info.height };
}
