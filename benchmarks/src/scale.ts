/**
 * Scale suite: exact vs HNSW neighbour graphs for Chinese Whispers at 50k–500k faces.
 * `pnpm --filter @faceclust/benchmarks bench:scale` (after `pnpm build`).
 *
 *   --n 50000,100000,250000   sizes (env N); --with-500k adds 500000 (minutes)
 *   --largest-person 50%      a skewed library: one person holds this many faces (a count, or a share of n),
 *                             the other n/20 people share the rest (generator.ts, largestPerson)
 *   --paths exact,hnsw,auto   which paths run (default exact,hnsw,hnsw-full; with --largest-person
 *                             exact,hnsw,auto); auto = the library's default, neighbors 'auto', its choice
 *                             and reason recorded, the estimate's time included
 *   --exact-max-n 100000      largest n for the exact path (its graph grows with n² on this data)
 *   --dim 512 --seed 42 --threshold 1.0 --threads 0
 *   --M 16 --ef-construction 100 --k 32 --ef N  (default: the library's, 64, or 128 from 150k rows)
 *   --sample 2000             rows whose exact neighbours are compared with the HNSW graph's
 *   --full-max-n 100000       largest n for hnsw-full: HNSW with maxNeighbors (--full-max-neighbors 4096),
 *                             which widens each full row's search towards every within-threshold neighbour
 *   --out DIR                 default benchmarks/results
 *
 * Each (path, n) runs in a child process of its own, so peak memory is per case. Recall: for a sample of
 * rows, the fraction of their exact within-threshold neighbours that the HNSW graph holds (all of them, and
 * the k nearest of them, which is all a kNN graph can hold); agreement: pairwise F of the HNSW clustering
 * against the exact one (evaluate), where the exact path ran, and pairwise and BCubed F of every path's
 * clustering against the generator's truth. Output: JSON, a table, and an SVG of time vs n.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

type ScalePath = 'exact' | 'hnsw' | 'hnsw-full' | 'auto';
const PATHS: readonly ScalePath[] = ['exact', 'hnsw', 'hnsw-full', 'auto'];

interface ScaleSpec {
  path: ScalePath;
  n: number;
  dim: number;
  seed: number;
  threshold: number;
  threads: number;
  M: number;
  efConstruction: number;
  k: number;
  ef?: number;
  /** hnsw-full: the graph's maxNeighbors. */
  maxNeighbors: number;
  sample: number;
  labelsFile: string;
  largestPerson?: number;
}

interface ScaleResult {
  path: ScalePath;
  n: number;
  largestPerson?: number;
  trueClusters: number;
  /** auto: the path it took, why, and how long deciding took (resolveNeighbors: the sampled estimate). */
  used?: string;
  reason?: string;
  decideMs?: number;
  totalMs: number;
  buildMs?: number;
  queryMs?: number;
  graphMs: number;
  clusterMs: number;
  edges: number;
  clusters: number;
  baseRssMiB: number;
  peakRssMiB: number;
  recallAll?: number;
  recallK?: number;
  pairwiseF?: number;
  /** Against the generator's truth. */
  truthPairwiseF: number;
  truthBcubedF: number;
}

/** Exact within-threshold neighbours of sample rows (fp32 distances, blocks of rows) vs the graph's rows. */
async function sampleRecall(vectors: Float32Array, n: number, dim: number, threshold: number, k: number, sample: number,
  graph: { offsets: Uint32Array; indices: Int32Array }): Promise<{ recallAll: number; recallK: number }> {
  const { loadNative } = await import('@faceclust/core-native');
  const native = loadNative();
  const rows = Array.from({ length: Math.min(sample, n) }, (_, s) => Math.floor((s * n) / Math.min(sample, n)));
  const block = Math.max(1, Math.floor(25_000_000 / n));
  let all = 0, foundAll = 0, nearest = 0, foundNearest = 0;
  for (let b = 0; b < rows.length; b += block) {
    const these = rows.slice(b, b + block);
    const a = new Float32Array(these.length * dim);
    these.forEach((r, t) => a.set(vectors.subarray(r * dim, (r + 1) * dim), t * dim));
    const out = new Float32Array(these.length * n);
    await native.pairwise(a, these.length, vectors, n, dim, 'euclidean', out, 0);
    these.forEach((i, t) => {
      const have = new Set<number>();
      for (let e = graph.offsets[i]; e < graph.offsets[i + 1]; e++) have.add(graph.indices[e]);
      const within: [number, number][] = [];
      for (let j = 0; j < n; j++) {
        const d = out[t * n + j];
        if (j !== i && d <= threshold) within.push([d, j]);
      }
      within.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      within.forEach(([, j], rank) => {
        const hit = have.has(j) ? 1 : 0;
        all++;
        foundAll += hit;
        if (rank < k) {
          nearest++;
          foundNearest += hit;
        }
      });
    });
  }
  return { recallAll: all ? foundAll / all : 1, recallK: nearest ? foundNearest / nearest : 1 };
}

