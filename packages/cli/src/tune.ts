/**
 * Choosing the threshold: a sweep of thresholds over the stored embeddings (one radius graph, re-clustered
 * per value), the label-free suggestion, and for DBSCAN the k-distances. What `faceclust tune` prints,
 * charts and logs.
 */
import {
  kDistancesOnGraph, suggestThreshold, sweepThresholds, thresholdRange,
  type BackendName, type BackendOption, type Metric, type SweepRow, type ThresholdSuggestion,
} from '@faceclust/cluster';
import { DEFAULTS, UsageError } from './options.js';
import type { Method } from './result.js';

export interface TuneOptions {
  method: Method;
  /** Range of thresholds (eps for DBSCAN); default {@link defaultRange}. */
  from?: number;
  to?: number;
  /** Number of values from `from` to `to`, ends included; default 30. */
  steps?: number;
  metric?: Metric;
  backend?: BackendOption;
  threads?: number;
  iterations?: number;
  seed?: number;
  minClusterSize?: number;
  minSamples?: number;
  /** Identity per face (−1: unknown, scored as its own person): adds pairwise and BCubed F to the rows. */
  truth?: Int32Array;
}

export interface TuneResult {
  method: Method;
  metric: Metric;
  /** Every parameter the sweep ran with. */
  params: Record<string, number | string>;
  /**
   * The label-free suggestion; when the nearest-neighbour distances show no clear valley (one mode: e.g.
   * everyone photographed many times), the method's default for the metric (see `suggestedFrom`); null
   * when there is neither (fewer than 4 faces and a metric without a default).
   */
  suggested: number | null;
  /** Where `suggested` comes from. */
  suggestedFrom: 'valley' | 'default' | 'none';
  suggestion: ThresholdSuggestion;
  rows: SweepRow[];
  /** DBSCAN: each face's distance to its minSamples-th neighbour (itself the 1st); Infinity beyond `to`. */
  kDistances?: Float64Array;
  backend: BackendName;
  edges: number;
  timings: { graphMs: number; clusterMs: number; totalMs: number };
}

/**
 * Default sweep range, from the method's default threshold b (measured on lfw-dev for euclidean distances
 * between L2-normalised embeddings; converted for sqeuclidean (d²) and cosine (d²/2)): cw 0.7·b to 1.15·b,
 * dbscan 0.6·b to 1.2·b. It covers the same-person distances, the valley the suggestion looks for and the
 * onset of merging, while the graph at its top stays sparse (Chinese Whispers slows down on the dense graphs
 * past it, where everyone merges). Metrics with no such scale (manhattan, chebyshev) need --from and --to.
 */
export function defaultRange(method: Method, metric: Metric): [number, number] {
  const [lo, hi] = method === 'cw' ? [0.7, 1.15] : [0.6, 1.2];
  return [methodDefault(method, metric, lo), methodDefault(method, metric, hi)];
}

/** `factor` × the method's default threshold, in `metric`'s units (rounded to 4 decimals). */
export function methodDefault(method: Method, metric: Metric, factor = 1): number {
  const base = method === 'cw' ? DEFAULTS.threshold : DEFAULTS.eps;
  const scale = (d: number) => {
    switch (metric) {
      case 'euclidean':
        return d;
      case 'sqeuclidean':
        return d * d;
      case 'cosine':
        return (d * d) / 2;
      default:
        throw new UsageError(`No default range for --metric ${metric}: give --from and --to`);
    }
  };
  return Math.round(scale(factor * base) * 1e4) / 1e4;
}

/**
 * Sweeps the thresholds and suggests one: {@link suggestThreshold} on every face's nearest-neighbour
 * distance read off the sweep's graph (faces with no neighbour within `to` count in the upper group), for
 * both methods (a false merge starts wherever a face's nearest stranger is within reach); Chinese Whispers
 * takes the valley, DBSCAN, which chains, the 95th percentile of the same-person side.
 */
export async function tune(vectors: Float32Array, dim: number, o: TuneOptions): Promise<TuneResult> {
  const metric = o.metric ?? DEFAULTS.metric;
  const [defFrom, defTo] = o.from === undefined || o.to === undefined ? defaultRange(o.method, metric) : [o.from, o.to];
  const from = o.from ?? defFrom;
  const to = o.to ?? Math.max(defTo, from);
  if (to < from) throw new UsageError(`--to (${to}) must be >= --from (${from})`);
  const steps = o.steps ?? 30;
  const thresholds = thresholdRange(from, to, steps);
  const params: Record<string, number | string> =
    o.method === 'cw'
      ? { from, to, steps, metric, iterations: o.iterations ?? DEFAULTS.iterations, seed: o.seed ?? DEFAULTS.seed, minClusterSize: o.minClusterSize ?? DEFAULTS.minClusterSize }
      : { from, to, steps, metric, minSamples: o.minSamples ?? DEFAULTS.minSamples };
  const sweep = await sweepThresholds(vectors, dim, {
    method: o.method, thresholds, metric, backend: o.backend, threads: o.threads, truth: o.truth,
    iterations: o.iterations, seed: o.seed, minClusterSize: o.minClusterSize, minSamples: o.minSamples ?? (o.method === 'dbscan' ? DEFAULTS.minSamples : undefined),
  });
  const suggestion = suggestThreshold(kDistancesOnGraph(sweep.graph, 2), { method: o.method });
  let suggested: number | null = null;
  let suggestedFrom: TuneResult['suggestedFrom'] = 'none';
  if (suggestion.clear) {
    suggested = Math.round(suggestion.threshold * 1e4) / 1e4;
    suggestedFrom = 'valley';
  } else if (metric === 'euclidean' || metric === 'sqeuclidean' || metric === 'cosine') {
    suggested = methodDefault(o.method, metric);
    suggestedFrom = 'default';
  }
  return {
    method: o.method,
    metric,
    params,
    suggested,
    suggestedFrom,
    suggestion,
    rows: sweep.rows,
    kDistances: o.method === 'dbscan' ? kDistancesOnGraph(sweep.graph, o.minSamples ?? DEFAULTS.minSamples) : undefined,
    backend: sweep.backend,
    edges: sweep.graph.offsets[sweep.graph.n] / 2,
    timings: sweep.timings,
  };
}

