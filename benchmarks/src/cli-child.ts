/**
 * What the end-to-end CLI benchmarks share (cli-scale.ts, people-incremental.ts, serve-scale.ts): a FaceStore filled with
 * synthetic faces behind fake photo files, the real `faceclust` CLI run as a child process (wall time, peak
 * RSS, its stderr as a timeline of steps) and reading its `--json` back in generator row order.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FaceStore, modelId } from '@faceclust/embed';
import sharp from 'sharp';
import { mib } from './table.js';

const require = createRequire(import.meta.url);
export const CLI = path.join(path.dirname(require.resolve('faceclust/package.json')), 'dist', 'bin.js');
const TIME = '/usr/bin/time';

/** Milliseconds as seconds with one decimal; '' for nothing (a table cell). */
export const sec = (ms: number | undefined): string => (ms === undefined ? '' : (ms / 1000).toFixed(1));

/** One line of the CLI's stderr, when it arrived, and the largest RSS seen until the next one. */
export interface Step {
  atMs: number;
  message: string;
  peakRssMiB?: number;
}

/** One CLI process: how it ended, its time and memory, and its stderr lines as steps. */
export interface ChildRun {
  args: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  peakRssMiB?: number;
  userS?: number;
  systemS?: number;
  cpuPercent?: string;
  /** Steps in order: `start` (spawn), each stderr line, `exit`; durations are to the next step. */
  steps: (Step & { ms: number })[];
  stderrTail?: string;
}

/** Bytes and file count of a file or a folder (recursive). */
export function du(p: string): { bytes: number; files: number } {
  if (!existsSync(p)) return { bytes: 0, files: 0 };
  const st = statSync(p);
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0, files = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const sub = du(path.join(p, e.name));
    bytes += sub.bytes;
    files += sub.files;
  }
  return { bytes, files };
}

/** Photos per folder, as a camera or an import tool would lay them out (and no directory of 100,000 entries). */
const PER_FOLDER = 1000;

/**
 * The fake photo of image `i`: zero-padded names in zero-padded folders, so the store's path order (the order
 * of `--json` faces) is the generator's row order.
 */
export const imagePath = (photos: string, i: number): string =>
  path.join(photos, `d-${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`, `img-${String(i).padStart(7, '0')}.jpg`);
const IMAGE_RE = /img-(\d+)\.jpg$/;

export interface FillOptions {
  dim: number;
  /** Faces per photo; face `f` of photo `i` is generator row `i × perImage + f`. */
  perImage: number;
  /** The generator row of `vectors`' first row (a multiple of perImage); 0 by default. */
  firstRow?: number;
  /**
   * Crops (PNG bytes) to store: generator row `r` gets `crops[r % crops.length]`. By default every face
   * shares one grey 112×112 square (~0.3 KB), enough where crops are never read back; see crops.ts for
   * crops of a real one's size.
   */
  crops?: readonly Buffer[];
}

/**
 * Writes one fake photo per `perImage` rows of `vectors` and its faces into `storeFile` through the store's
 * public API, as embed-images.ts does (model, then one image at a time). Each photo is an empty file whose
 * real size and mtime are recorded, so `faceclust run` finds it unchanged and cached, as after an embed,
 * and `cluster` counts it as present. Returns the photos written (a store may be filled in several goes).
 */