async function runCase(spec: ScaleSpec): Promise<ScaleResult> {
  const cluster = await import('@faceclust/cluster');
  const threads = spec.threads > 0 ? spec.threads : undefined; // 0: every core
  const { vectors, truth, clusters: trueClusters } = generateClustered({ n: spec.n, dim: spec.dim, seed: spec.seed, largestPerson: spec.largestPerson });
  const warm = vectors.subarray(0, 300 * spec.dim);
  await cluster.chineseWhispers(warm, spec.dim, { threshold: spec.threshold, neighbors: spec.path === 'exact' ? 'exact' : 'hnsw', threads });
  const baseRssMiB = mib(process.memoryUsage().rss);
  const start = performance.now();
  if (spec.path === 'auto') {
    // what a library user gets by default: the decision (the same call chineseWhispers makes), then that path
    const choice = await cluster.resolveNeighbors('auto', vectors, spec.dim, { radius: spec.threshold, threads });
    const decideMs = performance.now() - start;
    const run = await cluster.chineseWhispers(vectors, spec.dim, { threshold: spec.threshold, threads, neighbors: choice.neighbors });
    const totalMs = performance.now() - start;
    const peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
    writeFileSync(spec.labelsFile, new Uint8Array(run.labels.buffer, run.labels.byteOffset, run.labels.byteLength));
    const quality = cluster.evaluate(run.labels, truth);
    return {
      path: 'auto', n: spec.n, largestPerson: spec.largestPerson, trueClusters, used: choice.neighbors, reason: choice.reason, decideMs, totalMs,
      graphMs: decideMs + run.timings.graphMs, clusterMs: run.timings.clusterMs, edges: run.graph.edges, clusters: run.clusterCount, baseRssMiB, peakRssMiB,
      truthPairwiseF: quality.pairwise.f, truthBcubedF: quality.bcubed.f,
    };
  }
  let graph;
  let buildMs: number | undefined, queryMs: number | undefined;
  if (spec.path !== 'exact') {
    const index = await cluster.HnswIndex.build(vectors, spec.dim, { M: spec.M, efConstruction: spec.efConstruction, threads });
    buildMs = performance.now() - start;
    const maxNeighbors = spec.path === 'hnsw-full' ? spec.maxNeighbors : undefined;
    graph = await index.knnGraph({ radius: spec.threshold, k: spec.k, ef: spec.ef, maxNeighbors, threads });
    queryMs = performance.now() - start - buildMs;
  } else {
    graph = await cluster.radiusGraph(vectors, spec.dim, { radius: spec.threshold, threads });
  }
  const graphMs = performance.now() - start;
  const run = await cluster.chineseWhispersOnGraph(graph);
  const totalMs = performance.now() - start;
  const peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
  writeFileSync(spec.labelsFile, new Uint8Array(run.labels.buffer, run.labels.byteOffset, run.labels.byteLength));
  const quality = cluster.evaluate(run.labels, truth);
  const result: ScaleResult = {
    path: spec.path, n: spec.n, largestPerson: spec.largestPerson, trueClusters, totalMs, buildMs, queryMs, graphMs, clusterMs: run.timings.clusterMs,
    edges: cluster.edgeCount(graph), clusters: run.clusterCount, baseRssMiB, peakRssMiB,
    truthPairwiseF: quality.pairwise.f, truthBcubedF: quality.bcubed.f,
  };
  if (spec.path !== 'exact' && spec.sample > 0) Object.assign(result, await sampleRecall(vectors, spec.n, spec.dim, spec.threshold, spec.k, spec.sample, graph));
  return result;
}

