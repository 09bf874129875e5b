/**
 * The `faceclust cluster` command end to end at library scale: a FaceStore filled with n synthetic faces,
 * then the real CLI as a child process, twice (the second call at another threshold reuses `<out>/hnsw/`).
 * `pnpm --filter @faceclust/benchmarks bench:cli-scale -- --n 120000,250000` (after `pnpm build`).
 *
 *   --n 120000[,250000]       sizes (env N); from 120,000 faces `--neighbors auto` takes hnsw
 *   --dim 512 --seed 42       generator (benchmarks/src/generator.ts); ~20 faces per person, Zipf sizes
 *   --largest-person 50%      a skewed library: one person holds this many faces (a count, or a share of n)
 *   --compare hnsw,exact      after those calls, one call per listed --neighbors value at the default threshold,
 *                             each with <out>/hnsw/ removed first (a cold index, as the first call had): the
 *                             baselines of auto's choice, in the same run
 *   --faces-per-image 4       faces per fake photo (an empty file: `cluster` leaves out photos that are gone)
 *   --crops 64                distinct crops in the store (crops.ts: 112×112 PNGs of ~16 KB, as real crops are,
 *                             since the reports decode them); 0 for fillStore's 0.3 KB grey square
 *   --threshold2 0.95         threshold of the second call (the first uses the CLI's default)
 *   --calls 2                 1 runs only the first call
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
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import { evaluate } from '@faceclust/cluster';
import { CLI, cliBuild, du, fillStore, nativeCapabilities, readCliJson, rowsFromJson, runCli, sec, type ChildRun } from './cli-child.js';
import { realisticCrops } from './crops.js';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable, mib } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface CallResult extends ChildRun {
  call: number;
  /** The flags this call added (e.g. `--neighbors hnsw`). */
  flags: string;
  /** Why the CLI's neighbour path was taken (its --json params.neighborsReason). */
  neighborsReason?: string;
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
}

interface SizeResult {
  n: number;
  largestPerson?: number;
  images: number;
  trueClusters: number;
  fillMs: number;
  generateMs: number;
  storeMiB: number;
  calls: CallResult[];
}

/** What the benchmark reads of a call's `--json`: its neighbour path, counts and timings. */
function callFromJson(stdoutFile: string): CallResult['log'] & { loadMs?: number } {
  const j = readCliJson(stdoutFile);
  if (!j) return {};
  const { embedMs, indexMs, graphMs, clusterMs, reportsMs, totalMs } = j.timings;
  return {
    neighbors: j.params.neighbors,
    index: j.params.index,
    clusters: j.clusters,
    noClass: j.noise,
    edges: j.edges,
    timings: { 'hnsw index': indexMs, graph: graphMs, cluster: clusterMs, reports: reportsMs, total: totalMs },
    // `cluster` (no inputs) counts loading the store as its embed time
    loadMs: embedMs,
  };
}

