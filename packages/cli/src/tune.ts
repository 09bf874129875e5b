/**
 * Choosing the threshold: a sweep of thresholds over the stored embeddings (one radius graph, re-clustered
 * per value), the label-free suggestion, and for DBSCAN the k-distances. What `faceclust tune` prints,
 * charts and logs.
 */
import {
  defaultMergeRadius, kDistancesOnGraph, suggestThreshold, sweepGraph, sweepThresholds, thresholdRange,
  metricUnits, type BackendName, type BackendOption, type MetricParams, type SweepRow, type ThresholdSuggestion,
} from '@faceclust/cluster';
import { clusterMetric, facesSpace, metricChoice, metricLabel, type MetricName } from './metric.js';
import { DEFAULTS, metricDefault, noDefaultReason, UsageError } from './options.js';
import type { Method } from './result.js';

export interface TuneOptions {
  method: Method;
  /** Range of thresholds (eps for DBSCAN); default {@link defaultRange}. */
  from?: number;
  to?: number;
  /** Number of values from `from` to `to`, ends included (see {@link sweepGrid}); default 30. */
  steps?: number;
  /** Any metric a clustering call takes (see FacialClustering's `metric`); the sweep runs in its space, as the call would. */
  metric?: MetricName;
  metricParams?: MetricParams;
  backend?: BackendOption;
  threads?: number;
  iterations?: number;
  seed?: number;
  minClusterSize?: number;
  minSamples?: number;
  /** cw: a fixed merge radius at every threshold (default: the library's at each, 0.9 × the threshold). */
  mergeRadius?: number;
  /** Identity per face (−1: unknown, scored as its own person): adds pairwise and BCubed F to the rows. */
  truth?: Int32Array;
}

/** cw: the merge radii `tune` tries at one threshold, as fractions of it (euclidean; squared for sqeuclidean and cosine). */
export const MERGE_SWEEP_RATIOS = [0, 0.85, 0.875, 0.9, 0.925, 0.95] as const;

/** cw: the merge pass swept at one threshold (the suggested one, else the default, when inside the range). */
export interface MergeSweep {
  threshold: number;
  /** cw's default merge radius at `threshold` (in the metric's units). */
  mergeRadius: number;
  rows: (SweepRow & { mergeRadius: number })[];
}

export interface TuneResult {
  method: Method;
  metric: MetricName;
  /** Every parameter the sweep ran with (the metric's among them, as a clustering call records them). */
  params: Record<string, number | string>;
  /**
   * The label-free suggestion; when the nearest-neighbour distances show no clear valley (one mode: e.g.
   * everyone photographed many times), the method's default for the metric (see `suggestedFrom`); null
   * when there is neither (fewer than 4 faces and a metric without a default). Rounded as a user would
   * type it ({@link typeable}); when inside the swept range it is exactly one row's threshold.
   */
  suggested: number | null;
  /** Where `suggested` comes from. */
  suggestedFrom: 'valley' | 'default' | 'none';
  suggestion: ThresholdSuggestion;
  /**
   * One row per value of {@link sweepGrid}, ascending, plus a row at `suggested` when it lies inside the
   * range but between two grid values.
   */
  rows: SweepRow[];
  /** DBSCAN: each face's distance to its minSamples-th neighbour (itself the 1st); Infinity beyond `to`. */
  kDistances?: Float64Array;
  /** cw without a fixed `mergeRadius`: the merge radius swept at one threshold. */
  merge?: MergeSweep;
  backend: BackendName;
  edges: number;
  timings: { graphMs: number; clusterMs: number; totalMs: number };
}

/**
 * Default sweep range, from the method's default threshold b (measured on lfw-dev for euclidean distances
 * between L2-normalised embeddings; converted for sqeuclidean (d²) and cosine (d²/2)): cw 0.7·b to 1.15·b,
 * dbscan 0.6·b to 1.2·b. It covers the same-person distances, the valley the suggestion looks for and the
 * onset of merging, while the graph at its top stays sparse (Chinese Whispers slows down on the dense graphs
 * past it, where everyone merges). Manhattan and chebyshev, which have no exact scale, take the same
 * factors of their measured defaults.
 */
export function defaultRange(method: Method, metric: MetricName, params: MetricParams = {}): [number, number] | undefined {
  const [lo, hi] = method === 'cw' ? [0.7, 1.15] : [0.6, 1.2];
  const from = metricDefault(method, metric, lo, params);
  const to = metricDefault(method, metric, hi, params);
  return from === undefined || to === undefined ? undefined : [from, to];
}



/**
 * Decimals of the sweep's values: two significant digits of the step, enough to keep consecutive values
 * apart while reading as typed (0.7, 0.716, 0.731 … for 30 values from 0.7 to 1.15, not 0.715517).
 */
export function gridDecimals(from: number, to: number, steps: number): number {
  const step = steps > 1 ? (to - from) / (steps - 1) : 0;
  if (!(step > 0)) return 0;
  // the epsilon absorbs float noise such as 0.010000000000000002 for a step of 0.01
  return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9) + 1);
}

