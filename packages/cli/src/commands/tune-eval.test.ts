/**
 * The tune and eval commands in process (commander programs built from tuneCommand/evalCommand, as bin.ts
 * will add them) on real faces: ../shared/data/bbt-crops (8 people × 5 crops) embedded once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import ExcelJS from 'exceljs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FacialClustering } from '../facial-clustering.js';
import { dataDir, logBlocks, tempDir } from '../test-helpers.js';
import { defaultRange, sweepGrid } from '../tune.js';
import { evalCommand } from './eval.js';
import { tuneCommand } from './tune.js';

const crops = path.join(dataDir, 'bbt-crops');
const hasCrops = fs.existsSync(crops);
if (!hasCrops) console.warn(`tune/eval tests: SKIPPING: no face data at ${crops}`);

/** Runs one command in process; returns stdout, stderr and the exit code it set. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command('faceclust').exitOverride().addCommand(tuneCommand(args)).addCommand(evalCommand(args));
  for (const cmd of program.commands) cmd.exitOverride();
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'faceclust', ...args]);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

describe.skipIf(!hasCrops)('faceclust tune / eval on bbt-crops', () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = tempDir();
    out = path.join(dir, 'out ü');
    const fc = new FacialClustering({ pathlist: crops, outPath: out, preprocess: false, threads: 2 });
    await fc.chineseWhispers({});
    fc.close();
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tune --json prints exactly { method, suggested, rows, merge } and writes the CSV, the chart and a log block', async () => {
    const before = logBlocks(out);
    const r = await run(['tune', '--out', out, '--truth', 'folder', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['method', 'suggested', 'rows', 'merge']);
    expect(json.method).toBe('cw');
    // the merge radius swept at one threshold, from off
    expect(Object.keys(json.merge)).toEqual(['threshold', 'rows']);
    expect(json.merge.rows.map((row: { mergeRadius: number }) => row.mergeRadius)[0]).toBe(0);
    expect(Object.keys(json.merge.rows[0])).toEqual(['mergeRadius', 'threshold', 'clusters', 'noise', 'largest', 'singletons', 'pairwiseF', 'bcubedF']);
    // the 30 values of the default range, rounded as typed, plus a row at the suggestion when it falls between two
    const grid = sweepGrid(...defaultRange('cw', 'euclidean')!, 30);
    const inside = json.suggested > grid[0] && json.suggested < grid[29] && !grid.includes(json.suggested);
    expect(json.rows.map((row: { threshold: number }) => row.threshold)).toEqual(inside ? [...grid, json.suggested].sort((a, b) => a - b) : grid);
    expect(json.rows.filter((row: { threshold: number }) => row.threshold === json.suggested)).toHaveLength(inside || grid.includes(json.suggested) ? 1 : 0);
    expect(Object.keys(json.rows[0])).toEqual(['threshold', 'clusters', 'noise', 'largest', 'singletons', 'pairwiseF', 'bcubedF']);
    expect(json.rows.reduce((a: number, row: { clusters: number }) => a + row.clusters, 0)).toBeGreaterThan(0);
    const files = fs.readdirSync(out);
    const csv = files.find((f) => /^tune-\d{3}-cw\.csv$/.test(f))!;
    expect(fs.readFileSync(path.join(out, csv), 'utf8').split('\n')[0]).toMatch(/^threshold,clusters,noise,largest,singletons,edges,pairwiseF,bcubedF/);
    const png = path.join(out, csv.replace('.csv', '.png'));
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 960, height: 640 });
    expect(logBlocks(out)).toBe(before + 1);
    expect(fs.readFileSync(path.join(out, 'log.txt'), 'utf8')).toMatch(/tune chinese whispers[\s\S]*suggested:\s+suggested threshold/);
  });

  it('tune --method dbscan prints a table with the suggestion and draws the k-distance plot', async () => {
    const r = await run(['tune', '--method', 'dbscan', '--min-samples', '3', '--out', out, '--from', '0.5', '--to', '1.2', '--steps', '8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+eps\s+clusters\s+noise\s+largest\s+singletons\n/);
    // bbt-crops: everyone has 5 photos, so no face needs a stranger: no valley, the default is suggested
    expect(r.stdout).toMatch(/suggested eps: [\d.]+, the default \(the nearest-neighbour distances show no clear valley/);
    // the one starred row is the suggestion, printed the same way (0.925 lies between 0.9 and 1: a row of its own)
    const suggested = /suggested eps: ([\d.]+)/.exec(r.stdout)![1];
    expect(r.stdout.split('\n').filter((l) => /^\s*\*/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual([`*${suggested}`]);
    expect(r.stdout.split('\n').filter((l) => /^\s*\*?\d/.test(l)).map((l) => l.trim().split(/\s+/)[0].replace('*', ''))).toEqual(
      [...sweepGrid(0.5, 1.2, 8), Number(suggested)].sort((a, b) => a - b).map(String),
    );
    const kd = fs.readdirSync(out).find((f) => /^tune-\d{3}-dbscan-kdistance\.png$/.test(f))!;
    expect(await sharp(path.join(out, kd)).metadata()).toMatchObject({ format: 'png', width: 960, height: 420 });
  });

  it('BAD CALL – tune flags name the flag and the value', async () => {
    const cases: [string[], string][] = [
      [['tune', '--out', out, '--method', 'kmeans'], "Invalid value for --method: expected one of 'cw', 'dbscan' but received \"kmeans\""],
      [['tune', '--out', out, '--steps', '0'], 'Invalid value for --steps: expected an integer between 1 and 1000 but received "0"'],
      [['tune', '--out', out, '--from', '1', '--to', '0.5'], 'Invalid range: --to (0.5) must be >= --from (1)'],
      [['tune', '--out', out, '--min-samples', '3'], '--min-samples applies to dbscan, not to cw (chinese whispers)'],
      [['tune', '--out', out, '--truth', 'names.txt'], `Invalid value for --truth: "names.txt" does not exist (${path.resolve('names.txt')}); expected folder`],
      [['tune', '--out', out, '--truth', dir], `Invalid value for --truth: no face in ${path.join(out, 'faces.sqlite')} has an identity in subfolders of ${dir} (received ${JSON.stringify(dir)})`],
      [['tune', '--out', out, '--metric', 'cosine', '--to', '2.5'], 'Invalid value for --to: expected a finite number > 0 and <= 2 (the largest cosine distance between two face embeddings) but received "2.5"'],
      [['tune', '--out', path.join(dir, 'empty')], `No embedding store at ${path.join(dir, 'empty', 'faces.sqlite')}`],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
  });

  it('eval scores the latest call against folder names, logs it and adds the sheet to its xlsx', async () => {
    const before = logBlocks(out);
    const r = await run(['eval', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ call: 1, faces: 40, scored: 40, people: 8 });
    expect(json.pairwise.f).toBeGreaterThan(0.5);
    expect(logBlocks(out)).toBe(before + 1);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(out, 'clusters-001-cw-t1.xlsx'));
    expect(wb.worksheets.map((w) => w.name)).toContain('evaluation');
    // the crops' folder as a labelled folder: its subfolders are the same 8 people
    const byDir = JSON.parse((await run(['eval', '--out', out, '--truth', crops, '--json'])).stdout);
    expect(byDir).toEqual(json);
    const missing = await run(['eval', '--out', out, '--call', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No clustering call 9 in ${out} (calls: 1)`);
  });
});
