/**
 * An HNSW index kept between calls (the `hnsw.store` option): a folder holding the index and `faces.json`,
 * the caller's row ids in index row order. A call reuses it when it indexes the same rows, extends it with
 * the rows it lacks (new photos), and rebuilds it when it holds rows the call does not (or another tag,
 * metric, M or efConstruction). Rows may come in another order than the index's (new photos sort between
 * old ones): the index keeps its own order (old rows, then added ones) and `order` maps its rows to the
 * call's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { HnswIndex, HNSW_FILES } from './hnsw.js';
import type { Metric } from './metrics.js';

/** The row ids of an index folder, beside the index files. */
export const HNSW_FACES_FILE = 'faces.json';

interface FacesFile {
  /** The caller's tag (faceclust: the embedding model): an index made for another is rebuilt. */
  model: string;
  metric: Metric;
  dim: number;
  ids: number[];
}

export interface IndexRequest {
  vectors: Float32Array;
  dim: number;
  /** The caller's row ids (faceclust: store face ids), one per row of `vectors`. */
  ids: ArrayLike<number>;
  metric: Metric;
  M: number;
  efConstruction: number;
  threads?: number;
  /** Aborts building or extending the index (nothing is saved then). */
  signal?: AbortSignal;
}

/** The index to cluster with and what was done to get it, for the caller's log. */
export interface OpenedIndex {
  index: HnswIndex;
  /** Row r of the index is row order[r] of the request; absent when they are the same. */
  order?: Int32Array;
  /** e.g. `reused <dir> (9 faces)`, `added 3 faces to <dir> (now 12)`, `built <dir> (…; why)`. */
  action: string;
}

/** Where an index lives between calls: {@link hnswFolderStore}, or one of the caller's own. */
export interface HnswIndexStore {
  /** The index for these rows: the saved one, extended, or built (and saved). */
  open(req: IndexRequest): Promise<OpenedIndex>;
}

/**
 * An index kept in the folder `dir` (created when first saved). `tag` names what the rows are (faceclust:
 * the embedding model id): an index saved under another tag is rebuilt, never reused.
 */
export function hnswFolderStore(dir: string, opts: { tag?: string } = {}): HnswIndexStore {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`Expected dir to be a folder path but received ${JSON.stringify(dir)}`);
  const tag = opts.tag ?? '';
  return { open: (req) => openFolder(path.resolve(dir), tag, req) };
}

async function openFolder(dir: string, tag: string, req: IndexRequest): Promise<OpenedIndex> {
  const n = req.ids.length;
  const build = { metric: req.metric, M: req.M, efConstruction: req.efConstruction, threads: req.threads, signal: req.signal };
  const saved = await reusable(dir, tag, req);
  if (typeof saved !== 'string') {
    const { index, order } = saved;
    const identity = order.every((v, i) => v === i);
    const added = n - index.size;
    if (added > 0) {
      const rows = new Float32Array(added * req.dim);
      for (let r = index.size; r < n; r++) rows.set(req.vectors.subarray(order[r]! * req.dim, (order[r]! + 1) * req.dim), (r - index.size) * req.dim);
      await index.add(rows, { threads: req.threads, signal: req.signal });
      await save(dir, tag, index, req, order);
    }
    return { index, ...(identity ? {} : { order }), action: added > 0 ? `added ${added} faces to ${dir} (now ${index.size})` : `reused ${dir} (${n} faces)` };
  }
  const index = await HnswIndex.build(req.vectors, req.dim, build);
  await save(dir, tag, index, req);
  return { index, action: `built ${dir} (${n} faces; ${saved})` };
}

/** The saved index and its row order (saved rows first, then the rows to add), or why it cannot serve `req`. */
async function reusable(dir: string, tag: string, req: IndexRequest): Promise<{ index: HnswIndex; order: Int32Array } | string> {
  if (!fs.existsSync(path.join(dir, HNSW_FILES.meta))) return 'no saved index';
  let faces: FacesFile;
  try {
    faces = JSON.parse(fs.readFileSync(path.join(dir, HNSW_FACES_FILE), 'utf8')) as FacesFile;
  } catch {
    return `no readable ${HNSW_FACES_FILE}`;
  }
  if (faces.model !== tag) return `the saved one is for model ${faces.model}`;
  if (faces.metric !== req.metric || faces.dim !== req.dim) return `the saved one is for metric ${faces.metric}, dim ${faces.dim}`;
  if (!Array.isArray(faces.ids)) return `no readable ${HNSW_FACES_FILE}`;
  const rowOf = new Map<number, number>();
  for (let i = 0; i < req.ids.length; i++) rowOf.set(req.ids[i]!, i);
  const order = new Int32Array(req.ids.length);
  const taken = new Uint8Array(req.ids.length);
  for (let r = 0; r < faces.ids.length; r++) {
    const row = rowOf.get(faces.ids[r]!);
    if (row === undefined || taken[row]) return 'the saved one holds faces not in this call';
    order[r] = row;
    taken[row] = 1;
  }
  const savedRows = faces.ids.length;
  let next = savedRows;
  for (let i = 0; i < req.ids.length; i++) if (!taken[i]) order[next++] = i;
  // The saved rows are the request's first ones (the usual case: clustering again): the index takes a view of
  // them, checked against embeddings.f32, so they are held once. Otherwise no view of req.vectors is in the
  // index's row order, and a reordered copy would cost as much as reading the file, so the file is read.
  let prefix = true;
  for (let r = 0; r < savedRows && prefix; r++) prefix = order[r] === r;
  let index: HnswIndex;
  try {
    index = await HnswIndex.load(dir, prefix ? { vectors: req.vectors.subarray(0, savedRows * req.dim) } : {});
  } catch (err) {
    // with vectors, a RangeError is load's check: embeddings.f32 is not the store's rows (re-embedded faces)
    const why = prefix && err instanceof RangeError ? "does not hold the store's embeddings" : 'could not be loaded';
    return `the saved one ${why}: ${(err as Error).message}`;
  }
  if (index.size !== savedRows || index.dim !== req.dim || index.metric !== req.metric) return `the saved one does not match its ${HNSW_FACES_FILE}`;
  if (index.M !== req.M || index.efConstruction !== req.efConstruction) return `the saved one has M ${index.M}, efConstruction ${index.efConstruction}`;
  return { index, order };
}

async function save(dir: string, tag: string, index: HnswIndex, req: IndexRequest, order?: Int32Array): Promise<void> {
  // faces.json is removed first and written last: a crash mid-save reads as "no index", never as a wrong one
  fs.rmSync(path.join(dir, HNSW_FACES_FILE), { force: true });
  await index.save(dir);
  const ids = (order ? Array.from(order, (row) => req.ids[row]!) : Array.from(req.ids)).slice(0, index.size);
  const faces: FacesFile = { model: tag, metric: req.metric, dim: req.dim, ids };
  const file = path.join(dir, HNSW_FACES_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(faces));
  fs.renameSync(`${file}.tmp`, file);
}
