/**
 * Threshold sweeps: one radius graph at the largest threshold, re-clustered for every smaller one (the
 * graph at a smaller threshold is a subgraph of the larger one's), so 30 values cost little more than one
 * clustering call.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendName, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { chineseWhispersOnGraph, WEIGHTINGS, type Weighting } from './chinese-whispers.js';
import { dbscanOnGraph } from './dbscan.js';
import { assertGraph, edgeCount, filterGraphUnchecked, type NeighborGraph } from './graph.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { exactGraph, resolveMetric, unitsOf, type ClusterInput, type MetricInput, type MetricParams } from './metric-input.js';
import { METRICS, type Metric } from './metrics.js';
import type { CancelOptions, ClusterResult, MetricOptions } from './types.js';
import { CHINESE_WHISPERS_PARAMS, COMMON_PARAMS, DBSCAN_PARAMS, checkParam, defaultMergeRadius, paramOrDefault } from './params.js';
import { describe, expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import type { VectorsInput } from './vectors.js';

/** The clustering methods a sweep can run: Chinese Whispers or DBSCAN. */
export const SWEEP_METHODS = ['cw', 'dbscan'] as const;

/** See {@link SWEEP_METHODS}. */
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/**
 * Options of {@link sweepGraph}: the method, the thresholds and the method's other parameters. Aborting
 * `signal` stops the graph and every clustering in flight; the sweep rejects once they have all stopped.
 */
export interface SweepGraphOptions extends CancelOptions {
  /** `'cw'` (Chinese Whispers, threshold = `threshold`) or `'dbscan'` (threshold = `eps`). */
  method: SweepMethod;
  /** The values to try, each a finite number > 0, in any order; rows come back in this order. */
  thresholds: readonly number[];
  /** Chinese Whispers: maximum passes, default 30. */
  iterations?: number;
  /** Chinese Whispers: seed of the visiting order, default 0. */
  seed?: number;
  /** Chinese Whispers: edge weighting, default `'similarity'`. */
  weighting?: Weighting;
  /** Chinese Whispers: smaller clusters become noise, default 1. */
  minClusterSize?: number;
  /**
   * Chinese Whispers: the merge radius at every threshold (at most the smallest). Default:
   * `defaultMergeRadius(threshold, metric)` at each threshold, as chineseWhispers does; for {@link sweepGraph}
   * only when `metric` (the graph's) is given, else 0 (off), as chineseWhispersOnGraph does.
   */
  mergeRadius?: number;
  /** {@link sweepGraph}: the metric the graph was built in, for the default merge radius. */
  metric?: Metric;
  /** DBSCAN: points (itself included) within eps that make a core point, default 5. */
  minSamples?: number;
  /** Ground-truth identity per row: adds the scores of {@link evaluate} to every row. */
  truth?: Int32Array;
  /** `'auto'` (default), `'native'` or `'ts'`. */
  backend?: BackendOption;
  /** Native backend: clusterings run side by side (at most 4) and the graph's worker threads; default every core. */
  threads?: number;
}

/** Options of {@link sweepThresholds}. */
export interface SweepOptions extends Omit<SweepGraphOptions, 'metric'>, Omit<MetricOptions, 'metric'> {
  /** Any metric the clustering calls take (default `'euclidean'`), see {@link MetricInput}. */
  metric?: MetricInput;
  /** The extra metrics' parameters: see {@link MetricParams}. */
  metricParams?: MetricParams;
}

/** One threshold's outcome. */
export interface SweepRow {
  threshold: number;
  /** Clusters (noise excluded). */
  clusters: number;
  /** Rows labelled −1 (DBSCAN noise, or CW clusters below `minClusterSize`). */
  noise: number;
  /** Size of the largest cluster (0 when there is none). */
  largest: number;
  /** Clusters of exactly one member (noise excluded). */
  singletons: number;
  /** Undirected edges of the graph at this threshold. */
  edges: number;
  /** With `truth`: pairwise F (noise counted as clusters of one). */
  pairwiseF?: number;
  /** With `truth`: BCubed F. */
  bcubedF?: number;
  /** With `truth`: every score of {@link evaluate}. */
  evaluation?: Evaluation;
}

/** What {@link sweepThresholds} and {@link sweepGraph} return. */
export interface SweepResult {
  method: SweepMethod;
  /** One row per requested threshold, in the order given. */
  rows: SweepRow[];
  /** The backend that clustered. */
  backend: BackendName;
  /** The graph at the largest threshold (reuse it for {@link kDistancesOnGraph} or another sweep). */
  graph: NeighborGraph;
  timings: { graphMs: number; clusterMs: number; totalMs: number };
}

