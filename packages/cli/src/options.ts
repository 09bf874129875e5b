/**
 * Option values: defaults (with where each came from), parsing of command-line strings and validation of
 * programmatic values. Every error names the option and the value received.
 */
import {
  CHINESE_WHISPERS_PARAMS as CW, COMMON_PARAMS, DBSCAN_PARAMS, HNSW_PARAMS, checkParam, describe, mergeRadiusFor, hnswSearchParams, parseParamFlag,
  type BackendOption, type Metric, type NeighborStrategy, type NumberRule, type ParamRule, type ParamSpec,
} from '@faceclust/cluster';

/**
 * The CLI's defaults. Threshold, eps and minSamples were chosen on ../shared/data/lfw-dev with
 * scripts/eval-lfw.mjs --sweep; the scores and the sweeps are in README.md, "Defaults".
 */
export const DEFAULTS = {
  /** Chinese Whispers: the edge of the plateau; past it people merge fast. */
  threshold: 1.0,
  iterations: CW.iterations.default,
  seed: CW.seed.default,
  minClusterSize: CW.minClusterSize.default,
  /** DBSCAN chains neighbours of neighbours, so one bridge joins two people: below the first eps where two merge. */
  eps: 0.925,
  /**
   * 2, not the library's 5: a face with one match is core, so pairs of photos stay together, and faces that
   * match nobody land in no_class; 3 already sends every pair there.
   */
  minSamples: 2,
  metric: COMMON_PARAMS.metric.default as Metric,
  backend: COMMON_PARAMS.backend.default as BackendOption,
  out: 'faceclust-out',
  neighbors: COMMON_PARAMS.neighbors.default as NeighborStrategy,
} as const;

/** A bad option value or a bad input: the CLI prints the message and exits with code 1. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What `saveas` asks for: nothing, each face's aligned crop, or the whole photo of each face. */
export type SaveAs = false | 'faces' | 'photos';

/** The rule of a plain number option (not a method parameter), as the shared wording needs it. */
function numberRule(opts: { min?: number; max?: number; minOpen?: boolean; integer?: boolean }): ParamRule {
  const { min = -Number.MAX_VALUE, max, minOpen = false, integer = false } = opts;
  return integer ? { kind: 'integer', min: Math.max(min, Number.MIN_SAFE_INTEGER), ...(max === undefined ? {} : { max }) } : { kind: 'number', min, minOpen, ...(max === undefined ? {} : { max }) };
}

/** A number option of the CLI's own (threads, quality gate, …), checked with the library's wording. */
export function expectNumber(name: string, value: unknown, opts: { min?: number; max?: number; minOpen?: boolean; integer?: boolean } = {}): number {
  return checkParam<number>({ name, flag: name, rule: numberRule(opts), doc: '' }, value);
}

export function expectSaveAs(value: unknown): SaveAs {
  if (value === undefined || value === false) return false;
  if (value === true || value === 'faces') return 'faces';
  if (value === 'photos') return 'photos';
  throw new RangeError(`Expected saveas to be true, false, 'faces' or 'photos' but received ${describe(value)}`);
}

