/**
 * Option values: defaults (with where each came from), parsing of command-line strings and validation of
 * programmatic values. Every error names the option and the value received.
 */
import { BACKENDS, HNSW_DEFAULTS, hnswGraphParams, METRICS, NEIGHBOR_STRATEGIES, type BackendOption, type Metric, type NeighborStrategy } from '@faceclust/cluster';

/**
 * The CLI's defaults. Threshold, eps and minSamples were chosen on ../shared/data/lfw-dev with
 * scripts/eval-lfw.mjs --sweep; the scores and the sweeps are in README.md, "Defaults".
 */
export const DEFAULTS = {
  /** Chinese Whispers: the edge of the plateau; past it people merge fast. */
  threshold: 1.0,
  iterations: 30,
  seed: 0,
  minClusterSize: 1,
  /** DBSCAN chains neighbours of neighbours, so one bridge joins two people: below the first eps where two merge. */
  eps: 0.925,
  /**
   * 2, not the library's 5: a face with one match is core, so pairs of photos stay together, and faces that
   * match nobody land in no_class; 3 already sends every pair there.
   */
  minSamples: 2,
  metric: 'euclidean' as Metric,
  backend: 'auto' as BackendOption,
  out: 'faceclust-out',
  /** `auto`: exact radius graph below AUTO_HNSW_FROM (120,000) faces, HNSW from there (see the cluster README). */
  neighbors: 'auto' as NeighborStrategy,
} as const;

/** A bad option value or a bad input: the CLI prints the message and exits with code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Renders a received value for a message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `${JSON.stringify(value)} of type string`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${value} of type ${typeof value}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return `a value of type ${typeof value}`;
}

/** What `saveas` asks for: nothing, each face's aligned crop, or the whole photo of each face. */
export type SaveAs = false | 'faces' | 'photos';

