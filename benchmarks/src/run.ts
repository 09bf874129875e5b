/**
 * faceclust benchmarks: `pnpm bench` from the repository root.
 *
 *   --n 1000,5000,20000   sizes for the end-to-end runs (env N)
 *   --dim 512             dimension (env DIM)
 *   --seed 42             generator seed (env SEED)
 *   --threshold 1.0       CW threshold and DBSCAN eps (the generator's clusters sit near 0.9)
 *   --min-samples 5       DBSCAN minSamples
 *   --threads 0           native threads (0 = all cores)
 *   --ts-max-n 20000      largest n for the pure-TS baseline (it is slow by design)
 *   --kernel-seconds 1    time per kernel measurement
 *   --no-baselines        skip numpy / scikit-learn reference runs
 *   --out DIR             where the JSON goes (default benchmarks/results)
 *
 * Every measurement runs in a child process of its own (peak memory is per case); the JSON holds the
 * machine, the addon's capabilities() and every number; the table puts native against pure TS as ratios
 * measured in this same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs } from './args.js';
import type { CaseResult, CaseSpec } from './case.js';
import { measureBaselines, type BaselineResult } from './baselines.js';
import { generateClustered } from './generator.js';
import { machineInfo } from './machine.js';
import { formatTable } from './table.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values } = parseArgs({
  args: benchArgs(),
  options: {
    n: { type: 'string', default: process.env.N ?? '1000,5000,20000' },
    dim: { type: 'string', default: process.env.DIM ?? '512' },
    seed: { type: 'string', default: process.env.SEED ?? '42' },
    threshold: { type: 'string', default: '1.0' },
    'min-samples': { type: 'string', default: '5' },
    threads: { type: 'string', default: '0' },
    'ts-max-n': { type: 'string', default: '20000' },
    'kernel-seconds': { type: 'string', default: '1' },
    'no-baselines': { type: 'boolean', default: false },
    out: { type: 'string', default: path.resolve(here, '../results') },
  },
});

function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`Expected --${name} to be a number >= 0 but received ${JSON.stringify(text)}`);
  return value;
}

const sizes = values.n.split(',').map((s) => positiveNumber('n', s));
const dim = positiveNumber('dim', values.dim);
const seed = positiveNumber('seed', values.seed);
const threshold = positiveNumber('threshold', values.threshold);
const minSamples = positiveNumber('min-samples', values['min-samples']);
const threads = positiveNumber('threads', values.threads);
const tsMaxN = positiveNumber('ts-max-n', values['ts-max-n']);
const kernelSeconds = positiveNumber('kernel-seconds', values['kernel-seconds']);

function runCase(spec: CaseSpec): CaseResult {
  const child = spawnSync(process.execPath, [path.join(here, 'case.js'), JSON.stringify(spec)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) throw new Error(`benchmark case ${JSON.stringify(spec)} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as CaseResult;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const { loadNative } = await import('@faceclust/core-native');
  const capabilities = loadNative().capabilities();
  const machine = machineInfo();
  log(`faceclust benchmarks on ${machine.cpu}, ${machine.cores} cores; native paths ${capabilities.supported.join(', ')} (active ${capabilities.active})`);

  // Kernels, one thread, per instruction set: the pair-at-a-time distance functions (pairwiseSync on a
  // 256×512 block) and the blocked radius-graph pass (n = 4096, GEMM form for euclidean/cosine).
  const kernels: { kernel: string; isa: string; metric: string; ms: number; gflops: number }[] = [];
  for (const isa of capabilities.supported) {
    for (const metric of ['euclidean', 'cosine', 'manhattan']) {
      const result = runCase({ kind: 'kernel', isa, metric, rows: 256, cols: 512, dim, seconds: kernelSeconds });
      kernels.push({ kernel: 'pairwise', isa, metric, ms: result.ms, gflops: result.gflops ?? 0 });
      log(`kernel pairwise ${isa} ${metric}: ${result.gflops?.toFixed(1)} GFLOP/s`);
    }
    for (const [metric, radius] of [['euclidean', 0.5], ['cosine', 0.125], ['manhattan', 8]] as const) {
      const result = runCase({ kind: 'graph-kernel', isa, metric, n: 4096, dim, radius, seconds: kernelSeconds });
      kernels.push({ kernel: 'radius graph', isa, metric, ms: result.ms, gflops: result.gflops ?? 0 });
      log(`kernel radius graph ${isa} ${metric}: ${result.gflops?.toFixed(1)} GFLOP/s`);
    }
  }

  // End to end: radius graph, Chinese Whispers, DBSCAN; native and pure TS.
  const runs: ({ algorithm: string; backend: string; n: number } & CaseResult)[] = [];
  for (const n of sizes) {
    for (const algorithm of ['graph', 'cw', 'dbscan'] as const) {
      for (const backend of ['native', 'ts'] as const) {
        if (backend === 'ts' && n > tsMaxN) continue;
        const result = runCase({ kind: 'cluster', algorithm, backend, n, dim, seed, threshold, minSamples, threads });
        runs.push({ algorithm, backend, n, ...result });
        log(`${algorithm} ${backend} n=${n}: ${(result.ms / 1000).toFixed(3)} s, peak ${result.peakRssMiB} MiB`);
      }
    }
  }

  let baselines: BaselineResult[] = [];
  let baselinesSkipped: string[] = [];
  if (!values['no-baselines']) {
    const n = Math.max(...sizes);
    log(`baselines at n=${n} (numpy matmul, scikit-learn DBSCAN) ...`);
    const { vectors } = generateClustered({ n, dim, seed });
    ({ results: baselines, skipped: baselinesSkipped } = measureBaselines(vectors, n, dim, threshold, minSamples));
    for (const skipped of baselinesSkipped) log(`baseline skipped: ${skipped}`);
  }

  const report = {
    date: new Date().toISOString(),
    machine,
    capabilities,
    parameters: { sizes, dim, seed, threshold, minSamples, threads, generator: 'generateClustered (benchmarks/src/generator.ts)' },
    kernels,
    runs,
    baselines,
    baselinesSkipped,
  };
  mkdirSync(values.out, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  const file = path.join(values.out, `core-${stamp}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  writeFileSync(path.join(values.out, 'core-latest.json'), JSON.stringify(report, null, 2));

  console.log('\nKernels on one thread (2·dim flops per pair; × scalar = ratio to the scalar reference in this run)');
  console.log(
    formatTable(
      ['kernel', 'isa', 'metric', 'ms/call', 'GFLOP/s', '× scalar'],
      kernels.map((k) => {
        const scalar = kernels.find((s) => s.isa === 'scalar' && s.metric === k.metric && s.kernel === k.kernel);
        return [k.kernel, k.isa, k.metric, k.ms, k.gflops, scalar ? k.gflops / scalar.gflops : NaN];
      }),
    ),
  );
  console.log(`\nEnd to end (dim ${dim}, threshold/eps ${threshold}, minSamples ${minSamples}; native × = pure-TS time / native time)`);
  console.log(
    formatTable(
      ['step', 'n', 'native s', 'ts s', 'native ×', 'edges', 'clusters', 'noise', 'native peak MiB', 'ts peak MiB'],
      runs
        .filter((r) => r.backend === 'native')
        .map((r) => {
          const ts = runs.find((t) => t.backend === 'ts' && t.algorithm === r.algorithm && t.n === r.n);
          return [
            r.algorithm,
            r.n,
            r.ms / 1000,
            ts ? ts.ms / 1000 : '-',
            ts ? ts.ms / r.ms : '-',
            r.edges ?? '-',
            r.clusters ?? '-',
            r.noise ?? '-',
            r.peakRssMiB,
            ts ? ts.peakRssMiB : '-',
          ];
        }),
    ),
  );
  if (baselines.length > 0) {
    const n = Math.max(...sizes);
    const native = (algorithm: string) => runs.find((r) => r.backend === 'native' && r.algorithm === algorithm && r.n === n);
    console.log(`\nBaselines at n=${n}, same data (ratio = baseline time / native time)`);
    console.log(
      formatTable(
        ['baseline', 'seconds', 'compare with', 'native s', 'ratio', 'detail'],
        baselines.map((b) => {
          const gemm = b.name.startsWith('numpy');
          const ours = native(gemm ? 'graph' : 'dbscan');
          const reference = gemm ? b.ms / 2 : b.ms; // the symmetric half of the product
          return [b.name + (gemm ? ' (half)' : ''), reference / 1000, gemm ? 'radius graph' : 'DBSCAN', ours ? ours.ms / 1000 : '-', ours ? reference / ours.ms : '-', b.detail];
        }),
      ),
    );
  }
  console.log(`\nJSON: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
