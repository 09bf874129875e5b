import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one place that loads the compiled addon and declares its surface.
 *
 * The native surface is internal and flat: functions over contiguous typed arrays and plain numbers.
 * Validation, defaults and friendly messages belong to `@faceclust/cluster`; the addon re-checks only
 * what is cheap (lengths, n×dim) and throws errors carrying a stable `code` (ERR_FACECLUST_*).
 */

/** Distance metrics the kernels implement. `dot` is the raw inner product kernel (used by GEMM paths). */
export type NativeMetric = 'euclidean' | 'sqeuclidean' | 'cosine' | 'manhattan' | 'chebyshev';

/**
 * Instruction-set paths. `scalar` is the reference and is always compiled. `avx512bf16` is `avx512` with a
 * bf16 (vdpbf16ps) candidate pass for the GEMM-form metrics; its graphs are still exact. It is opt-in
 * (FACECLUST_SIMD / setIsa): never chosen automatically, because it is no faster than avx512's fp32 pass (README).
 * `amx` is `avx512` with an AMX-BF16 tile candidate pass (Linux, Sapphire Rapids and later); exact too.
 */
export type NativeIsa = 'scalar' | 'avx2' | 'avx512' | 'avx512bf16' | 'amx' | 'neon';

export interface NativeCapabilities {
  /** Paths compiled into this binary. */
  compiled: NativeIsa[];
  /** Compiled paths this CPU can run. */
  supported: NativeIsa[];
  /** Path in use now (best supported, or forced by FACECLUST_SIMD / setIsa). */
  active: NativeIsa;
  /**
   * Path HNSW indexes are created and searched with: `active`, except that when `active` was chosen
   * automatically and has no bf16 dot products, a CPU with vdpbf16ps uses `avx512bf16` (a bf16 search copy
   * beside each node's links instead of reads of the caller's fp32 rows).
   */
  hnsw: NativeIsa;
  /** CPU features as detected (avx2, fma, avx512f, avx512bw, avx512vl, avx512bf16, avx512vnni, amxbf16, amxtile, neon, ...). */
  features: Record<string, boolean>;
  /** std::thread::hardware_concurrency(). */
  hardwareThreads: number;
  napiVersion: number;
}

/**
 * A sparse neighbour graph in CSR form. Row i's neighbours are indices[offsets[i] .. offsets[i+1]),
 * sorted by ascending index, never containing i itself; distances[k] is the distance of that edge.
 * The graph is symmetric for radius graphs.
 */
export interface NativeGraph {
  offsets: Uint32Array; // length n + 1
  indices: Int32Array; // length offsets[n]
  distances: Float32Array; // length offsets[n]
}

/** What hnswKnnGraph's steps did: counts of rows, and each step's wall time in ms. */
export interface NativeHnswGraphStats {
  /** Rows left with fewer than 2 neighbours by the search. */
  shortRows: number;
  /** Of those, rows given their exact nearest among every row. */
  exactRows: number;
  /** Of those, rows that took their candidates from their group's row instead. */
  followers: number;
  /** Closed parts searched again from the entry point. */
  closedParts: number;
  /** Of those, parts compared exactly with each other. */
  stillClosed: number;
  searchMs: number;
  shortMs: number;
  closedMs: number;
  unionMs: number;
}

export interface NativeHnswGraph extends NativeGraph {
  stats: NativeHnswGraphStats;
}

/** Per query row, candidate base rows as CSR (nearestCandidates). */
export interface NativeCandidates {
  offsets: Uint32Array; // length nq + 1
  indices: Int32Array; // length offsets[nq], ascending within each query
}

export interface NativeChineseWhispersResult {
  /** Raw labels (a node index per cluster), not renumbered. */
  labels: Int32Array;
  /** Iterations actually run (stops early when no label changes). */
  iterations: number;
}

/** An HNSW index (opaque handle). It stores row numbers and links only: every call passes the rows. */
export type NativeHnswIndex = { readonly __brand: 'NativeHnswIndex' };

