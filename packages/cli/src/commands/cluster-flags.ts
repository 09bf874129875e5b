/** The method flags of `run` and `cluster`, parsed and checked before any work starts. */
import {
  AUTO_EXACT_MAX_EDGES, AUTO_EXACT_MAX_EDGES_PER_FACE, AUTO_HNSW_FROM, CHINESE_WHISPERS_PARAMS as CW, COMMON_PARAMS, DBSCAN_PARAMS, HNSW_PARAMS, METRIC_PARAMS, hnswSearchParams,
  type BackendOption, type MetricParams, type NeighborStrategy, type ParamSpec,
} from '@faceclust/cluster';
import type { Command } from 'commander';
import { QUALITY_GATE_PARAMS } from '../quality-gate.js';
import { EXIT, failure, openClustering, parseSaveAs, printResult, Ui, type CommonFlags } from './common.js';
import { metricChoice, metricLabel, parsePFlag, readMetricParamsFile, type MetricName } from '../metric.js';
import { cwParams, dbscanParams, DEFAULTS, metricDefault, metricDefaultsText, noDefaultReason, parseChoiceFlag, parseDistanceFlag, parseNumberFlag, parseParam, UsageError, type CwParams, type DbscanParams, type HnswCallOptions } from '../options.js';

export interface MethodFlags {
  threshold?: string;
  iterations?: string;
  seed?: string;
  minClusterSize?: string;
  mergeRadius?: string;
  eps?: string;
  minSamples?: string;
  metric?: string;
  p?: string;
  metricParams?: string;
  backend?: string;
  saveas?: string | boolean;
  minFaceQuality?: string;
  minFaceSize?: string;
  neighbors?: string;
  hnswM?: string;
  hnswEfConstruction?: string;
  hnswK?: string;
  hnswEf?: string;
  hnswMaxNeighbors?: string;
  allowSamePhoto?: boolean;
  recluster?: boolean;
}

/** `--iterations <n>` and its help, from the library's parameter spec (`value` names the argument). */
function specOption(cmd: Command, spec: ParamSpec, value: string, prefix: string, suffix = spec.default === undefined ? '' : ` (default ${spec.default})`): Command {
  return cmd.option(`${spec.flag} <${value}>`, `${prefix}${spec.doc}${suffix}`);
}

/** The methods' own parameters (threshold … backend), for every command that clusters. */
export function addParamFlags(cmd: Command): Command {
  specOption(cmd, CW.threshold, 'distance', 'cw: ', ` (default ${metricDefaultsText('cw')})`);
  specOption(cmd, CW.iterations, 'n', 'cw: ');
  specOption(cmd, CW.seed, 'n', 'cw: ');
  specOption(cmd, CW.mergeRadius, 'distance', 'cw: ');
  specOption(cmd, DBSCAN_PARAMS.eps, 'distance', 'dbscan: ', ` (default ${metricDefaultsText('dbscan')})`);
  specOption(cmd, DBSCAN_PARAMS.minSamples, 'n', 'dbscan: ', ` (default ${DEFAULTS.minSamples}; the library's is ${DBSCAN_PARAMS.minSamples.default})`);
  specOption(cmd, METRIC_PARAMS.metric, 'name', '', ` (default ${METRIC_PARAMS.metric.default}; the cluster README's metric table says how each runs and does on faces)`);
  specOption(cmd, METRIC_PARAMS.p, 'p', '', ` (default ${METRIC_PARAMS.p.default}; inf for Infinity)`);
  cmd.option('--metric-params <file.json>', 'a JSON object with w (minkowski weights), V (seuclidean variances) or VI (mahalanobis inverse covariance, row-major); default: unweighted, and V or VI estimated from the faces');
  specOption(cmd, COMMON_PARAMS.backend, 'name', '');
  return cmd.option('--allow-same-photo', 'faces of one photo may be one person (mirrors, collages); by default they are kept apart');
}

