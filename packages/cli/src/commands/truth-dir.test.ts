/**
 * End to end with the real `faceclust` (dist/bin.js): --truth given a labelled folder, the tune table's
 * starred row against the printed suggestion, and the xlsx's `no face` sheet surviving eval. photos-small
 * is copied into `<input>/labelled ü/<Name>/…`, with one photo nested deeper, one directly in the labelled
 * folder and one outside it (both mirrored copies, so their bytes differ from the originals), and a photo
 * without a face.
 */
import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FACE_SHEET } from '../reports/xlsx.js';
import { dataDir, hasBin, hasData, readXlsx, runCli, tempDir, type CliRun } from '../test-helpers.js';

describe.skipIf(!hasData || !hasBin)('faceclust eval / tune --truth <labelled folder> on photos-small', () => {
  let dir: string;
  let labelled: string;
  let out: string;
  let first: CliRun;
  beforeAll(async () => {
    dir = tempDir();
    const input = path.join(dir, 'фото in');
    labelled = path.join(input, 'labelled ü');
    fs.cpSync(path.join(dataDir, 'photos-small'), labelled, { recursive: true });
    fs.mkdirSync(path.join(labelled, 'obama', '2009'));
    fs.renameSync(path.join(labelled, 'obama', 'obama2.jpg'), path.join(labelled, 'obama', '2009', 'obama2.jpg'));
    fs.mkdirSync(path.join(input, 'other'));
    await sharp(path.join(labelled, 'biden', 'biden.jpg')).flop().toFile(path.join(labelled, 'loose.jpg'));
    await sharp(path.join(labelled, 'rose_leslie', 'img1.jpg')).flop().toFile(path.join(input, 'other', 'rose.jpg'));
    await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg().toFile(path.join(input, 'other', 'sky.jpg'));
    out = path.join(dir, 'out ü');
    first = await runCli(['run', input, '--out', out, '--threads', '2']);
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('eval --truth <folder>: identity = subfolder at any depth; photos directly in it or outside are left out; the xlsx keeps its no face sheet', async () => {
    expect(first.code, first.stderr).toBe(0);
    const xlsx = path.join(out, 'clusters-001-cw-t1.xlsx');
    const before = await readXlsx(xlsx);
    expect(before.sheets).toEqual(['faces', 'clusters', 'parameters', 'skipped', NO_FACE_SHEET]);
    const inSubfolder = before.faces.filter((f) => {
      const rel = path.relative(labelled, f.file);
      return !rel.startsWith('..') && rel.split(path.sep).length >= 2;
    });
    const outside = before.faces.length - inSubfolder.length;
    expect(outside).toBeGreaterThanOrEqual(2); // loose.jpg and other/rose.jpg
    expect(new Set(inSubfolder.map((f) => path.relative(labelled, f.file).split(path.sep)[0])).size).toBe(5);

    const json = await runCli(['eval', '--out', out, '--truth', labelled, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ call: 1, faces: before.faces.length, scored: inSubfolder.length, people: 5 });
    // relative to the working folder, like any path
    const table = await runCli(['eval', '--out', out, '--truth', path.relative(dir, labelled)], { cwd: dir });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ground truth\s+subfolders of /m);
    expect(table.stdout).toContain(`subfolders of ${labelled}\n`);

    const after = await readXlsx(xlsx);
    expect(after.sheets).toEqual(['faces', 'clusters', 'parameters', 'skipped', NO_FACE_SHEET, 'evaluation']);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsx);
    const noFace: unknown[] = [];
    wb.getWorksheet(NO_FACE_SHEET)!.eachRow((row) => noFace.push(row.getCell(1).value));
    expect(noFace).toEqual(['file', path.join(dir, 'фото in', 'other', 'sky.jpg')]);
  });

  it('BAD CALL – eval --truth names a path that does not exist', async () => {
    const missing = path.join(dir, 'no such folder');
    const r = await runCli(['eval', '--out', out, '--truth', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Invalid value for --truth: ${JSON.stringify(missing)} does not exist; expected folder`);
  });

  it('tune --truth <folder>: the starred row is the suggestion as printed, and the table, CSV and --json show the same values', async () => {
    // from 0.3: the valley of these few faces lies below the default range, and only inside it has a row
    const r = await runCli(['tune', '--out', out, '--truth', labelled, '--from', '0.3']);
    expect(r.code, r.stderr).toBe(0);
    // the threshold table: the lines before the first blank one (the merge-radius table follows it)
    const lines = r.stdout.split('\n\n')[0].split('\n');
    const body = lines.filter((l) => /^\s*\*?\d/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    const suggested = /suggested threshold: ([\d.]+)/.exec(r.stdout)![1];
    expect(body.filter((v) => v.startsWith('*'))).toEqual([`*${suggested}`]);
    const thresholds = body.map((v) => v.replace('*', ''));
    expect(thresholds.every((v) => /^\d+(\.\d{1,3})?$/.test(v))).toBe(true);
    const csv = fs.readdirSync(out).filter((f) => /^tune-\d{3}-cw\.csv$/.test(f)).sort().at(-1)!;
    expect(fs.readFileSync(path.join(out, csv), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0])).toEqual(thresholds);
    const json = JSON.parse((await runCli(['tune', '--out', out, '--truth', labelled, '--from', '0.3', '--json'])).stdout);
    expect(String(json.suggested)).toBe(suggested);
    expect(json.rows.map((row: { threshold: number }) => String(row.threshold))).toEqual(thresholds);
  });
});
