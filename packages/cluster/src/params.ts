/**
 * One parameter spec per method: each parameter's name, command-line flag, rule, default and one-line doc,
 * declared once. The validators of the library, the CLI's flag parsing, help texts and the parameter record
 * of each call are derived from these tables, so a rule, its wording and its default live in one place.
 */
import { BACKENDS } from './backend.js';
import { EXTRA_METRICS, METRICS, type Metric } from './metrics.js';
import { describe } from './validate.js';

/** A finite number, above `min` (or at it unless `minOpen`), at most `max`. */
export interface NumberRule {
  kind: 'number';
  min: number;
  minOpen?: boolean;
  max?: number;
}

/** An integer in [min, max]; `minOf` names the parameter the lower bound comes from (`>= k (40)`). */
export interface IntegerRule {
  kind: 'integer';
  min: number;
  max?: number;
  minOf?: string;
}

/** One of a fixed list of strings. */
export interface ChoiceRule {
  kind: 'choice';
  choices: readonly string[];
}

export type ParamRule = NumberRule | IntegerRule | ChoiceRule;

export interface ParamSpec {
  /** The option's name in the API (and in records). */
  name: string;
  /** Its command-line flag. */
  flag: string;
  rule: ParamRule;
  /** The library's default; absent for a required parameter. */
  default?: number | string;
  /** One line for help texts and docs. */
  doc: string;
}

/** The rule in words, as every message says it: `a finite number > 0`, `an integer between 1 and 256`. */
export function ruleText(rule: ParamRule): string {
  switch (rule.kind) {
    case 'number': {
      const low = `${rule.minOpen ? '>' : '>='} ${rule.min}`;
      return rule.max === undefined ? `a finite number ${low}` : `a finite number ${low} and <= ${rule.max}`;
    }
    case 'integer':
      if (rule.minOf) return `an integer >= ${rule.minOf} (${rule.min})`;
      return rule.max === undefined ? `an integer >= ${rule.min}` : `an integer between ${rule.min} and ${rule.max}`;
    case 'choice':
      return `one of ${rule.choices.map((c) => `'${c}'`).join(', ')}`;
  }
}

function fits(rule: ParamRule, value: unknown): boolean {
  switch (rule.kind) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && (rule.minOpen ? value > rule.min : value >= rule.min) && (rule.max === undefined || value <= rule.max);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value >= rule.min && value <= (rule.max ?? Number.MAX_SAFE_INTEGER);
    case 'choice':
      return typeof value === 'string' && rule.choices.includes(value);
  }
}

/**
 * `value` checked against `spec`'s rule (`rule` overrides it, e.g. a bound that depends on another
 * parameter, explained by `why`): TypeError for a wrong type, RangeError for a value out of range, both
 * naming `label` (default: the option's name), the rule and what was received.
 */
export function checkParam<T extends number | string>(spec: ParamSpec, value: unknown, label = spec.name, rule: ParamRule = spec.rule, why?: string): T {
  if (fits(rule, value)) return value as T;
  const wrongType = rule.kind === 'choice' ? typeof value !== 'string' : typeof value !== 'number';
  const message = `Expected ${label} to be ${ruleText(rule)}${why ? ` (${why})` : ''} but received ${describe(value)}`;
  throw wrongType ? new TypeError(message) : new RangeError(message);
}

/** `value`, or `spec`'s default when it is undefined, checked (see {@link checkParam}). */
export function paramOrDefault<T extends number | string>(spec: ParamSpec, value: unknown, label?: string): T {
  return checkParam<T>(spec, value === undefined ? spec.default : value, label);
}

/**
 * A command-line string turned into the parameter's type and checked against its rule; the error
 * (a RangeError) names the flag and quotes what was typed: `Invalid value for --eps: expected a finite
 * number > 0 but received "-1"`.
 */
export function parseParamFlag<T extends number | string>(spec: ParamSpec, raw: string, flag = spec.flag, rule: ParamRule = spec.rule, why?: string): T {
  const value = rule.kind === 'choice' ? raw : raw.trim() === '' ? NaN : Number(raw);
  if (fits(rule, value)) return value as T;
  throw new RangeError(`Invalid value for ${flag}: expected ${ruleText(rule)}${why ? ` (${why})` : ''} but received ${JSON.stringify(raw)}`);
}

/** How neighbours are found: every pair (exact), an HNSW index (hnsw), or chosen by size (auto). */
export const NEIGHBOR_STRATEGIES = ['exact', 'hnsw', 'auto'] as const;
export type NeighborStrategy = (typeof NEIGHBOR_STRATEGIES)[number];