/**
 * The values a sweep runs: `steps` evenly spaced values from `from` to `to`, the ends as given and the
 * values between rounded to {@link gridDecimals}, so the table, CSV and JSON show what a user could type.
 */
export function sweepGrid(from: number, to: number, steps: number): number[] {
  const raw = thresholdRange(from, to, steps);
  const d = gridDecimals(from, to, steps);
  return raw.map((v, i) => (i === 0 || i === raw.length - 1 ? v : Number(v.toFixed(d))));
}

/**
 * `v` rounded as a user would type a threshold: 3 decimals, fewer above 10 (4 significant digits, which
 * is also what the charts print).
 */
export function typeable(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const d = Math.min(3, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(v)))));
  return Number(v.toFixed(d));
}

/**
 * Sweeps the thresholds and suggests one: {@link suggestThreshold} on every face's nearest-neighbour
 * distance read off the sweep's graph (faces with no neighbour within `to` count in the upper group), for
 * both methods (a false merge starts wherever a face's nearest stranger is within reach); Chinese Whispers
 * takes the valley, DBSCAN, which chains, the 95th percentile of the same-person side.
 */
export async function tune(vectors: Float32Array, dim: number, o: TuneOptions): Promise<TuneResult> {
  const choice = metricChoice(o);
  const { metric } = choice;
  const range = o.from === undefined || o.to === undefined ? defaultRange(o.method, metric, choice.metricParams) : [o.from, o.to];
  if (!range) throw new UsageError(`--from and --to are needed with --metric ${metricLabel(choice)}: ${noDefaultReason(choice)}`);
  const [defFrom, defTo] = range;
  const from = o.from ?? defFrom;
  const to = o.to ?? Math.max(defTo, from);
  if (to < from) throw new UsageError(`--to (${to}) must be >= --from (${from})`);
  const steps = o.steps ?? 30;
  const thresholds = sweepGrid(from, to, steps);
  const params: Record<string, number | string> =
    o.method === 'cw'
      ? { from, to, steps, metric, ...choice.record, iterations: o.iterations ?? DEFAULTS.iterations, seed: o.seed ?? DEFAULTS.seed, minClusterSize: o.minClusterSize ?? DEFAULTS.minClusterSize }
      : { from, to, steps, metric, ...choice.record, minSamples: o.minSamples ?? DEFAULTS.minSamples };
  if (o.mergeRadius !== undefined) params.mergeRadius = o.mergeRadius;
  // the faces in the metric's space, as a clustering call puts them; merge radii follow its units
  const space = facesSpace(vectors, dim, choice);
  const units = metricUnits(metric, choice.metricParams);
  const clustering = {
    method: o.method, threads: o.threads, truth: o.truth, metric: units,
    iterations: o.iterations, seed: o.seed, minClusterSize: o.minClusterSize, minSamples: o.minSamples ?? (o.method === 'dbscan' ? DEFAULTS.minSamples : undefined),
    ...(o.method === 'cw' && o.mergeRadius !== undefined ? { mergeRadius: o.mergeRadius } : {}),
  };
  const sweep = await sweepThresholds(space.rows, dim, { ...clustering, ...clusterMetric(space), thresholds, backend: o.backend });
  const suggestion = suggestThreshold(kDistancesOnGraph(sweep.graph, 2), { method: o.method });
  let suggested: number | null = null;
  let suggestedFrom: TuneResult['suggestedFrom'] = 'none';
  if (suggestion.clear) {
    suggested = typeable(suggestion.threshold);
    suggestedFrom = 'valley';
  } else if (metric === 'euclidean' || metric === 'sqeuclidean' || metric === 'cosine') {
    suggested = metricDefault(o.method, metric)!;
    suggestedFrom = 'default';
  }
  let rows = sweep.rows;
  const timings = { ...sweep.timings };
  // Between two grid values the suggestion gets a row of its own, so the table shows what it does and the
  // * marks exactly it. Only within the grid: past its top the graph lacks edges, below it the row would
  // break the range the user asked for.
  if (suggested !== null && suggested > thresholds[0] && suggested < thresholds[thresholds.length - 1] && !thresholds.includes(suggested)) {
    const extra = await sweepGraph(sweep.graph, { ...clustering, thresholds: [suggested], backend: sweep.backend });
    const at = rows.findIndex((row) => row.threshold > suggested);
    rows = [...rows.slice(0, at), extra.rows[0], ...rows.slice(at)];
    timings.clusterMs += extra.timings.clusterMs;
    timings.totalMs += extra.timings.totalMs;
  }
  // cw: the merge pass at one threshold (the suggested one, else the default), from off to near the threshold
  let merge: MergeSweep | undefined;
  const inRange = (t: number | null): t is number => t !== null && t >= thresholds[0] && t <= thresholds[thresholds.length - 1];
  const at = inRange(suggested) ? suggested : (metricDefault('cw', metric, 1, choice.metricParams) ?? null);
  if (o.method === 'cw' && o.mergeRadius === undefined && inRange(at)) {
    const mergeRows: MergeSweep['rows'] = [];
    for (const ratio of MERGE_SWEEP_RATIOS) {
      const mergeRadius = defaultMergeRadius(at, units, ratio);
      const one = await sweepGraph(sweep.graph, { ...clustering, thresholds: [at], mergeRadius, backend: sweep.backend });
      mergeRows.push({ ...one.rows[0], mergeRadius });
      timings.clusterMs += one.timings.clusterMs;
      timings.totalMs += one.timings.totalMs;
    }
    merge = { threshold: at, mergeRadius: defaultMergeRadius(at, units), rows: mergeRows };
  }
  return {
    method: o.method,
    metric,
    params,
    suggested,
    suggestedFrom,
    suggestion,
    rows,
    ...(merge ? { merge } : {}),
    kDistances: o.method === 'dbscan' ? kDistancesOnGraph(sweep.graph, o.minSamples ?? DEFAULTS.minSamples) : undefined,
    backend: sweep.backend,
    edges: sweep.graph.offsets[sweep.graph.n] / 2,
    timings,
  };
}