/** The `--json` object, exactly: `{ method, suggested, rows: [{ threshold, clusters, noise, largest, singletons, pairwiseF?, bcubedF? }] }`. */
export function tuneJson(r: TuneResult): { method: Method; suggested: number | null; rows: Pick<SweepRow, 'threshold' | 'clusters' | 'noise' | 'largest' | 'singletons' | 'pairwiseF' | 'bcubedF'>[] } {
  return {
    method: r.method,
    suggested: r.suggested,
    rows: r.rows.map((row) => ({
      threshold: row.threshold, clusters: row.clusters, noise: row.noise, largest: row.largest, singletons: row.singletons,
      ...(row.pairwiseF === undefined ? {} : { pairwiseF: row.pairwiseF, bcubedF: row.bcubedF }),
    })),
  };
}

const COLUMNS = ['threshold', 'clusters', 'noise', 'largest', 'singletons', 'edges'] as const;
const SCORES = ['pairwiseF', 'bcubedF', 'pairwiseP', 'pairwiseR', 'bcubedP', 'bcubedR', 'nmi', 'ari'] as const;

function scoreValues(row: SweepRow): number[] {
  const e = row.evaluation!;
  return [e.pairwise.f, e.bcubed.f, e.pairwise.precision, e.pairwise.recall, e.bcubed.precision, e.bcubed.recall, e.nmi, e.ari];
}

/** The rows as CSV (header first; score columns only with ground truth). */
export function tuneCsv(r: TuneResult): string {
  const scored = r.rows.some((row) => row.evaluation);
  const lines = [[...COLUMNS, ...(scored ? SCORES : [])].join(',')];
  for (const row of r.rows) {
    const cells: (string | number)[] = COLUMNS.map((c) => row[c]);
    if (scored) cells.push(...scoreValues(row).map((v) => v.toFixed(6)));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** The row with the best pairwise F (first of equals), when the rows are scored. */
export function bestRow(rows: readonly SweepRow[]): SweepRow | undefined {
  let best: SweepRow | undefined;
  for (const row of rows) if (row.pairwiseF !== undefined && (!best || row.pairwiseF > best.pairwiseF!)) best = row;
  return best;
}

/** A fixed-width table for the terminal and log.txt; `*` marks the row nearest the suggestion. */
export function tuneTable(r: TuneResult): string {
  const scored = r.rows.some((row) => row.pairwiseF !== undefined);
  const head = [r.method === 'cw' ? 'threshold' : 'eps', 'clusters', 'noise', 'largest', 'singletons', ...(scored ? ['pairwiseF', 'bcubedF'] : [])];
  let nearest = -1;
  if (r.suggested !== null) {
    for (let i = 0; i < r.rows.length; i++) {
      if (nearest < 0 || Math.abs(r.rows[i].threshold - r.suggested) < Math.abs(r.rows[nearest].threshold - r.suggested)) nearest = i;
    }
  }
  const body = r.rows.map((row, i) => [
    `${i === nearest ? '*' : ' '}${String(row.threshold)}`, row.clusters, row.noise, row.largest, row.singletons,
    ...(scored ? [row.pairwiseF!.toFixed(4), row.bcubedF!.toFixed(4)] : []),
  ].map(String));
  const widths = head.map((h, c) => Math.max(h.length + 1, ...body.map((b) => b[c].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [fmt(head.map((h, i) => (i === 0 ? ` ${h}` : h))), ...body.map(fmt)].join('\n');
}

/** One-paragraph summary of the suggestion (and the labelled best, with truth). */
export function tuneSummary(r: TuneResult): string {
  const s = r.suggestion;
  const what = r.method === 'cw' ? 'threshold' : 'eps';
  const lines: string[] = [];
  if (r.suggestedFrom !== 'valley') {
    const why = Number.isFinite(s.threshold)
      ? `the nearest-neighbour distances show no clear valley between same-person and stranger distances (separation ${s.separation.toFixed(2)}), as when everyone is photographed many times`
      : 'too few faces to split';
    lines.push(r.suggested === null ? `suggested ${what}: none (${why})` : `suggested ${what}: ${r.suggested}, the default (${why})`);
  } else {
    lines.push(
      `suggested ${what}: ${r.suggested} (${r.method === 'cw' ? 'the valley' : `95th percentile below the valley at ${s.valley.toFixed(3)}`} of the nearest-neighbour distances, between ${s.lowMode.toFixed(3)} (same person) and ${s.highMode.toFixed(3)} (strangers); separation ${s.separation.toFixed(2)}${s.separation < 0.6 ? ': weak, treat as a guess' : ''})`,
    );
  }
  const best = bestRow(r.rows);
  if (best) lines.push(`best with ground truth: ${what} ${best.threshold}, pairwise F ${best.pairwiseF!.toFixed(4)}, BCubed F ${best.bcubedF!.toFixed(4)}`);
  return lines.join('\n');
}