/** Parameters shared by the clustering methods. */
export const COMMON_PARAMS = {
  metric: { name: 'metric', flag: '--metric', rule: { kind: 'choice', choices: METRICS }, default: 'euclidean', doc: `distance: ${METRICS.join(', ')}` },
  backend: { name: 'backend', flag: '--backend', rule: { kind: 'choice', choices: BACKENDS }, default: 'auto', doc: 'clustering backend: auto (native when it loads), native (C++ SIMD) or ts (pure TypeScript); same labels either way' },
  neighbors: {
    name: 'neighbors', flag: '--neighbors', rule: { kind: 'choice', choices: NEIGHBOR_STRATEGIES }, default: 'auto',
    doc: 'neighbour search: exact (every pair), hnsw (approximate) or auto (chosen by the number of faces and the size of the exact graph)',
  },
} as const satisfies Record<string, ParamSpec>;

/**
 * The clustering calls' `metric` (chineseWhispers, dbscan, radiusGraph, sweepThresholds take the extra
 * metrics of metric-input.ts too; `'precomputed'` and functions are the API's only) and minkowski's `p`
 * (`metricParams.p`; its rule, which admits Infinity, is {@link minkowskiP}).
 */
export const METRIC_PARAMS = {
  metric: {
    name: 'metric', flag: '--metric', rule: { kind: 'choice', choices: [...METRICS, ...EXTRA_METRICS] }, default: 'euclidean',
    doc: `distance: ${[...METRICS, ...EXTRA_METRICS].join(', ')}`,
  },
  p: { name: 'p', flag: '--p', rule: { kind: 'number', min: 1 }, default: 2, doc: 'minkowski: the power p, a number >= 1 or Infinity (1: manhattan, 2: euclidean, Infinity: chebyshev)' },
} as const satisfies Record<string, ParamSpec>;

/** minkowski's `p` checked: a number >= 1, or Infinity (chebyshev); the message names `label`. */
export function minkowskiP(value: unknown, label = 'metricParams.p'): number {
  if (value === Infinity || fits(METRIC_PARAMS.p.rule, value)) return value as number;
  const message = `Expected ${label} to be a number >= 1 (or Infinity) but received ${describe(value)}`;
  throw typeof value === 'number' ? new RangeError(message) : new TypeError(message);
}

/**
 * Chinese Whispers' default merge radius as a fraction of the euclidean threshold: the tightest that joined
 * every burst of near-identical frames split from its person in the burst sets, and below the first radius at
 * which two lfw-dev people join (cluster README, "Defaults on evidence").
 */
export const MERGE_RATIO = 0.9;

/**
 * Chinese Whispers' merge radius for a call at `threshold` in `metric`: {@link defaultMergeRadius} when
 * `value` is undefined, else `value` checked: >= 0 (0: off) and at most the threshold, since the graph holds
 * the edges up to it. The one rule for the library and the CLI.
 */
export function mergeRadiusFor(value: unknown, threshold: number, metric: Metric): number {
  if (value === undefined) return defaultMergeRadius(threshold, metric);
  const spec = CHINESE_WHISPERS_PARAMS.mergeRadius;
  return checkParam<number>(spec, value, spec.name, { kind: 'number', min: 0, max: threshold }, 'the graph holds the edges up to the threshold');
}

/** Chinese Whispers (chineseWhispers, chineseWhispersOnGraph). */
export const CHINESE_WHISPERS_PARAMS = {
  threshold: { name: 'threshold', flag: '--threshold', rule: { kind: 'number', min: 0, minOpen: true }, doc: 'join two faces when their distance is at most this' },
  iterations: { name: 'iterations', flag: '--iterations', rule: { kind: 'integer', min: 1 }, default: 30, doc: 'maximum passes; stops early after a pass that changes nothing' },
  seed: { name: 'seed', flag: '--seed', rule: { kind: 'integer', min: 0, max: 0xffffffff }, default: 0, doc: 'seed of the visiting order (same seed: same clusters)' },
  weighting: { name: 'weighting', flag: '--weighting', rule: { kind: 'choice', choices: ['similarity', 'unit'] }, default: 'similarity', doc: 'edge weights: similarity = 1 / (1 + distance), unit = 1 (as dlib)' },
  minClusterSize: { name: 'minClusterSize', flag: '--min-cluster-size', rule: { kind: 'integer', min: 1 }, default: 1, doc: 'smaller clusters go to noise (no_class)' },
  mergeRadius: {
    name: 'mergeRadius', flag: '--merge-radius', rule: { kind: 'number', min: 0 },
    doc: `then join clusters whose closest faces are at most this far apart, <= the threshold (0: off; default ${MERGE_RATIO} × the threshold, ${MERGE_RATIO}² × for sqeuclidean, cosine and correlation)`,
  },
} as const satisfies Record<string, ParamSpec>;


