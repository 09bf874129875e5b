/**
 * The `faceclust cluster` command end to end at library scale: a FaceStore filled with n synthetic faces,
 * then the real CLI as a child process, twice (the second call at another threshold reuses `<out>/hnsw/`).
 * `pnpm --filter @faceclust/benchmarks bench:cli-scale -- --n 120000,250000` (after `pnpm build`).
 *
 *   --n 120000[,250000]       sizes (env N); from 120,000 faces `--neighbors auto` takes hnsw
 *   --dim 512 --seed 42       generator (benchmarks/src/generator.ts); ~20 faces per person, Zipf sizes
 *   --faces-per-image 4       faces per fake photo (each an empty file: `cluster` leaves out photos that are gone)
 *   --threshold2 0.95         threshold of the second call (the first uses the CLI's default)
 *   --cli-flags="..."         extra flags for both calls, e.g. --cli-flags="--neighbors hnsw" (reuse at small n)
 *   --timeout-min 45          a call still running after this is killed and reported with the step it was in
 *   --tmp DIR --keep          where the store and outputs go (default os.tmpdir()), and keep them afterwards
 *   --out DIR                 default benchmarks/results
 *
 * Per call: wall time and peak RSS from /usr/bin/time -v (else from sampling /proc), the CLI's own step
 * times (its --json: load, hnsw index, graph, cluster, reports), a timeline of its `-v` step messages on stderr
 * (which splits the reports into xlsx and html) with the largest RSS seen during each step, the sizes of
 * what it wrote, and pairwise / BCubed F of its --json labels against the generator's truth. No warm-up:
 * a cold process is what a user runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluate } from '@faceclust/cluster';
import { FaceStore, modelId } from '@faceclust/embed';
import sharp from 'sharp';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CLI = path.join(path.dirname(require.resolve('faceclust/package.json')), 'dist', 'bin.js');
const TIME = '/usr/bin/time';
const sec = (ms: number | undefined) => (ms === undefined ? '' : (ms / 1000).toFixed(1));

/** One line of the CLI's -v output, when it arrived, and the largest RSS seen until the next one. */
interface Step {
  atMs: number;
  message: string;
  peakRssMiB?: number;
}

interface CallResult {
  call: number;
  args: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  peakRssMiB?: number;
  userS?: number;
  systemS?: number;
  cpuPercent?: string;
  /** Steps in order: `start` (spawn), each -v message, `exit`; durations are to the next step. */
  steps: (Step & { ms: number })[];
  /** The call's --json: neighbour path, counts, timings. */
  log?: {
    neighbors?: string;
    index?: string;
    clusters?: number;
    noClass?: number;
    edges?: number;
    timings?: Record<string, number>;
  };
  loadMs?: number;
  neighborsUsed?: string;
  threshold?: number;
  clusters?: number;
  noise?: number;
  pairwiseF?: number;
  pairwiseP?: number;
  pairwiseR?: number;
  bcubedF?: number;
  outputs: Record<string, { bytes: number; files: number }>;
  stderrTail?: string;
}

interface SizeResult {
  n: number;
  images: number;
  trueClusters: number;
  fillMs: number;
  generateMs: number;
  storeMiB: number;
  calls: CallResult[];
}