export async function fillStore(storeFile: string, photos: string, vectors: Float32Array, o: FillOptions): Promise<{ first: number; images: number }> {
  const { dim, perImage, firstRow = 0, crops } = o;
  if (firstRow % perImage !== 0) throw new RangeError(`Expected firstRow to be a multiple of perImage (${perImage}) but received ${firstRow}`);
  const rows = vectors.length / dim;
  if (crops !== undefined && crops.length === 0) throw new RangeError('Expected crops to hold at least one crop but received an empty array');
  // one grey aligned crop, its bytes shared by every face, unless the caller gave its own
  const grey = crops ? undefined : await sharp({ create: { width: 112, height: 112, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
  const cropOf = (row: number) => grey ?? crops![(firstRow + row) % crops!.length]!;
  const store = FaceStore.open(storeFile);
  try {
    const model = modelId();
    store.registerModel(model, 'fr_feature.onnx (synthetic embeddings: benchmarks/src/generator.ts)', dim, { mean: 127, std: 128 });
    const first = firstRow / perImage;
    const images = Math.ceil(rows / perImage);
    // writeImage is one transaction per photo; an outer one per 1000 photos (they nest as savepoints) saves the commits
    const BATCH = 1000;
    for (let start = 0; start < images; start += BATCH) {
      store.transaction(() => {
        for (let k = start; k < Math.min(images, start + BATCH); k++) {
          const faces = [];
          for (let row = k * perImage; row < Math.min(rows, (k + 1) * perImage); row++) {
            const f = row - k * perImage;
            faces.push({
              box: [100 + 250 * f, 120, 160, 200] as [number, number, number, number],
              score: 0.99,
              landmarks: [150 + 250 * f, 190, 210 + 250 * f, 190, 180 + 250 * f, 220, 155 + 250 * f, 260, 205 + 250 * f, 260],
              quality: { sharpness: 150, size: 200 },
              crop: cropOf(row),
              embedding: vectors.subarray(row * dim, (row + 1) * dim),
            });
          }
          const file = imagePath(photos, first + k);
          if (k === start || (first + k) % PER_FOLDER === 0) mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, '');
          const st = statSync(file);
          store.writeImage({ path: file, model, size: st.size, mtimeMs: st.mtimeMs, width: 1200, height: 900, faces });
        }
      });
    }
    return { first, images };
  } finally {
    store.close();
  }
}

/**
 * The generator row of each store row, so that no photo holds two faces of one person: the CLI keeps faces of
 * one photo apart (a cannot-link), as in real photos, so photos of random rows would split the large people.
 * Rows sorted by person are dealt to photos with a stride of n / perImage (larger than any person here).
 */
export function photoOrder(truth: Int32Array, perImage: number): Int32Array {
  const n = truth.length;
  if (n % perImage !== 0) throw new RangeError(`Expected n to be a multiple of ${perImage} faces per photo but received ${n}`);
  const byPerson = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => truth[a]! - truth[b]! || a - b);
  const photos = n / perImage;
  const order = new Int32Array(n);
  for (let photo = 0; photo < photos; photo++) for (let f = 0; f < perImage; f++) order[photo * perImage + f] = byPerson[f * photos + photo]!;
  return order;
}

/** The pid of the node process under /usr/bin/time (its only child), or the spawned pid itself. */
function nodePid(pid: number, wrapped: boolean): number | undefined {
  if (!wrapped) return pid;
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** A process's resident memory now (VmRSS) or at its peak (VmHWM), in MiB; undefined once it is gone. */
export function rssMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? mib(Number(m[1]) * 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `node bin.js <args>` under /usr/bin/time -v when there is one: stdout to `stdoutFile`, stderr lines
 * timestamped (echoed to our stderr), RSS sampled, the whole process group killed after `timeoutMs`.
 */
export function runCli(args: string[], stdoutFile: string, timeoutMs: number): Promise<ChildRun> {
  const wrapped = existsSync(TIME);
  const timeFile = `${stdoutFile}.time`;
  const argv = wrapped ? [TIME, '-v', '-o', timeFile, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const out = openSync(stdoutFile, 'w');
  const start = performance.now();
  // its own process group, so a timeout kills node under /usr/bin/time too
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', out, 'pipe'], detached: true });
  closeSync(out);
  const steps: Step[] = [{ atMs: 0, message: 'start' }];
  let stderr = '';
  let pending = '';
  let lastHwm: number | undefined;
  const sample = () => {
    const pid = nodePid(child.pid!, wrapped);
    const rss = rssMiB(pid, 'VmRSS');
    const hwm = rssMiB(pid, 'VmHWM');
    if (hwm !== undefined) lastHwm = hwm;
    const cur = steps[steps.length - 1]!;
    if (rss !== undefined) cur.peakRssMiB = Math.max(cur.peakRssMiB ?? 0, rss);
  };
  const timer = setInterval(sample, 200);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, timeoutMs);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      sample(); // closes the previous step's RSS
      steps.push({ atMs: performance.now() - start, message: line.trim() });
      process.stderr.write(`  [${sec(performance.now() - start).padStart(6)} s] ${line.trim()}\n`);
    }
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - start;
      clearInterval(timer);
      clearTimeout(killer);
      steps.push({ atMs: wallMs, message: 'exit' });
      let peakRssMiB = lastHwm;
      let userS: number | undefined, systemS: number | undefined, cpuPercent: string | undefined;
      if (wrapped && existsSync(timeFile)) {
        const t = readFileSync(timeFile, 'utf8');
        const field = (name: string) => new RegExp(`${name}:\\s*(.+)$`, 'm').exec(t)?.[1]?.trim();
        const maxKb = field('Maximum resident set size \\(kbytes\\)');
        if (maxKb) peakRssMiB = mib(Number(maxKb) * 1024);
        userS = Number(field('User time \\(seconds\\)'));
        systemS = Number(field('System time \\(seconds\\)'));
        cpuPercent = field('Percent of CPU this job got');
      }
      resolve({
        args, exitCode: code, signal, timedOut, wallMs, peakRssMiB, userS, systemS, cpuPercent,
        steps: steps.map((s, i) => ({ ...s, ms: (steps[i + 1]?.atMs ?? s.atMs) - s.atMs })),
        ...(code !== 0 ? { stderrTail: stderr.slice(-4000) } : {}),
      });
    });
  });
}