type JsonRow = Pick<SweepRow, 'threshold' | 'clusters' | 'noise' | 'largest' | 'singletons' | 'pairwiseF' | 'bcubedF'>;

const jsonRow = (row: SweepRow): JsonRow => ({
  threshold: row.threshold, clusters: row.clusters, noise: row.noise, largest: row.largest, singletons: row.singletons,
  ...(row.pairwiseF === undefined ? {} : { pairwiseF: row.pairwiseF, bcubedF: row.bcubedF }),
});

/**
 * The `--json` object, exactly: `{ method, suggested, rows: [{ threshold, clusters, noise, largest, singletons,
 * pairwiseF?, bcubedF? }], merge? }`, `merge` (cw) = `{ threshold, rows: [{ mergeRadius, …the same }] }`.
 */
export function tuneJson(r: TuneResult): { method: Method; suggested: number | null; rows: JsonRow[]; merge?: { threshold: number; rows: (JsonRow & { mergeRadius: number })[] } } {
  return {
    method: r.method,
    suggested: r.suggested,
    rows: r.rows.map(jsonRow),
    ...(r.merge ? { merge: { threshold: r.merge.threshold, rows: r.merge.rows.map((row) => ({ mergeRadius: row.mergeRadius, ...jsonRow(row) })) } } : {}),
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

/** The row at the suggested value (−1 when the suggestion is outside the swept range or there is none). */
export function suggestedRow(r: Pick<TuneResult, 'rows' | 'suggested'>): number {
  return r.suggested === null ? -1 : r.rows.findIndex((row) => row.threshold === r.suggested);
}

/** A fixed-width table for the terminal and log.txt; `*` marks the suggested value's row. */
export function tuneTable(r: TuneResult): string {
  const scored = r.rows.some((row) => row.pairwiseF !== undefined);
  const head = [r.method === 'cw' ? 'threshold' : 'eps', 'clusters', 'noise', 'largest', 'singletons', ...(scored ? ['pairwiseF', 'bcubedF'] : [])];
  const star = suggestedRow(r);
  const body = r.rows.map((row, i) => [
    `${i === star ? '*' : ' '}${String(row.threshold)}`, row.clusters, row.noise, row.largest, row.singletons,
    ...(scored ? [row.pairwiseF!.toFixed(4), row.bcubedF!.toFixed(4)] : []),
  ].map(String));
  const widths = head.map((h, c) => Math.max(h.length + 1, ...body.map((b) => b[c].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [fmt(head.map((h, i) => (i === 0 ? ` ${h}` : h))), ...body.map(fmt)].join('\n');
}

/** cw: the merge-radius table (at one threshold), or '' without one. */
export function mergeTable(r: TuneResult): string {
  if (!r.merge) return '';
  const scored = r.merge.rows.some((row) => row.pairwiseF !== undefined);
  const head = ['mergeRadius', 'clusters', 'noise', 'largest', 'singletons', ...(scored ? ['pairwiseF', 'bcubedF'] : [])];
  const body = r.merge.rows.map((row) => [row.mergeRadius, row.clusters, row.noise, row.largest, row.singletons, ...(scored ? [row.pairwiseF!.toFixed(4), row.bcubedF!.toFixed(4)] : [])].map(String));
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [`merge pass at threshold ${r.merge.threshold} (cw's default merge radius: ${r.merge.mergeRadius}):`, fmt(head), ...body.map(fmt)].join('\n');
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
  if (r.suggested !== null && suggestedRow(r) < 0) {
    lines.push(`(outside the swept range ${r.rows[0].threshold} to ${r.rows[r.rows.length - 1].threshold}: widen --from/--to to see it in the table)`);
  }
  const best = bestRow(r.rows);
  if (best) lines.push(`best with ground truth: ${what} ${best.threshold}, pairwise F ${best.pairwiseF!.toFixed(4)}, BCubed F ${best.bcubedF!.toFixed(4)}`);
  return lines.join('\n');
}