export function addMethodFlags(cmd: Command): Command {
  addParamFlags(cmd);
  specOption(cmd, CW.minClusterSize, 'n', 'cw: ')
    .option('--saveas [kind]', 'also copy each cluster\'s faces into a folder per cluster; --saveas=photos copies the whole photos (the value only with =)');
  specOption(cmd, QUALITY_GATE_PARAMS.minFaceQuality, '0-1', '');
  specOption(cmd, QUALITY_GATE_PARAMS.minFaceSize, 'px', '');
  specOption(cmd, COMMON_PARAMS.neighbors, 'how', '', ` (default auto: hnsw from ${AUTO_HNSW_FROM} faces, or when the exact graph would hold more than ${AUTO_EXACT_MAX_EDGES / 1e6}M edges or ${AUTO_EXACT_MAX_EDGES_PER_FACE} per face, estimated from a sample)`);
  specOption(cmd, HNSW_PARAMS.M, 'n', 'hnsw: ', ` (default ${HNSW_PARAMS.M.default}); the index is kept in <out>/hnsw/`);
  specOption(cmd, HNSW_PARAMS.efConstruction, 'n', 'hnsw: ');
  specOption(cmd, HNSW_PARAMS.k, 'n', 'hnsw: ');
  specOption(cmd, HNSW_PARAMS.ef, 'n', 'hnsw: ', '');
  return specOption(cmd, HNSW_PARAMS.maxNeighbors, 'n', 'hnsw: ', ' (large, e.g. 4096: nearly the exact graph)');
}

const CW_ONLY = { threshold: '--threshold', iterations: '--iterations', seed: '--seed', minClusterSize: '--min-cluster-size', mergeRadius: '--merge-radius' } as const;
const DBSCAN_ONLY = { eps: '--eps', minSamples: '--min-samples' } as const;

export function parseMethod(raw: string, flag: string): 'cw' | 'dbscan' {
  if (raw === 'chinese-whispers') return 'cw';
  return parseChoiceFlag(flag, ['cw', 'dbscan'] as const)(raw);
}

/** Parses the flags of `method`; a flag of the other method is a usage error rather than silently ignored. */
export function parseMethodFlags(method: 'cw' | 'dbscan', f: MethodFlags): CwParams | DbscanParams {
  const wrong = Object.entries(method === 'cw' ? DBSCAN_ONLY : CW_ONLY).find(([k]) => f[k as keyof MethodFlags] !== undefined);
  if (wrong) throw new UsageError(`${wrong[1]} applies to ${method === 'cw' ? 'dbscan' : 'cw (chinese whispers)'}, not to ${method === 'cw' ? 'cw (chinese whispers)' : 'dbscan'}`);
  const param = <T extends number | string>(spec: ParamSpec, raw: string | undefined) => (raw === undefined ? undefined : parseParam<T>(spec, raw));
  const m = parseMetricFlags(f);
  const backend = param<BackendOption>(COMMON_PARAMS.backend, f.backend);
  const choice = metricChoice(m); // checked by parseMetricFlags
  const distance = (spec: ParamSpec, raw: string | undefined) => (raw === undefined ? undefined : parseDistanceFlag(spec.flag, choice, spec)(raw));
  // a metric without a default (mahalanobis, …) needs the flag: said with the flag's name
  const needed = method === 'cw' ? CW.threshold : DBSCAN_PARAMS.eps;
  if ((method === 'cw' ? f.threshold : f.eps) === undefined && metricDefault(method, choice.metric, 1, choice.metricParams) === undefined) {
    throw new UsageError(`${needed.flag} is needed with --metric ${metricLabel(choice)}: ${noDefaultReason(choice)}`);
  }
  const { metric, metricParams } = m;
  if (method === 'cw') {
    return cwParams({
      threshold: distance(CW.threshold, f.threshold),
      iterations: param(CW.iterations, f.iterations),
      seed: param(CW.seed, f.seed),
      minClusterSize: param(CW.minClusterSize, f.minClusterSize),
      mergeRadius: param(CW.mergeRadius, f.mergeRadius),
      metric, metricParams, backend,
    });
  }
  return dbscanParams({ eps: distance(DBSCAN_PARAMS.eps, f.eps), minSamples: param(DBSCAN_PARAMS.minSamples, f.minSamples), metric, metricParams, backend });
}

/**
 * `--metric`, `--p` and `--metric-params`, parsed and checked together (the library's rules: p only for
 * minkowski, w, V and VI only for the metric that takes each), as the API's `metric` and `metricParams`.
 */
