/**
 * A million faces (issue 17, goal 4): the default `faceclust cluster` (hnsw path, Chinese Whispers) end to end,
 * and hnswlib's own build + k-NN query of the same rows in the same run.
 * `pnpm --filter @faceclust/benchmarks bench:million` (after `pnpm build`; ~30 min at 1M on 2 cores).
 *
 *   --n 1000000[,500000]      sizes (env N)
 *   --parts cli,hnswlib       what runs per size, in this order:
 *                               library  the library path in a child process: HnswIndex.build, knnGraph,
 *                                        chineseWhispersOnGraph at the defaults, timed apart, and where the
 *                                        clustering splits people (graph components vs Chinese Whispers)
 *                               cli      `faceclust cluster cw` with every default, on a FaceStore of n faces
 *                               hnswlib  the stand-in for Python hnswlib (native/hnswlib-baseline.cc, compiled
 *                                        here with -O3 -march=native): fp32 L2Space, build with ParallelFor,
 *                                        then a k-NN query of every row at search width ef
 *   --dim 512 --seed 42 --threshold 1.0   generator (generator.ts: ~20 faces per person, Zipf sizes) and cut
 *   --threads 2               threads of every part (0: every core)
 *   --M 16 --ef-construction 100 --k 32 --ef 64   hnswlib's parameters (the library's defaults)
 *   --splits PREFIX           library: write PREFIX-<n>.txt, one line per person the graph splits (its size, then
 *                             each fragment as faces:largest degree): whether short rows or whole fragments miss
 *   --tmp DIR --out DIR       scratch (the rows file, the store) and results (default benchmarks/results)
 *
 * Each part runs in a process of its own (peak RSS = that process's max RSS). Ratio = our hnsw time (build +
 * graph, from the library part, else the CLI's index + graph steps) ÷ hnswlib's build + query.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { evaluate, type HnswGraphStats } from '@faceclust/cluster';
import { CLI, cliBuild, fillStore, intFlag, nativeCapabilities, photoOrder, readCliJson, rowsFromJson, runCli, sec } from './cli-child.js';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const HARNESS_SRC = path.resolve(here, '..', 'native', 'hnswlib-baseline.cc');
const HNSWLIB_DIR = path.resolve(here, '..', '..', 'packages', 'core-native', 'third_party', 'hnswlib');
const HARNESS = path.resolve(here, '..', 'build', 'hnswlib-baseline');

type Part = 'library' | 'cli' | 'hnswlib';
const PARTS: readonly Part[] = ['library', 'cli', 'hnswlib'];

interface Params {
  n: number;
  dim: number;
  seed: number;
  threshold: number;
  threads: number;
  M: number;
  efConstruction: number;
  k: number;
  ef: number;
  /** library: where to list the people the graph splits (--splits). */
  splitsFile?: string;
}

/** One part's result: times in ms, peak RSS, and the clustering's quality against the generator's truth. */
interface PartResult {
  part: Part;
  n: number;
  ok: boolean;
  error?: string;
  wallMs?: number;
  buildMs?: number;
  graphMs?: number;
  clusterMs?: number;
  /** CPU seconds (user + system, every thread) of the build and the graph: the work, whatever the machine's load. */
  buildCpuS?: number;
  graphCpuS?: number;
  /** CPU seconds of the whole process (cli: from /usr/bin/time). */
  cpuS?: number;
  peakRssMiB?: number;
  clusters?: number;
  trueClusters?: number;
  pairwiseF?: number;
  bcubedF?: number;
  edges?: number;
  /** library: graph components, rows with no neighbour, people split by the graph / by Chinese Whispers. */
  components?: number;
  lonely?: number;
  splitByGraph?: number;
  splitByCw?: number;
  /** library: what the graph's steps did (HnswIndex.knnGraph's stats: rows per step, each step's wall ms). */
  graphSteps?: HnswGraphStats;
  simd?: string;
}

/** Connected components of a CSR graph (union–find). */
function components(n: number, offsets: Uint32Array, indices: Int32Array): Int32Array {
  const parent = new Int32Array(n).map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let i = 0; i < n; i++) {
    for (let e = offsets[i]!; e < offsets[i + 1]!; e++) {
      const a = find(i), b = find(indices[e]!);
      if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
    }
  }
  for (let i = 0; i < n; i++) parent[i] = find(i);
  return parent;
}

