/**
 * One measurement, run in a child process of its own so that its peak memory is its own.
 * Usage: node dist/case.js '<json spec>'  → prints one JSON line on stdout.
 */
import { performance } from 'node:perf_hooks';
import { generateClustered } from './generator.js';
import { mib } from './table.js';

export type CaseSpec =
  | { kind: 'kernel'; isa: string; metric: string; rows: number; cols: number; dim: number; seconds: number }
  | { kind: 'graph-kernel'; isa: string; metric: string; n: number; dim: number; radius: number; seconds: number }
  | {
      kind: 'cluster';
      algorithm: 'graph' | 'cw' | 'dbscan';
      backend: 'native' | 'ts';
      n: number;
      dim: number;
      seed: number;
      threshold: number;
      minSamples: number;
      threads: number;
    };

export interface CaseResult {
  ms: number;
  graphMs?: number;
  clusterMs?: number;
  edges?: number;
  clusters?: number;
  noise?: number;
  gflops?: number;
  /** Resident set size after the data was generated, before the measured call (MiB). */
  baseRssMiB: number;
  /** Peak resident set size of the whole child process (MiB). */
  peakRssMiB: number;
}


async function runKernel(spec: Extract<CaseSpec, { kind: 'kernel' }>): Promise<CaseResult> {
  const { loadNative } = await import('@faceclust/core-native');
  const native = loadNative();
  native.setIsa(spec.isa as never);
  const data = generateClustered({ n: spec.rows + spec.cols, dim: spec.dim, seed: 3 });
  const a = data.vectors.subarray(0, spec.rows * spec.dim);
  const b = data.vectors.subarray(spec.rows * spec.dim);
  const out = new Float32Array(spec.rows * spec.cols);
  const baseRssMiB = mib(process.memoryUsage().rss);
  native.pairwiseSync(a, spec.rows, b, spec.cols, spec.dim, spec.metric as never, out); // warm-up
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < spec.seconds * 1000) {
    native.pairwiseSync(a, spec.rows, b, spec.cols, spec.dim, spec.metric as never, out);
    calls++;
    elapsed = performance.now() - start;
  }
  const ms = elapsed / calls;
  // One multiply-add per element pair: 2·rows·cols·dim floating-point operations per call.
  const gflops = (2 * spec.rows * spec.cols * spec.dim) / (ms * 1e6);
  return { ms, gflops, baseRssMiB, peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) };
}

/**
 * The radius-graph pass on one thread: the blocked GEMM-form kernel of each instruction set plus its float64
 * recheck. A small radius keeps the edge list short, so the time is the distance work over n(n−1)/2 pairs.
 */
async function runGraphKernel(spec: Extract<CaseSpec, { kind: 'graph-kernel' }>): Promise<CaseResult> {
  const { loadNative } = await import('@faceclust/core-native');
  const native = loadNative();
  native.setIsa(spec.isa as never);
  const { vectors } = generateClustered({ n: spec.n, dim: spec.dim, seed: 5 });
  const baseRssMiB = mib(process.memoryUsage().rss);
  native.radiusGraphSync(vectors.subarray(0, 256 * spec.dim), 256, spec.dim, spec.metric as never, spec.radius, 1); // warm-up
  let calls = 0;
  let edges = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < spec.seconds * 1000 || calls === 0) {
    const graph = native.radiusGraphSync(vectors, spec.n, spec.dim, spec.metric as never, spec.radius, 1);
    edges = graph.offsets[spec.n] / 2;
    calls++;
    elapsed = performance.now() - start;
  }
  const ms = elapsed / calls;
  const gflops = (spec.n * (spec.n - 1) * spec.dim) / (ms * 1e6); // n(n−1)/2 pairs × 2·dim flops
  return { ms, gflops, edges, baseRssMiB, peakRssMiB: mib(process.resourceUsage().maxRSS * 1024) };
}

async function runCluster(spec: Extract<CaseSpec, { kind: 'cluster' }>): Promise<CaseResult> {
  const cluster = await import('@faceclust/cluster');
  const { vectors } = generateClustered({ n: spec.n, dim: spec.dim, seed: spec.seed });
  // threads 0 means the library's default (all cores).
  const common = { metric: 'euclidean' as const, backend: spec.backend, threads: spec.threads > 0 ? spec.threads : undefined };
  // Warm-up on a slice: loads the addon, JIT-compiles the TypeScript loops.
  const warm = vectors.subarray(0, Math.min(spec.n, 300) * spec.dim);
  await cluster.chineseWhispers(warm, spec.dim, { ...common, threshold: spec.threshold });
  await cluster.dbscan(warm, spec.dim, { ...common, eps: spec.threshold, minSamples: spec.minSamples });

  const baseRssMiB = mib(process.memoryUsage().rss);
  const start = performance.now();
  let result: CaseResult;
  if (spec.algorithm === 'graph') {
    const graph = await cluster.radiusGraph(vectors, spec.dim, { ...common, radius: spec.threshold });
    const ms = performance.now() - start;
    result = { ms, graphMs: ms, edges: graph.offsets[graph.offsets.length - 1] / 2, baseRssMiB, peakRssMiB: 0 };
  } else {
    const run =
      spec.algorithm === 'cw'
        ? await cluster.chineseWhispers(vectors, spec.dim, { ...common, threshold: spec.threshold })
        : await cluster.dbscan(vectors, spec.dim, { ...common, eps: spec.threshold, minSamples: spec.minSamples });
    const ms = performance.now() - start;
    result = {
      ms,
      graphMs: run.timings.graphMs,
      clusterMs: run.timings.clusterMs,
      clusters: run.clusterCount,
      noise: run.noiseCount,
      baseRssMiB,
      peakRssMiB: 0,
    };
  }
  result.peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
  return result;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as CaseSpec;
  const result =
    spec.kind === 'kernel' ? await runKernel(spec) : spec.kind === 'graph-kernel' ? await runGraphKernel(spec) : await runCluster(spec);
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
