/**
 * `faceclust eval`: scores a clustering call (its xlsx, the record of what it decided for every face)
 * against ground truth, and adds the scores to that xlsx as a sheet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { evaluate, type Evaluation } from '@faceclust/cluster';
import ExcelJS from 'exceljs';
import { labelledOnly, loadTruth, type TruthSource } from './ground-truth.js';
import { UsageError } from './options.js';
import { partialName } from './output.js';

/** The sheet `faceclust eval` adds (replaced when eval runs again). */
export const EVAL_SHEET = 'evaluation';
const CALL_XLSX = /^clusters-(\d+)-.*\.xlsx$/;

/** The xlsx of call `call` in `out`, or of the latest call when `call` is undefined. */
export function findCallXlsx(out: string, call?: number): { call: number; file: string } {
  const found = fs.existsSync(out)
    ? fs.readdirSync(out).flatMap((name) => {
        const m = CALL_XLSX.exec(name);
        return m ? [{ call: Number(m[1]), file: path.join(out, name) }] : [];
      })
    : [];
  if (call !== undefined) {
    const hit = found.find((f) => f.call === call);
    if (!hit) {
      throw new UsageError(`No clustering call ${call} in ${out}${found.length ? ` (calls: ${found.map((f) => f.call).sort((a, b) => a - b).join(', ')})` : ''}`);
    }
    return hit;
  }
  if (found.length === 0) throw new UsageError(`No clustering call in ${out}: run \`faceclust cluster cw --out ${JSON.stringify(out)}\` first`);
  return found.reduce((a, b) => (b.call > a.call ? b : a));
}

/** The faces of a call's xlsx: photo, face index, cluster (−1 for no_class). */
export async function readCallFaces(file: string): Promise<{ files: string[]; faces: number[]; labels: Int32Array }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('faces');
  if (!ws) throw new UsageError(`${file} has no "faces" sheet: is it a faceclust workbook?`);
  const header = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
  const col = (name: string) => {
    const c = header.indexOf(name);
    if (c < 1) throw new UsageError(`${file}: the faces sheet has no "${name}" column`);
    return c;
  };
  const [fileCol, faceCol, clusterCol] = [col('file'), col('face'), col('cluster')];
  const files: string[] = [];
  const faces: number[] = [];
  const labels: number[] = [];
  ws.eachRow((row, i) => {
    if (i === 1) return;
    files.push(String(row.getCell(fileCol).value));
    faces.push(Number(row.getCell(faceCol).value));
    const c = row.getCell(clusterCol).value;
    labels.push(c === 'no_class' ? -1 : Number(c));
  });
  return { files, faces, labels: Int32Array.from(labels) };
}

export interface EvalResult {
  call: number;
  xlsx: string;
  faces: number;
  /** Faces scored (those whose photo has an identity). */
  scored: number;
  unlabelled: number;
  identities: number;
  truthSource: string;
  evaluation: Evaluation;
}

/** Scores call `call` (default: the latest) in `out` against `truth`. */
export async function evaluateCall(out: string, truth: TruthSource, call?: number): Promise<EvalResult> {
  const hit = findCallXlsx(out, call);
  const { files, labels } = await readCallFaces(hit.file);
  const t = loadTruth(files, truth);
  if (t.identities === 0) throw new UsageError(`No face of call ${hit.call} has an identity in ${t.source}`);
  const only = labelledOnly(labels, t.labels);
  return {
    call: hit.call, xlsx: hit.file, faces: files.length, scored: only.truth.length, unlabelled: t.unlabelled, identities: t.identities,
    truthSource: t.source, evaluation: evaluate(only.labels, only.truth),
  };
}

/** Rows of the scores table: name, value, what it means. */
export function evalRows(r: EvalResult): [string, number | string, string][] {
  const e = r.evaluation;
  const f = (v: number) => Number(v.toFixed(4));
  return [
    ['pairwise precision', f(e.pairwise.precision), 'of the pairs of faces put in one cluster, the share that are one person'],
    ['pairwise recall', f(e.pairwise.recall), 'of the pairs of faces of one person, the share put in one cluster'],
    ['pairwise F', f(e.pairwise.f), 'harmonic mean of the two'],
    ['BCubed precision', f(e.bcubed.precision), 'per face: share of its cluster that is its person, averaged'],
    ['BCubed recall', f(e.bcubed.recall), 'per face: share of its person that is in its cluster, averaged'],
    ['BCubed F', f(e.bcubed.f), 'harmonic mean of the two'],
    ['NMI', f(e.nmi), 'normalised mutual information (arithmetic mean), 1 = same partition'],
    ['ARI', f(e.ari), 'adjusted Rand index, 0 = chance, 1 = same partition'],
    ['clusters', e.clusters, 'predicted, each no_class face counted as its own'],
    ['people', r.identities, 'distinct identities in the ground truth'],
    ['faces scored', r.scored, r.unlabelled ? `${r.unlabelled} faces without identity left out` : 'every face'],
    ['ground truth', r.truthSource, ''],
  ];
}

/** The scores table for the terminal and log.txt. */
export function evalTable(r: EvalResult): string {
  const rows = evalRows(r);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Adds (or replaces) the evaluation sheet of the call's xlsx; written beside and renamed, never half-written. */
export async function addEvalSheet(r: EvalResult, command: string, when: Date): Promise<void> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(r.xlsx);
  const old = wb.getWorksheet(EVAL_SHEET);
  if (old) wb.removeWorksheet(old.id);
  const ws = wb.addWorksheet(EVAL_SHEET);
  ws.columns = [
    { header: 'score', key: 'k', width: 22 },
    { header: 'value', key: 'v', width: 14 },
    { header: 'meaning', key: 'm', width: 80 },
  ];
  for (const [k, v, m] of evalRows(r)) ws.addRow({ k, v, m });
  ws.addRow({});
  ws.addRow({ k: 'command', v: command });
  ws.addRow({ k: 'evaluated', v: when.toISOString() });
  const tmp = partialName(r.xlsx);
  await wb.xlsx.writeFile(tmp);
  fs.renameSync(tmp, r.xlsx);
}