/**
 * A cancellation flag (opaque handle) from {@link NativeBinding.cancelToken}. Every Promise-returning call
 * takes one as its optional last argument; {@link NativeBinding.cancel} raises it. The worker reads the flag
 * between blocks of work (every few ms to ~100 ms of work), stops, joins its threads, frees what it built
 * and rejects with an Error of code `ERR_FACECLUST_CANCELLED`. A token raised before the call starts rejects
 * without doing any work. One token may serve several calls; it cannot be lowered again.
 */
export type NativeCancelToken = { readonly __brand: 'NativeCancelToken' };

export interface NativeBinding {
  capabilities(): NativeCapabilities;
  /** Switch the active path (tests and benchmarks). Throws when `isa` is not supported here. */
  setIsa(isa: NativeIsa): void;

  /**
   * Sets (or clears) flush-to-zero and denormals-are-zero on the calling thread only; returns whether they
   * were set before. For worker threads that run onnxruntime sessions inline: subnormal weights and
   * activations make its CPU kernels several times slower (see @faceclust/embed). JS arithmetic on that
   * thread then flushes subnormal results to zero too, so keep it off the main thread.
   */
  setFlushDenormals(on: boolean): boolean;

  /** A new cancellation flag, not raised. */
  cancelToken(): NativeCancelToken;
  /** Raises `token` (idempotent; safe from any JS callback): calls holding it stop at their next check. */
  cancel(token: NativeCancelToken): void;

  /** Fast fp32 distances of every row of `a` (na×dim) to every row of `b` (nb×dim) into `out` (na×nb). */
  pairwiseSync(a: Float32Array, na: number, b: Float32Array, nb: number, dim: number, metric: NativeMetric, out: Float32Array): void;
  pairwise(a: Float32Array, na: number, b: Float32Array, nb: number, dim: number, metric: NativeMetric, out: Float32Array, threads: number, cancel?: NativeCancelToken): Promise<void>;
  /**
   * Σ a·b over bf16 values with the active path's kernel: the HNSW search distance on bf16 rows (tests and
   * kernel benchmarks). Each 32-bit word holds two bf16 (even index in the low half); `a.length ===
   * b.length`, a multiple of 32 words. `scalar` returns the float64 sum in index order, rounded once.
   */
  dotBf16Sync(a: Uint32Array, b: Uint32Array): number;
  /**
   * Σ a·b over int8 values with the active path's kernel (exact, in int32): the HNSW search distance on int8
   * rows (tests). `a.length === b.length`, a multiple of 64.
   */
  dotI8Sync(a: Int8Array, b: Int8Array): number;

  /**
   * All pairs within `radius` (distance <= radius), streamed in blocks, never n×n in memory.
   * Edge decisions and stored distances equal the float64 sequential reference exactly
   * (see README: fast fp32 pass, then float64 recheck).
   */
  radiusGraph(vectors: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number, threads: number, cancel?: NativeCancelToken): Promise<NativeGraph>;
  radiusGraphSync(vectors: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number, threads: number): NativeGraph;

  /**
   * Candidates for the exact nearest neighbours of each query row among the base rows (docs/ALGORITHMS.md,
   * "Nearest neighbours"): query q's are `indices[offsets[q] .. offsets[q+1])`, ascending base indices, a superset
   * of its `k` nearest by the float64 reference within `radius` (`Infinity`: none; >= 0). Found with the radius
   * graph's tiles (query panels × base panels, never nq×nb) and the fp32 kernels' proven error bounds; the caller
   * rechecks them with the reference and chooses.
   */
  nearestCandidates(
    base: Float32Array, nb: number, queries: Float32Array, nq: number, dim: number, metric: NativeMetric, k: number, radius: number, threads: number,
    cancel?: NativeCancelToken,
  ): Promise<NativeCandidates>;
  nearestCandidatesSync(base: Float32Array, nb: number, queries: Float32Array, nq: number, dim: number, metric: NativeMetric, k: number, radius: number, threads: number): NativeCandidates;

