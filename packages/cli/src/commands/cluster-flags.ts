/** The method flags of `run` and `cluster`, parsed and checked before any work starts. */
import { AUTO_HNSW_FROM, BACKENDS, HNSW_DEFAULTS, METRICS, NEIGHBOR_STRATEGIES, type NeighborStrategy } from '@faceclust/cluster';
import type { Command } from 'commander';
import { EXIT, failure, openClustering, parseSaveAs, printResult, Ui, type CommonFlags } from './common.js';
import { cwParams, dbscanParams, DEFAULTS, metricDefaultsText, parseChoiceFlag, parseDistanceFlag, parseNumberFlag, UsageError, type CwParams, type DbscanParams, type HnswCallOptions } from '../options.js';

export interface MethodFlags {
  threshold?: string;
  iterations?: string;
  seed?: string;
  minClusterSize?: string;
  eps?: string;
  minSamples?: string;
  metric?: string;
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
}

export function addMethodFlags(cmd: Command): Command {
  return cmd
    .option('--threshold <distance>', `cw: join two faces when their distance is at most this (default ${metricDefaultsText('cw')})`)
    .option('--iterations <n>', `cw: maximum passes (default ${DEFAULTS.iterations})`)
    .option('--seed <n>', `cw: seed of the visiting order (default ${DEFAULTS.seed})`)
    .option('--min-cluster-size <n>', `cw: smaller clusters go to no_class (default ${DEFAULTS.minClusterSize})`)
    .option('--eps <distance>', `dbscan: neighbourhood radius (default ${metricDefaultsText('dbscan')})`)
    .option('--min-samples <n>', `dbscan: faces (itself included) within eps that make a core face (default ${DEFAULTS.minSamples})`)
    .option('--metric <name>', `distance: ${METRICS.join(', ')} (default ${DEFAULTS.metric})`)
    .option('--backend <name>', `clustering backend: ${BACKENDS.join(', ')} (default auto: native when it loads)`)
    .option('--saveas [kind]', 'also copy each cluster\'s faces into a folder per cluster; --saveas=photos copies the whole photos (the value only with =)')
    .option('--min-face-quality <0-1>', 'quality gate: faces whose quality (weakest of detector confidence, sharpness/100, size/80 px) is lower go to no_class, with the reason in the xlsx')
    .option('--min-face-size <px>', 'quality gate: faces smaller than this (box height in the photo) go to no_class, with the reason in the xlsx')
    .option('--neighbors <how>', `neighbour search: ${NEIGHBOR_STRATEGIES.join(', ')} (default auto: exact below ${AUTO_HNSW_FROM} faces, hnsw from there)`)
    .option('--hnsw-m <n>', `hnsw: links per node (default ${HNSW_DEFAULTS.M}); the index is kept in <out>/hnsw/`)
    .option('--hnsw-ef-construction <n>', `hnsw: search width while building (default ${HNSW_DEFAULTS.efConstruction})`)
    .option('--hnsw-k <n>', `hnsw: neighbours per face (default ${HNSW_DEFAULTS.k}; dbscan: at least min-samples − 1)`)
    .option('--hnsw-ef <n>', `hnsw: search width, >= k (default ${HNSW_DEFAULTS.ef})`)
    .option('--hnsw-max-neighbors <n>', 'hnsw: most neighbours per face, >= k (default k); faces whose k nearest are all within the threshold are searched again with twice the k up to this (large, e.g. 4096: nearly the exact graph)');
}

const CW_ONLY = { threshold: '--threshold', iterations: '--iterations', seed: '--seed', minClusterSize: '--min-cluster-size' } as const;
const DBSCAN_ONLY = { eps: '--eps', minSamples: '--min-samples' } as const;

export function parseMethod(raw: string, flag: string): 'cw' | 'dbscan' {
  if (raw === 'chinese-whispers') return 'cw';
  return parseChoiceFlag(flag, ['cw', 'dbscan'] as const)(raw);
}