/** Validated Chinese Whispers parameters. */
export interface CwParams {
  threshold: number;
  iterations: number;
  seed: number;
  minClusterSize: number;
  /** The merge pass's radius (0: off), resolved: the library's default for the threshold and metric unless given. */
  mergeRadius: number;
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

/** `value` or the CLI's default, checked against `spec` (the library's rule and wording). */
function option<T extends number | string>(spec: ParamSpec, value: unknown, cliDefault: number | string | undefined = spec.default): T {
  return checkParam<T>(spec, value ?? cliDefault);
}

export function cwParams(o: Loose<CwParams>): CwParams {
  const metric = option<Metric>(COMMON_PARAMS.metric, o.metric);
  const threshold = expectDistance(CW.threshold, o.threshold ?? metricDefault('cw', metric), metric);
  const mergeRadius = mergeRadiusFor(o.mergeRadius, threshold, metric);
  return {
    threshold,
    iterations: option(CW.iterations, o.iterations),
    seed: option(CW.seed, o.seed),
    minClusterSize: option(CW.minClusterSize, o.minClusterSize),
    mergeRadius,
    metric,
    backend: option(COMMON_PARAMS.backend, o.backend),
  };
}

export function dbscanParams(o: Loose<DbscanParams>): DbscanParams {
  const metric = option<Metric>(COMMON_PARAMS.metric, o.metric);
  return {
    eps: expectDistance(DBSCAN_PARAMS.eps, o.eps ?? metricDefault('dbscan', metric), metric),
    minSamples: option(DBSCAN_PARAMS.minSamples, o.minSamples, DEFAULTS.minSamples),
    metric,
    backend: option(COMMON_PARAMS.backend, o.backend),
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
  const others = COMMON_PARAMS.metric.rule.choices.filter((m) => m !== 'euclidean').map((m) => `${m} ${metricDefault(method, m)}`);
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

/** The rule of a threshold or eps for `metric`: > 0 and at most the metric's largest distance on unit vectors. */
function distanceRule(metric: Metric, dim?: number): { rule: NumberRule; why?: string } {
  const max = metricMax(metric, dim);
  if (max === undefined) return { rule: { kind: 'number', min: 0, minOpen: true } };
  const why = `the largest ${metric} distance between two face embeddings${metric === 'manhattan' ? ` of dimension ${dim}` : ''}`;
  return { rule: { kind: 'number', min: 0, minOpen: true, max: round4(max) }, why };
}

/** A threshold or eps (`spec`), within the metric's range on unit vectors (`dim` known: manhattan too). */
export function expectDistance(spec: ParamSpec, value: unknown, metric: Metric, dim?: number): number {
  const { rule, why } = distanceRule(metric, dim);
  return checkParam<number>(spec, value, spec.name, rule, why);
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
 * Checks `neighbors` and `hnsw` up front, before any embedding, with the library's own validators (the
 * library runs the same ones again when it is called). `minK` is dbscan's minSamples − 1.
 */
export function neighborParams(o: { neighbors?: unknown; hnsw?: unknown; backend?: unknown }, minK = 1): NeighborParams {
  const neighbors = option<NeighborStrategy>(COMMON_PARAMS.neighbors, o.neighbors);
  if (neighbors === 'hnsw' && o.backend === 'ts') {
    throw new RangeError("neighbors 'hnsw' needs the native backend (there is no pure-TypeScript HNSW) but backend is 'ts': use backend 'auto' or 'native', or neighbors 'exact'");
  }
  if (o.hnsw !== undefined && (typeof o.hnsw !== 'object' || o.hnsw === null || Array.isArray(o.hnsw))) {
    throw new TypeError(`Expected hnsw to be an object { M, efConstruction, k, ef, maxNeighbors } but received ${describe(o.hnsw)}`);
  }
  const h = (o.hnsw ?? {}) as Loose<HnswCallOptions>;
  const unknown = Object.keys(h).find((key) => !['M', 'efConstruction', 'k', 'ef', 'maxNeighbors'].includes(key));
  if (unknown) throw new RangeError(`Unknown option hnsw.${unknown}: expected M, efConstruction, k, ef or maxNeighbors`);
  const label = (spec: ParamSpec) => `hnsw.${spec.name}`;
  hnswSearchParams(h, minK, label); // k, ef, maxNeighbors and the rules between them
  const p: NeighborParams = {
    neighbors,
    M: checkParam<number>(HNSW_PARAMS.M, h.M ?? HNSW_PARAMS.M.default, label(HNSW_PARAMS.M)),
    efConstruction: checkParam<number>(HNSW_PARAMS.efConstruction, h.efConstruction ?? HNSW_PARAMS.efConstruction.default, label(HNSW_PARAMS.efConstruction)),
  };
  if (h.k !== undefined) p.k = h.k as number;
  if (h.ef !== undefined) p.ef = h.ef as number;
  if (h.maxNeighbors !== undefined) p.maxNeighbors = h.maxNeighbors as number;
  return p;
}

// ---- command-line strings → values (commander argParser callbacks) ----

/** Parses a threshold or eps given on the command line: > 0 and within `metric`'s range on unit vectors. */
export function parseDistanceFlag(flag: string, metric: Metric, spec: ParamSpec = CW.threshold): (raw: string) => number {
  const { rule, why } = distanceRule(metric);
  return (raw: string) => usage(() => parseParamFlag<number>(spec, raw, flag, rule, why));
}

/** Parses a number given on the command line; the message names the flag as typed. */
export function parseNumberFlag(flag: string, opts: { min?: number; max?: number; minOpen?: boolean; integer?: boolean } = {}): (raw: string) => number {
  const spec: ParamSpec = { name: flag, flag, rule: numberRule(opts), doc: '' };
  return (raw: string) => usage(() => parseParamFlag<number>(spec, raw));
}

export function parseChoiceFlag<T extends string>(flag: string, allowed: readonly T[]): (raw: string) => T {
  const spec: ParamSpec = { name: flag, flag, rule: { kind: 'choice', choices: allowed }, doc: '' };
  return (raw: string) => usage(() => parseParamFlag<T>(spec, raw));
}

/** A method parameter given on the command line (`spec` names its flag and rule). */
export function parseParam<T extends number | string>(spec: ParamSpec, raw: string): T {
  return usage(() => parseParamFlag<T>(spec, raw));
}

/** A parse error of a flag is the person's to fix: a UsageError with the library's wording. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
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
