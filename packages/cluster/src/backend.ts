/**
 * Chooses the backend: the native addon from `@faceclust/core-native` when it loads, else the pure
 * TypeScript one. The addon is an optional dependency, imported lazily and once per process.
 */
import { availableParallelism } from 'node:os';
import { expectInteger, expectOneOf } from './validate.js';
import type { Metric } from './metrics.js';

/** `auto` (default): native when the addon loads, else ts with a one-line warning on stderr (once). */
export const BACKENDS = ['auto', 'native', 'ts'] as const;

/** Which implementation runs: see {@link BACKENDS}. */
export type BackendOption = (typeof BACKENDS)[number];

/** The backend that actually ran. */
export type BackendName = 'native' | 'ts';

/** A cancellation flag inside the addon (opaque): see cancel.ts. */
export type NativeCancelToken = { readonly __brand: 'NativeCancelToken' };

/** The addon's cancellation surface: every Promise-returning call takes a token as its last argument. */
export interface NativeCancelBinding {
  cancelToken(): NativeCancelToken;
  cancel(token: NativeCancelToken): void;
}

/**
 * The part of `@faceclust/core-native`'s `NativeBinding` this package calls. Declared structurally so the
 * package type-checks and runs (on the ts backend) without the addon; the binding satisfies it.
 */
export interface NativeClusterBinding extends NativeCancelBinding {
  radiusGraph(
    vectors: Float32Array,
    n: number,
    dim: number,
    metric: Metric,
    radius: number,
    threads: number,
    cancel?: NativeCancelToken,
  ): Promise<{ offsets: Uint32Array; indices: Int32Array; distances: Float32Array }>;
  chineseWhispers(
    offsets: Uint32Array,
    indices: Int32Array,
    distances: Float32Array,
    n: number,
    iterations: number,
    seed: number,
    unitWeights: boolean,
    cancel?: NativeCancelToken,
  ): Promise<{ labels: Int32Array; iterations: number }>;
  dbscan(offsets: Uint32Array, indices: Int32Array, n: number, minSamples: number, cancel?: NativeCancelToken): Promise<Int32Array>;
  /** Fast fp32 distances of every row of `a` (na×dim) to every row of `b` (nb×dim) into `out` (na×nb). */
  pairwise(
    a: Float32Array,
    na: number,
    b: Float32Array,
    nb: number,
    dim: number,
    metric: Metric,
    out: Float32Array,
    threads: number,
    cancel?: NativeCancelToken,
  ): Promise<void>;
}

/** An HNSW index inside the addon (opaque). */
export type NativeHnswHandle = { readonly __brand: 'NativeHnswIndex' };

/** The addon's HNSW surface (see @faceclust/core-native's native.ts); used by hnsw.ts only. */
export interface NativeHnswBinding extends NativeCancelBinding {
  hnswCreate(dim: number, metric: Metric, M: number, efConstruction: number, capacity: number, seed: number): NativeHnswHandle;
  hnswLoad(path: string, dim: number, metric: Metric): NativeHnswHandle;
  hnswSave(index: NativeHnswHandle, path: string): void;
  hnswCount(index: NativeHnswHandle): number;
  hnswAdd(index: NativeHnswHandle, vectors: Float32Array, n: number, threads: number, cancel?: NativeCancelToken): Promise<number>;
  hnswKnnGraph(
    index: NativeHnswHandle,
    vectors: Float32Array,
    n: number,
    k: number,
    ef: number,
    radius: number,
    threads: number,
    maxNeighbors?: number,
    cancel?: NativeCancelToken,
  ): Promise<{ offsets: Uint32Array; indices: Int32Array; distances: Float32Array }>;
}

/** The resolved backend: `native` is set exactly when `name` is 'native'. */
export interface Backend {
  name: BackendName;
  native?: NativeClusterBinding;
}

type LoadOutcome = { binding: NativeClusterBinding } | { error: Error; fromLoader: boolean };

async function importNative(): Promise<LoadOutcome> {
  let mod: { loadNative?: unknown };
  try {
    // A variable specifier keeps TypeScript from requiring the optional package at build time.
    const specifier = '@faceclust/core-native';
    mod = (await import(specifier)) as { loadNative?: unknown };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)), fromLoader: false };
  }
  if (typeof mod.loadNative !== 'function') {
    return { error: new Error('@faceclust/core-native does not export loadNative()'), fromLoader: false };
  }
  try {
    return { binding: (mod.loadNative as () => NativeClusterBinding)() };
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)), fromLoader: true };
  }
}

let loader: () => Promise<LoadOutcome> = importNative;
let outcome: Promise<LoadOutcome> | undefined;
let warned = false;

/** Tests only: replace the addon import (e.g. with one that fails) and forget the cached outcome. */
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
  // README benchmark, 20k faces: the ts backend took 88-142× as long.
  return `@faceclust/cluster: using the pure-TypeScript backend (~100× slower): ${why}`;
}

/**
 * Resolves `option` (validated) to a backend. `native` that cannot load throws the loader's error;
 * `auto` falls back to ts and writes one line to stderr, once per process (with FACECLUST_DEBUG set, the
 * loader's whole error follows: every path tried, the install record, the causes).
 */
export async function resolveBackend(option: unknown = 'auto'): Promise<Backend> {
  const choice = expectOneOf('backend', option, BACKENDS);
  if (choice === 'ts') return { name: 'ts' };
  outcome ??= loader();
  const result = await outcome;
  if ('binding' in result) return { name: 'native', native: result.binding };
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
  return { name: 'ts' };
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