export function expectNumber(name: string, value: unknown, opts: { min?: number; max?: number; minOpen?: boolean; integer?: boolean } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Expected a number for ${name} but received ${describe(value)}`);
  const { min = -Infinity, max = Infinity, minOpen = false, integer = false } = opts;
  const what = `${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ${minOpen ? '>' : '>='} ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}`;
  if ((integer && !Number.isInteger(value)) || !Number.isFinite(value) || value < min || (minOpen && value === min) || value > max) {
    throw new RangeError(`Expected ${what} for ${name} but received ${value}`);
  }
  return value;
}

export function expectOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const err = `Expected one of ${allowed.join(', ')} for ${name} but received ${describe(value)}`;
    throw typeof value === 'string' ? new RangeError(err) : new TypeError(err);
  }
  return value as T;
}

export function expectSaveAs(value: unknown): SaveAs {
  if (value === undefined || value === false) return false;
  if (value === true || value === 'faces') return 'faces';
  if (value === 'photos') return 'photos';
  throw new RangeError(`Expected true, false, 'faces' or 'photos' for saveas but received ${describe(value)}`);
}

/** Validated Chinese Whispers parameters. */
export interface CwParams {
  threshold: number;
  iterations: number;
  seed: number;
  minClusterSize: number;
  metric: Metric;
  backend: BackendOption;
}

/** Validated DBSCAN parameters. */
export interface DbscanParams {
  eps: number;
  minSamples: number;
  metric: Metric;
  backend: BackendOption;
}

type Loose<T> = { [K in keyof T]?: unknown };

export function cwParams(o: Loose<CwParams>): CwParams {
  const metric = expectOneOf('metric', o.metric ?? DEFAULTS.metric, METRICS);
  return {
    threshold: expectDistance('threshold', o.threshold ?? metricDefault('cw', metric), metric),
    iterations: expectNumber('iterations', o.iterations ?? DEFAULTS.iterations, { min: 1, integer: true }),
    seed: expectNumber('seed', o.seed ?? DEFAULTS.seed, { min: 0, max: 0xffffffff, integer: true }),
    minClusterSize: expectNumber('minClusterSize', o.minClusterSize ?? DEFAULTS.minClusterSize, { min: 1, integer: true }),
    metric,
    backend: expectOneOf('backend', o.backend ?? DEFAULTS.backend, BACKENDS),
  };
}

export function dbscanParams(o: Loose<DbscanParams>): DbscanParams {
  const metric = expectOneOf('metric', o.metric ?? DEFAULTS.metric, METRICS);
  return {
    eps: expectDistance('eps', o.eps ?? metricDefault('dbscan', metric), metric),
    minSamples: expectNumber('minSamples', o.minSamples ?? DEFAULTS.minSamples, { min: 1, integer: true }),
    metric,
    backend: expectOneOf('backend', o.backend ?? DEFAULTS.backend, BACKENDS),
  };
}

/**
 * The default CW threshold and DBSCAN eps of the metrics that are not a function of the euclidean distance
 * between unit vectors, measured on lfw-dev (cli README, "Defaults per metric", with the command).
 */
const MEASURED_DEFAULTS: Partial<Record<Metric, { cw: number; dbscan: number }>> = {
  manhattan: { cw: 17.5, dbscan: 16.25 },
  chebyshev: { cw: 0.1235, dbscan: 0.1195 },
};

/** The `metric` distance of two unit vectors at euclidean distance d, for the metrics that are a function of it. */
function fromEuclidean(metric: Metric, d: number): number | undefined {
  if (metric === 'euclidean') return d;
  if (metric === 'sqeuclidean') return d * d;
  if (metric === 'cosine') return (d * d) / 2; // 1 − a·b = ‖a − b‖² / 2
  return undefined;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/**
 * The default threshold (cw) or eps (dbscan) of `metric`, times `factor` (tune's sweep range): equivalent
 * to the euclidean DEFAULTS, mapped exactly where the metric is a function of the euclidean distance
 * (the same clusters), measured otherwise. Rounded to 4 decimals.
 */
export function metricDefault(method: 'cw' | 'dbscan', metric: Metric, factor = 1): number {
  const euclidean = method === 'cw' ? DEFAULTS.threshold : DEFAULTS.eps;
  return round4(fromEuclidean(metric, factor * euclidean) ?? factor * MEASURED_DEFAULTS[metric]![method]);
}

/** `1 (cosine 0.5, sqeuclidean 1, …)`: the defaults of every metric, for help texts. */
export function metricDefaultsText(method: 'cw' | 'dbscan'): string {
  const others = METRICS.filter((m) => m !== 'euclidean').map((m) => `${m} ${metricDefault(method, m)}`);
  return `${metricDefault(method, 'euclidean')}; ${others.join(', ')}`;
}

/**
 * The largest `metric` distance between two L2-normalised vectors (every stored embedding is one), or
 * undefined when it depends on a dimension not given: a threshold beyond it joins every face.
 */
export function metricMax(metric: Metric, dim?: number): number | undefined {
  switch (metric) {
    case 'sqeuclidean':
      return 4;
    case 'manhattan':
      return dim === undefined ? undefined : 2 * Math.sqrt(dim);
    default:
      return 2; // euclidean, cosine, chebyshev
  }
}

/** Why a distance cannot exceed metricMax, for messages. */
function rangeReason(metric: Metric, dim?: number): string {
  return `the largest ${metric} distance between two face embeddings${metric === 'manhattan' ? ` of dimension ${dim}` : ''}`;
}

/** A threshold or eps: > 0 and within the metric's range on unit vectors (`dim` known: manhattan too). */
export function expectDistance(name: string, value: unknown, metric: Metric, dim?: number): number {
  const v = expectNumber(name, value, { min: 0, minOpen: true });
  const max = metricMax(metric, dim);
  if (max !== undefined && v > max) throw new RangeError(`Expected a number > 0 and <= ${round4(max)} for ${name} (${rangeReason(metric, dim)}) but received ${v}`);
  return v;
}

/** HNSW parameters of a call (`hnsw` option); k, ef and maxNeighbors absent mean the library's defaults. */
export interface HnswCallOptions {
  /** Links per node, an integer >= 2 (default 16). */
  M?: number;
  /** Search width while building, an integer >= 1 (default 100). */
  efConstruction?: number;
  /** Neighbours per face, an integer >= 1 (default 32; dbscan: at least minSamples − 1). */
  k?: number;
  /** Search width of the graph step, an integer >= k (default max(64, k)). */
  ef?: number;
  /**
   * Most neighbours kept per face, an integer >= k (default k). A face whose k nearest are all within the
   * threshold is searched again with twice the k, up to this: large (e.g. 4096) gives nearly the exact graph.
   */
  maxNeighbors?: number;
}

/** Validated neighbour options: the strategy asked for and the HNSW build and search parameters. */
export interface NeighborParams {
  neighbors: NeighborStrategy;
  M: number;
  efConstruction: number;
  k?: number;
  ef?: number;
  maxNeighbors?: number;
}

/**
 * Checks `neighbors` and `hnsw` up front (the library checks them too, but only once embedding is done).
 * `minK` is dbscan's minSamples − 1: its core points need that many neighbours.
 */
export function neighborParams(o: { neighbors?: unknown; hnsw?: unknown; backend?: unknown }, minK = 1): NeighborParams {
  const neighbors = expectOneOf('neighbors', o.neighbors ?? DEFAULTS.neighbors, NEIGHBOR_STRATEGIES);
  if (neighbors === 'hnsw' && o.backend === 'ts') {
    throw new RangeError("neighbors 'hnsw' needs the native backend (there is no pure-TypeScript HNSW) but backend is 'ts': use backend 'auto' or 'native', or neighbors 'exact'");
  }
  if (o.hnsw !== undefined && (typeof o.hnsw !== 'object' || o.hnsw === null || Array.isArray(o.hnsw))) {
    throw new TypeError(`Expected an object { M, efConstruction, k, ef, maxNeighbors } for hnsw but received ${describe(o.hnsw)}`);
  }
  const h = (o.hnsw ?? {}) as Loose<HnswCallOptions>;
  const unknown = Object.keys(h).find((key) => !['M', 'efConstruction', 'k', 'ef', 'maxNeighbors'].includes(key));
  if (unknown) throw new RangeError(`Unknown option hnsw.${unknown}: expected M, efConstruction, k, ef or maxNeighbors`);
  const p: NeighborParams = {
    neighbors,
    M: expectNumber('hnsw.M', h.M ?? HNSW_DEFAULTS.M, { min: 2, max: 10000, integer: true }),
    efConstruction: expectNumber('hnsw.efConstruction', h.efConstruction ?? HNSW_DEFAULTS.efConstruction, { min: 1, integer: true }),
  };
  if (h.k !== undefined) p.k = expectNumber('hnsw.k', h.k, { min: Math.max(1, minK), integer: true });
  const kUsed = p.k ?? Math.max(HNSW_DEFAULTS.k, minK);
  if (h.ef !== undefined) p.ef = expectNumber('hnsw.ef', h.ef, { min: kUsed, integer: true });
  if (h.maxNeighbors !== undefined) p.maxNeighbors = expectNumber('hnsw.maxNeighbors', h.maxNeighbors, { min: kUsed, integer: true });
  return p;
}

/** The k, ef and maxNeighbors the hnsw path uses (the library's defaults when absent). */
export function hnswSearchParams(p: NeighborParams, minK = 1): { k: number; ef: number; maxNeighbors: number } {
  return hnswGraphParams({ k: p.k, ef: p.ef, maxNeighbors: p.maxNeighbors }, minK);
}

// ---- command-line strings → values (commander argParser callbacks) ----

/** Parses a threshold or eps given on the command line: > 0 and within `metric`'s range on unit vectors. */
export function parseDistanceFlag(flag: string, metric: Metric): (raw: string) => number {
  return (raw: string) => {
    const v = parseNumberFlag(flag, { min: 0, minOpen: true })(raw);
    const max = metricMax(metric);
    if (max !== undefined && v > max) throw new UsageError(`Invalid value for ${flag}: expected a number > 0 and <= ${round4(max)} (${rangeReason(metric)}) but received ${JSON.stringify(raw)}`);
    return v;
  };
}

/** Parses a number given on the command line; the message names the flag as typed. */
export function parseNumberFlag(flag: string, opts: Parameters<typeof expectNumber>[2] = {}): (raw: string) => number {
  return (raw: string) => {
    const v = raw.trim() === '' ? NaN : Number(raw);
    try {
      return expectNumber(flag, v, opts);
    } catch {
      const range = opts.integer ? 'an integer' : 'a number';
      const bounds = `${opts.min !== undefined ? ` ${opts.minOpen ? '>' : '>='} ${opts.min}` : ''}${opts.max !== undefined ? ` and <= ${opts.max}` : ''}`;
      throw new UsageError(`Invalid value for ${flag}: expected ${range}${bounds} but received ${JSON.stringify(raw)}`);
    }
  };
}

export function parseChoiceFlag<T extends string>(flag: string, allowed: readonly T[]): (raw: string) => T {
  return (raw: string) => {
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new UsageError(`Invalid value for ${flag}: expected one of ${allowed.join(', ')} but received ${JSON.stringify(raw)}`);
    }
    return raw as T;
  };
}

/** `--saveas` alone means face crops; `--saveas=photos` the whole photos. */
export function parseSaveAsFlag(raw: string | boolean): SaveAs {
  if (raw === true || raw === 'faces') return 'faces';
  if (raw === 'photos') return 'photos';
  throw new UsageError(`Invalid value for --saveas: expected faces or photos but received ${JSON.stringify(raw)}`);
}

/** A short tag of the main parameter for output names: `cw-t1`, `dbscan-e0.95-m1`. */
export function paramTag(method: 'cw' | 'dbscan', p: CwParams | DbscanParams): string {
  if (method === 'cw') return `cw-t${(p as CwParams).threshold}`;
  const d = p as DbscanParams;
  return `dbscan-e${d.eps}-m${d.minSamples}${d.metric === 'euclidean' ? '' : `-${d.metric}`}`;
}