/** True people whose faces land in more than one group of `labels`. */
function splitPeople(truth: Int32Array, labels: Int32Array): number {
  const first = new Map<number, number>();
  const split = new Set<number>();
  for (let i = 0; i < truth.length; i++) {
    const seen = first.get(truth[i]!);
    if (seen === undefined) first.set(truth[i]!, labels[i]!);
    else if (seen !== labels[i]) split.add(truth[i]!);
  }
  return split.size;
}

/** The library part, in this (child) process. */
async function libraryCase(p: Params): Promise<PartResult> {
  const cluster = await import('@faceclust/cluster');
  const threads = p.threads > 0 ? p.threads : undefined;
  const { vectors, truth, clusters: trueClusters } = generateClustered({ n: p.n, dim: p.dim, seed: p.seed });
  const cpu = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e6;
  };
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const index = await cluster.HnswIndex.build(vectors, p.dim, { M: p.M, efConstruction: p.efConstruction, threads });
  const buildMs = performance.now() - start;
  const buildCpuS = cpu(cpu0);
  const cpu1 = process.cpuUsage();
  const graph = await index.knnGraph({ radius: p.threshold, k: p.k, ef: p.ef, threads });
  const graphMs = performance.now() - start - buildMs;
  const graphCpuS = cpu(cpu1);
  const run = await cluster.chineseWhispersOnGraph(graph);
  const wallMs = performance.now() - start;
  const cpuS = cpu(cpu0);
  const q = cluster.evaluate(run.labels, truth);
  const comp = components(p.n, graph.offsets, graph.indices);
  let lonely = 0;
  for (let i = 0; i < p.n; i++) if (graph.offsets[i + 1] === graph.offsets[i]) lonely++;
  if (p.splitsFile) {
    // each person the graph splits: its size, then each fragment as faces:largest degree
    const byPerson = new Map<number, number[]>();
    for (let i = 0; i < p.n; i++) (byPerson.get(truth[i]!) ?? byPerson.set(truth[i]!, []).get(truth[i]!)!).push(i);
    const lines: string[] = [];
    for (const [person, rows] of byPerson) {
      const frags = new Map<number, number[]>();
      for (const i of rows) (frags.get(comp[i]!) ?? frags.set(comp[i]!, []).get(comp[i]!)!).push(graph.offsets[i + 1]! - graph.offsets[i]!);
      if (frags.size > 1) lines.push(`${person} size ${rows.length}: ` + [...frags.values()].map((d) => `${d.length}:${Math.max(...d)}`).join(' '));
    }
    writeFileSync(p.splitsFile, lines.join('\n') + '\n');
  }
  return {
    part: 'library', n: p.n, ok: true, wallMs, buildMs, graphMs, clusterMs: run.timings.clusterMs, buildCpuS, graphCpuS, cpuS,
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024), clusters: run.clusterCount, trueClusters,
    pairwiseF: q.pairwise.f, bcubedF: q.bcubed.f, edges: cluster.edgeCount(graph),
    components: new Set(comp).size, lonely, splitByGraph: splitPeople(truth, comp),
    // people whose faces the graph connects but Chinese Whispers still puts in two clusters
    splitByCw: splitPeople(truth, run.labels) - splitPeople(truth, comp),
    graphSteps: graph.stats,
  };
}

function harness(): string {
  if (!existsSync(HARNESS) || statSync(HARNESS).mtimeMs < statSync(HARNESS_SRC).mtimeMs) {
    mkdirSync(path.dirname(HARNESS), { recursive: true });
    execFileSync('g++', ['-O3', '-march=native', '-std=c++17', '-pthread', '-isystem', HNSWLIB_DIR, HARNESS_SRC, '-o', HARNESS], { stdio: 'inherit' });
  }
  return HARNESS;
}

/** hnswlib's build + query of the rows file, under /usr/bin/time for its peak RSS. */
function hnswlibCase(p: Params, rowsFile: string): PartResult {
  const bin = harness();
  const args = [rowsFile, p.n, p.dim, p.M, p.efConstruction, p.k, p.ef, p.threads > 0 ? p.threads : os.availableParallelism(), 100].map(String);
  const timed = existsSync('/usr/bin/time');
  const timeFile = `${rowsFile}.time`;
  const start = performance.now();
  const child = timed
    ? spawnSync('/usr/bin/time', ['-v', '-o', timeFile, bin, ...args], { encoding: 'utf8' })
    : spawnSync(bin, args, { encoding: 'utf8' });
  const wallMs = performance.now() - start;
  if (child.status !== 0) return { part: 'hnswlib', n: p.n, ok: false, error: child.stderr.slice(-2000) };
  const r = JSON.parse(child.stdout.trim()) as { buildS: number; queryS: number; buildCpuS: number; queryCpuS: number; simd: string };
  let peakRssMiB: number | undefined;
  if (timed) {
    const kb = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(execFileSync('cat', [timeFile], { encoding: 'utf8' }))?.[1];
    if (kb) peakRssMiB = mib(Number(kb) * 1024);
  }
  return {
    part: 'hnswlib', n: p.n, ok: true, wallMs, buildMs: r.buildS * 1000, graphMs: r.queryS * 1000, buildCpuS: r.buildCpuS, graphCpuS: r.queryCpuS,
    cpuS: r.buildCpuS + r.queryCpuS, peakRssMiB, simd: r.simd,
  };
}