export function parseMetricFlags(f: Pick<MethodFlags, 'metric' | 'p' | 'metricParams'>): { metric?: MetricName; metricParams?: MetricParams } {
  const metric = f.metric === undefined ? undefined : parseParam<MetricName>(METRIC_PARAMS.metric, f.metric);
  const name = metric ?? DEFAULTS.metric;
  if (f.p !== undefined && name !== 'minkowski') throw new UsageError(`--p applies to --metric minkowski only, not to --metric ${name}`);
  const params: MetricParams = {
    ...(f.p === undefined ? {} : { p: parsePFlag(f.p) }),
    ...(f.metricParams === undefined ? {} : readMetricParamsFile(f.metricParams)),
  };
  const metricParams = Object.keys(params).length ? params : undefined;
  try {
    metricChoice({ metric, metricParams });
  } catch (err) {
    throw new UsageError(f.metricParams === undefined ? (err as Error).message : `Invalid --metric-params ${JSON.stringify(f.metricParams)}: ${(err as Error).message}`);
  }
  return { ...(metric === undefined ? {} : { metric }), ...(metricParams ? { metricParams } : {}) };
}

/** The quality-gate flags (both optional; absent means off). */
export function parseGateFlags(f: MethodFlags): { minFaceQuality?: number; minFaceSize?: number } {
  return {
    ...(f.minFaceQuality === undefined ? {} : { minFaceQuality: parseParam<number>(QUALITY_GATE_PARAMS.minFaceQuality, f.minFaceQuality) }),
    ...(f.minFaceSize === undefined ? {} : { minFaceSize: parseParam<number>(QUALITY_GATE_PARAMS.minFaceSize, f.minFaceSize) }),
  };
}

/**
 * The neighbour flags; `minK` is dbscan's min-samples − 1 (1 for cw). Each is parsed against the library's
 * spec, then the rules between k, ef and maxNeighbors are checked by the library's own hnswSearchParams, so
 * the messages name the flags.
 */
export function parseNeighborFlags(f: MethodFlags, minK = 1): { neighbors?: NeighborStrategy; hnsw: HnswCallOptions } {
  const param = (spec: ParamSpec, raw: string | undefined) => (raw === undefined ? undefined : parseParam<number>(spec, raw));
  const neighbors = f.neighbors === undefined ? undefined : parseParam<NeighborStrategy>(COMMON_PARAMS.neighbors, f.neighbors);
  const given: HnswCallOptions = {
    M: param(HNSW_PARAMS.M, f.hnswM),
    efConstruction: param(HNSW_PARAMS.efConstruction, f.hnswEfConstruction),
    k: param(HNSW_PARAMS.k, f.hnswK),
    ef: param(HNSW_PARAMS.ef, f.hnswEf),
    maxNeighbors: param(HNSW_PARAMS.maxNeighbors, f.hnswMaxNeighbors),
  };
  try {
    hnswSearchParams(given, minK, (spec) => spec.flag);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const hnsw = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as HnswCallOptions;
  return { ...(neighbors === undefined ? {} : { neighbors }), hnsw };
}

/**
 * One clustering call, shared by `run` (which embeds `inputs` first) and `cluster` (which uses the store
 * already in the output folder): parse the method's flags, open the output folder, cluster, write the
 * reports, print the result and set the exit code.
 */
export async function clusterAndReport(methodArg: string, methodFlag: string, inputs: string[] | undefined, flags: CommonFlags & MethodFlags, command: string): Promise<void> {
  const ui = new Ui(flags);
  let dispose = () => {};
  try {
    const method = parseMethod(methodArg, methodFlag);
    const params = parseMethodFlags(method, flags);
    const options = {
      ...params, ...parseMetricFlags(flags), saveas: parseSaveAs(flags.saveas), ...parseGateFlags(flags), ...parseNeighborFlags(flags, 'minSamples' in params ? params.minSamples - 1 : 1),
      allowSamePhoto: flags.allowSamePhoto === true, recluster: flags.recluster === true,
    };
    const opened = openClustering(inputs, inputs ? flags : { ...flags, detect: true }, ui, command);
    dispose = opened.dispose;
    const r = method === 'cw' ? await opened.fc.chineseWhispers(options) : await opened.fc.dbscan(options);
    printResult(r, flags, ui);
    process.exitCode = r.skipped.length ? EXIT.skipped : EXIT.ok;
  } catch (err) {
    process.exitCode = failure(err, ui);
  } finally {
    dispose();
  }
}
