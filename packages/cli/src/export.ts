/**
 * `faceclust export`: the folder's people for other programs. csv and json list every face of every person
 * (id, name, photo, box, score); xmp writes one sidecar per photo with its named faces as MWG face regions
 * (Metadata Working Group "Regions" schema), which digiKam, Lightroom Classic and photo servers import.
 *
 * Sidecars go into a folder that mirrors the photos' folders, never beside the photos unless asked; an .xmp
 * that faceclust did not write, or that someone changed since, is never replaced (the export refuses and
 * names it). Every file is written under a temporary name and renamed, so none is ever half-written.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { checkParam, type ParamSpec } from '@faceclust/cluster';
import { FaceStore } from '@faceclust/embed';
import sharp from 'sharp';
import { UsageError } from './options.js';
import { makeDirs, STORE_FILE } from './output.js';
import { listPeople } from './people.js';
import { appendLog, count } from './reports/log.js';

export type ExportFormat = 'csv' | 'json' | 'xmp';
/** `ext`: `IMG_1.jpg.xmp` (darktable, digiKam); `replace`: `IMG_1.xmp` (Lightroom). */
export type SidecarName = 'ext' | 'replace';

/** The choice options of an export, declared once: the API checks them, the CLI parses its flags with them. */
export const EXPORT_PARAMS = {
  format: { name: 'format', flag: '--format', rule: { kind: 'choice', choices: ['csv', 'json', 'xmp'] }, doc: 'what to write: csv or json (a row per face of a person), xmp (a sidecar per photo with MWG face regions)' },
  sidecarName: { name: 'sidecarName', flag: '--sidecar-name', rule: { kind: 'choice', choices: ['ext', 'replace'] }, default: 'ext', doc: 'xmp: IMG_1.jpg.xmp (ext: darktable, digiKam) or IMG_1.xmp (replace: Lightroom)' },
} as const satisfies Record<string, ParamSpec>;

export interface ExportOptions {
  format: ExportFormat;
  /**
   * csv, json: the file to write (replaced whole); without it the text is returned in `text`. xmp: the folder
   * that mirrors the photos' folders (default `<out>/xmp`).
   */
  to?: string;
  /** xmp: write each sidecar beside its photo instead (never replacing an .xmp faceclust did not write). */
  nextToPhotos?: boolean;
  /** Only the faces of named people. Default: false for csv and json, true for xmp (an unnamed person's regions would be named `person <id>`). */
  onlyNamed?: boolean;
  /** xmp: how a sidecar is named (default `ext`). */
  sidecarName?: SidecarName;
  /** The command line, for log.txt. */
  command?: string;
}

export interface ExportSummary {
  format: ExportFormat;
  /** People with at least one face exported. */
  people: number;
  /** Faces exported: csv/json rows, xmp regions. */
  faces: number;
  /** Photos those faces are in. */
  photos: number;
  /** The file or folder written; null when the text is returned in `text`. */
  to: string | null;
  /** Files written (csv/json: `to`; xmp: each sidecar written or rewritten). */
  files: string[];
  /** xmp: sidecars that already held exactly this content (left alone). */
  unchanged: string[];
  /** xmp: sidecars faceclust wrote earlier for photos that now have no exported face, removed. */
  removed: string[];
  /** xmp: photos left out, with the reason (gone from disk, unreadable). */
  skipped: { path: string; reason: string }[];
  /** xmp without `nextToPhotos`: the folder whose tree is mirrored under `to` (the deepest one holding every photo in the store). */
  root?: string;
  /** csv and json without `to`: what would have been written. */
  text?: string;
}

/** One face of a person, as every format renders it. */
interface ExportFace {
  person: number;
  name: string | null;
  faceId: number;
  file: string;
  face: number;
  box: [x: number, y: number, width: number, height: number];
  score: number;
}