interface Params {
  method: SweepMethod;
  thresholds: number[];
  iterations: number;
  seed: number;
  weighting: Weighting;
  minClusterSize: number;
  /** A fixed radius, or the default at each threshold of `metric` (sweepThresholds), or off. */
  mergeRadius: number | { metric: Metric };
  minSamples: number;
  truth?: Int32Array;
  signal?: AbortSignal;
}

function sweepParams(opts: Record<string, unknown>, metric?: Metric): Params {
  const method = expectOneOf('method', opts.method, SWEEP_METHODS);
  const thresholds = opts.thresholds;
  if (!Array.isArray(thresholds)) throw new TypeError(`Expected thresholds to be an array of numbers but received ${describe(thresholds)}`);
  if (thresholds.length === 0) throw new RangeError('Expected thresholds to hold at least one value but received an empty array');
  thresholds.forEach((t, i) => expectPositiveFinite(`thresholds[${i}]`, t));
  const truth = opts.truth;
  if (truth !== undefined && !(truth instanceof Int32Array)) {
    throw new TypeError(`Expected truth to be an Int32Array but received ${describe(truth)}`);
  }
  return {
    method,
    thresholds: thresholds as number[],
    iterations: paramOrDefault<number>(CHINESE_WHISPERS_PARAMS.iterations, opts.iterations),
    seed: paramOrDefault<number>(CHINESE_WHISPERS_PARAMS.seed, opts.seed),
    weighting: paramOrDefault<Weighting>(CHINESE_WHISPERS_PARAMS.weighting, opts.weighting),
    minClusterSize: paramOrDefault<number>(CHINESE_WHISPERS_PARAMS.minClusterSize, opts.minClusterSize),
    mergeRadius: sweepMergeRadius(opts.mergeRadius, thresholds as number[], metric),
    minSamples: paramOrDefault<number>(DBSCAN_PARAMS.minSamples, opts.minSamples),
    truth,
    signal: expectSignal('signal', opts.signal),
  };
}

function sweepMergeRadius(value: unknown, thresholds: number[], metric: Metric | undefined): number | { metric: Metric } {
  const spec = CHINESE_WHISPERS_PARAMS.mergeRadius;
  if (value === undefined) return metric === undefined ? 0 : { metric };
  const smallest = Math.min(...thresholds);
  return checkParam<number>(spec, value, spec.name, { kind: 'number', min: 0, max: smallest }, 'the smallest threshold: each graph holds the edges up to its threshold');
}

/**
 * Clusters `vectors` at every threshold of `options.thresholds` with Chinese Whispers or DBSCAN, building
 * the radius graph once at the largest threshold and filtering it down for each smaller one
 * ({@link filterGraph}: exact except for an edge whose float64 distance lies within half a float32 ulp of a
 * threshold). Each row equals a separate `chineseWhispers` / `dbscan` call at that value.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying).
 * @param dim the number of values per row, an integer >= 1.
 * @example
 * const { rows } = await sweepThresholds(embeddings, 512, { method: 'cw', thresholds: [0.8, 0.9, 1.0], truth });
 */
export async function sweepThresholds(vectors: ClusterInput, dim: number, options: SweepOptions): Promise<SweepResult> {
  const start = performance.now();
  const opts = expectOptions('options', options, true);
  const resolved = resolveMetric(opts.metric, opts.metricParams);
  const params = sweepParams(opts, unitsOf(resolved));
  const threads = resolveThreads(opts.threads);
  if (opts.neighbors !== undefined || opts.hnsw !== undefined) throw new RangeError('sweepThresholds builds the exact graph: neighbors and hnsw do not apply');
  throwIfAborted(params.signal);
  const graphStart = performance.now();
  const { graph, n, backend } = await exactGraph(resolved, vectors, dim, Math.max(...params.thresholds), opts, threads, params.signal);
  checkTruth(params.truth, n);
  const graphMs = performance.now() - graphStart;
  return runSweep(graph, params, backend, threads, start, graphMs);
}

/**
 * {@link sweepThresholds} on a prebuilt graph (from {@link radiusGraph} at a radius at least the largest
 * threshold; thresholds above the graph's radius see only the graph's edges). `timings.graphMs` is 0.
 */