  /**
   * Chinese Whispers over a CSR graph. Edge weight: 1 when `unitWeights`, else 1 / (1 + distance).
   * Order per iteration: Fisher–Yates shuffle driven by mulberry32(seed), continuing across iterations.
   *
   * Constrained (docs/ALGORITHMS.md, "Constraints"; `cannotOffsets` and `cannotIndices` both or neither):
   * `cannotOffsets`/`cannotIndices` (CSR over the same n nodes) list each node's cannot-link partners, whose
   * labels it never takes; `weights[e]` (float64, one per CSR entry), given only with them, is edge e's weight,
   * replacing the distance-derived one (`distances` may then be empty and `unitWeights` is ignored). Without
   * `weights` (undefined), the weights come from the distances as unconstrained: a graph that no must-link
   * contracted needs no float64 copy of them.
   */
  chineseWhispers(
    offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, iterations: number, seed: number, unitWeights: boolean,
    weights?: Float64Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array, cancel?: NativeCancelToken,
  ): Promise<NativeChineseWhispersResult>;
  chineseWhispersSync(
    offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, iterations: number, seed: number, unitWeights: boolean,
    weights?: Float64Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array,
  ): NativeChineseWhispersResult;

  /**
   * DBSCAN over a radius graph (self excluded from the graph; counted by the core test). Raw labels, −1 noise.
   *
   * Constrained (docs/ALGORITHMS.md, "Constraints"; all three arrays or none): `core[i] !== 0` decides the
   * core nodes (`minSamples` is then unused) and a node is refused by a cluster that already holds one of its
   * cannot-link partners (`cannotOffsets`/`cannotIndices`, CSR over the same n nodes).
   */
  dbscan(
    offsets: Uint32Array, indices: Int32Array, n: number, minSamples: number,
    core?: Uint8Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array, cancel?: NativeCancelToken,
  ): Promise<Int32Array>;
  dbscanSync(offsets: Uint32Array, indices: Int32Array, n: number, minSamples: number, core?: Uint8Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array): Int32Array;

  /**
   * The merge pass after Chinese Whispers (docs/ALGORITHMS.md, "Merge pass"): the edges within `radius`
   * between two clusters, closest first (ties in row order), join their clusters; each label of a joined set
   * becomes its smallest. `labels` are the rows' labels, each in [0, n).
   *
   * Constrained (all three arrays or none): the clustering ran on must-link groups (nodes) whose labels are
   * `nodeLabels`; two sets are not joined while a node of one is cannot-linked (`cannotOffsets`/`cannotIndices`,
   * CSR over the nodes) to a node of the other.
   */
  mergeClusters(
    offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, labels: Int32Array, radius: number,
    nodeLabels?: Int32Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array, cancel?: NativeCancelToken,
  ): Promise<Int32Array>;
  mergeClustersSync(
    offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, labels: Int32Array, radius: number,
    nodeLabels?: Int32Array, cannotOffsets?: Uint32Array, cannotIndices?: Int32Array,
  ): Int32Array;