function svgChart(results: ScaleResult[]): string {
  const W = 640, H = 400, L = 70, B = 50, T = 30, R = 120;
  const maxN = Math.max(...results.map((r) => r.n));
  const maxS = Math.max(...results.map((r) => r.totalMs / 1000)) * 1.1;
  const x = (n: number) => L + (n / maxN) * (W - L - R);
  const y = (s: number) => H - B - (s / maxS) * (H - B - T);
  const colours = { exact: '#d62728', hnsw: '#1f77b4', 'hnsw-full': '#2ca02c', auto: '#9467bd' } as const;
  let body = '';
  for (const p of PATHS) {
    const pts = results.filter((r) => r.path === p).sort((a, b) => a.n - b.n);
    if (!pts.length) continue;
    body += `<polyline fill="none" stroke="${colours[p]}" stroke-width="2" points="${pts.map((r) => `${x(r.n).toFixed(1)},${y(r.totalMs / 1000).toFixed(1)}`).join(' ')}"/>`;
    for (const r of pts) body += `<circle cx="${x(r.n).toFixed(1)}" cy="${y(r.totalMs / 1000).toFixed(1)}" r="3" fill="${colours[p]}"/>`;
    const last = pts[pts.length - 1];
    body += `<text x="${(x(last.n) + 6).toFixed(1)}" y="${y(last.totalMs / 1000).toFixed(1)}" font-size="12" fill="${colours[p]}">${p}</text>`;
  }
  let axes = `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`;
  for (let t = 0; t <= 4; t++) {
    const n = (maxN * t) / 4, s = (maxS * t) / 4;
    axes += `<text x="${x(n).toFixed(1)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${Math.round(n / 1000)}k</text>`;
    axes += `<text x="${L - 6}" y="${(y(s) + 4).toFixed(1)}" font-size="11" text-anchor="end">${s.toFixed(0)}</text>`;
  }
  axes += `<text x="${(L + W - R) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">faces (n)</text>`;
  axes += `<text x="16" y="${(T + H - B) / 2}" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">Chinese Whispers end to end (s)</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${axes}${body}</svg>\n`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--case') {
    process.stdout.write(JSON.stringify(await runCase(JSON.parse(process.argv[3]) as ScaleSpec)) + '\n');
    return;
  }
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      n: { type: 'string', default: process.env.N ?? '50000,100000,250000' },
      'with-500k': { type: 'boolean', default: false },
      'exact-max-n': { type: 'string', default: '100000' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      threshold: { type: 'string', default: '1.0' },
      threads: { type: 'string', default: '0' },
      M: { type: 'string', default: '16' },
      'ef-construction': { type: 'string', default: '100' },
      k: { type: 'string', default: '32' },
      ef: { type: 'string', default: '' },
      sample: { type: 'string', default: '2000' },
      'full-max-n': { type: 'string', default: '100000' },
      'full-max-neighbors': { type: 'string', default: '4096' },
      'largest-person': { type: 'string', default: '' },
      paths: { type: 'string', default: '' },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
    },
  });
  const sizes = values.n.split(',').map(Number).concat(values['with-500k'] ? [500_000] : []);
  const exactMax = Number(values['exact-max-n']);
  const skew = values['largest-person'];
  const largestOf = (n: number) => (!skew ? undefined : skew.endsWith('%') ? Math.round((n * Number(skew.slice(0, -1))) / 100) : Number(skew));
  const wanted = (values.paths || (skew ? 'exact,hnsw,auto' : 'exact,hnsw,hnsw-full')).split(',') as ScalePath[];
  for (const p of wanted) if (!PATHS.includes(p)) throw new RangeError(`Expected --paths to list ${PATHS.join(', ')} but received ${p}`);
  mkdirSync(values.out, { recursive: true });
  const tmp = path.join(os.tmpdir(), `faceclust-scale-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  const results: ScaleResult[] = [];
  for (const n of sizes) {
    const paths = wanted.filter((p) => (p === 'exact' ? n <= exactMax : p === 'hnsw-full' ? n <= Number(values['full-max-n']) : true));
    const labels: Partial<Record<ScalePath, Int32Array>> = {};
    for (const p of paths) {
      const spec: ScaleSpec = {
        path: p, n, dim: Number(values.dim), seed: Number(values.seed), threshold: Number(values.threshold), threads: Number(values.threads),
        M: Number(values.M), efConstruction: Number(values['ef-construction']), k: Number(values.k), ef: values.ef ? Number(values.ef) : undefined,
        maxNeighbors: Number(values['full-max-neighbors']),
        sample: Number(values.sample), labelsFile: path.join(tmp, `${p}-${n}.i32`), largestPerson: largestOf(n),
      };
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--case', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) {
        process.stderr.write(`${p} n=${n} failed:\n${child.stderr}\n`);
        continue;
      }
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as ScaleResult;
      const buf = readFileSync(spec.labelsFile);
      labels[p] = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      results.push(r);
      process.stderr.write(`${p} n=${n}: ${(r.totalMs / 1000).toFixed(1)} s, peak ${r.peakRssMiB} MiB${r.recallK !== undefined ? `, recall@k ${r.recallK.toFixed(4)}, recall(all) ${r.recallAll!.toFixed(4)}` : ''}${r.reason ? `, ${r.used} (${r.reason})` : ''}\n`);
    }
    const { evaluate } = await import('@faceclust/cluster');
    for (const p of ['hnsw', 'hnsw-full', 'auto'] as const) {
      const h = results.find((r) => r.path === p && r.n === n);
      if (labels.exact && labels[p] && h) h.pairwiseF = evaluate(labels[p]!, labels.exact).pairwise.f;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
  let capabilities: unknown;
  try {
    capabilities = (await import('@faceclust/core-native')).loadNative().capabilities();
  } catch {
    capabilities = null;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const json = { suite: 'scale', date: new Date().toISOString(), machine: machineInfo(), capabilities, options: values, results };
  const s = (ms?: number) => (ms === undefined ? '' : (ms / 1000).toFixed(1));
  const table = formatTable(
    ['path', 'n', 'largest', 'total s', 'build s (auto: decide)', 'query s', 'cluster s', 'edges', 'clusters (true)', 'peak MiB', 'recall@k', 'recall all', 'F vs exact', 'F vs truth', 'BCubed vs truth', 'vs hnsw'],
    results.map((r) => {
      const hnsw = results.find((h) => h.path === 'hnsw' && h.n === r.n);
      return [r.used ? `auto→${r.used}` : r.path, r.n, r.largestPerson ?? '', s(r.totalMs), s(r.buildMs ?? r.decideMs), s(r.queryMs), s(r.clusterMs), r.edges, `${r.clusters} (${r.trueClusters})`, r.peakRssMiB,
        r.recallK?.toFixed(4) ?? '', r.recallAll?.toFixed(4) ?? '', r.pairwiseF?.toFixed(4) ?? '', r.truthPairwiseF.toFixed(4), r.truthBcubedF.toFixed(4),
        hnsw ? `${(r.totalMs / hnsw.totalMs).toFixed(2)}×` : ''];
    }),
  );
  const reasons = results.filter((r) => r.reason).map((r) => `auto n=${r.n}: ${r.used} (${r.reason}; deciding took ${s(r.decideMs)} s)`);
  writeFileSync(path.join(values.out, `scale-${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(path.join(values.out, `scale-${stamp}.txt`), table + '\n' + reasons.map((l) => l + '\n').join(''));
  writeFileSync(path.join(values.out, `scale-${stamp}.svg`), svgChart(results));
  process.stdout.write(table + '\n' + reasons.map((l) => l + '\n').join('') + `written to ${values.out}/scale-${stamp}.{json,txt,svg}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
