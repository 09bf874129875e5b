/**
 * The backends, one object per implementation behind one {@link Backend} interface: the native addon from
 * `@faceclust/core-native` (native-backend.ts) when it loads, else the pure TypeScript one (ts-backend.ts).
 * Algorithm files call `backend.x(...)` and never ask which one they hold. The addon is an optional peer,
 * imported lazily and once per process; its types are imported from it (`import type`) and kept out of the
 * published declarations (`@internal`, stripped), so a project without it type-checks.
 */
import { availableParallelism } from 'node:os';
import type { NativeBinding } from '@faceclust/core-native';
import type { NeighborGraph } from './graph.js';
import type { NeighborLists } from './knn.js';
import type { Metric } from './metrics.js';
import { nativeBackend } from './native-backend.js';
import { tsBackend } from './ts-backend.js';
import { expectInteger, expectOneOf } from './validate.js';
import type { Matrix } from './vectors.js';

/** `auto` (default): native when the addon loads, else ts with a one-line warning on stderr (once). */
export const BACKENDS = ['auto', 'native', 'ts'] as const;

/** Which implementation runs: see {@link BACKENDS}. */
export type BackendOption = (typeof BACKENDS)[number];

/** The backend that actually ran. */
export type BackendName = 'native' | 'ts';

/** The addon's HNSW functions, which only the native backend has: see {@link Backend.hnsw}. @internal */
export type HnswBinding = Pick<NativeBinding, 'hnswCreate' | 'hnswLoad' | 'hnswSave' | 'hnswCount' | 'hnswAdd' | 'hnswKnnGraph' | 'cancelToken' | 'cancel'>;

/**
 * Chinese Whispers over must-link groups (constraints.ts): `weights[e]` replaces the distance-derived weight
 * of CSR entry e (the graph's `distances` is then unused), and a node never takes a label held by one of its
 * cannot-link partners (a CSR over the same nodes).
 */
export interface CwConstrained {
  /** Absent: derived from the distances (unit: 1), as without constraints. */
  weights?: Float64Array;
  cannotOffsets: Uint32Array;
  cannotIndices: Int32Array;
}

/**
 * DBSCAN over must-link groups (constraints.ts): `core` replaces the minSamples test, and a cluster refuses a
 * node whose cannot-link partner it already holds.
 */
export interface DbscanConstrained {
  core: Uint8Array;
  cannotOffsets: Uint32Array;
  cannotIndices: Int32Array;
}

/**
 * The merge pass over must-link groups (constraints.ts): the clustering ran on nodes whose labels are
 * `nodeLabels`; two clusters are not joined while a node of one is cannot-linked to a node of the other.
 */
export interface MergeConstrained {
  nodeLabels: Int32Array;
  cannotOffsets: Uint32Array;
  cannotIndices: Int32Array;
}

/**
 * What the algorithms ask of a backend, implemented once natively (native-backend.ts) and once in
 * TypeScript (ts-backend.ts) with the same results bit for bit (docs/ALGORITHMS.md). Every operation takes
 * the call's validated inputs and rejects with the AbortError (cancel.ts) once `signal` aborts.
 */
export interface Backend {
  readonly name: BackendName;
  /**
   * Whether calls compute off the event-loop thread, so that several can usefully run at once (a sweep keeps
   * a few clusterings in flight); the ts backend computes on the calling thread.
   */
  readonly offThread: boolean;
  /** The exact radius graph (docs/ALGORITHMS.md, "Radius graph"): every pair within `radius`, as CSR, never n×n. */
  radiusGraph(matrix: Matrix, metric: Metric, radius: number, threads: number, signal?: AbortSignal): Promise<NeighborGraph>;
  /**
   * Chinese Whispers passes over a graph of n >= 1 nodes: raw labels (a node index per cluster) and the passes
   * run. `constrained`: over must-link groups (docs/ALGORITHMS.md, "Constraints").
   */
  chineseWhispers(
    graph: NeighborGraph,
    iterations: number,
    seed: number,
    unitWeights: boolean,
    signal?: AbortSignal,
    constrained?: CwConstrained,
  ): Promise<{ labels: Int32Array; iterations: number }>;
  /**
   * DBSCAN over a radius graph of n >= 1 nodes at eps: raw labels 0, 1, … in discovery order, −1 noise.
   * `constrained`: over must-link groups (docs/ALGORITHMS.md, "Constraints").
   */
  dbscan(graph: NeighborGraph, minSamples: number, signal?: AbortSignal, constrained?: DbscanConstrained): Promise<Int32Array>;
  /**
   * The merge pass after Chinese Whispers (docs/ALGORITHMS.md, "Merge pass"): the graph's edges within
   * `radius` between two clusters, closest first (ties in row order), join their clusters; every label of a
   * joined set becomes its smallest. `labels` (each in [0, n)) are the rows' raw labels.
   */
  mergeClusters(graph: NeighborGraph, labels: Int32Array, radius: number, signal?: AbortSignal, constrained?: MergeConstrained): Promise<Int32Array>;
  /** Each row's float64 reference distance to its `want`-th nearest other row, 1 <= want <= n − 1. */
  kDistances(matrix: Matrix, metric: Metric, want: number, threads: number, signal?: AbortSignal): Promise<Float64Array>;
  /**
   * Each query row's k nearest base rows within `radius` (Infinity: no radius), by float64 reference distance,
   * ties to the lower index (docs/ALGORITHMS.md, "Nearest neighbours"); base and queries share `dim`.
   */
  nearestNeighbors(base: Matrix, queries: Matrix, metric: Metric, k: number, radius: number, threads: number, signal?: AbortSignal): Promise<NeighborLists>;
  /**
   * The HNSW functions: the capability that tells whether the hnsw neighbour path can run, set on the native
   * backend only (there is no pure-TypeScript HNSW).
   * @internal
   */
  readonly hnsw?: HnswBinding;
}