  /**
   * A new, empty HNSW index (hnswlib) over rows of `dim` values; `capacity` is a hint (it grows on add).
   * Build/search distances use the active ISA's fp32 kernels (euclidean ranks by squared distance).
   */
  hnswCreate(dim: number, metric: NativeMetric, M: number, efConstruction: number, capacity: number, seed: number): NativeHnswIndex;
  /** Loads an index written by hnswSave; `dim` and `metric` are not in hnswlib's file (keep them beside it). */
  hnswLoad(path: string, dim: number, metric: NativeMetric): NativeHnswIndex;
  hnswSave(index: NativeHnswIndex, path: string): void;
  /** Rows indexed so far. */
  hnswCount(index: NativeHnswIndex): number;
  /**
   * Indexes rows [hnswCount(index), n) of `vectors` (n×dim) in parallel; rows below the count must be the ones
   * indexed before. Resolves to the new count. One operation at a time per index (else ERR_FACECLUST_BUSY).
   * Cancelled, it has indexed a prefix of the new rows (it checks between batches of 64): hnswCount says how
   * many, and the index is as usable as after a shorter add.
   */
  hnswAdd(index: NativeHnswIndex, vectors: Float32Array, n: number, threads: number, cancel?: NativeCancelToken): Promise<number>;
  /**
   * Every row's `k` nearest (search width `ef` >= k), each recomputed with the float64 reference and kept when
   * <= `radius`; a row left with fewer than 2 is completed from the other such rows and, failing that,
   * exactly (README, "Graph"); a row whose k nearest are all kept
   * is searched again with twice the k, up to `maxNeighbors` (default k). Symmetrised (union) into CSR like
   * radiusGraph (sorted rows, no self, Math.fround distances). `n` must equal hnswCount(index).
   */
  hnswKnnGraph(index: NativeHnswIndex, vectors: Float32Array, n: number, k: number, ef: number, radius: number, threads: number, maxNeighbors?: number, cancel?: NativeCancelToken): Promise<NativeHnswGraph>;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireAddon = createRequire(import.meta.url);

/** Where a built addon may be under a package folder, in the order they are tried. */
function addonPathsIn(root: string): string[] {
  return [path.join(root, 'build', 'Release', 'faceclust_core.node'), path.join(root, 'build', 'Debug', 'faceclust_core.node')];
}

/** Where a built addon may be, in the order they are tried. */
export const addonPaths: readonly string[] = addonPathsIn(packageRoot);

/**
 * What scripts/build-native.mjs wrote to build/install-status.json when it last ran (install, rebuild or
 * build): npm hides the output of an install script that succeeds, so this is how its reason reaches the user.
 */
export interface NativeInstallStatus {
  built: boolean;
  /** Why nothing was built, e.g. "cmake was not found on PATH" (when `built` is false). */
  reason?: string;
  /** The commands that fix it, for the package manager that ran the script (when `built` is false). */
  fix?: string;
  /** The rebuild command of the package manager that ran the script, e.g. "npm rebuild @faceclust/core-native". */
  rebuild?: string;
  /** ISO time of the run. */
  when?: string;
  node?: string;
  platform?: string;
  arch?: string;
  /** e.g. "npm/10.8.2", from npm_config_user_agent. */
  packageManager?: string;
}

/**
 * The loader's error (code ERR_FACECLUST_NATIVE_LOAD). `reason` and `fix` are one sentence each, for a
 * caller's one-line message; `message` holds them plus every path tried and the install record.
 */
export class NativeLoadError extends Error {
  readonly code = 'ERR_FACECLUST_NATIVE_LOAD';
  constructor(
    /** Why the addon did not load, naming @faceclust/core-native; no final period. */
    readonly reason: string,
    /** The commands that fix it where the user is (no repository-only advice unless in a checkout). */
    readonly fix: string,
    /** Each path tried and why it failed. */
    readonly tried: readonly string[],
    /** build/install-status.json, or null when the install script never ran (or left no record). */
    readonly installStatus: NativeInstallStatus | null,
    details: string,
    options?: ErrorOptions,
  ) {
    super(`${reason}. Fix: ${fix}.\n${details}`, options);
    this.name = 'NativeLoadError';
  }
}

function readInstallStatus(file: string): NativeInstallStatus | null {
  try {
    const status = JSON.parse(readFileSync(file, 'utf8')) as NativeInstallStatus;
    return typeof status === 'object' && status !== null && typeof status.built === 'boolean' ? status : null;
  } catch {
    return null;
  }
}

/** A source checkout of faceclust (not an installed copy): packages/core-native beside pnpm-workspace.yaml. */
function inCheckout(root: string): boolean {
  return !root.split(path.sep).includes('node_modules') && existsSync(path.join(root, '..', '..', 'pnpm-workspace.yaml'));
}

const NPM_REBUILD = 'npm rebuild @faceclust/core-native';

/**
 * Loads the addon from the package folder `root` (its build/), uncached. Internal: tryLoadNative() calls
 * it with this package's folder; tests call it with a temporary one.
 */
export function tryLoadNativeFrom(root: string): { binding?: NativeBinding; error?: NativeLoadError } {
  const candidates = addonPathsIn(root);
  const tried: string[] = [];
  let loadFailure: NodeJS.ErrnoException | undefined;
  for (const candidate of candidates) {
    try {
      return { binding: requireAddon(candidate) as NativeBinding };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const notFound = e.code === 'MODULE_NOT_FOUND' && !existsSync(candidate);
      tried.push(`${candidate}: ${notFound ? 'not found' : e.message}`);
      if (!notFound) loadFailure ??= e;
    }
  }

  const statusFile = path.join(root, 'build', 'install-status.json');
  const status = readInstallStatus(statusFile);
  const rebuild = status?.rebuild ?? NPM_REBUILD;
  const checkoutHint = inCheckout(root) ? '; in a faceclust checkout: pnpm --filter @faceclust/core-native build' : '';
  let reason: string;
  let fix: string;
  if (loadFailure) {
    reason = `@faceclust/core-native's native addon failed to load: ${loadFailure.message.split('\n', 1)[0]}`;
    fix =
      loadFailure.code === 'ERR_FACECLUST_ISA' && process.env.FACECLUST_SIMD
        ? 'unset FACECLUST_SIMD or set it to a path this CPU supports'
        : `rebuild it: ${rebuild}${checkoutHint}`;
  } else if (status && !status.built) {
    reason = `@faceclust/core-native was not built when it was installed: ${status.reason ?? 'no reason recorded'}`;
    fix = (status.fix ?? `install cmake and a C++17 compiler, then ${rebuild}`) + checkoutHint;
  } else if (status) {
    reason = `@faceclust/core-native's native addon is missing although it was built${status.when ? ` (${status.when})` : ''}`;
    fix = `rebuild it: ${rebuild}${checkoutHint}`;
  } else {
    reason =
      '@faceclust/core-native was never built: its install script did not run ' +
      '(pnpm 10 runs dependency install scripts only once approved; npm skips them with ignore-scripts or a denial in allowScripts)';
    fix =
      'with pnpm: pnpm approve-builds, then pnpm rebuild @faceclust/core-native; ' +
      `with npm: ${NPM_REBUILD} (if allowScripts denies it, first npm install-scripts approve @faceclust/core-native); ` +
      `both need cmake and a C++17 compiler${checkoutHint}`;
  }

  const log = path.join(root, 'build', 'install.log');
  const record = status
    ? `Install record ${statusFile}: ${JSON.stringify(status)}` + (!status.built && existsSync(log) ? `\nBuild output: ${log}` : '')
    : `Install record: none (${statusFile} does not exist)`;
  const details = `Tried:\n${tried.map((t) => `  ${t}`).join('\n')}\n${record}`;
  return { error: new NativeLoadError(reason, fix, tried, status, details, loadFailure ? { cause: loadFailure } : undefined) };
}

let cached: { binding?: NativeBinding; error?: NativeLoadError } | undefined;

/**
 * Loads the addon once and returns `{ binding }`, or `{ error }` (never throws) when it cannot load:
 * for callers with a fallback, such as @faceclust/cluster's pure-TypeScript backend.
 */
export function tryLoadNative(): { binding?: NativeBinding; error?: NativeLoadError } {
  cached ??= tryLoadNativeFrom(packageRoot);
  return cached;
}

/**
 * Loads the addon once (cached) or throws a {@link NativeLoadError}: its reason and fix, then every path
 * tried with its cause and the install record.
 */
export function loadNative(): NativeBinding {
  const { binding, error } = tryLoadNative();
  if (!binding) throw error;
  return binding;
}