/** Parses the flags of `method`; a flag of the other method is a usage error rather than silently ignored. */
export function parseMethodFlags(method: 'cw' | 'dbscan', f: MethodFlags): CwParams | DbscanParams {
  const wrong = Object.entries(method === 'cw' ? DBSCAN_ONLY : CW_ONLY).find(([k]) => f[k as keyof MethodFlags] !== undefined);
  if (wrong) throw new UsageError(`${wrong[1]} applies to ${method === 'cw' ? 'dbscan' : 'cw (chinese whispers)'}, not to ${method === 'cw' ? 'cw (chinese whispers)' : 'dbscan'}`);
  const num = (flag: string, raw: string | undefined, o: Parameters<typeof parseNumberFlag>[1]) => (raw === undefined ? undefined : parseNumberFlag(flag, o)(raw));
  const metric = f.metric === undefined ? undefined : parseChoiceFlag('--metric', METRICS)(f.metric);
  const backend = f.backend === undefined ? undefined : parseChoiceFlag('--backend', BACKENDS)(f.backend);
  const distance = (flag: string, raw: string | undefined) => (raw === undefined ? undefined : parseDistanceFlag(flag, metric ?? DEFAULTS.metric)(raw));
  if (method === 'cw') {
    return cwParams({
      threshold: distance('--threshold', f.threshold),
      iterations: num('--iterations', f.iterations, { min: 1, integer: true }),
      seed: num('--seed', f.seed, { min: 0, max: 0xffffffff, integer: true }),
      minClusterSize: num('--min-cluster-size', f.minClusterSize, { min: 1, integer: true }),
      metric, backend,
    });
  }
  return dbscanParams({ eps: distance('--eps', f.eps), minSamples: num('--min-samples', f.minSamples, { min: 1, integer: true }), metric, backend });
}

/** The quality-gate flags (both optional; absent means off). */
export function parseGateFlags(f: MethodFlags): { minFaceQuality?: number; minFaceSize?: number } {
  return {
    ...(f.minFaceQuality === undefined ? {} : { minFaceQuality: parseNumberFlag('--min-face-quality', { min: 0, max: 1 })(f.minFaceQuality) }),
    ...(f.minFaceSize === undefined ? {} : { minFaceSize: parseNumberFlag('--min-face-size', { min: 0 })(f.minFaceSize) }),
  };
}

/** The neighbour flags; `minK` is dbscan's min-samples − 1 (1 for cw). Errors name the flag. */
export function parseNeighborFlags(f: MethodFlags, minK = 1): { neighbors?: NeighborStrategy; hnsw: HnswCallOptions } {
  const neighbors = f.neighbors === undefined ? undefined : parseChoiceFlag('--neighbors', NEIGHBOR_STRATEGIES)(f.neighbors);
  const int = (flag: string, raw: string | undefined, min: number, max?: number) => (raw === undefined ? undefined : parseNumberFlag(flag, { min, max, integer: true })(raw));
  const hnsw: HnswCallOptions = {};
  const M = int('--hnsw-m', f.hnswM, 2, 10000);
  const efConstruction = int('--hnsw-ef-construction', f.hnswEfConstruction, 1);
  const k = int('--hnsw-k', f.hnswK, 1);
  const ef = int('--hnsw-ef', f.hnswEf, 1);
  const maxNeighbors = int('--hnsw-max-neighbors', f.hnswMaxNeighbors, 1);
  if (k !== undefined && k < minK) throw new UsageError(`Invalid value for --hnsw-k: dbscan needs at least min-samples − 1 = ${minK} neighbours per face but received ${JSON.stringify(f.hnswK)}`);
  const kUsed = k ?? Math.max(HNSW_DEFAULTS.k, minK);
  const kFrom = `${kUsed}${k === undefined ? ', the default' : ', from --hnsw-k'}`;
  if (ef !== undefined && ef < kUsed) throw new UsageError(`Invalid value for --hnsw-ef: expected an integer >= k (${kFrom}) but received ${JSON.stringify(f.hnswEf)}`);
  if (maxNeighbors !== undefined && maxNeighbors < kUsed) {
    throw new UsageError(`Invalid value for --hnsw-max-neighbors: expected an integer >= k (${kFrom}) but received ${JSON.stringify(f.hnswMaxNeighbors)}`);
  }
  if (M !== undefined) hnsw.M = M;
  if (efConstruction !== undefined) hnsw.efConstruction = efConstruction;
  if (k !== undefined) hnsw.k = k;
  if (ef !== undefined) hnsw.ef = ef;
  if (maxNeighbors !== undefined) hnsw.maxNeighbors = maxNeighbors;
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
    const options = { ...params, saveas: parseSaveAs(flags.saveas), ...parseGateFlags(flags), ...parseNeighborFlags(flags, 'minSamples' in params ? params.minSamples - 1 : 1) };
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
