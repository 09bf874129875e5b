/**
 * One Excel workbook per clustering call (exceljs): `faces` (a row per face, with its thumbnail),
 * `clusters` (size, cohesion, representative), `parameters`, `skipped` files and photos with `no face`.
 */
import { once, type EventEmitter } from 'node:events';
import ExcelJS from 'exceljs';
import { partialName, publishFile } from '../output.js';
import { clusterName, type ClusteringResult } from '../result.js';
import { imageExtension, type CropSource } from './crops.js';

/** Thumbnails make the workbook heavy: past this many faces the faces sheet has none (noted in parameters). */
export const MAX_XLSX_THUMBNAILS = 5000;
const THUMB_PX = 48;

/** Photos read fine in which no face was found, one row each (after `skipped`). */
export const NO_FACE_SHEET = 'no face';

/**
 * `rejected`: why the quality gate sent the face to no_class (empty when it was clustered); `face_id`: the
 * store's id of the face, which the correction commands take (`faceclust move 123 --to 7`).
 */
export const FACE_COLUMNS = ['file', 'face', 'x', 'y', 'width', 'height', 'score', 'cluster', 'distance', 'thumbnail', 'rejected', 'person', 'name', 'face_id'] as const;

/** `tick` is called once per face row written (progress). */
export async function writeXlsx(file: string, r: ClusteringResult, crops: CropSource, extra: { command: string; created: Date }, tick: () => void = () => {}): Promise<void> {
  // written beside, then given its name only if that name is free: never half-written, never overwriting
  const tmp = partialName(file);
  const thumbs = r.faces.length <= MAX_XLSX_THUMBNAILS;
  // without thumbnails, stream rows to disk: a workbook of 500k faces must not be held in memory
  const streaming = !thumbs;
  const wb: ExcelJS.Workbook = streaming ? (new ExcelJS.stream.xlsx.WorkbookWriter({ filename: tmp, useStyles: false, useSharedStrings: false }) as unknown as ExcelJS.Workbook) : new ExcelJS.Workbook();
  wb.creator = 'faceclust';
  wb.created = extra.created;
  const add = (ws: ExcelJS.Worksheet, values: Record<string, unknown>): void => {
    const row = ws.addRow(values);
    if (streaming) row.commit();
  };
  const addThumb = (ws: ExcelJS.Worksheet, faceId: number, col: number, row: number): void => {
    const buffer = crops(faceId);
    // exceljs's Buffer type predates @types/node's generic Buffer
    const id = wb.addImage({ buffer: buffer as unknown as ExcelJS.Buffer, extension: imageExtension(buffer) });
    ws.addImage(id, { tl: { col, row }, ext: { width: THUMB_PX, height: THUMB_PX }, editAs: 'oneCell' });
    ws.getRow(row + 1).height = THUMB_PX * 0.75 + 2;
  };

  const faces = wb.addWorksheet('faces', { views: [{ state: 'frozen', ySplit: 1 }] });
  faces.columns = FACE_COLUMNS.map((header) => ({ header, key: header, width: header === 'file' ? 60 : header === 'thumbnail' ? 8 : header === 'rejected' ? 70 : 10 }));
  for (let i = 0; i < r.faces.length; i++) {
    const f = r.faces[i]!;
    add(faces, {
      file: f.file, face: f.face,
      x: round(f.box[0]), y: round(f.box[1]), width: round(f.box[2]), height: round(f.box[3]),
      score: round(f.score, 4), cluster: f.cluster < 0 ? 'no_class' : f.cluster,
      distance: f.distance === null ? null : round(f.distance, 4),
      rejected: f.rejected ?? null,
      person: f.person?.id ?? null,
      name: f.person?.name ?? null,
      face_id: f.faceId,
    });
    if (thumbs) addThumb(faces, f.faceId, 9, i + 1);
    tick();
    if (streaming && i % ROWS_PER_WAIT === ROWS_PER_WAIT - 1) await zipCaughtUp(faces);
  }

  const clusters = wb.addWorksheet('clusters', { views: [{ state: 'frozen', ySplit: 1 }] });
  clusters.columns = [
    { header: 'cluster', key: 'cluster', width: 10 },
    { header: 'size', key: 'size', width: 8 },
    { header: 'cohesion', key: 'cohesion', width: 10 },
    { header: 'representative file', key: 'file', width: 60 },
    { header: 'representative face', key: 'face', width: 10 },
    { header: 'thumbnail', key: 'thumbnail', width: 8 },
    { header: 'person', key: 'person', width: 8 },
    { header: 'name', key: 'name', width: 24 },
  ];
  r.summaries.forEach((c, i) => {
    const rep = r.faces[c.representative];
    add(clusters, { cluster: clusterName(c.cluster), size: c.size, cohesion: c.cohesion === null ? null : round(c.cohesion, 4), file: rep.file, face: rep.face, person: rep.person?.id ?? null, name: rep.person?.name ?? null });
    if (thumbs) addThumb(clusters, rep.faceId, 5, i + 1);
  });

  const params = wb.addWorksheet('parameters');
  params.columns = [{ header: 'parameter', key: 'k', width: 22 }, { header: 'value', key: 'v', width: 80 }];
  const rows: [string, unknown][] = [
    ['call', r.call], ['created', extra.created.toISOString()], ['command', extra.command],
    ['method', r.method === 'cw' ? 'chinese whispers' : 'dbscan'],
    ...Object.entries(r.params),
    ['backend used', r.backend], ['neighbors used', r.neighbors.used],
    ...Object.entries(r.neighbors.hnsw ?? {}).map(([k, v]): [string, unknown] => [`hnsw ${k}`, v]),
    ...(r.neighbors.index ? [['hnsw index', r.neighbors.index] as [string, unknown]] : []),
    ['model', r.model], ['images', r.images], ['faces', r.faces.length],
    ['clusters', r.clusters], ['no_class', r.noise],
    ['min face quality', r.gate.minFaceQuality ?? 'off'], ['min face size', r.gate.minFaceSize ?? 'off'], ['rejected by quality gate', r.gate.rejected], ['skipped files', r.skipped.length], ['photos with no face', r.noFace.length],
    ['cohesion', 'mean distance of a cluster\'s faces to its centre (mean embedding), in the clustering metric'],
    ['thumbnails', thumbs ? 'yes' : `omitted: more than ${MAX_XLSX_THUMBNAILS} faces`],
  ];
  for (const [k, v] of rows) add(params, { k, v: typeof v === 'object' ? JSON.stringify(v) : v });

  const skipped = wb.addWorksheet('skipped');
  skipped.columns = [{ header: 'file', key: 'path', width: 60 }, { header: 'reason', key: 'reason', width: 80 }];
  for (const s of r.skipped) add(skipped, { ...s });

  const noFace = wb.addWorksheet(NO_FACE_SHEET);
  noFace.columns = [{ header: 'file', key: 'file', width: 60 }];
  for (const file of r.noFace) add(noFace, { file });

  if (streaming) await (wb as unknown as ExcelJS.stream.xlsx.WorkbookWriter).commit();
  else await wb.xlsx.writeFile(tmp);
  publishFile(tmp, file);
}