/** Bytes and file count of a file or a folder (recursive). */
function du(p: string): { bytes: number; files: number } {
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

/** The fake photo of image `i`: zero-padded so the store's path order is the generator's row order. */
const imagePath = (photos: string, i: number) => path.join(photos, `img-${String(i).padStart(7, '0')}.jpg`);
const IMAGE_RE = /img-(\d+)\.jpg$/;

/** Fills `<out>/faces.sqlite` through the store's public API, as embed-images.ts does (model, then one image at a time). */
async function fillStore(storeFile: string, photos: string, vectors: Float32Array, n: number, dim: number, perImage: number): Promise<number> {
  // one grey aligned crop, its bytes shared by every face
  const crop = await sharp({ create: { width: 112, height: 112, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
  const store = FaceStore.open(storeFile);
  try {
    const model = modelId();
    store.registerModel(model, 'fr_feature.onnx (synthetic embeddings: benchmarks/src/generator.ts)', dim, { mean: 127, std: 128 });
    const images = Math.ceil(n / perImage);
    mkdirSync(photos, { recursive: true });
    // writeImage is one transaction per photo; an outer one per 1000 photos (they nest as savepoints) saves the commits
    const BATCH = 1000;
    for (let first = 0; first < images; first += BATCH) {
      store.transaction(() => {
        for (let i = first; i < Math.min(images, first + BATCH); i++) {
          const faces = [];
          for (let row = i * perImage; row < Math.min(n, (i + 1) * perImage); row++) {
            const f = row - i * perImage;
            faces.push({
              box: [100 + 250 * f, 120, 160, 200] as [number, number, number, number],
              score: 0.99,
              landmarks: [150 + 250 * f, 190, 210 + 250 * f, 190, 180 + 250 * f, 220, 155 + 250 * f, 260, 205 + 250 * f, 260],
              quality: { sharpness: 150, size: 200 },
              crop,
              embedding: vectors.subarray(row * dim, (row + 1) * dim),
            });
          }
          // the photo must exist: a clustering leaves out the faces of photos no longer on disk
          writeFileSync(imagePath(photos, i), '');
          store.writeImage({ path: imagePath(photos, i), model, size: 100_000 + i, mtimeMs: 1_700_000_000_000 + i, width: 1200, height: 900, faces });
        }
      });
    }
    return images;
  } finally {
    store.close();
  }
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

function rssMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? mib(Number(m[1]) * 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `node bin.js <args>`: stdout to `stdoutFile`, stderr lines timestamped, RSS sampled, killed after `timeoutMs`. */
function runCli(args: string[], stdoutFile: string, timeoutMs: number): Promise<Omit<CallResult, 'call' | 'outputs'>> {
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

/** What the benchmark reads of a call's `--json` (the CLI's toJson): its neighbour path, counts and timings. */
function callFromJson(stdoutFile: string): CallResult['log'] & { loadMs?: number } {
  if (!existsSync(stdoutFile)) return {};
  let j: { clusters: number; noise: number; edges: number; params: { neighbors: string; index?: string }; timings: Record<string, number> };
  try {
    j = JSON.parse(readFileSync(stdoutFile, 'utf8'));
  } catch {
    return {}; // the call failed: no JSON on stdout
  }
  const { embedMs, indexMs, graphMs, clusterMs, reportsMs, totalMs } = j.timings;
  return {
    neighbors: j.params.neighbors,
    index: j.params.index,
    clusters: j.clusters,
    noClass: j.noise,
    edges: j.edges,
    timings: { 'hnsw index': indexMs!, graph: graphMs!, cluster: clusterMs!, reports: reportsMs!, total: totalMs! },
    // `cluster` (no inputs) counts loading the store as its embed time
    loadMs: embedMs,
  };
}

interface JsonFace {
  file: string;
  face: number;
  cluster: number;
}

/** Labels of the --json output in generator row order (a face's row is its photo number × faces per photo + its index). */
function labelsFromJson(stdoutFile: string, n: number, perImage: number): { labels: Int32Array; clusters: number; noise: number; neighbors: string; threshold: number } {
  const j = JSON.parse(readFileSync(stdoutFile, 'utf8')) as { clusters: number; noise: number; params: { neighbors: string; threshold: number }; faces: JsonFace[] };
  if (j.faces.length !== n) throw new Error(`--json listed ${j.faces.length} faces; the store holds ${n}`);
  const labels = new Int32Array(n).fill(-2);
  for (const f of j.faces) {
    const m = IMAGE_RE.exec(f.file);
    if (!m) throw new Error(`--json face of an unexpected file ${f.file}`);
    labels[Number(m[1]) * perImage + f.face] = f.cluster;
  }
  const missing = labels.indexOf(-2);
  if (missing >= 0) throw new Error(`--json has no face for generator row ${missing}`);
  return { labels, clusters: j.clusters, noise: j.noise, neighbors: j.params.neighbors, threshold: j.params.threshold };
}

async function runSize(n: number, o: { dim: number; seed: number; perImage: number; threshold2: string; cliFlags: string[]; timeoutMs: number; tmp: string; keep: boolean }): Promise<SizeResult> {
  const root = path.join(o.tmp, `faceclust-cli-scale-${n}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const out = path.join(root, 'out');
  const photos = path.join(root, 'photos');
  mkdirSync(out, { recursive: true });
  let t = performance.now();
  let set: ReturnType<typeof generateClustered> | undefined = generateClustered({ n, dim: o.dim, seed: o.seed });
  const generateMs = performance.now() - t;
  const { truth, clusters: trueClusters } = set;
  t = performance.now();
  const images = await fillStore(path.join(out, 'faces.sqlite'), photos, set.vectors, n, o.dim, o.perImage);
  const fillMs = performance.now() - t;
  set = undefined; // the vectors (n × dim × 4 bytes) need not sit in this process while the CLI runs
  const storeMiB = mib(du(path.join(out, 'faces.sqlite')).bytes + du(path.join(out, 'faces.sqlite-wal')).bytes);
  process.stderr.write(`n=${n}: ${images} photos, store ${storeMiB} MiB, generated in ${sec(generateMs)} s, stored in ${sec(fillMs)} s\n`);

  const calls: CallResult[] = [];
  const variants = [[], ['--threshold', o.threshold2]];
  for (const [k, extra] of variants.entries()) {
    const call = k + 1;
    const args = ['cluster', 'cw', '--out', out, '--json', '-v', ...o.cliFlags, ...extra];
    process.stderr.write(`n=${n} call ${call}: faceclust ${args.join(' ')}\n`);
    const stdoutFile = path.join(root, `call-${call}.json`);
    const r = await runCli(args, stdoutFile, o.timeoutMs);
    const id = String(call).padStart(3, '0');
    const names = readdirSync(out);
    const outputs: CallResult['outputs'] = {
      xlsx: du(path.join(out, names.find((f) => f.startsWith(`clusters-${id}-`) && f.endsWith('.xlsx')) ?? '-')),
      report: du(path.join(out, names.find((f) => f.startsWith(`report-${id}-`)) ?? '-')),
      'log.txt': du(path.join(out, 'log.txt')),
      'report.html (index)': du(path.join(out, 'report.html')),
      hnsw: du(path.join(out, 'hnsw')),
      stdout: du(stdoutFile),
    };
    const { loadMs, ...log } = callFromJson(stdoutFile);
    const result: CallResult = { call, ...r, outputs, log, loadMs };
    if (r.exitCode === 0) {
      const j = labelsFromJson(stdoutFile, n, o.perImage);
      const q = evaluate(j.labels, truth);
      Object.assign(result, {
        neighborsUsed: j.neighbors, threshold: j.threshold, clusters: j.clusters, noise: j.noise,
        pairwiseF: q.pairwise.f, pairwiseP: q.pairwise.precision, pairwiseR: q.pairwise.recall, bcubedF: q.bcubed.f,
      });
    }
    rmSync(stdoutFile, { force: true });
    calls.push(result);
    process.stderr.write(`n=${n} call ${call}: ${r.timedOut ? 'TIMED OUT' : `exit ${r.exitCode}`} after ${sec(r.wallMs)} s, peak ${r.peakRssMiB} MiB${result.pairwiseF !== undefined ? `, ${result.clusters} clusters (true ${trueClusters}), F ${result.pairwiseF.toFixed(4)}` : ''}\n`);
    if (r.exitCode !== 0) process.stderr.write(`${r.stderrTail ?? ''}\n`);
  }
  if (!o.keep) rmSync(root, { recursive: true, force: true });
  else process.stderr.write(`kept ${root}\n`);
  return { n, images, trueClusters, fillMs, generateMs, storeMiB, calls };
}

/** Duration of the step that starts with `prefix` (from its message to the next one). */
function stepMs(c: CallResult, prefix: string): number | undefined {
  return c.steps.find((s) => s.message.startsWith(prefix))?.ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: process.env.N ?? '120000' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      'faces-per-image': { type: 'string', default: '4' },
      threshold2: { type: 'string', default: '0.95' },
      'cli-flags': { type: 'string', default: '' },
      'timeout-min': { type: 'string', default: '45' },
      tmp: { type: 'string', default: os.tmpdir() },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
    },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run \`pnpm build\` first`);
  const sizes = values.n.split(',').map(Number);
  const bad = sizes.find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) throw new RangeError(`Expected positive integers for --n but received ${JSON.stringify(values.n)}`);
  const opts = {
    dim: Number(values.dim), seed: Number(values.seed), perImage: Number(values['faces-per-image']), threshold2: values.threshold2,
    cliFlags: values['cli-flags'].split(/\s+/).filter(Boolean), timeoutMs: Number(values['timeout-min']) * 60_000, tmp: values.tmp, keep: values.keep,
  };
  mkdirSync(values.out, { recursive: true });
  const results: SizeResult[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let capabilities: unknown;
  try {
    capabilities = (await import('@faceclust/core-native')).loadNative().capabilities();
  } catch {
    capabilities = null;
  }
  const write = () => {
    const json = { suite: 'cli-scale', date: new Date().toISOString(), machine: machineInfo(), capabilities, cli: CLI, options: values, results };
    const rows = results.flatMap((s) => s.calls.map((c) => [
      s.n, c.call, c.threshold ?? (c.call === 1 ? 'default' : opts.threshold2), c.timedOut ? 'timeout' : String(c.exitCode), sec(c.wallMs), c.peakRssMiB ?? '',
      sec(c.loadMs), sec(c.log?.timings?.['hnsw index']), sec(c.log?.timings?.graph), sec(c.log?.timings?.cluster),
      sec(stepMs(c, 'writing clusters-')), sec(stepMs(c, 'writing report-')), sec(c.log?.timings?.reports), sec(c.log?.timings?.total),
      c.neighborsUsed ?? '', c.log?.index?.split(' ')[0] ?? '', c.clusters ?? '', s.trueClusters, c.pairwiseF?.toFixed(4) ?? '', c.bcubedF?.toFixed(4) ?? '',
    ]));
    const table = formatTable(
      ['n', 'call', 'threshold', 'exit', 'wall s', 'peak MiB', 'load s', 'index s', 'graph s', 'cw s', 'xlsx s', 'html s', 'reports s', 'total s', 'neighbors', 'index', 'clusters', 'true', 'F', 'BCubed F'],
      rows,
    );
    const sizesTable = formatTable(
      ['n', 'call', 'photos', 'store MiB', 'fill s', 'xlsx MiB', 'report MiB', 'report files', 'hnsw MiB', 'log KiB', 'stdout MiB'],
      results.flatMap((s) => s.calls.map((c) => [
        s.n, c.call, s.images, s.storeMiB, sec(s.fillMs), mib(c.outputs.xlsx!.bytes), mib(c.outputs.report!.bytes), c.outputs.report!.files,
        mib(c.outputs.hnsw!.bytes), Math.round(c.outputs['log.txt']!.bytes / 102.4) / 10, mib(c.outputs.stdout!.bytes),
      ])),
    );
    // each call's -v steps: how long from one message to the next, and the largest RSS sampled meanwhile
    const stepsTable = formatTable(
      ['n', 'call', 'step (from this message to the next)', 's', 'peak RSS MiB'],
      results.flatMap((s) => s.calls.flatMap((c) => c.steps.filter((st) => st.message !== 'exit').map((st) => [
        s.n, c.call, st.message === 'start' ? 'start (node, modules, store loaded)' : st.message.replace(/^(writing (?:clusters|report)-)\S+/, '$1…'), sec(st.ms), st.peakRssMiB ?? '',
      ]))),
    );
    const text = `${table}\n\n${sizesTable}\n\n${stepsTable}\n`;
    writeFileSync(path.join(values.out, `cli-scale-${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
    writeFileSync(path.join(values.out, `cli-scale-${stamp}.txt`), text);
    return text;
  };
  for (const n of sizes) {
    results.push(await runSize(n, opts));
    write(); // after each size, so a long run leaves its finished sizes behind
  }
  process.stdout.write(`${write()}written to ${values.out}/cli-scale-${stamp}.{json,txt}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
