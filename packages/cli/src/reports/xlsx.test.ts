import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-helpers.js';
import { greyCrops, handMadeResult } from './test-result.js';
import { MAX_XLSX_THUMBNAILS, NO_FACE_SHEET, writeXlsx } from './xlsx.js';

const dir = tempDir('faceclust xlsx ');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function sheetRows(file: string, sheet: string): Promise<unknown[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const rows: unknown[][] = [];
  wb.getWorksheet(sheet)!.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe('xlsx', () => {
  it('lists the photos with no face on their own sheet, after skipped, one row each', async () => {
    const noFace = ['/photos/Ann/landscape.jpg', '/photos/ü nobody/wall ü.png'];
    const r = handMadeResult([['/photos/Ann/1.jpg', 0], ['/photos/Ann/2.jpg', 0], ['/photos/Bob/1.jpg', -1]], noFace);
    const file = path.join(dir, 'clusters-001-cw-t1.xlsx');
    await writeXlsx(file, r, await greyCrops(), { command: 'faceclust test', created: new Date(0) });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['faces', 'clusters', 'parameters', 'skipped', NO_FACE_SHEET]);
    expect(await sheetRows(file, NO_FACE_SHEET)).toEqual([['file'], ...noFace.map((f) => [f])]);
    expect(await sheetRows(file, 'skipped')).toEqual([['file', 'reason'], ['/photos/broken.jpg', 'not an image']]);
    expect(new Map((await sheetRows(file, 'parameters')).map(([k, v]) => [k, v])).get('photos with no face')).toBe(2);
  });

  it('streams a workbook past MAX_XLSX_THUMBNAILS faces with the no face sheet too', async () => {
    const faces = Array.from({ length: MAX_XLSX_THUMBNAILS + 1 }, (_, i): [string, number] => [`/photos/P${i % 7}/${i}.jpg`, i % 7]);
    const file = path.join(dir, 'clusters-003-cw-t1.xlsx');
    await writeXlsx(file, handMadeResult(faces, ['/photos/empty.jpg'], 3), () => {
      throw new Error('no thumbnails expected past MAX_XLSX_THUMBNAILS');
    }, { command: 'faceclust test', created: new Date(0) });
    expect(await sheetRows(file, NO_FACE_SHEET)).toEqual([['file'], ['/photos/empty.jpg']]);
  });

  it('a streamed faces sheet that waits for the zip between blocks of rows keeps every row, in order', async () => {
    const faces = Array.from({ length: 30_001 }, (_, i): [string, number] => [`/photos/P${i % 7}/${i}.jpg`, i % 11 === 10 ? -1 : i % 11]);
    const file = path.join(dir, 'clusters-004-cw-t1.xlsx');
    await writeXlsx(file, handMadeResult(faces, [], 4), () => Buffer.alloc(0), { command: 'faceclust test', created: new Date(0) });
    const rows = await sheetRows(file, 'faces');
    expect(rows).toHaveLength(faces.length + 1);
    expect(rows.slice(1).map((row) => [row[0], row[7]])).toEqual(faces.map(([f, c]) => [f, c < 0 ? 'no_class' : c]));
  });

  it('writes the no face sheet with just its header when every photo had a face', async () => {
    const file = path.join(dir, 'clusters-002-cw-t1.xlsx');
    await writeXlsx(file, handMadeResult([['/photos/Ann/1.jpg', 0]], [], 2), await greyCrops(), { command: 'faceclust test', created: new Date(0) });
    expect(await sheetRows(file, NO_FACE_SHEET)).toEqual([['file']]);
  });
});