export async function sweepGraph(graph: NeighborGraph, options: SweepGraphOptions): Promise<SweepResult> {
  const start = performance.now();
  assertGraph(graph);
  const opts = expectOptions('options', options, true);
  const metric = opts.metric === undefined ? undefined : paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric);
  const params = sweepParams(opts, metric);
  checkTruth(params.truth, graph.n);
  const threads = resolveThreads(opts.threads);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(params.signal);
  return runSweep(graph, params, backend, threads, start, 0);
}

function checkTruth(truth: Int32Array | undefined, n: number): void {
  if (truth && truth.length !== n) {
    throw new RangeError(`Expected truth to have one label per row (${n}) but received length ${truth.length}`);
  }
}

async function runSweep(graph: NeighborGraph, p: Params, backend: Backend, threads: number, start: number, graphMs: number): Promise<SweepResult> {
  const clusterStart = performance.now();
  // Largest first, each graph filtered from the previous one: every filter pass reads fewer edges.
  const distinct = [...new Set(p.thresholds)].sort((a, b) => b - a);
  const byThreshold = new Map<number, SweepRow>();
  const { signal } = p;
  const name = backend.name;
  const mergeAt = (t: number) => (typeof p.mergeRadius === 'number' ? p.mergeRadius : defaultMergeRadius(t, p.mergeRadius.metric));
  const cluster = (g: NeighborGraph, t: number): Promise<ClusterResult> =>
    p.method === 'cw'
      ? chineseWhispersOnGraph(g, { iterations: p.iterations, seed: p.seed, weighting: p.weighting, minClusterSize: p.minClusterSize, mergeRadius: mergeAt(t), backend: name, signal })
      : dbscanOnGraph(g, { minSamples: p.minSamples, backend: name, signal });
  // Clusterings off this thread: keep a few in flight while this thread filters the next graph and scores
  // finished ones. Each run is independent, so the rows equal sequential runs.
  const limit = backend.offThread ? Math.max(1, Math.min(threads, 4)) : 1;
  const inFlight = new Set<Promise<void>>();
  let current = graph;
  try {
    for (const t of distinct) {
      throwIfAborted(signal);
      current = filterGraphUnchecked(current, t);
      const g = current;
      const job: Promise<void> = cluster(g, t).then((result) => {
        byThreshold.set(t, rowOf(t, result, edgeCount(g), p.truth));
        inFlight.delete(job);
      });
      job.catch(() => {}); // the race or the final Promise.all reports it; this keeps it from being unhandled
      inFlight.add(job);
      if (inFlight.size >= limit) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } catch (error) {
    // Settle every clustering still running (an abort stops them all) before reporting: nothing outlives the call.
    await Promise.allSettled(inFlight);
    throw error;
  }
  const end = performance.now();
  return {
    method: p.method,
    rows: p.thresholds.map((t) => ({ ...byThreshold.get(t)! })),
    backend: name,
    graph,
    timings: { graphMs, clusterMs: end - clusterStart, totalMs: end - start },
  };
}

/** The row of one clustering: counts from the renumbered labels (label 0 is the largest cluster). */
export function rowOf(threshold: number, result: Pick<ClusterResult, 'labels' | 'clusterCount' | 'noiseCount'>, edges: number, truth?: Int32Array): SweepRow {
  const sizes = new Int32Array(result.clusterCount);
  for (const l of result.labels) if (l >= 0) sizes[l]++;
  let singletons = 0;
  for (const s of sizes) if (s === 1) singletons++;
  const row: SweepRow = {
    threshold,
    clusters: result.clusterCount,
    noise: result.noiseCount,
    largest: result.clusterCount > 0 ? sizes[0] : 0,
    singletons,
    edges,
  };
  if (truth) {
    const evaluation = evaluate(result.labels, truth);
    row.pairwiseF = evaluation.pairwise.f;
    row.bcubedF = evaluation.bcubed.f;
    row.evaluation = evaluation;
  }
  return row;
}

/**
 * `steps` evenly spaced values from `from` to `to` inclusive (one value when steps is 1), rounded to 6
 * decimals so that printed thresholds read as typed.
 */
export function thresholdRange(from: number, to: number, steps: number): number[] {
  expectPositiveFinite('from', from);
  expectPositiveFinite('to', to);
  expectInteger('steps', steps, 1, 10000);
  if (to < from) throw new RangeError(`Expected to (${to}) to be >= from (${from})`);
  if (steps === 1) return [from];
  return Array.from({ length: steps }, (_, i) => Math.round((from + ((to - from) * i) / (steps - 1)) * 1e6) / 1e6);
}
