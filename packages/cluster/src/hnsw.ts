/**
 * Approximate neighbour graphs for large sets (hundreds of thousands of faces): an HNSW index (hnswlib,
 * compiled into `@faceclust/core-native`), built and queried in parallel off the event loop, persisted in a
 * folder and grown incrementally. Needs the native addon (there is no pure-TypeScript HNSW).
 */
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NativeHnswIndex } from '@faceclust/core-native';
import { resolveBackend, resolveThreads, type HnswBinding } from './backend.js';
import { throwIfAborted, withCancel } from './cancel.js';
import type { NeighborGraph } from './graph.js';
import { METRICS, type Metric } from './metrics.js';
import type { CancelOptions } from './types.js';
import { COMMON_PARAMS, HNSW_PARAMS, hnswSearchParams, paramOrDefault } from './params.js';
import { describe, expectInteger, expectOneOf, expectOptions, expectPositiveFinite, expectSignal, orDefault } from './validate.js';
import { toMatrix, type VectorsInput } from './vectors.js';

/**
 * Defaults for 512-d face embeddings: M = 16 links per node, efConstruction = 100, k = 32 neighbours per face
 * at search width ef = 64, maxNeighbors = k (a plain kNN graph; see {@link HnswGraphOptions.maxNeighbors}).
 * Faces left with fewer than 2 neighbours are searched again, wider, then exactly, in the addon: that, not a wider ef or
 * efConstruction, is what keeps people with few faces together, so these stay small (measurements: README,
 * "Neighbours: exact or HNSW").
 */
export const HNSW_DEFAULTS = {
  M: HNSW_PARAMS.M.default,
  efConstruction: HNSW_PARAMS.efConstruction.default,
  k: HNSW_PARAMS.k.default,
  ef: HNSW_PARAMS.ef.default,
  seed: HNSW_PARAMS.seed.default,
} as const;

/** Options of {@link HnswIndex.build}. */
export interface HnswBuildOptions extends CancelOptions {
  /** Distance metric, default `'euclidean'`. */
  metric?: Metric;
  /** Links per node (hnswlib's M), an integer >= 2; default 16. More: better recall, more memory and time. */
  M?: number;
  /** Search width while building, an integer >= 1; default 100. */
  efConstruction?: number;
  /** Seed of hnswlib's level generator; default 100. Parallel inserts make the index itself non-deterministic. */
  seed?: number;
  /** Worker threads; default every core. */
  threads?: number;
}

/**
 * Options of {@link HnswIndex.add}. Aborted, an add rejects with an AbortError and keeps the rows it had
 * indexed: a prefix of `vectors` (it stops between batches of 64), so `size` grows by that many and a later
 * add of the remaining rows completes it.
 */
export interface HnswAddOptions extends CancelOptions {
  /** Worker threads; default every core. */
  threads?: number;
}

/** Options of {@link HnswIndex.knnGraph}. */
/**
 * What {@link HnswIndex.knnGraph}'s steps did (core-native README, "Graph"): rows the search left with
 * fewer than 2 neighbours (`shortRows`), of which `exactRows` got
 * their exact nearest among every row and `followers` took candidates from their group's row; closed parts
 * searched from the entry point (`closedParts`), of which `stillClosed` were compared exactly with each other;
 * and each step's wall time in ms.
 */
export interface HnswGraphStats {
  shortRows: number;
  exactRows: number;
  followers: number;
  closedParts: number;
  stillClosed: number;
  searchMs: number;
  shortMs: number;
  closedMs: number;
  unionMs: number;
}

/** A {@link NeighborGraph} from the index, with what its steps did. */
export interface HnswGraph extends NeighborGraph {
  stats: HnswGraphStats;
}

export interface HnswGraphOptions extends CancelOptions {
  /** Keep neighbours at distance `<= radius` (decided on the float64 reference); a finite number > 0. */
  radius: number;
  /** Neighbours searched per face, an integer >= 1; default 32. */
  k?: number;
  /** Search width, an integer >= k; default max(64, k). */
  ef?: number;
  /**
   * Most neighbours kept per face, an integer >= k; default k (a plain kNN graph). A face whose k nearest are
   * all within `radius` is searched again with twice the k, up to this, so a large value (e.g. 4096) gives
   * (almost) every within-radius edge, like {@link radiusGraph}, at a cost that grows with the largest clusters.
   */
  maxNeighbors?: number;
  /** Worker threads; default every core. */
  threads?: number;
}

