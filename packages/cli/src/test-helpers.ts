/** Shared by the tests (excluded from the build): the real CLI as a child process, data paths, xlsx reading. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaceStore } from '@faceclust/embed';
import ExcelJS from 'exceljs';
import { afterAll } from 'vitest';
import { BLOCK_START, LOG_FILE } from './reports/log.js';

export const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = path.resolve(pkgRoot, '../..');
export const dataDir = path.resolve(repoRoot, '../shared/data');
export const binJs = path.join(pkgRoot, 'dist', 'bin.js');
export const hasData = fs.existsSync(path.join(dataDir, 'photos-small'));
export const hasBin = fs.existsSync(binJs);
if (!hasData) console.warn(`faceclust tests: SKIPPING the end-to-end tests: no face data at ${dataDir} (see the repo README)`);
if (!hasBin) console.warn(`faceclust tests: SKIPPING the CLI tests: ${binJs} is missing; run \`pnpm --filter faceclust build\` first`);

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/bin.js ...args` to completion (2 threads: the box has 2 cores). */
export function runCli(args: string[], opts: { cwd?: string; onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binJs, ...args], { cwd: opts.cwd ?? pkgRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(d, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export function logBlocks(out: string): number {
  const file = path.join(out, LOG_FILE);
  if (!fs.existsSync(file)) return 0;
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(BLOCK_START)).length;
}

export interface XlsxFaceRow {
  file: string;
  face: number;
  box: [number, number, number, number];
  score: number;
  cluster: number | 'no_class';
  distance: number | null;
}

/** Opens a workbook with exceljs: its faces rows, sheet names and the number of embedded images. */
export async function readXlsx(file: string): Promise<{ sheets: string[]; faces: XlsxFaceRow[]; faceRows: Record<string, unknown>[]; clusters: { cluster: string; size: number }[]; params: Map<string, unknown>; skipped: string[]; images: number }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.getWorksheet('faces')!;
  const header = (ws.getRow(1).values as unknown[]).slice(1) as string[];
  const faces: XlsxFaceRow[] = [];
  const faceRows: Record<string, unknown>[] = [];
  ws.eachRow((row, i) => {
    if (i === 1) return;
    const v = Object.fromEntries(header.map((h, k) => [h, row.getCell(k + 1).value]));
    faceRows.push(v);
    faces.push({
      file: v.file as string, face: v.face as number, box: [v.x, v.y, v.width, v.height] as [number, number, number, number],
      score: v.score as number, cluster: v.cluster as number | 'no_class', distance: (v.distance ?? null) as number | null,
    });
  });
  const clusters: { cluster: string; size: number }[] = [];
  wb.getWorksheet('clusters')!.eachRow((row, i) => {
    if (i > 1) clusters.push({ cluster: String(row.getCell(1).value), size: row.getCell(2).value as number });
  });
  const params = new Map<string, unknown>();
  wb.getWorksheet('parameters')!.eachRow((row, i) => {
    if (i > 1) params.set(String(row.getCell(1).value), row.getCell(2).value);
  });
  const skipped: string[] = [];
  wb.getWorksheet('skipped')!.eachRow((row, i) => {
    if (i > 1) skipped.push(String(row.getCell(1).value));
  });
  return { sheets: wb.worksheets.map((w) => w.name), faces, faceRows, clusters, params, skipped, images: wb.model.media?.length ?? 0 };
}

/** Every file under `dir`, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** The chromium binary, if installed (Debian: `apt-get install chromium`). */
export function findChromium(): string | undefined {
  for (const name of [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    const r = spawnSync('which', [name], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/** A fresh temporary folder whose name has a space and non-ASCII characters. */
export function tempDir(prefix = 'faceclust test ü—'): string {
  return fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), prefix));
}

/** The faces of the default model in `<out>/faces.sqlite`, as the store lists them. */
export function storeFaces(out: string) {
  const store = FaceStore.open(path.join(out, 'faces.sqlite'));
  try {
    return store.loadFaces('default').faces;
  } finally {
    store.close();
  }
}

/** Every photo recorded in `<out>/faces.sqlite`. */
export function storeImages(out: string) {
  const store = FaceStore.open(path.join(out, 'faces.sqlite'));
  try {
    return store.listImages();
  } finally {
    store.close();
  }
}

// each test file gets its own copy of this module: its scratch folders go when that file is done
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder (see {@link tempDir}), removed when the test file that asked for it is done. */
export function scratchDir(): string {
  const d = tempDir();
  scratch.push(d);
  return d;
}