/**
 * The default `mergeRadius` for a Chinese Whispers `threshold` in `metric`: {@link MERGE_RATIO} (or
 * `euclideanRatio`, e.g. for a sweep) of the threshold, in the metric's own units (sqeuclidean and cosine grow with the square of the euclidean
 * distance between unit vectors, so theirs is the ratio squared).
 */
export function defaultMergeRadius(threshold: number, metric: Metric, euclideanRatio = MERGE_RATIO): number {
  const ratio = metric === 'sqeuclidean' || metric === 'cosine' ? euclideanRatio * euclideanRatio : euclideanRatio;
  return Number((threshold * ratio).toPrecision(6)); // 0.9, not 0.9000000000000001
}

/** DBSCAN (dbscan, dbscanOnGraph). */
export const DBSCAN_PARAMS = {
  eps: { name: 'eps', flag: '--eps', rule: { kind: 'number', min: 0, minOpen: true }, doc: 'neighbourhood radius' },
  /** scikit-learn's default; the faceclust CLI uses 2 on purpose (see its DEFAULTS). */
  minSamples: { name: 'minSamples', flag: '--min-samples', rule: { kind: 'integer', min: 1 }, default: 5, doc: 'faces within eps (itself included) that make a core face' },
} as const satisfies Record<string, ParamSpec>;

/** Nearest neighbours of query rows among base rows (nearestNeighbors). */
export const NEAREST_NEIGHBORS_PARAMS = {
  k: { name: 'k', flag: '--k', rule: { kind: 'integer', min: 1 }, default: 1, doc: 'nearest base rows returned per query' },
  radius: { name: 'radius', flag: '--radius', rule: { kind: 'number', min: 0 }, doc: 'keep only base rows at distance <= radius (default: no limit)' },
} as const satisfies Record<string, ParamSpec>;

/** The HNSW index (HnswIndex.build) and its kNN graph search (knnGraph, neighbors: 'hnsw'). */
export const HNSW_PARAMS = {
  M: { name: 'M', flag: '--hnsw-m', rule: { kind: 'integer', min: 2, max: 10000 }, default: 16, doc: 'links per node; more: better recall, more memory and time' },
  efConstruction: { name: 'efConstruction', flag: '--hnsw-ef-construction', rule: { kind: 'integer', min: 1 }, default: 100, doc: 'search width while building' },
  seed: { name: 'seed', flag: '--hnsw-seed', rule: { kind: 'integer', min: 0, max: 0xffffffff }, default: 100, doc: "seed of hnswlib's level generator" },
  k: { name: 'k', flag: '--hnsw-k', rule: { kind: 'integer', min: 1 }, default: 32, doc: 'neighbours searched per face (dbscan: at least minSamples − 1)' },
  ef: { name: 'ef', flag: '--hnsw-ef', rule: { kind: 'integer', min: 1 }, default: 64, doc: 'search width of the graph step, >= k (default max(64, k))' },
  maxNeighbors: {
    name: 'maxNeighbors', flag: '--hnsw-max-neighbors', rule: { kind: 'integer', min: 1 },
    doc: 'most neighbours kept per face, >= k (default k); a face whose k nearest are all within the threshold is searched again with twice the k, up to this',
  },
} as const satisfies Record<string, ParamSpec>;

/**
 * The HNSW search parameters, validated: the one place their rules (and the ones that depend on each other)
 * are checked. `minK` is the least k the caller needs (DBSCAN: minSamples − 1); `label` names a parameter in
 * messages (the CLI passes its flags).
 */
export function hnswSearchParams(
  opts: { k?: unknown; ef?: unknown; maxNeighbors?: unknown },
  minK = 1,
  label: (spec: ParamSpec) => string = (spec) => spec.name,
): { k: number; ef: number; maxNeighbors: number } {
  const P = HNSW_PARAMS;
  const k = checkParam<number>(P.k, opts.k ?? Math.max(P.k.default, minK), label(P.k));
  if (k < minK) checkParam(P.k, k, label(P.k), { kind: 'integer', min: minK }, 'minSamples − 1: DBSCAN needs that many neighbours to find core points');
  const ef = checkParam<number>(P.ef, opts.ef ?? Math.max(P.ef.default, k), label(P.ef));
  if (ef < k) checkParam(P.ef, ef, label(P.ef), { kind: 'integer', min: k, minOf: 'k' });
  const maxNeighbors = checkParam<number>(P.maxNeighbors, opts.maxNeighbors ?? k, label(P.maxNeighbors));
  if (maxNeighbors < k) checkParam(P.maxNeighbors, maxNeighbors, label(P.maxNeighbors), { kind: 'integer', min: k, minOf: 'k' });
  return { k, ef, maxNeighbors };
}