/** Build parameters, validated: see {@link HnswBuildOptions}. */
export function hnswBuildParams(opts: Record<string, unknown>): { metric: Metric; M: number; efConstruction: number; seed: number } {
  return {
    metric: paramOrDefault<Metric>(COMMON_PARAMS.metric, opts.metric),
    M: paramOrDefault<number>(HNSW_PARAMS.M, opts.M),
    efConstruction: paramOrDefault<number>(HNSW_PARAMS.efConstruction, opts.efConstruction),
    seed: paramOrDefault<number>(HNSW_PARAMS.seed, opts.seed),
  };
}

/** Options of {@link HnswIndex.load}. */
export interface HnswLoadOptions {
  /**
   * The rows the index was saved with: row-major, in the index's row order, exactly n×dim of hnsw.json
   * (a `subarray()` view is fine). Given, they become the index's embeddings without copying, once they have
   * been compared byte for byte with embeddings.f32 (read in 8 MiB blocks, never whole), so a caller that
   * already holds the rows does not hold them twice. The index never writes to them (`add` grows into a new
   * buffer); the caller must not change them while the index is in use.
   */
  vectors?: Float32Array;
}

/** Block size when comparing embeddings.f32 with {@link HnswLoadOptions.vectors}. */
const COMPARE_BLOCK = 8 << 20;

/** File names inside an index folder. */
export const HNSW_FILES = { meta: 'hnsw.json', index: 'hnsw.index', embeddings: 'embeddings.f32' } as const;

interface HnswMeta {
  format: 'faceclust-hnsw';
  version: 1;
  dim: number;
  n: number;
  metric: Metric;
  M: number;
  efConstruction: number;
}

async function hnswBinding(): Promise<HnswBinding> {
  const { hnsw } = await resolveBackend('auto');
  if (!hnsw) {
    // the fallback warning above said why the addon is missing and how to build it where the user is
    throw new Error("neighbors 'hnsw' needs the native addon (@faceclust/core-native), which is not available here (see the warning above; FACECLUST_DEBUG=1 for details): install or rebuild it, or use neighbors: 'exact'");
  }
  return hnsw;
}

/**
 * An HNSW index over n×dim embeddings. The embeddings are held once, here (the native index stores only
 * row numbers and links), so `vectors` is the matrix every graph is built from. One operation at a time.
 *
 * @example
 * const index = await HnswIndex.build(embeddings, 512);
 * const graph = await index.knnGraph({ radius: 1.0 });
 * await index.save('out/index');            // later: await HnswIndex.load('out/index')
 * await index.add(newEmbeddings);           // incremental, no rebuild
 */
export class HnswIndex {
  private buffer: Float32Array;
  private count: number;

  private constructor(
    private readonly native: HnswBinding,
    private readonly handle: NativeHnswIndex,
    vectors: Float32Array,
    readonly dim: number,
    readonly metric: Metric,
    readonly M: number,
    readonly efConstruction: number,
  ) {
    this.buffer = vectors;
    this.count = vectors.length / dim;
  }

  /**
   * Builds an index of every row of `vectors` (a `Float32Array` is kept without copying). Aborted, it
   * rejects with an AbortError and the partial index is dropped.
   */
  static async build(vectors: VectorsInput, dim: number, options: HnswBuildOptions = {}): Promise<HnswIndex> {
    const opts = expectOptions('options', options, false);
    const p = hnswBuildParams(opts);
    const threads = resolveThreads(opts.threads);
    const signal = expectSignal('signal', opts.signal);
    const { data, n } = toMatrix(vectors, dim);
    const native = await hnswBinding();
    throwIfAborted(signal);
    const handle = native.hnswCreate(dim, p.metric, p.M, p.efConstruction, Math.max(n, 1), p.seed);
    await withCancel(native, signal, (token) => native.hnswAdd(handle, data, n, threads, token));
    return new HnswIndex(native, handle, data, dim, p.metric, p.M, p.efConstruction);
  }