/** Rows of the streamed faces sheet between two waits for the zip ({@link zipCaughtUp}). */
const ROWS_PER_WAIT = 2000;
/** Bytes the zip's input for a sheet may hold before the rows wait for it. */
const ZIP_BACKLOG = 4 << 20;

/**
 * Waits until the zip has taken in what a streamed sheet gave it. exceljs's sheet stream writes every block
 * into the zip's input for the sheet (a PassThrough of archiver's) whatever that already holds, and the
 * zip compresses only between turns of the event loop, more slowly than rows are made: without these waits
 * the whole faces sheet was held in memory until the commit, the more of it the busier the machine. exceljs and archiver offer no backpressure, so their streams' own state is read; where it is not
 * found, only the turn of the loop is given.
 */
async function zipCaughtUp(ws: ExcelJS.Worksheet): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  // the sheet stream (exceljs's StreamBuf) lists its consumers in `pipes` once the zip has reached it
  const sheet = (ws as unknown as { stream?: { pipes?: unknown[] } }).stream;
  for (const pipe of sheet?.pipes ?? []) {
    const state = (pipe as { _writableState?: { length?: unknown; needDrain?: unknown } })._writableState;
    if (typeof state?.length !== 'number') continue;
    while ((state.length as number) > ZIP_BACKLOG && state.needDrain === true) await once(pipe as EventEmitter, 'drain');
  }
}

function round(v: number, digits = 1): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