/** Namespaces of the sidecars: the MWG regions schema and its two structure types, and faceclust's mark. */
export const XMP_NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  'mwg-rs': 'http://www.metadataworkinggroup.com/schemas/regions/',
  stArea: 'http://ns.adobe.com/xmp/sType/Area#',
  stDim: 'http://ns.adobe.com/xap/1.0/sType/Dimensions#',
  faceclust: 'https://github.com/faceclust/faceclust/ns/xmp/1.0/',
} as const;

const { version } = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Exports the people of the output folder `out`, largest first as `faceclust people` lists them. Reads the
 * store only (no write lock); xmp writes outside it (`<out>/xmp`, `to`, or beside the photos).
 */
export async function exportPeople(out: string, opts: ExportOptions): Promise<ExportSummary> {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`Expected an options object for opts but received ${String(opts)}`);
  const format = checkParam<ExportFormat>(EXPORT_PARAMS.format, opts.format);
  const sidecarName = checkParam<SidecarName>(EXPORT_PARAMS.sidecarName, opts.sidecarName ?? EXPORT_PARAMS.sidecarName.default);
  if (opts.to !== undefined && (typeof opts.to !== 'string' || opts.to === '')) throw new TypeError(`Expected a path for to but received ${JSON.stringify(opts.to)}`);
  for (const key of ['nextToPhotos', 'onlyNamed'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean') throw new TypeError(`Expected ${key} to be a boolean but received ${JSON.stringify(opts[key])}`);
  }
  if (format !== 'xmp' && opts.nextToPhotos) throw new UsageError('--next-to-photos applies to --format xmp only');
  if (opts.nextToPhotos && opts.to !== undefined) throw new UsageError('--to and --next-to-photos exclude each other: sidecars go either into the folder given or beside the photos');
  const onlyNamed = opts.onlyNamed ?? format === 'xmp';

  const dir = path.resolve(out);
  const people = listPeople(out).filter((p) => !onlyNamed || p.name !== null);
  const store = FaceStore.open(path.join(dir, STORE_FILE));
  let faces: ExportFace[];
  let sizes: Map<string, { width: number; height: number }>;
  let storePhotos: string[];
  try {
    const info = new Map<number, { box: [number, number, number, number]; score: number }>();
    for (const model of store.listModels()) for (const f of store.loadFaces(model.id).faces) info.set(f.id, { box: f.box, score: f.score });
    faces = people.flatMap((p) => p.faces.filter((f) => info.has(f.faceId)).map((f) => ({ person: p.id, name: p.name, faceId: f.faceId, file: f.file, face: f.face, ...info.get(f.faceId)! })));
    sizes = format === 'xmp' ? store.imageSizes() : new Map();
    storePhotos = format === 'xmp' ? [...new Set(store.listImages().map((i) => i.path))] : [];
  } finally {
    store.close();
  }
  if (format !== 'xmp') {
    const counts = { format, people: new Set(faces.map((f) => f.person)).size, faces: faces.length, photos: new Set(faces.map((f) => f.file)).size };
    const text = format === 'csv' ? toCsv(faces) : toJsonText(faces);
    if (opts.to === undefined) return { ...counts, to: null, files: [], unchanged: [], removed: [], skipped: [], text };
    const file = path.resolve(opts.to);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`--to ${file} is a folder: give a file name for --format ${format}`);
    makeDirs(path.dirname(file));
    writeAtomic(file, text, 'replace');
    log(dir, opts, `export: ${format}`, [['to', file], ['people', `${count(counts.people, 'person', 'people')}, ${count(counts.faces, 'face')} in ${count(counts.photos, 'photo')}`]]);
    return { ...counts, to: file, files: [file], unchanged: [], removed: [], skipped: [] };
  }
  return exportXmp(dir, faces, sizes, storePhotos, { ...opts, sidecarName, onlyNamed });
}

// ---------------------------------------------------------------------------------------------- csv, json

/** The csv columns, in order. */
export const CSV_COLUMNS = ['person', 'name', 'file', 'face', 'face_id', 'x', 'y', 'width', 'height', 'score'] as const;