  /**
   * Loads an index saved by {@link HnswIndex.save} from `folder`. Its embeddings are read from
   * embeddings.f32, or, with `options.vectors` (see {@link HnswLoadOptions.vectors}), checked against it and
   * kept instead: then `index.vectors` is that very array. Throws a RangeError naming `options.vectors`
   * when its length is not n×dim or its content differs from the file (with the first differing row).
   */
  static async load(folder: string, options: HnswLoadOptions = {}): Promise<HnswIndex> {
    if (typeof folder !== 'string') throw new TypeError(`Expected folder to be a string but received ${describe(folder)}`);
    const opts = expectOptions('options', options, false);
    const given = opts.vectors;
    if (given !== undefined && !(given instanceof Float32Array)) {
      throw new TypeError(`Expected options.vectors to be a Float32Array (row-major n×dim) but received ${describe(given)}`);
    }
    const metaPath = path.join(folder, HNSW_FILES.meta);
    let meta: HnswMeta;
    try {
      meta = JSON.parse(await readFile(metaPath, 'utf8')) as HnswMeta;
    } catch (error) {
      throw new Error(`Cannot read the HNSW index description ${metaPath}: ${(error as Error).message}`, { cause: error });
    }
    if (meta?.format !== 'faceclust-hnsw' || meta.version !== 1 || !Number.isInteger(meta.dim) || !Number.isInteger(meta.n)) {
      throw new Error(`${metaPath} is not a faceclust HNSW index description (format faceclust-hnsw, version 1)`);
    }
    const embPath = path.join(folder, HNSW_FILES.embeddings);
    const expectedBytes = meta.n * meta.dim * 4;
    const sizeError = (bytes: number) =>
      new Error(`${embPath} holds ${bytes} bytes but ${HNSW_FILES.meta} says ${meta.n}×${meta.dim} float32 = ${expectedBytes}`);
    let data: Float32Array;
    if (given) {
      if (given.length !== meta.n * meta.dim) {
        throw new RangeError(
          `Expected options.vectors to hold the index's ${meta.n}×${meta.dim} rows (length ${meta.n * meta.dim}) but received length ${given.length}`,
        );
      }
      await expectSameBytes(embPath, given, meta.dim, sizeError);
      data = given;
    } else {
      const bytes = await readFile(embPath);
      if (bytes.byteLength !== expectedBytes) throw sizeError(bytes.byteLength);
      // Large files get their own ArrayBuffer at offset 0; small ones may sit unaligned in Node's pool.
      data =
        bytes.byteOffset % 4 === 0
          ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
          : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    const native = await hnswBinding();
    const handle = native.hnswLoad(path.join(folder, HNSW_FILES.index), meta.dim, meta.metric);
    if (native.hnswCount(handle) !== meta.n) {
      throw new Error(`${path.join(folder, HNSW_FILES.index)} indexes ${native.hnswCount(handle)} rows but ${HNSW_FILES.meta} says ${meta.n}`);
    }
    return new HnswIndex(native, handle, data, meta.dim, meta.metric, meta.M, meta.efConstruction);
  }

  /** Rows indexed. */
  get size(): number {
    return this.count;
  }

  /**
   * The indexed embeddings, row-major; do not modify. The array given to {@link HnswIndex.build} or
   * {@link HnswLoadOptions.vectors} itself until an `add`, then a view of the index's own buffer.
   */
  get vectors(): Float32Array {
    const length = this.count * this.dim;
    return this.buffer.length === length ? this.buffer : this.buffer.subarray(0, length);
  }

  /**
   * Adds rows to the index without rebuilding it; they get the next row numbers. The embeddings are
   * appended to one growing buffer (capacity grows by half, so repeated adds copy each row O(1) times).
   * Resolves to the new size. Aborted, it keeps a prefix of the rows: see {@link HnswAddOptions}.
   */
  async add(vectors: VectorsInput, options: HnswAddOptions = {}): Promise<number> {
    const opts = expectOptions('options', options, false);
    const threads = resolveThreads(opts.threads);
    const signal = expectSignal('signal', opts.signal);
    const { data, n } = toMatrix(vectors, this.dim);
    throwIfAborted(signal);
    const total = this.count + n;
    // The caller's array (build, load's vectors) is exactly full, so the first add of any row copies it into
    // a buffer of our own: the index never writes to memory it was lent.
    if (total * this.dim > this.buffer.length) {
      const grown = new Float32Array(Math.max(total, Math.ceil(this.count * 1.5)) * this.dim);
      grown.set(this.vectors);
      this.buffer = grown;
    }
    this.buffer.set(data, this.count * this.dim);
    const native = this.native;
    const rows = this.buffer.subarray(0, total * this.dim);
    try {
      await withCancel(native, signal, (token) => native.hnswAdd(this.handle, rows, total, threads, token));
    } catch (error) {
      // aborted: the add has stopped, having indexed a prefix of the rows (maybe none, maybe all)
      if ((error as Error | null)?.name === 'AbortError') this.count = native.hnswCount(this.handle);
      throw error;
    }
    this.count = total;
    return total;
  }

  /**
   * The k-nearest-neighbour graph cut at `radius`: every neighbour found is recomputed with the float64
   * reference and kept when `<= radius` (widened up to `maxNeighbors` while all are kept), and the lists are
   * symmetrised (an edge found from either end is kept), giving the same CSR form and distances as
   * {@link radiusGraph}: a subgraph of the exact graph.
   */
  async knnGraph(options: HnswGraphOptions): Promise<HnswGraph> {
    const opts = expectOptions('options', options, true);
    const radius = expectPositiveFinite('radius', opts.radius);
    const { k, ef, maxNeighbors } = hnswSearchParams(opts, 1);
    const threads = resolveThreads(opts.threads);
    const signal = expectSignal('signal', opts.signal);
    throwIfAborted(signal);
    return this.graph(radius, k, ef, threads, maxNeighbors, signal);
  }

  /** Validated form of {@link knnGraph} (for the clustering functions). */
  async graph(radius: number, k: number, ef: number, threads: number, maxNeighbors = k, signal?: AbortSignal): Promise<HnswGraph> {
    const n = this.count;
    if (n === 0) {
      const stats = { shortRows: 0, exactRows: 0, followers: 0, closedParts: 0, stillClosed: 0, searchMs: 0, shortMs: 0, closedMs: 0, unionMs: 0 };
      return { n: 0, offsets: new Uint32Array(1), indices: new Int32Array(0), distances: new Float32Array(0), stats };
    }
    const native = this.native;
    const vectors = this.vectors;
    const g = await withCancel(native, signal, (token) => native.hnswKnnGraph(this.handle, vectors, n, k, ef, radius, threads, maxNeighbors, token));
    return { n, offsets: g.offsets, indices: g.indices, distances: g.distances, stats: g.stats };
  }

  /**
   * Writes the index, the embeddings and a small description into `folder` (created if needed):
   * hnsw.index (hnswlib's format, row numbers and links), embeddings.f32 (n×dim float32, little-endian
   * as in memory) and hnsw.json. Each file is written beside its final name and renamed into place.
   */
  async save(folder: string): Promise<void> {
    if (typeof folder !== 'string') throw new TypeError(`Expected folder to be a string but received ${describe(folder)}`);
    await mkdir(folder, { recursive: true });
    const meta: HnswMeta = {
      format: 'faceclust-hnsw',
      version: 1,
      dim: this.dim,
      n: this.count,
      metric: this.metric,
      M: this.M,
      efConstruction: this.efConstruction,
    };
    const v = this.vectors;
    const target = (name: string) => path.join(folder, name);
    await writeFile(target(HNSW_FILES.embeddings) + '.tmp', new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    this.native.hnswSave(this.handle, target(HNSW_FILES.index) + '.tmp');
    await writeFile(target(HNSW_FILES.meta) + '.tmp', JSON.stringify(meta, null, 2) + '\n');
    for (const name of [HNSW_FILES.embeddings, HNSW_FILES.index, HNSW_FILES.meta]) await rename(target(name) + '.tmp', target(name));
  }
}

/**
 * Throws unless `file` holds exactly the bytes of `vectors`, reading it in {@link COMPARE_BLOCK} blocks so
 * memory stays O(block) however large the index.
 */
async function expectSameBytes(file: string, vectors: Float32Array, dim: number, sizeError: (bytes: number) => Error): Promise<void> {
  const expected = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size !== expected.byteLength) throw sizeError(size);
    const block = Buffer.allocUnsafe(Math.min(COMPARE_BLOCK, Math.max(size, 1)));
    for (let at = 0; at < size; ) {
      const want = Math.min(block.byteLength, size - at);
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(block, got, want - got, at + got);
        if (bytesRead === 0) throw sizeError(at + got);
        got += bytesRead;
      }
      const part = expected.subarray(at, at + want);
      if (!block.subarray(0, want).equals(part)) {
        let i = 0;
        while (block[i] === part[i]) i++;
        const row = Math.floor((at + i) / (dim * 4));
        throw new RangeError(`Expected options.vectors to equal the saved embeddings ${file} but row ${row} differs`);
      }
      at += want;
    }
  } finally {
    await fh.close();
  }
}