/** What the benchmarks read of a clustering call's `--json` (the CLI's toJson, packages/cli/src/result.ts). */
export interface CliJson {
  call: number;
  clusters: number;
  noise: number;
  edges: number;
  params: { neighbors: string; neighborsReason?: string; index?: string; threshold?: number };
  timings: { embedMs: number; indexMs: number; graphMs: number; clusterMs: number; reportsMs: number; totalMs: number };
  people?: { mode: string; newFaces?: number; assigned?: number; newPeople?: number };
  faces: { file: string; face: number; cluster: number; person: number | null }[];
}

/** A call's `--json` from its stdout file, or undefined when it printed none (the call failed). */
export function readCliJson(stdoutFile: string): CliJson | undefined {
  if (!existsSync(stdoutFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stdoutFile, 'utf8')) as CliJson;
  } catch {
    return undefined;
  }
}

/**
 * Cluster labels and people of the `--json` faces in generator row order (a face's row is its photo number ×
 * faces per photo + its index); no_class and "no person" are −1. Throws unless every row has exactly one face.
 */
export function rowsFromJson(j: CliJson, n: number, perImage: number): { clusters: Int32Array; people: Int32Array } {
  if (j.faces.length !== n) throw new Error(`--json listed ${j.faces.length} faces; the store holds ${n}`);
  const clusters = new Int32Array(n).fill(-2);
  const people = new Int32Array(n).fill(-1);
  for (const f of j.faces) {
    const m = IMAGE_RE.exec(f.file);
    if (!m) throw new Error(`--json face of an unexpected file ${f.file}`);
    const row = Number(m[1]) * perImage + f.face;
    clusters[row] = f.cluster;
    people[row] = f.person ?? -1;
  }
  const missing = clusters.indexOf(-2);
  if (missing >= 0) throw new Error(`--json has no face for generator row ${missing}`);
  return { clusters, people };
}

/**
 * Which build of the CLI a run measured: the commit, the files under packages/ changed since (uncommitted),
 * and the newest mtime of the packages' built files (dist/, the addon), so a rebuild between two calls of
 * one run shows (the tree may be shared with people building as the benchmark runs).
 */
export interface CliBuild {
  commit?: string;
  uncommitted: string[];
  newestBuildMs: number;
}

export function cliBuild(): CliBuild {
  const packages = path.resolve(path.dirname(CLI), '..', '..');
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', ['-C', packages, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined; // not a git checkout: the build time still says something
    }
  };
  let newestBuildMs = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|node)$/.test(e.name)) newestBuildMs = Math.max(newestBuildMs, statSync(p).mtimeMs);
    }
  };
  for (const pkg of readdirSync(packages)) {
    walk(path.join(packages, pkg, 'dist'));
    walk(path.join(packages, pkg, 'build', 'Release'));
  }
  return { commit: git('rev-parse', 'HEAD'), uncommitted: (git('status', '--porcelain', '--', '.') ?? '').split('\n').filter(Boolean).map((l) => l.slice(3)), newestBuildMs };
}

/** The native core's `capabilities()` (compiled, supported, active SIMD paths), or null without the addon. */
export async function nativeCapabilities(): Promise<unknown> {
  try {
    return (await import('@faceclust/core-native')).loadNative().capabilities();
  } catch {
    return null;
  }
}

/** An integer flag of parseArgs' `values`, at least `min`, or a RangeError naming it. */
export function intFlag<V extends object>(values: V, name: keyof V & string, min: number): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) throw new RangeError(`Expected an integer from ${min} for --${name} but received ${JSON.stringify(values[name])}`);
  return v;
}
