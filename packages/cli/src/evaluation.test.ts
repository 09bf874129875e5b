import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '@faceclust/cluster';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { addEvalSheet, EVAL_SHEET, evalTable, evaluateCall, findCallXlsx } from './evaluation.js';
import { UsageError } from './options.js';
import { greyCrops, handMadeResult } from './reports/test-result.js';
import { FACE_COLUMNS, NO_FACE_SHEET, writeXlsx } from './reports/xlsx.js';
import { tempDir } from './test-helpers.js';

const dir = tempDir('faceclust eval ');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A workbook laid out as a clustering call writes it (faces sheet with the same columns, plus parameters). */
async function writeCall(name: string, rows: [string, number, number | 'no_class'][]) {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('faces');
  ws.columns = FACE_COLUMNS.map((header) => ({ header, key: header }));
  for (const [file, face, cluster] of rows) ws.addRow({ file, face, x: 0, y: 0, width: 10, height: 10, score: 0.9, cluster, distance: null });
  wb.addWorksheet('parameters').addRow(['method', 'cw']);
  await wb.xlsx.writeFile(path.join(dir, name));
}

describe('eval', () => {
  const rows: [string, number, number | 'no_class'][] = [
    ['/d/Ann/1.jpg', 0, 0], ['/d/Ann/2.jpg', 0, 0], ['/d/Ann/3.jpg', 0, 1],
    ['/d/Bob/1.jpg', 0, 1], ['/d/Bob/2.jpg', 0, 1], ['/d/Cy/1.jpg', 0, 'no_class'], ['/d/Cy/1.jpg', 1, 'no_class'],
  ];

  it('finds the latest or a named call', async () => {
    await writeCall('clusters-001-cw-t1.xlsx', rows);
    await writeCall('clusters-002-dbscan-e0.95-m2.xlsx', rows);
    expect(findCallXlsx(dir).call).toBe(2);
    expect(path.basename(findCallXlsx(dir, 1).file)).toBe('clusters-001-cw-t1.xlsx');
    expect(() => findCallXlsx(dir, 7)).toThrow(new UsageError(`No clustering call 7 in ${dir} (calls: 1, 2)`));
    expect(() => findCallXlsx(path.join(dir, 'nothing'))).toThrow(/No clustering call in/);
  });

  it('scores the call against folder names (no_class faces as clusters of one) and adds the sheet, replaced on a second run', async () => {
    const r = await evaluateCall(dir, 'folder', 1);
    const expected = evaluate(Int32Array.from([0, 0, 1, 1, 1, -1, -1]), Int32Array.from([0, 0, 0, 1, 1, 2, 2]));
    expect(r.evaluation).toEqual(expected);
    expect([r.faces, r.scored, r.identities]).toEqual([7, 7, 3]);
    expect(evalTable(r)).toContain(`pairwise F          ${Number(expected.pairwise.f.toFixed(4))}`);
    await addEvalSheet(r, 'faceclust eval', new Date(0));
    await addEvalSheet(r, 'faceclust eval', new Date(0));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(r.xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['faces', 'parameters', EVAL_SHEET]);
    const values = new Map<string, unknown>();
    wb.getWorksheet(EVAL_SHEET)!.eachRow((row) => values.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(values.get('BCubed F')).toBe(Number(expected.bcubed.f.toFixed(4)));
    expect(values.get('people')).toBe(3);
  });

  it('scores a workbook as a clustering call writes it, no face sheet included, and keeps every sheet when adding its own', async () => {
    const out = path.join(dir, 'call out');
    fs.mkdirSync(out);
    const faces: [string, number][] = [['/d/Ann/1.jpg', 0], ['/d/Ann/2.jpg', 0], ['/d/Bob/1.jpg', 1], ['/d/Bob/2.jpg', -1]];
    const xlsx = path.join(out, 'clusters-001-cw-t1.xlsx');
    await writeXlsx(xlsx, handMadeResult(faces, ['/d/Ann/sky.jpg', '/d/nobody.jpg']), await greyCrops(), { command: 'faceclust test', created: new Date(0) });
    const r = await evaluateCall(out, 'folder');
    expect(r.evaluation).toEqual(evaluate(Int32Array.from([0, 0, 1, -1]), Int32Array.from([0, 0, 1, 1])));
    expect([r.faces, r.scored, r.identities]).toEqual([4, 4, 2]);
    await addEvalSheet(r, 'faceclust eval', new Date(0));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['faces', 'clusters', 'parameters', 'skipped', NO_FACE_SHEET, EVAL_SHEET]);
    const noFace: unknown[] = [];
    wb.getWorksheet(NO_FACE_SHEET)!.eachRow((row) => noFace.push(row.getCell(1).value));
    expect(noFace).toEqual(['file', '/d/Ann/sky.jpg', '/d/nobody.jpg']);
    expect(fs.readdirSync(out)).toEqual(['clusters-001-cw-t1.xlsx']);
  });
});