/** One RFC 4180 field: quoted when it holds a comma, a quote or a line break, quotes doubled. */
function csvField(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180: a header, CRLF line ends (the last line too), UTF-8 without a BOM. */
function toCsv(faces: ExportFace[]): string {
  const rows = [CSV_COLUMNS as readonly (string | number | null)[], ...faces.map((f) => [f.person, f.name, f.file, f.face, f.faceId, ...f.box, f.score])];
  return rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

function toJsonText(faces: ExportFace[]): string {
  const people: { id: number; name: string | null; faces: { faceId: number; file: string; face: number; box: { x: number; y: number; width: number; height: number }; score: number }[] }[] = [];
  for (const f of faces) {
    if (people.at(-1)?.id !== f.person) people.push({ id: f.person, name: f.name, faces: [] });
    const [x, y, width, height] = f.box;
    people.at(-1)!.faces.push({ faceId: f.faceId, file: f.file, face: f.face, box: { x, y, width, height }, score: f.score });
  }
  return `${JSON.stringify({ people })}\n`;
}

// ---------------------------------------------------------------------------------------------- xmp

/** Escapes text for an XML attribute value; characters XML 1.0 cannot hold are dropped, line breaks kept as references. */
export function xmlAttr(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"'\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);
}

/** A normalised coordinate as XMP Real: plain decimal (never `1e-7`), 12 places at most. */
function real(v: number): string {
  const s = v.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** The face regions of one photo, in its displayed size. */
export interface SidecarRegion {
  name: string;
  /** x, y, width, height in the photo's displayed pixels. */
  box: [number, number, number, number];
}

const DIGEST = /faceclust:Digest="sha256:([0-9a-f]{64})"/;
const DIGEST_EMPTY = 'faceclust:Digest=""';

/**
 * The XMP sidecar of one photo: an MWG Regions struct (AppliedToDimensions in pixels, one Face region per
 * box with its name and the box's centre and size normalised to the photo) and faceclust's mark, whose
 * digest of the whole text tells later exports that the file is still exactly what faceclust wrote.
 * Boxes reaching past the photo's edge are clipped to it (MWG areas lie within [0, 1]).
 */
export function sidecarXml(size: { width: number; height: number }, regions: SidecarRegion[]): string {
  const { width: W, height: H } = size;
  const items = regions.map(({ name, box: [x, y, w, h] }) => {
    const x0 = Math.min(Math.max(x, 0), W), y0 = Math.min(Math.max(y, 0), H);
    const x1 = Math.min(Math.max(x + w, 0), W), y1 = Math.min(Math.max(y + h, 0), H);
    return [
      '      <rdf:li>',
      `       <rdf:Description mwg-rs:Name="${xmlAttr(name)}" mwg-rs:Type="Face">`,
      `        <mwg-rs:Area stArea:x="${real((x0 + x1) / 2 / W)}" stArea:y="${real((y0 + y1) / 2 / H)}" stArea:w="${real((x1 - x0) / W)}" stArea:h="${real((y1 - y0) / H)}" stArea:unit="normalized"/>`,
      '       </rdf:Description>',
      '      </rdf:li>',
    ].join('\n');
  });
  const text = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<x:xmpmeta xmlns:x="${XMP_NS.x}" x:xmptk="faceclust ${xmlAttr(version)}">`,
    ` <rdf:RDF xmlns:rdf="${XMP_NS.rdf}">`,
    '  <rdf:Description rdf:about=""',
    `    xmlns:mwg-rs="${XMP_NS['mwg-rs']}"`,
    `    xmlns:stArea="${XMP_NS.stArea}"`,
    `    xmlns:stDim="${XMP_NS.stDim}"`,
    `    xmlns:faceclust="${XMP_NS.faceclust}"`,
    `    faceclust:Writer="faceclust ${xmlAttr(version)}" ${DIGEST_EMPTY}>`,
    '   <mwg-rs:Regions rdf:parseType="Resource">',
    `    <mwg-rs:AppliedToDimensions stDim:w="${W}" stDim:h="${H}" stDim:unit="pixel"/>`,
    '    <mwg-rs:RegionList>',
    '     <rdf:Bag>',
    ...items,
    '     </rdf:Bag>',
    '    </mwg-rs:RegionList>',
    '   </mwg-rs:Regions>',
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '',
  ].join('\n');
  return text.replace(DIGEST_EMPTY, `faceclust:Digest="sha256:${sha256(text)}"`);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Whether `text` is a sidecar faceclust wrote and nobody changed since: its mark's digest matches. */
export function isOwnSidecar(text: string): boolean {
  const m = DIGEST.exec(text);
  return m !== null && text.includes(XMP_NS.faceclust) && sha256(text.replace(DIGEST, DIGEST_EMPTY)) === m[1];
}

/** The deepest folder holding every one of `files` (absolute paths). */
function commonFolder(files: string[]): string {
  let parts = path.dirname(files[0]!).split(path.sep);
  for (const f of files.slice(1)) {
    const other = path.dirname(f).split(path.sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}

/** `IMG_1.jpg` → `IMG_1.jpg.xmp` (ext) or `IMG_1.xmp` (replace). */
function sidecarBase(photo: string, naming: SidecarName): string {
  const base = path.basename(photo);
  return naming === 'ext' ? `${base}.xmp` : `${path.basename(base, path.extname(base))}.xmp`;
}

/** The displayed size of a photo stored before sizes were kept: read from the file. */
async function readSize(photo: string): Promise<{ width: number; height: number }> {
  const m = await sharp(photo).metadata();
  if (m.autoOrient?.width && m.autoOrient.height) return { width: m.autoOrient.width, height: m.autoOrient.height };
  const swap = (m.orientation ?? 1) >= 5;
  const w = m.width!, h = m.pageHeight ?? m.height!;
  return swap ? { width: h, height: w } : { width: w, height: h };
}

type Existing = 'absent' | 'same' | 'own' | 'foreign';

function existing(file: string, content?: string): Existing {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return 'foreign'; // a folder, or a file we cannot read: not ours to replace
  }
  if (content !== undefined && text === content) return 'same';
  return isOwnSidecar(text) ? 'own' : 'foreign';
}

async function exportXmp(
  dir: string,
  faces: ExportFace[],
  sizes: Map<string, { width: number; height: number }>,
  storePhotos: string[],
  opts: ExportOptions & { sidecarName: SidecarName; onlyNamed: boolean },
): Promise<ExportSummary> {
  const next = opts.nextToPhotos === true;
  const to = next ? undefined : path.resolve(opts.to ?? path.join(dir, 'xmp'));
  if (to !== undefined && fs.existsSync(to) && !fs.statSync(to).isDirectory()) throw new UsageError(`--to ${to} is a file: give a folder for --format xmp`);
  const root = storePhotos.length ? commonFolder(storePhotos) : path.sep;
  const target = (photo: string) => path.join(next ? path.dirname(photo) : path.join(to!, path.relative(root, path.dirname(photo))), sidecarBase(photo, opts.sidecarName));

  const byPhoto = new Map<string, ExportFace[]>();
  for (const f of faces) byPhoto.set(f.file, [...(byPhoto.get(f.file) ?? []), f]);
  const skipped: ExportSummary['skipped'] = [];
  const plans: { photo: string; file: string; content: string; state: Existing; people: number[] }[] = [];
  for (const [photo, list] of [...byPhoto].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!fs.existsSync(photo)) {
      skipped.push({ path: photo, reason: 'no longer found (faceclust prune forgets it)' });
      continue;
    }
    let size = sizes.get(photo);
    if (!size) {
      try {
        size = await readSize(photo);
      } catch (err) {
        skipped.push({ path: photo, reason: `could not read its size: ${(err as Error).message}` });
        continue;
      }
    }
    const file = target(photo);
    if (!next && path.dirname(file) === path.dirname(photo)) {
      throw new UsageError(`--to ${to} would put the sidecars beside the photos (${file}): give --next-to-photos to mean that, or another --to`);
    }
    const regions = list.sort((a, b) => a.face - b.face).map((f) => ({ name: f.name ?? `person ${f.person}`, box: f.box }));
    const content = sidecarXml(size, regions);
    plans.push({ photo, file, content, state: existing(file, content), people: list.map((f) => f.person) });
  }

  // check everything before writing anything: two photos on one sidecar, or an .xmp that is not ours
  const byFile = new Map<string, string>();
  for (const p of plans) {
    const other = byFile.get(p.file);
    if (other) throw new UsageError(`${other} and ${p.photo} would share the sidecar ${p.file}: use --sidecar-name ext (IMG_1.jpg.xmp)`);
    byFile.set(p.file, p.photo);
  }
  const foreign = plans.filter((p) => p.state === 'foreign').map((p) => p.file);
  if (foreign.length) {
    throw new UsageError(
      `${count(foreign.length, 'sidecar')} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not written by faceclust (or changed since); faceclust never replaces them, so nothing was written:\n` +
        `${foreign.slice(0, 20).map((f) => `  ${f}`).join('\n')}${foreign.length > 20 ? `\n  … ${foreign.length - 20} more` : ''}\n` +
        'Move them away, or export into a folder of its own (without --next-to-photos).',
    );
  }

  // what the sidecars hold: photos gone from disk or unreadable are not counted
  const counts = { format: 'xmp' as const, people: new Set(plans.flatMap((p) => p.people)).size, faces: plans.reduce((s, p) => s + p.people.length, 0), photos: plans.length };
  const files: string[] = [];
  const unchanged: string[] = [];
  for (const p of plans) {
    if (p.state === 'same') {
      unchanged.push(p.file);
      continue;
    }
    makeDirs(path.dirname(p.file));
    writeAtomic(p.file, p.content, p.state === 'own' ? 'replace' : 'create');
    files.push(p.file);
  }
  // sidecars of ours for photos that no longer have an exported face (a name removed, a face moved) would say what is no longer so
  const removed: string[] = [];
  for (const photo of storePhotos) {
    if (byPhoto.has(photo)) continue;
    const file = target(photo);
    if (byFile.has(file) || existing(file) !== 'own') continue;
    fs.rmSync(file);
    removed.push(file);
  }
  log(dir, opts, 'export: xmp', [
    ['to', next ? 'beside the photos' : `${to} (mirroring ${root})`],
    ['sidecars', `${files.length} written, ${unchanged.length} unchanged, ${removed.length} removed (naming: ${opts.sidecarName})`],
    ['regions', `${count(counts.faces, 'face')} of ${count(counts.people, 'person', 'people')} in ${count(counts.photos, 'photo')}${opts.onlyNamed ? ' (named people only)' : ''}`],
    ['skipped', skipped.map((s) => `${s.path}: ${s.reason}`).join('\n')],
  ]);
  return { ...counts, to: to ?? null, files, unchanged, removed, skipped, ...(next ? {} : { root }) };
}

/**
 * Writes `content` to `file` whole or not at all: under a hidden temporary name beside it, then renamed
 * (`replace`) or linked (`create`: fails rather than replace a file that appeared meanwhile).
 */
function writeAtomic(file: string, content: string, mode: 'create' | 'replace'): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  try {
    fs.writeFileSync(tmp, content, { flag: 'wx' });
    if (mode === 'replace') fs.renameSync(tmp, file);
    else {
      fs.linkSync(tmp, file);
      fs.rmSync(tmp);
    }
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EEXIST' ? `Could not write ${file}: it appeared while exporting, and faceclust does not replace a file it did not write` : `Could not write ${file}: ${code ?? (err as Error).message}`);
  }
}

/** Exports that write files say so in log.txt (one block); one that only returns text leaves no trace. */
function log(dir: string, opts: ExportOptions, title: string, entries: [string, string][]): void {
  appendLog(dir, title, new Date(), [['command', opts.command ?? 'exportPeople()'], ...entries]);
}
