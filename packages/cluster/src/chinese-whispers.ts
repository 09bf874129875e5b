/**
 * Chinese Whispers (docs/ALGORITHMS.md, "Chinese Whispers"): label propagation over the radius graph,
 * in a seeded random order, deterministic for a given seed on both backends.
 */
import { performance } from 'node:perf_hooks';
import { resolveBackend, resolveThreads, type Backend, type BackendOption } from './backend.js';
import { throwIfAborted } from './cancel.js';
import { contractGraph, expandLabels, prepareConstraints, type Constraints, type Contraction } from './constraints.js';
import { assertGraph, edgeCount, type NeighborGraph } from './graph.js';
import type { Metric } from './metrics.js';
import { callInput, resolveMetric, unitsOf, type ClusterInput, type MetricInput, type MetricParams } from './metric-input.js';
import { CHINESE_WHISPERS_PARAMS as CW, checkParam, mergeRadiusFor, paramOrDefault } from './params.js';
import type { NeighborOptions } from './neighbors.js';
import { renumberLabels } from './renumber.js';
import type { CancelOptions, ClusterResult, MetricOptions } from './types.js';
import { expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import type { VectorsInput } from './vectors.js';

/** Edge weights: `similarity` = 1 / (1 + distance); `unit` = 1 for every edge (as dlib does). */
export const WEIGHTINGS = CW.weighting.rule.choices;

/** See {@link WEIGHTINGS}. */
export type Weighting = (typeof WEIGHTINGS)[number];

/** Options of {@link chineseWhispersOnGraph}. */
export interface ChineseWhispersGraphOptions extends CancelOptions {
  /** Maximum number of passes, an integer >= 1; default 30. Stops early after a pass that changes nothing. */
  iterations?: number;
  /** Seed of the visiting order (mulberry32), an integer in [0, 2^32); default 0. */
  seed?: number;
  /** Edge weighting, default `'similarity'`. */
  weighting?: Weighting;
  /** Clusters with fewer members become noise (−1); an integer >= 1, default 1 (keep every cluster). */
  minClusterSize?: number;
  /**
   * The merge pass (docs/ALGORITHMS.md, "Merge pass"): after the passes, two clusters whose closest faces are
   * within this distance are joined, closest pairs first, unless a cannot-link separates them. A number
   * >= 0; 0 turns it off. {@link chineseWhispers}: at most the threshold, default
   * {@link defaultMergeRadius}(threshold, metric); {@link chineseWhispersOnGraph}: default 0 (the graph does
   * not know its threshold: pass `defaultMergeRadius` of it to cluster as chineseWhispers does).
   */
  mergeRadius?: number;
  /** `'auto'` (default), `'native'` or `'ts'`. */
  backend?: BackendOption;
  /**
   * Must-link pairs end in one cluster, cannot-link pairs never share one (docs/ALGORITHMS.md,
   * "Constraints"); a cannot-link inside a must-link group throws a {@link ConstraintConflictError}.
   * `minClusterSize` counts rows, so a must-link group of 2+ rows counts each of them.
   */
  constraints?: Constraints;
}

/** Options of {@link chineseWhispers}. */
export interface ChineseWhispersOptions extends ChineseWhispersGraphOptions, Omit<MetricOptions, 'metric'>, NeighborOptions {
  /**
   * A vector metric (default `'euclidean'`), `'precomputed'` (`vectors` holds distances: an n×n matrix or a
   * sparse graph, `dim` = n) or a function `(a, b) => distance` (pure-TypeScript backend): see the README,
   * "Metrics".
   */
  metric?: MetricInput;
  /** The extra metrics' parameters (`p`, `w`, `V`, `VI`): see {@link MetricParams}. */
  metricParams?: MetricParams;
  /** Two faces are joined when their distance is `<= threshold`; a finite number > 0. */
  threshold: number;
}

interface CwParams {
  iterations: number;
  seed: number;
  unit: boolean;
  minClusterSize: number;
  mergeRadius: number;
  signal?: AbortSignal;
}

/** The validated parameters; `threshold` (chineseWhispers) bounds the merge radius and sets its default. */
function cwParams(opts: Record<string, unknown>, threshold?: { value: number; metric: Metric }): CwParams {
  const mergeRadius =
    threshold === undefined ? paramOrDefault<number>(CW.mergeRadius, opts.mergeRadius ?? 0) : mergeRadiusFor(opts.mergeRadius, threshold.value, threshold.metric);
  return {
    iterations: paramOrDefault<number>(CW.iterations, opts.iterations),
    seed: paramOrDefault<number>(CW.seed, opts.seed),
    unit: paramOrDefault<Weighting>(CW.weighting, opts.weighting) === 'unit',
    minClusterSize: paramOrDefault<number>(CW.minClusterSize, opts.minClusterSize),
    mergeRadius,
    signal: expectSignal('signal', opts.signal),
  };
}

/**
 * Clusters embeddings with Chinese Whispers: faces within `threshold` of each other are joined by an edge;
 * each pass visits every face in a seeded random order and gives it the label with the largest summed
 * edge weight among its neighbours (ties to the smallest label). A face with no neighbour stays a cluster
 * of one. The same input and seed give the same labels on every run and on both backends.
 *
 * @param vectors n×dim embeddings: see {@link VectorsInput} (a `Float32Array` is used without copying); with
 *   `metric: 'precomputed'` distances instead (see {@link ClusterInput}).
 * @param dim the number of values per row, an integer >= 1 (precomputed: n).
 * @example
 * const { labels, clusterCount } = await chineseWhispers(embeddings, 512, { threshold: 1.0 });
 */
export async function chineseWhispers(vectors: ClusterInput, dim: number, options: ChineseWhispersOptions): Promise<ClusterResult> {
  const start = performance.now();
  const opts = expectOptions('options', options, true);
  const threshold = checkParam<number>(CW.threshold, opts.threshold);
  const resolved = resolveMetric(opts.metric, opts.metricParams);
  const params = cwParams(opts, { value: threshold, metric: unitsOf(resolved) });
  const threads = resolveThreads(opts.threads);
  const input = callInput(resolved, vectors, dim, opts);
  const constraints = prepareConstraints(opts.constraints, input.n);
  const graphStart = performance.now();
  const { graph, backend, neighbors, reason, index } = await input.graph(threshold, threads, 1, params.signal);
  const graphMs = performance.now() - graphStart;
  return { ...(await runOnGraph(graph, params, constraints, backend, start, graphMs)), neighbors, ...(reason ? { neighborsReason: reason } : {}), ...(index ? { index } : {}) };
}

/**
 * Chinese Whispers on a prebuilt graph (from {@link radiusGraph}, possibly narrowed by {@link filterGraph}),
 * for threshold sweeps that build the graph once. `timings.graphMs` is 0.
 */
export async function chineseWhispersOnGraph(graph: NeighborGraph, options: ChineseWhispersGraphOptions = {}): Promise<ClusterResult> {
  const start = performance.now();
  assertGraph(graph);
  const opts = expectOptions('options', options, false);
  const params = cwParams(opts);
  const constraints = prepareConstraints(opts.constraints, graph.n);
  const backend = await resolveBackend(opts.backend);
  throwIfAborted(params.signal);
  return runOnGraph(graph, params, constraints, backend, start, 0);
}

async function runOnGraph(
  graph: NeighborGraph,
  params: CwParams,
  constraints: Contraction | undefined,
  backend: Backend,
  start: number,
  graphMs: number,
): Promise<ClusterResult> {
  const clusterStart = performance.now();
  const { iterations, seed, unit, signal, mergeRadius } = params;
  const raw: { labels: Int32Array; iterations: number; nodeLabels?: Int32Array } =
    graph.n === 0
      ? { labels: new Int32Array(0), iterations: 0 }
      : constraints
        ? await constrainedPasses(graph, params, constraints, backend)
        : await backend.chineseWhispers(graph, iterations, seed, unit, signal);
  const mergeStart = performance.now();
  let merged = raw.labels;
  if (mergeRadius > 0 && graph.n > 0) {
    const c = raw.nodeLabels && constraints ? { nodeLabels: raw.nodeLabels, cannotOffsets: constraints.cannotOffsets, cannotIndices: constraints.cannotIndices } : undefined;
    merged = await backend.mergeClusters(graph, raw.labels, mergeRadius, signal, c);
  }
  const mergeMs = performance.now() - mergeStart;
  const { labels, clusterCount, noiseCount } = renumberLabels(merged, params.minClusterSize);
  const end = performance.now();
  return {
    labels,
    clusterCount,
    noiseCount,
    backend: backend.name,
    timings: { graphMs, clusterMs: end - clusterStart, totalMs: end - start, mergeMs },
    iterations: raw.iterations,
    graph: { edges: edgeCount(graph) },
  };
}

/** The passes over the must-link groups, their labels given back to every member row (and kept per group for the merge pass). */
async function constrainedPasses(graph: NeighborGraph, params: CwParams, c: Contraction, backend: Backend): Promise<{ labels: Int32Array; nodeLabels: Int32Array; iterations: number }> {
  const { graph: groups, weights } = contractGraph(graph, c, params.unit ? 'unit' : 'similarity');
  const { cannotOffsets, cannotIndices } = c;
  const raw = await backend.chineseWhispers(groups, params.iterations, params.seed, params.unit, params.signal, { weights, cannotOffsets, cannotIndices });
  return { labels: expandLabels(raw.labels, c), nodeLabels: raw.labels, iterations: raw.iterations };
}