/** @internal */
export type LoadOutcome = { binding: NativeBinding } | { error: Error; fromLoader: boolean };

async function importNative(): Promise<LoadOutcome> {
  let mod: { loadNative?: unknown };
  try {
    // A variable specifier: neither TypeScript nor a bundler resolves the optional peer before run time.
    const specifier = '@faceclust/core-native';
    mod = (await import(specifier)) as { loadNative?: unknown };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)), fromLoader: false };
  }
  if (typeof mod.loadNative !== 'function') {
    return { error: new Error('@faceclust/core-native does not export loadNative()'), fromLoader: false };
  }
  try {
    return { binding: (mod.loadNative as () => NativeBinding)() };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)), fromLoader: true };
  }
}

let loader: () => Promise<LoadOutcome> = importNative;
let outcome: Promise<{ backend: Backend } | { error: Error; fromLoader: boolean }> | undefined;
let warned = false;

/** Tests only: replace the addon import (e.g. with one that fails) and forget the cached outcome. @internal */
export function setNativeImportForTesting(replacement?: () => Promise<LoadOutcome>): void {
  loader = replacement ?? importNative;
  outcome = undefined;
  warned = false;
}

/**
 * Why the native backend is unavailable, as one sentence each for the reason and the fix. Uses the
 * loader's own `reason`/`fix` fields (core-native's NativeLoadError) rather than parsing its message.
 */
export function describeNativeFailure(error: Error, fromLoader: boolean): { reason: string; fix: string; notInstalled: boolean } {
  const fields = error as Error & { reason?: unknown; fix?: unknown; code?: unknown };
  if (typeof fields.reason === 'string' && typeof fields.fix === 'string') {
    return { reason: oneLine(fields.reason), fix: oneLine(fields.fix), notInstalled: false };
  }
  if (!fromLoader && fields.code === 'ERR_MODULE_NOT_FOUND' && error.message.includes("'@faceclust/core-native'")) {
    return { reason: '@faceclust/core-native is not installed', fix: 'npm install @faceclust/core-native', notInstalled: true };
  }
  return fromLoader
    ? { reason: `@faceclust/core-native could not load its addon: ${firstLine(error.message)}`, fix: 'npm rebuild @faceclust/core-native', notInstalled: false }
    : { reason: `@faceclust/core-native could not be imported: ${firstLine(error.message)}`, fix: 'npm install @faceclust/core-native', notInstalled: false };
}

/** The one line `auto` writes to stderr when it falls back to ts. */
export function fallbackWarning(error: Error, fromLoader: boolean): string {
  const { reason, fix, notInstalled } = describeNativeFailure(error, fromLoader);
  const why = notInstalled ? `${reason}; ${fix} for the native backend` : `${reason}. Fix: ${fix} (FACECLUST_DEBUG=1 for details)`;
  // The ratio the README's Backends section reports, so the user can weigh installing the addon.
  return `@faceclust/cluster: using the pure-TypeScript backend (~100× slower): ${why}`;
}

/**
 * Resolves `option` (validated) to a backend. `native` that cannot load throws the loader's error;
 * `auto` falls back to ts and writes one line to stderr, once per process (with FACECLUST_DEBUG set, the
 * loader's whole error follows: every path tried, the install record, the causes).
 */
export async function resolveBackend(option: unknown = 'auto'): Promise<Backend> {
  const choice = expectOneOf('backend', option, BACKENDS);
  if (choice === 'ts') return tsBackend;
  outcome ??= loader().then((loaded) => ('binding' in loaded ? { backend: nativeBackend(loaded.binding) } : loaded));
  const result = await outcome;
  if ('backend' in result) return result.backend;
  if (choice === 'native') {
    if (result.fromLoader) throw result.error;
    const { reason, fix } = describeNativeFailure(result.error, false);
    throw new Error(`backend 'native' was requested but ${reason}. Fix: ${fix}, or pass backend: 'ts'.`, { cause: result.error });
  }
  if (!warned) {
    warned = true;
    let text = fallbackWarning(result.error, result.fromLoader) + '\n';
    const debug = process.env.FACECLUST_DEBUG;
    if (debug && debug !== '0') text += fullError(result.error) + '\n';
    process.stderr.write(text);
  }
  return tsBackend;
}

/** Validates `threads`; the default is every core Node reports. */
export function resolveThreads(threads: unknown): number {
  return threads === undefined ? availableParallelism() : expectInteger('threads', threads, 1, 1024);
}

/** The error's message and each cause's, for FACECLUST_DEBUG. */
function fullError(error: Error): string {
  const parts = [error.message];
  for (let cause = error.cause, depth = 0; cause !== undefined && depth < 5; cause = (cause as Error).cause, depth++) {
    parts.push(`Caused by: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  return parts.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function firstLine(message: string): string {
  const line = message.split('\n', 1)[0];
  return line.length > 200 ? line.slice(0, 200) + '…' : line;
}

/** The name of the backend `option` resolves to (`auto`: native when the addon loads), for callers that report it. */
export async function backendName(option: unknown = 'auto'): Promise<BackendName> {
  return (await resolveBackend(option)).name;
}
