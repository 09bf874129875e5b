/**
 * Option values: defaults (with where each came from), parsing of command-line strings and validation of
 * programmatic values. Every error names the option and the value received.
 */
import {
  CHINESE_WHISPERS_PARAMS as CW, COMMON_PARAMS, DBSCAN_PARAMS, HNSW_PARAMS, METRIC_PARAMS, checkParam, describe, mergeRadiusFor, metricUnits, hnswSearchParams, parseParamFlag,
  type BackendOption, type MetricParams, type NeighborStrategy, type NumberRule, type ParamRule, type ParamSpec,
} from '@faceclust/cluster';
import { metricChoice, metricLabel, type MetricChoice, type MetricName, type MetricRecord } from './metric.js';

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
  metric: METRIC_PARAMS.metric.default as MetricName,
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

/** A call's metric as it records it: the name and the parameters the metric takes (see metric.ts). */
export type MetricFields = { metric: MetricName } & MetricRecord;

/** Validated Chinese Whispers parameters. */
export type CwParams = {
  threshold: number;
  iterations: number;
  seed: number;
  minClusterSize: number;
  /** The merge pass's radius (0: off), resolved: the library's default for the threshold and metric unless given. */
  mergeRadius: number;
  backend: BackendOption;
} & MetricFields;

/** Validated DBSCAN parameters. */
export type DbscanParams = {
  eps: number;
  minSamples: number;
  backend: BackendOption;
} & MetricFields;

type Loose<T> = { [K in keyof T]?: unknown };

/** `value` or the CLI's default, checked against `spec` (the library's rule and wording). */
function option<T extends number | string>(spec: ParamSpec, value: unknown, cliDefault: number | string | undefined = spec.default): T {
  return checkParam<T>(spec, value ?? cliDefault);
}

/** The options a call's metric comes from (the API's `metric` and `metricParams`). */
type MetricOptions = { metric?: unknown; metricParams?: unknown };

/** The method's threshold or eps: the value given, else the metric's default; none for some metrics (an error saying why). */
function distanceParam(method: 'cw' | 'dbscan', value: unknown, m: MetricChoice): number {
  const spec = method === 'cw' ? CW.threshold : DBSCAN_PARAMS.eps;
  const v = value ?? metricDefault(method, m.metric, 1, m.metricParams);
  if (v === undefined) throw new RangeError(`Expected ${spec.name} (${spec.flag}) to be given: ${noDefaultReason(m)}`);
  return expectDistance(spec, v, m);
}

export function cwParams(o: Loose<Omit<CwParams, keyof MetricRecord>> & MetricOptions): CwParams {
  const m = metricChoice(o);
  const threshold = distanceParam('cw', o.threshold, m);
  const mergeRadius = mergeRadiusFor(o.mergeRadius, threshold, metricUnits(m.metric, m.metricParams));
  return {
    threshold,
    iterations: option(CW.iterations, o.iterations),
    seed: option(CW.seed, o.seed),
    minClusterSize: option(CW.minClusterSize, o.minClusterSize),
    mergeRadius,
    metric: m.metric,
    ...m.record,
    backend: option(COMMON_PARAMS.backend, o.backend),
  };
}

export function dbscanParams(o: Loose<Omit<DbscanParams, keyof MetricRecord>> & MetricOptions): DbscanParams {
  const m = metricChoice(o);
  return {
    eps: distanceParam('dbscan', o.eps, m),
    minSamples: option(DBSCAN_PARAMS.minSamples, o.minSamples, DEFAULTS.minSamples),
    metric: m.metric,
    ...m.record,
    backend: option(COMMON_PARAMS.backend, o.backend),
  };
}

/**
 * The default CW threshold and DBSCAN eps of the metrics that are not a function of the euclidean distance
 * between unit vectors, measured on lfw-dev: manhattan and chebyshev by scripts/eval-lfw.mjs (cli README,
 * "Defaults per metric"), the extra metrics by scripts/metric-defaults.mjs (cluster README, "Metrics").
 * seuclidean's is for V estimated from the faces, as the CLI does; mahalanobis has none (no threshold kept
 * the precision, see {@link noDefaultReason}).
 */