async function runSize(n: number, o: { dim: number; seed: number; perImage: number; crops: number; calls: number; threshold2: string; cliFlags: string[]; timeoutMs: number; tmp: string; keep: boolean; largest: (n: number) => number | undefined; compare: string[] }): Promise<SizeResult> {
  const root = path.join(o.tmp, `faceclust-cli-scale-${n}-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  const out = path.join(root, 'out');
  const photos = path.join(root, 'photos');
  mkdirSync(out, { recursive: true });
  let t = performance.now();
  const largestPerson = o.largest(n);
  let set: ReturnType<typeof generateClustered> | undefined = generateClustered({ n, dim: o.dim, seed: o.seed, largestPerson });
  const generateMs = performance.now() - t;
  const { truth, clusters: trueClusters } = set;
  t = performance.now();
  const { images } = await fillStore(path.join(out, 'faces.sqlite'), photos, set.vectors, {
    dim: o.dim, perImage: o.perImage, ...(o.crops > 0 ? { crops: await realisticCrops(o.crops) } : {}),
  });
  const fillMs = performance.now() - t;
  set = undefined; // the vectors (n × dim × 4 bytes) need not sit in this process while the CLI runs
  const storeMiB = mib(du(path.join(out, 'faces.sqlite')).bytes + du(path.join(out, 'faces.sqlite-wal')).bytes);
  process.stderr.write(`n=${n}: ${images} photos, store ${storeMiB} MiB, generated in ${sec(generateMs)} s, stored in ${sec(fillMs)} s\n`);

  const calls: CallResult[] = [];
  const variants = [[], ['--threshold', o.threshold2]].slice(0, o.calls).concat(o.compare.map((how) => ['--neighbors', how]));
  for (const [k, extra] of variants.entries()) {
    const call = k + 1;
    if (k >= o.calls) rmSync(path.join(out, 'hnsw'), { recursive: true, force: true });
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
    const result: CallResult = { call, flags: extra.join(' '), ...r, outputs, log, loadMs };
    if (r.exitCode === 0) {
      const j = readCliJson(stdoutFile)!;
      const q = evaluate(rowsFromJson(j, n, o.perImage).clusters, truth);
      Object.assign(result, {
        neighborsUsed: j.params.neighbors, neighborsReason: j.params.neighborsReason, threshold: j.params.threshold, clusters: j.clusters, noise: j.noise,
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
  return { n, largestPerson, images, trueClusters, fillMs, generateMs, storeMiB, calls };
}

/**
 * Issue 17's measure: the call's wall time over its clustering step alone (load the store, hnsw index,
 * graph, cw, from its --json), i.e. what the reports, start-up and the rest add to clustering.
 */
function wallOverClustering(c: CallResult): string {
  const t = c.log?.timings;
  if (!t || c.loadMs === undefined) return '';
  const clustering = c.loadMs + (t['hnsw index'] ?? 0) + (t.graph ?? 0) + (t.cluster ?? 0);
  return (c.wallMs / clustering).toFixed(2);
}

/** Duration of the step that starts with `prefix` (from its message to the next one). */
function stepMs(c: CallResult, prefix: string): number | undefined {
  return c.steps.find((s) => s.message.startsWith(prefix))?.ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: {
      n: { type: 'string', default: process.env.N ?? '120000' },
      dim: { type: 'string', default: process.env.DIM ?? '512' },
      seed: { type: 'string', default: process.env.SEED ?? '42' },
      'faces-per-image': { type: 'string', default: '4' },
      crops: { type: 'string', default: '64' },
      threshold2: { type: 'string', default: '0.95' },
      calls: { type: 'string', default: '2' },
      'cli-flags': { type: 'string', default: '' },
      'timeout-min': { type: 'string', default: '45' },
      tmp: { type: 'string', default: os.tmpdir() },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: path.resolve(here, '..', 'results') },
      'largest-person': { type: 'string', default: '' },
      compare: { type: 'string', default: '' },
    },
  });
  const skew = values['largest-person'];
  const compare = values.compare.split(',').filter(Boolean);
  for (const how of compare) if (!['exact', 'hnsw', 'auto'].includes(how)) throw new RangeError(`Expected --compare to list exact, hnsw or auto but received ${JSON.stringify(how)}`);
  if (!existsSync(CLI)) throw new Error(`${CLI} not found: run \`pnpm build\` first`);
  const sizes = values.n.split(',').map(Number);
  const bad = sizes.find((n) => !Number.isInteger(n) || n < 1);
  if (bad !== undefined) throw new RangeError(`Expected positive integers for --n but received ${JSON.stringify(values.n)}`);
  if (values.calls !== '1' && values.calls !== '2') throw new RangeError(`Expected 1 or 2 for --calls but received ${JSON.stringify(values.calls)}`);
  const opts = {
    dim: Number(values.dim), seed: Number(values.seed), perImage: Number(values['faces-per-image']), crops: Number(values.crops), calls: Number(values.calls), threshold2: values.threshold2,
    cliFlags: values['cli-flags'].split(/\s+/).filter(Boolean), timeoutMs: Number(values['timeout-min']) * 60_000, tmp: values.tmp, keep: values.keep,
    largest: (n: number) => (!skew ? undefined : skew.endsWith('%') ? Math.round((n * Number(skew.slice(0, -1))) / 100) : Number(skew)),
    compare,
  };
  mkdirSync(values.out, { recursive: true });
  const results: SizeResult[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const capabilities = await nativeCapabilities();
  const write = () => {
    const json = { suite: 'cli-scale', date: new Date().toISOString(), machine: machineInfo(), capabilities, cli: CLI, build: cliBuild(), options: values, results };
    const rows = results.flatMap((s) => s.calls.map((c) => [
      s.n, s.largestPerson ?? '', c.call, c.flags, c.threshold ?? (c.call === 1 ? 'default' : opts.threshold2), c.timedOut ? 'timeout' : String(c.exitCode), sec(c.wallMs), c.peakRssMiB ?? '',
      sec(c.loadMs), sec(c.log?.timings?.['hnsw index']), sec(c.log?.timings?.graph), sec(c.log?.timings?.cluster),
      sec(stepMs(c, 'writing clusters-')), sec(stepMs(c, 'writing report-')), sec(c.log?.timings?.reports), sec(c.log?.timings?.total), wallOverClustering(c),
      c.neighborsUsed ?? '', c.log?.index?.split(' ')[0] ?? '', c.clusters ?? '', s.trueClusters, c.pairwiseF?.toFixed(4) ?? '', c.bcubedF?.toFixed(4) ?? '',
    ]));
    const table = formatTable(
      ['n', 'largest', 'call', 'flags', 'threshold', 'exit', 'wall s', 'peak MiB', 'load s', 'index s', 'graph s', 'cw s', 'xlsx s', 'html s', 'reports s', 'total s', 'wall ÷ clustering', 'neighbors', 'index', 'clusters', 'true', 'F', 'BCubed F'],
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
    const reasons = results.flatMap((s) => s.calls.filter((c) => c.neighborsReason).map((c) => `n=${s.n} call ${c.call}: ${c.neighborsUsed} (${c.neighborsReason})`));
    const text = `${table}\n${reasons.map((l) => l + '\n').join('')}\n${sizesTable}\n\n${stepsTable}\n`;
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
