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
 * (FACECLUST_SIMD / setIsa): never chosen automatically, because it measured slower than fp32 here.
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

export interface NativeChineseWhispersResult {
  /** Raw labels (a node index per cluster), not renumbered. */
  labels: Int32Array;
  /** Iterations actually run (stops early when no label changes). */
  iterations: number;
}

/** An HNSW index (opaque handle). It stores row numbers and links only: every call passes the rows. */
export type NativeHnswIndex = { readonly __brand: 'NativeHnswIndex' };

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

  /** Fast fp32 distances of every row of `a` (na×dim) to every row of `b` (nb×dim) into `out` (na×nb). */
  pairwiseSync(a: Float32Array, na: number, b: Float32Array, nb: number, dim: number, metric: NativeMetric, out: Float32Array): void;
  pairwise(a: Float32Array, na: number, b: Float32Array, nb: number, dim: number, metric: NativeMetric, out: Float32Array, threads: number): Promise<void>;

  /**
   * All pairs within `radius` (distance <= radius), streamed in blocks, never n×n in memory.
   * Edge decisions and stored distances equal the float64 sequential reference exactly
   * (see README: fast fp32 pass, then float64 recheck).
   */
  radiusGraph(vectors: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number, threads: number): Promise<NativeGraph>;
  radiusGraphSync(vectors: Float32Array, n: number, dim: number, metric: NativeMetric, radius: number, threads: number): NativeGraph;

  /**
   * Chinese Whispers over a CSR graph. Edge weight: 1 when `unitWeights`, else 1 / (1 + distance).
   * Order per iteration: Fisher–Yates shuffle driven by mulberry32(seed), continuing across iterations.
   */
  chineseWhispers(offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, iterations: number, seed: number, unitWeights: boolean): Promise<NativeChineseWhispersResult>;
  chineseWhispersSync(offsets: Uint32Array, indices: Int32Array, distances: Float32Array, n: number, iterations: number, seed: number, unitWeights: boolean): NativeChineseWhispersResult;

  /** DBSCAN over a radius graph (self excluded from the graph; counted by the core test). Raw labels, −1 noise. */
  dbscan(offsets: Uint32Array, indices: Int32Array, n: number, minSamples: number): Promise<Int32Array>;
  dbscanSync(offsets: Uint32Array, indices: Int32Array, n: number, minSamples: number): Int32Array;

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
   */
  hnswAdd(index: NativeHnswIndex, vectors: Float32Array, n: number, threads: number): Promise<number>;
  /**
   * Every row's `k` nearest (search width `ef` >= k), each recomputed with the float64 reference and kept when
   * <= `radius`; a row left with fewer than 2 is searched again 256, then 1024 wide; a row whose k nearest are all kept
   * is searched again with twice the k, up to `maxNeighbors` (default k). Symmetrised (union) into CSR like
   * radiusGraph (sorted rows, no self, Math.fround distances). `n` must equal hnswCount(index).
   */
  hnswKnnGraph(index: NativeHnswIndex, vectors: Float32Array, n: number, k: number, ef: number, radius: number, threads: number, maxNeighbors?: number): Promise<NativeGraph>;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const requireAddon = createRequire(import.meta.url);

/** Where a built addon may be, in the order they are tried. */
export const addonPaths: readonly string[] = [
  path.join(packageRoot, 'build', 'Release', 'faceclust_core.node'),
  path.join(packageRoot, 'build', 'Debug', 'faceclust_core.node'),
];

let cached: { binding?: NativeBinding; error?: Error } | undefined;

/**
 * Loads the addon once and returns `{ binding }`, or `{ error }` (never throws) when it cannot load:
 * for callers with a fallback, such as @faceclust/cluster's pure-TypeScript backend.
 */
export function tryLoadNative(): { binding?: NativeBinding; error?: Error } {
  if (cached) return cached;
  const failures: string[] = [];
  for (const candidate of addonPaths) {
    try {
      cached = { binding: requireAddon(candidate) as NativeBinding };
      return cached;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      failures.push(`  ${candidate}: ${e.code === 'MODULE_NOT_FOUND' ? 'not found' : e.message}`);
    }
  }
  const error = new Error(
    `@faceclust/core-native: could not load the native addon. Tried:\n${failures.join('\n')}\n` +
      'Build it with `pnpm --filter @faceclust/core-native build` (in the faceclust repository) or ' +
      '`npm rebuild @faceclust/core-native` (needs cmake and a C++17 compiler: `apt-get install cmake g++`).',
  );
  (error as NodeJS.ErrnoException).code = 'ERR_FACECLUST_NATIVE_LOAD';
  cached = { error };
  return cached;
}

/** Loads the addon once (cached) or throws one Error listing the paths tried, the causes and the fix. */
export function loadNative(): NativeBinding {
  const { binding, error } = tryLoadNative();
  if (!binding) throw error;
  return binding;
}