const MEASURED_DEFAULTS: Record<string, { cw: number; dbscan: number }> = {
  manhattan: { cw: 17.5, dbscan: 16.25 },
  chebyshev: { cw: 0.1235, dbscan: 0.1195 },
  correlation: { cw: 0.5025, dbscan: 0.4322 },
  seuclidean: { cw: 22.77, dbscan: 21.21 },
  braycurtis: { cw: 0.5586, dbscan: 0.5039 },
  canberra: { cw: 288.1, dbscan: 276.3 },
  'minkowski p=3': { cw: 0.414, dbscan: 0.3818 },
};

/**
 * The metric whose defaults `metric` with `params` takes: itself, or for minkowski the metric its p is
 * (1 manhattan, 2 euclidean, ∞ chebyshev, 3 measured); undefined where nothing was measured (minkowski with
 * another p or with weights, seuclidean with a given V, mahalanobis).
 */
function defaultsOf(metric: MetricName, params: MetricParams): string | undefined {
  if (metric === 'minkowski') {
    if (params.w) return undefined;
    const p = params.p ?? 2;
    return p === 1 ? 'manhattan' : p === 2 ? 'euclidean' : p === Infinity ? 'chebyshev' : p === 3 ? 'minkowski p=3' : undefined;
  }
  if (metric === 'mahalanobis' || (metric === 'seuclidean' && params.V)) return undefined;
  return metric;
}

/** Why a metric has no default threshold or eps (see {@link defaultsOf}), for the error that asks for one. */
export function noDefaultReason(m: Pick<MetricChoice, 'metric' | 'metricParams'>): string {
  if (m.metric === 'mahalanobis') {
    return 'metric mahalanobis has no default: on lfw-dev no threshold kept pairwise precision >= 0.997 (whitening lifts the noise directions to the weight of the identity ones; see the metric table of the @faceclust/cluster README); prefer euclidean, or choose one with `faceclust tune --metric mahalanobis --from A --to B`';
  }
  if (m.metric === 'seuclidean') return "seuclidean's default was measured with V estimated from the faces, not with a given V; choose one with `faceclust tune`";
  if (m.metricParams.w) return 'weights change the scale of minkowski distances, so no default was measured; choose one with `faceclust tune`';
  return `no default was measured for ${metricLabel(m)} (only for p = 1, 2, 3 and Infinity); choose one with \`faceclust tune\``;
}