/** The CLI part: a store of n faces (grey crops), then `faceclust cluster cw` with every default. */
async function cliCase(p: Params, vectors: Float32Array, truth: Int32Array, trueClusters: number, root: string, timeoutMs: number): Promise<PartResult> {
  const out = path.join(root, 'out');
  mkdirSync(out, { recursive: true });
  const perImage = 4;
  const photoRows = photoOrder(truth, perImage);
  const rows = new Float32Array(vectors.length);
  photoRows.forEach((from, to) => rows.set(vectors.subarray(from * p.dim, (from + 1) * p.dim), to * p.dim));
  const photoTruth = truth.map((_, to) => truth[photoRows[to]!]!);
  const t = performance.now();
  await fillStore(path.join(out, 'faces.sqlite'), path.join(root, 'photos'), rows, { dim: p.dim, perImage });
  process.stderr.write(`n=${p.n}: store filled in ${sec(performance.now() - t)} s\n`);
  const stdoutFile = path.join(root, 'cluster.json');
  // every default (the clustering uses every core: 2 on the machine issue 17 names)
  const args = ['cluster', 'cw', '--out', out, '--json', '-v'];
  const r = await runCli(args, stdoutFile, timeoutMs);
  const j = readCliJson(stdoutFile);
  if (r.exitCode !== 0 || !j) return { part: 'cli', n: p.n, ok: false, wallMs: r.wallMs, peakRssMiB: r.peakRssMiB, error: r.stderrTail ?? `exit ${r.exitCode}` };
  const q = evaluate(rowsFromJson(j, p.n, perImage).clusters, photoTruth);
  return {
    part: 'cli', n: p.n, ok: true, wallMs: r.wallMs, buildMs: j.timings.indexMs, graphMs: j.timings.graphMs, clusterMs: j.timings.clusterMs,
    cpuS: r.userS !== undefined && r.systemS !== undefined ? r.userS + r.systemS : undefined,
    peakRssMiB: r.peakRssMiB, clusters: j.clusters, trueClusters, pairwiseF: q.pairwise.f, bcubedF: q.bcubed.f, edges: j.edges,
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--library-case') {
    process.stdout.write(JSON.stringify(await libraryCase(JSON.parse(process.argv[3]!) as Params)) + '\n');
    return;
  }
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      n: { type: 'string', default: process.env.N ?? '1000000' },
      parts: { type: 'string', default: 'cli,hnswlib' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      threshold: { type: 'string', default: '1.0' },
      threads: { type: 'string', default: '2' },
      M: { type: 'string', default: '16' },
      'ef-construction': { type: 'string', default: '100' },
      k: { type: 'string', default: '32' },
      ef: { type: 'string', default: '64' },
      'timeout-min': { type: 'string', default: '60' },
      splits: { type: 'string', default: '' },
      tmp: { type: 'string', default: os.tmpdir() },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
    },
  });
  const sizes = values.n.split(',').map(Number);
  const bad = sizes.find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) throw new RangeError(`Expected positive integers for --n but received ${JSON.stringify(values.n)}`);
  const parts = values.parts.split(',').filter(Boolean) as Part[];
  const unknown = parts.find((q) => !PARTS.includes(q));
  if (unknown !== undefined) throw new RangeError(`Expected --parts from ${PARTS.join(', ')} but received ${JSON.stringify(unknown)}`);
  if (parts.includes('cli') && !existsSync(CLI)) throw new Error(`${CLI} not found: run \`pnpm build\` first`);
  const base = {
    dim: intFlag(values, 'dim', 1), seed: intFlag(values, 'seed', 0), threshold: Number(values.threshold), threads: intFlag(values, 'threads', 0),
    M: intFlag(values, 'M', 2), efConstruction: intFlag(values, 'ef-construction', 1), k: intFlag(values, 'k', 1), ef: intFlag(values, 'ef', 1),
  };
  mkdirSync(values.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const capabilities = await nativeCapabilities();
  const results: PartResult[] = [];
  const write = (): string => {
    const json = { suite: 'million', date: new Date().toISOString(), machine: machineInfo(), capabilities, build: cliBuild(), options: values, results };
    const ours = (n: number) => results.find((r) => r.n === n && r.part === 'library' && r.ok) ?? results.find((r) => r.n === n && r.part === 'cli' && r.ok);
    const table = formatTable(
      ['n', 'part', 'wall s', 'build s', 'graph s', 'cw s', 'cpu s', 'build cpu s', 'graph cpu s', 'peak MiB', 'clusters', 'true', 'clusters/true', 'pairwise F', 'BCubed F', 'split: graph', 'split: cw', 'hnswlib ÷ ours (wall)', 'hnswlib ÷ ours (cpu)'],
      results.map((r) => {
        const o = ours(r.n);
        const base = r.part === 'hnswlib' && r.ok && o;
        const wallRatio = base ? ((r.buildMs! + r.graphMs!) / (o.buildMs! + o.graphMs!)).toFixed(2) : '';
        const cpuRatio = base && o.buildCpuS !== undefined ? ((r.buildCpuS! + r.graphCpuS!) / (o.buildCpuS + o.graphCpuS!)).toFixed(2) : '';
        const cpu = (s?: number) => (s === undefined ? '' : s.toFixed(1));
        return [r.n, r.ok ? r.part : `${r.part} FAILED`, sec(r.wallMs), sec(r.buildMs), sec(r.graphMs), sec(r.clusterMs), cpu(r.cpuS), cpu(r.buildCpuS), cpu(r.graphCpuS), r.peakRssMiB ?? '',
          r.clusters ?? '', r.trueClusters ?? '', r.clusters && r.trueClusters ? (r.clusters / r.trueClusters).toFixed(4) : '',
          r.pairwiseF?.toFixed(4) ?? '', r.bcubedF?.toFixed(4) ?? '', r.splitByGraph ?? '', r.splitByCw ?? '', wallRatio, cpuRatio];
      }),
    );
    writeFileSync(path.join(values.out, `million-${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
    writeFileSync(path.join(values.out, `million-${stamp}.txt`), table + '\n');
    return table;
  };
  for (const n of sizes) {
    const p: Params = { ...base, n, ...(values.splits ? { splitsFile: `${values.splits}-${n}.txt` } : {}) };
    const root = path.join(values.tmp, `faceclust-million-${n}-${process.pid}`);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    try {
      let set: ReturnType<typeof generateClustered> | undefined;
      const data = () => (set ??= generateClustered({ n, dim: p.dim, seed: p.seed }));
      for (const part of parts) {
        process.stderr.write(`n=${n}: ${part}\n`);
        let r: PartResult;
        if (part === 'library') {
          const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--library-case', JSON.stringify(p)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
          r = child.status === 0 ? (JSON.parse(child.stdout.trim().split('\n').pop()!) as PartResult) : { part, n, ok: false, error: `exit ${child.status} (its stderr above)` };
        } else if (part === 'hnswlib') {
          const rowsFile = path.join(root, 'rows.f32');
          if (!existsSync(rowsFile)) writeFileSync(rowsFile, new Uint8Array(data().vectors.buffer));
          r = hnswlibCase(p, rowsFile);
          rmSync(rowsFile, { force: true });
        } else {
          const { vectors, truth, clusters } = data();
          r = await cliCase(p, vectors, truth, clusters, root, Number(values['timeout-min']) * 60_000);
        }
        if (!r.ok) process.stderr.write(`n=${n} ${part} failed:\n${r.error}\n`);
        else process.stderr.write(`n=${n} ${part}: ${sec(r.wallMs)} s (build ${sec(r.buildMs)}, graph ${sec(r.graphMs)}), peak ${r.peakRssMiB} MiB${r.clusters ? `, ${r.clusters} clusters (true ${r.trueClusters}), BCubed F ${r.bcubedF!.toFixed(4)}` : ''}\n`);
        const st = r.graphSteps;
        if (st) {
          process.stderr.write(
            `  graph steps: search ${sec(st.searchMs)} s, short rows ${st.shortRows} (${st.exactRows} exact, ${st.followers} followers) ${sec(st.shortMs)} s, ` +
              `closed parts ${st.closedParts} (${st.stillClosed} still closed) ${sec(st.closedMs)} s, union ${sec(st.unionMs)} s\n`,
          );
        }
        results.push(r);
        write();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${write()}\nwritten to ${values.out}/million-${stamp}.{json,txt}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