/** The `metric` distance of two unit vectors at euclidean distance d, for the metrics that are a function of it. */
function fromEuclidean(metric: string, d: number): number | undefined {
  if (metric === 'euclidean') return d;
  if (metric === 'sqeuclidean') return d * d;
  if (metric === 'cosine') return (d * d) / 2; // 1 − a·b = ‖a − b‖² / 2
  return undefined;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/**
 * The default threshold (cw) or eps (dbscan) of `metric` (with `params`, e.g. minkowski's p), times `factor`
 * (tune's sweep range): equivalent to the euclidean DEFAULTS, mapped exactly where the metric is a function
 * of the euclidean distance (the same clusters), measured otherwise; undefined where none was measured
 * ({@link noDefaultReason} says why). Rounded to 4 decimals. The one table of the defaults, for the calls,
 * `tune` and the help texts.
 */
export function metricDefault(method: 'cw' | 'dbscan', metric: MetricName, factor = 1, params: MetricParams = {}): number | undefined {
  const euclidean = method === 'cw' ? DEFAULTS.threshold : DEFAULTS.eps;
  const key = defaultsOf(metric, params);
  if (key === undefined) return undefined;
  const measured = MEASURED_DEFAULTS[key]?.[method];
  return round4(fromEuclidean(key, factor * euclidean) ?? factor * measured!);
}

/** `1; cosine 0.5, sqeuclidean 1, …, mahalanobis none`: the defaults of every metric, for help texts. */
export function metricDefaultsText(method: 'cw' | 'dbscan'): string {
  const name = (m: MetricName) => (m === 'minkowski' ? 'minkowski p=3' : m);
  const others = (METRIC_PARAMS.metric.rule.choices as readonly MetricName[]).filter((m) => m !== 'euclidean')
    .map((m) => `${name(m)} ${metricDefault(method, m, 1, m === 'minkowski' ? { p: 3 } : {}) ?? 'none'}`);
  return `${metricDefault(method, 'euclidean')}; ${others.join(', ')}`;
}

/**
 * The largest distance of `m` between two L2-normalised vectors (every stored embedding is one), or
 * undefined when it has no such bound (braycurtis, seuclidean, mahalanobis, weighted minkowski) or it depends
 * on a dimension not given: a threshold beyond it joins every face.
 */
export function metricMax(m: MetricName | Pick<MetricChoice, 'metric' | 'metricParams'>, dim?: number): number | undefined {
  const { metric, metricParams } = typeof m === 'string' ? { metric: m, metricParams: {} as MetricParams } : m;
  switch (metric) {
    case 'sqeuclidean':
      return 4;
    case 'manhattan':
      return dim === undefined ? undefined : 2 * Math.sqrt(dim);
    case 'euclidean':
    case 'cosine':
    case 'chebyshev':
    case 'correlation':
      return 2;
    case 'canberra':
      return dim; // each of the dim terms is at most 1
    case 'minkowski': {
      const p = metricParams.p ?? 2;
      if (metricParams.w) return undefined;
      // ‖a − b‖_p <= ‖a‖_p + ‖b‖_p <= 2 for p >= 2; below, ‖x‖_p <= dim^(1/p − 1/2) ‖x‖₂
      return p >= 2 ? 2 : dim === undefined ? undefined : 2 * Math.pow(dim, 1 / p - 0.5);
    }
    default:
      return undefined;
  }
}

/** The rule of a threshold or eps for `m`: > 0 and at most the metric's largest distance on unit vectors. */
function distanceRule(m: Pick<MetricChoice, 'metric' | 'metricParams'>, dim?: number): { rule: NumberRule; why?: string } {
  const max = metricMax(m, dim);
  if (max === undefined) return { rule: { kind: 'number', min: 0, minOpen: true } };
  const dependsOnDim = m.metric === 'manhattan' || m.metric === 'canberra' || (m.metric === 'minkowski' && (m.metricParams.p ?? 2) < 2);
  const why = `the largest ${metricLabel(m)} distance between two face embeddings${dependsOnDim ? ` of dimension ${dim}` : ''}`;
  return { rule: { kind: 'number', min: 0, minOpen: true, max: round4(max) }, why };
}

/** A threshold or eps (`spec`), within the metric's range on unit vectors (`dim` known: manhattan too). */
export function expectDistance(spec: ParamSpec, value: unknown, m: Pick<MetricChoice, 'metric' | 'metricParams'>, dim?: number): number {
  const { rule, why } = distanceRule(m, dim);
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
export function neighborParams(o: { neighbors?: unknown; hnsw?: unknown; backend?: unknown }, minK = 1, metric?: MetricChoice): NeighborParams {
  const neighbors = option<NeighborStrategy>(COMMON_PARAMS.neighbors, o.neighbors);
  if (metric?.kind === 'pairwise' && (neighbors === 'hnsw' || o.hnsw !== undefined && Object.keys(o.hnsw as object).length > 0)) {
    // hnswlib computes L2 and inner products only; the pair-pass metrics are computed pair by pair, exactly
    throw new RangeError(
      `${neighbors === 'hnsw' ? "neighbors 'hnsw' (--neighbors hnsw)" : 'hnsw options (--hnsw-*)'} cannot serve metric ${metricLabel(metric)}: ` +
        "it runs as a float64 pair pass over every pair, and an HNSW index computes L2 and inner-product distances only; leave neighbors 'auto' or pass 'exact'",
    );
  }
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
export function parseDistanceFlag(flag: string, m: Pick<MetricChoice, 'metric' | 'metricParams'>, spec: ParamSpec = CW.threshold): (raw: string) => number {
  const { rule, why } = distanceRule(m);
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

/** `threshold=1 iterations=30 … metric=minkowski p=3 w=none`: a call's parameters as the log and messages write them. */
export function describeParams(params: object, omit: string[] = []): string {
  return Object.entries(params).filter(([k]) => !omit.includes(k)).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** A short tag of the main parameter for output names: `cw-t1`, `dbscan-e0.95-m1`. */
export function paramTag(method: 'cw' | 'dbscan', p: CwParams | DbscanParams): string {
  if (method === 'cw') return `cw-t${(p as CwParams).threshold}`;
  const d = p as DbscanParams;
  return `dbscan-e${d.eps}-m${d.minSamples}${d.metric === 'euclidean' ? '' : `-${d.metric}`}${d.p === undefined ? '' : `-p${d.p}`}`;
}
