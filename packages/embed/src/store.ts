import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EmbedError, describe } from './errors.js';
import { embedderId } from './models.js';
import { PEOPLE_SCHEMA, PeopleStore } from './people-store.js';
import { storeCall } from './store-call.js';

/** Bumped when the schema changes incompatibly; readers check it. */
export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
  id TEXT PRIMARY KEY,              -- name@sha256:<16 hex>
  file TEXT NOT NULL,
  dim INTEGER NOT NULL,
  normalization TEXT NOT NULL,      -- JSON {mean, std}
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,               -- absolute
  model TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  hash TEXT,                        -- sha1 of the file's bytes
  status TEXT NOT NULL CHECK (status IN ('done', 'error')),
  error TEXT,
  faces INTEGER NOT NULL DEFAULT 0,
  width INTEGER,                    -- as displayed (EXIF orientation applied)
  height INTEGER,
  updated_at TEXT NOT NULL,
  UNIQUE (path, model)
);
CREATE TABLE IF NOT EXISTS faces (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  face_index INTEGER NOT NULL,
  x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL,
  score REAL NOT NULL,
  landmarks TEXT NOT NULL,          -- JSON [x0,y0,...,x4,y4], original pixels
  sharpness REAL,
  size REAL,
  crop BLOB NOT NULL,               -- aligned 112x112 PNG
  embedding BLOB NOT NULL,          -- dim float32, little-endian, L2-normalised
  UNIQUE (image_id, face_index)
);
CREATE INDEX IF NOT EXISTS faces_by_model ON faces (model, image_id, face_index);
CREATE INDEX IF NOT EXISTS faces_by_id_score ON faces (id, score); -- the people grid's best faces without reading face rows (crops, embeddings)
CREATE INDEX IF NOT EXISTS images_by_size ON images (model, size); -- moved or copied photos: same size first, then hash
CREATE TABLE IF NOT EXISTS calls (
  id INTEGER PRIMARY KEY,           -- the call number that names its outputs (clusters-NNN-…)
  kind TEXT NOT NULL,               -- e.g. 'cw', 'dbscan'
  command TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  record TEXT,                      -- JSON: what the call found (method, parameters, counts, timings, …), written by its caller
  face_ids BLOB,                    -- int32 store face ids, one per clustered face …
  labels BLOB                       -- … and its int32 label (−1 = no_class), in the same order
);
`;

/** \`PRAGMA application_id\` of a faceclust store ('FCLS'): a SQLite file without it (and without our meta) is someone else's. */
export const APPLICATION_ID = 0x46434c53;

export interface FaceInfo {
  id: number;
  file: string;
  faceIndex: number;
  /** x, y, w, h in original pixels. */
  box: [number, number, number, number];
  score: number;
  /** 5 points flat x,y in original pixels; absent when loaded with `landmarks: false`. */
  landmarks?: number[];
  quality?: { sharpness: number; size: number };
}

/** All faces of one model: `vectors` is row-major faces.length × dim. */
export interface FaceSet {
  model: string;
  dim: number;
  vectors: Float32Array;
  faces: FaceInfo[];
}

export interface ImageRow {
  path: string;
  model: string;
  status: 'done' | 'error';
  error?: string;
  faces: number;
  size: number;
  mtimeMs: number;
  hash?: string;
}

/** One call of an output folder, as the store keeps it. */
export interface CallRow {
  id: number;
  kind: string;
  command: string;
  status: 'running' | 'done' | 'failed';
  error?: string;
  startedAt: string;
  finishedAt?: string;
  /** What the call's caller recorded when it ended (the CLI: method, parameters, counts, timings, …). */
  record?: unknown;
}

export interface StoredFace {
  box: [number, number, number, number];
  score: number;
  landmarks: number[];
  quality: { sharpness: number; size: number };
  crop: Uint8Array;
  embedding: Float32Array;
}

export interface ImageResult {
  path: string;
  model: string;
  size: number;
  mtimeMs: number;
  hash?: string;
  width?: number;
  height?: number;
  error?: string;
  faces: StoredFace[];
}

/**
 * The SQLite store of a run (WAL, one transaction per image: a killed run loses only images in flight).
 * Images are keyed by absolute path and model id; faces of different models are never mixed.
 */
export class FaceStore {
  readonly path: string;
  /** Private, so the public types never name better-sqlite3 (a consumer need not install its types). */
  private readonly db: Database.Database;
  private readonly stmts;
  /** The folder's people and the user's corrections (people-store.ts). */
  readonly people: PeopleStore;

  private constructor(file: string) {
    this.path = file;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('busy_timeout = 5000');
    } catch (err) {
      throw new EmbedError('ERR_STORE', `Could not open face store ${file}: ${(err as Error).message}`, { cause: err });
    }
    const foreign = this.foreignReason();
    if (foreign) {
      this.db.close();
      throw new EmbedError('ERR_STORE_FOREIGN', `${file} is not a faceclust face store (${foreign}); it was left untouched`);
    }
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.exec(SCHEMA);
      this.db.exec(PEOPLE_SCHEMA);
      // calls tables made before record/face_ids/labels existed
      const columns = new Set((this.db.prepare(`PRAGMA table_info(calls)`).all() as { name: string }[]).map((c) => c.name));
      for (const [name, type] of [['record', 'TEXT'], ['face_ids', 'BLOB'], ['labels', 'BLOB']]) {
        if (!columns.has(name)) this.db.exec(`ALTER TABLE calls ADD COLUMN ${name} ${type}`);
      }
      this.db.pragma(`application_id = ${APPLICATION_ID}`);
    } catch (err) {
      throw new EmbedError('ERR_STORE', `Could not open face store ${file}: ${(err as Error).message}`, { cause: err });
    }
    const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
    if (version === undefined) this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    else if (Number(version) !== SCHEMA_VERSION) {
      this.db.close();
      throw new EmbedError('ERR_STORE', `Face store ${file} has schema version ${version}; this version of @faceclust/embed reads ${SCHEMA_VERSION}`);
    }
    this.people = new PeopleStore(this.db, file);
    this.stmts = {
      lookup: this.db.prepare(`SELECT id, size, mtime_ms AS mtimeMs, hash, status, error, faces FROM images WHERE path = ? AND model = ?`),
      upsertImage: this.db.prepare(`
        INSERT INTO images (path, model, size, mtime_ms, hash, status, error, faces, width, height, updated_at)
        VALUES (@path, @model, @size, @mtimeMs, @hash, @status, @error, @faces, @width, @height, @updatedAt)
        ON CONFLICT (path, model) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash,
          status = excluded.status, error = excluded.error, faces = excluded.faces, width = excluded.width,
          height = excluded.height, updated_at = excluded.updated_at
        RETURNING id`),
      deleteFaces: this.db.prepare(`DELETE FROM faces WHERE image_id = ?`),
      insertFace: this.db.prepare(`
        INSERT INTO faces (image_id, model, face_index, x, y, w, h, score, landmarks, sharpness, size, crop, embedding)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      upsertModel: this.db.prepare(`
        INSERT INTO models (id, file, dim, normalization, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET file = excluded.file, dim = excluded.dim, normalization = excluded.normalization`),
    };
  }

  /**
   * Why the opened file is some other program's database, or undefined when it is ours: empty (new), marked
   * with our application_id, or an older faceclust store (our meta table, from before the mark).
   */
  private foreignReason(): string | undefined {
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    if (appId === APPLICATION_ID) return undefined;
    const tables = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all() as string[];
    if (tables.length === 0) return appId === 0 ? undefined : `its SQLite application id is ${appId}`;
    const ours = tables.includes('meta') && this.db.prepare(`SELECT 1 FROM meta WHERE key = 'schema_version'`).pluck().get() !== undefined;
    return ours ? undefined : `it holds other tables: ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}`;
  }

  /**
   * Opens (creating if absent) the store at `file`. A damaged file throws EmbedError ERR_STORE_CORRUPT here
   * or, when the damage lies in pages opening does not read (no full integrity check: stores can be GBs),
   * from the first method that reads them.
   */
  static open(file: string): FaceStore {
    if (typeof file !== 'string' || file.length === 0) {
      throw new TypeError(`Expected a file path for storePath but received ${describe(file)}`);
    }
    const abs = path.resolve(file);
    return storeCall(abs, () => new FaceStore(abs));
  }

  /** The id (name + hash) of a model: 'default' (or nothing) or a path to an .onnx file. */
  modelId(model?: string): string {
    return embedderId(model);
  }

  /** The stored row of one image for one model, if any. */
  lookup(file: string, model: string): (ImageRow & { id: number }) | undefined {
    const r = storeCall(this.path, () => this.stmts.lookup.get(path.resolve(file), model)) as
      | { id: number; size: number; mtimeMs: number; hash: string | null; status: 'done' | 'error'; error: string | null; faces: number }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, path: path.resolve(file), model, status: r.status, faces: r.faces, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash ?? undefined, error: r.error ?? undefined };
  }

  registerModel(id: string, file: string, dim: number, normalization: { mean: number; std: number }): void {
    storeCall(this.path, () => this.stmts.upsertModel.run(id, file, dim, JSON.stringify(normalization), new Date().toISOString()));
  }

  /** Writes one image's outcome (faces, or its error) in one transaction, replacing what was there. */
  readonly writeImage = (r: ImageResult): void => {
    storeCall(this.path, this.db.transaction(() => {
      const { id } = this.stmts.upsertImage.get({
        path: path.resolve(r.path), model: r.model, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash ?? null,
        status: r.error === undefined ? 'done' : 'error', error: r.error ?? null, faces: r.faces.length,
        width: r.width ?? null, height: r.height ?? null, updatedAt: new Date().toISOString(),
      }) as { id: number };
      this.stmts.deleteFaces.run(id);
      r.faces.forEach((f, i) => {
        const e = f.embedding;
        this.stmts.insertFace.run(
          id, r.model, i, f.box[0], f.box[1], f.box[2], f.box[3], f.score, JSON.stringify(f.landmarks.map((v) => Math.round(v * 100) / 100)),
          f.quality.sharpness, f.quality.size, Buffer.from(f.crop.buffer, f.crop.byteOffset, f.crop.byteLength),
          Buffer.from(e.buffer, e.byteOffset, e.byteLength),
        );
      });
    }));
  };

  /**
   * Every face of `model` (an id, 'default' or an .onnx path) from images that are done, ordered by file
   * then face index, with all embeddings in ONE Float32Array. `files` restricts to those images;
   * `landmarks: false` leaves each face's landmarks out (a clustering never reads them, and an array of ten
   * numbers per face is the largest part of a face's object).
   */
  loadFaces(model: string, opts: { files?: string[]; landmarks?: boolean } = {}): FaceSet {
    if (typeof model !== 'string') throw new TypeError(`Expected a model id or path for model but received ${describe(model)}`);
    const id = model.includes('@sha256:') ? model : this.modelId(model);
    let only: Set<string> | undefined;
    if (opts.files !== undefined) {
      if (!Array.isArray(opts.files)) throw new TypeError(`Expected an array of paths for files but received ${describe(opts.files)}`);
      only = new Set(opts.files.map((f) => path.resolve(f)));
    }
    if (opts.landmarks !== undefined && typeof opts.landmarks !== 'boolean') throw new TypeError(`Expected a boolean for landmarks but received ${describe(opts.landmarks)}`);
    const withLandmarks = opts.landmarks !== false;
    // rows are read one at a time into the one Float32Array: holding them all first kept every embedding
    // twice (a Buffer per row, then the array) and ~1 KB of row objects per face at the peak
    const where = `FROM faces f JOIN images i ON i.id = f.image_id WHERE f.model = ? AND i.status = 'done'`;
    return storeCall(this.path, () => this.db.transaction(() => {
      // one read transaction: the count sizes the array for exactly the rows the iteration then sees
      const total = this.db.prepare(`SELECT count(*) ${where}`).pluck().get(id) as number;
      const dimRow = this.db.prepare(`SELECT dim FROM models WHERE id = ?`).pluck().get(id) as number | undefined;
      const rows = this.db
        .prepare(`SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score, f.landmarks, f.sharpness, f.size, f.embedding ${where} ORDER BY i.path, f.face_index`)
        .raw()
        .iterate(id) as IterableIterator<[number, string, number, number, number, number, number, number, string, number | null, number | null, Buffer]>;
      let dim = dimRow ?? 0;
      let vectors = new Float32Array(total * dim);
      let bytes = new Uint8Array(vectors.buffer);
      const faces: FaceInfo[] = [];
      let file = ''; // the faces of one photo share its path string (rows come ordered by path)
      for (const r of rows) {
        if (only && !only.has(r[1])) continue;
        if (r[1] !== file) file = r[1];
        if (dimRow === undefined && faces.length === 0) {
          dim = r[11].length / 4;
          vectors = new Float32Array(total * dim);
          bytes = new Uint8Array(vectors.buffer);
        }
        if (r[11].length !== dim * 4) {
          throw new EmbedError('ERR_STORE', `Face ${r[0]} in ${this.path} has an embedding of ${r[11].length / 4} values; expected ${dim} for model ${id}`);
        }
        bytes.set(r[11], faces.length * dim * 4); // copies bytes: blobs need not be 4-byte aligned
        faces.push({
          id: r[0], file, faceIndex: r[2], box: [r[3], r[4], r[5], r[6]], score: r[7], ...(withLandmarks ? { landmarks: JSON.parse(r[8]) } : {}),
          ...(r[9] !== null && r[10] !== null ? { quality: { sharpness: r[9], size: r[10] } } : {}),
        });
      }
      // with `files`, fewer rows than counted: a copy of the part used, so the rest is freed
      if (faces.length < total) vectors = vectors.slice(0, faces.length * dim);
      return { model: id, dim, vectors, faces };
    })());
  }

  /**
   * The id of face `faceIndex` (0-based, as the xlsx and --json show it) of photo `file`, for the model
   * given or the only one the photo was embedded with; undefined when there is no such face.
   */
  findFace(file: string, faceIndex: number, opts: { model?: string } = {}): number | undefined {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError(`Expected a file path for file but received ${describe(file)}`);
    if (!Number.isInteger(faceIndex) || faceIndex < 0) throw new RangeError(`Expected an integer >= 0 for faceIndex but received ${describe(faceIndex)}`);
    const model = opts.model === undefined ? undefined : opts.model.includes('@sha256:') ? opts.model : this.modelId(opts.model);
    const ids = storeCall(this.path, () =>
      this.db
        .prepare(`SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id WHERE i.path = ? AND f.face_index = ?${model ? ' AND f.model = ?' : ''}`)
        .pluck()
        .all(path.resolve(file), faceIndex, ...(model ? [model] : [])),
    ) as number[];
    return ids.length === 1 ? ids[0] : undefined;
  }

  /**
   * A face by its id: its photo (absolute path, as stored), index in the photo, box, score and model;
   * undefined when there is none. The review server finds photos this way, never from a path it is sent.
   */
  getFace(faceId: number): (Omit<FaceInfo, 'landmarks' | 'quality'> & { model: string }) | undefined {
    if (!Number.isSafeInteger(faceId)) throw new TypeError(`Expected an integer face id for faceId but received ${describe(faceId)}`);
    const r = storeCall(this.path, () => this.db
      .prepare(`SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score, f.model FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?`)
      .raw()
      .get(faceId)) as [number, string, number, number, number, number, number, number, string] | undefined;
    return r && { id: r[0], file: r[1], faceIndex: r[2], box: [r[3], r[4], r[5], r[6]], score: r[7], model: r[8] };
  }

  /** Every face of the photo that face `faceId` is in (same model), in face order; empty when there is no such face. */
  facesOfPhotoOf(faceId: number): (Omit<FaceInfo, 'landmarks' | 'quality'> & { model: string })[] {
    if (!Number.isSafeInteger(faceId)) throw new TypeError(`Expected an integer face id for faceId but received ${describe(faceId)}`);
    const rows = storeCall(this.path, () => this.db
      .prepare(`
        SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score, f.model
        FROM faces f JOIN images i ON i.id = f.image_id
        WHERE f.image_id = (SELECT image_id FROM faces WHERE id = ?)
        ORDER BY f.face_index`)
      .raw()
      .all(faceId)) as [number, string, number, number, number, number, number, number, string][];
    return rows.map((r) => ({ id: r[0], file: r[1], faceIndex: r[2], box: [r[3], r[4], r[5], r[6]], score: r[7], model: r[8] }));
  }

  /** The aligned 112×112 crop of a face, as PNG bytes. */
  getCrop(faceId: number): Buffer {
    if (!Number.isInteger(faceId)) throw new TypeError(`Expected an integer face id for faceId but received ${describe(faceId)}`);
    const crop = storeCall(this.path, () => this.db.prepare(`SELECT crop FROM faces WHERE id = ?`).pluck().get(faceId)) as Buffer | undefined;
    if (!crop) throw new RangeError(`No face with id ${faceId} in ${this.path}`);
    return crop;
  }

  /** One photo's displayed size (EXIF orientation applied), or undefined when it is not known. */
  imageSize(file: string, model: string): { width: number; height: number } | undefined {
    const r = storeCall(this.path, () => this.db.prepare(`SELECT width, height FROM images WHERE path = ? AND model = ? AND width IS NOT NULL`).raw().get(file, model)) as [number, number] | undefined;
    return r && { width: r[0], height: r[1] };
  }

  /** Whether the store holds a photo directly in folder `dir` (an absolute path): the review server's test of "inside the library". */
  hasImagesIn(dir: string): boolean {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    // a range over the (path, model) index: the paths that start with prefix and have no further separator
    const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    return storeCall(this.path, () => this.db
      .prepare(`SELECT 1 FROM images WHERE path >= ? AND path < ? AND instr(substr(path, ?), ?) = 0 LIMIT 1`)
      .pluck()
      .get(prefix, end, [...prefix].length + 1, path.sep)) !== undefined; // substr counts characters: code points
  }

  /**
   * SQLite's data_version: it changes whenever another connection commits to the store (a correction, a run,
   * an adoption), so a long-lived reader (the review server) knows when what it showed is stale.
   */
  dataVersion(): number {
    return storeCall(this.path, () => this.db.pragma('data_version', { simple: true }) as number);
  }

  /** Every image recorded, with its status ('done' or 'error'), error reason and face count. */
  listImages(opts: { model?: string } = {}): { path: string; model: string; status: string; error?: string; faces: number }[] {
    const rows = storeCall(this.path, () =>
      opts.model
        ? this.db.prepare(`SELECT path, model, status, error, faces FROM images WHERE model = ? ORDER BY path`).all(opts.model.includes('@sha256:') ? opts.model : this.modelId(opts.model))
        : this.db.prepare(`SELECT path, model, status, error, faces FROM images ORDER BY path, model`).all()
    ) as { path: string; model: string; status: string; error: string | null; faces: number }[];
    return rows.map((r) => ({ path: r.path, model: r.model, status: r.status, faces: r.faces, ...(r.error !== null ? { error: r.error } : {}) }));
  }

  /**
   * Each photo's size as displayed (EXIF orientation applied), by absolute path, for the images read fine
   * (of `model`, or of any model: a photo has one size). Photos stored before sizes were kept are absent.
   */
  imageSizes(opts: { model?: string } = {}): Map<string, { width: number; height: number }> {
    const model = opts.model === undefined ? undefined : opts.model.includes('@sha256:') ? opts.model : this.modelId(opts.model);
    const rows = storeCall(this.path, () =>
      this.db
        .prepare(`SELECT path, width, height FROM images WHERE status = 'done' AND width IS NOT NULL AND height IS NOT NULL${model ? ' AND model = ?' : ''} ORDER BY path`)
        .raw()
        .all(...(model ? [model] : [])),
    ) as [string, number, number][];
    return new Map(rows.map(([p, width, height]) => [p, { width, height }]));
  }

  /** Model ids present in the store. */
  listModels(): { id: string; file: string; dim: number }[] {
    return storeCall(this.path, () => this.db.prepare(`SELECT id, file, dim FROM models ORDER BY id`).all()) as { id: string; file: string; dim: number }[];
  }

  /** A value kept in the store's meta table (e.g. the detect mode of an output folder), or undefined. */
  getMeta(key: string): string | undefined {
    return storeCall(this.path, () => this.db.prepare(`SELECT value FROM meta WHERE key = ?`).pluck().get(key)) as string | undefined;
  }

  setMeta(key: string, value: string): void {
    storeCall(this.path, () => this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value));
  }

  /**
   * Records a new call and returns its number: one more than any call recorded here and at least `floor`
   * (the caller's view of numbers already used, e.g. by output files from before calls were recorded).
   * One IMMEDIATE transaction, so two processes never get the same number.
   */
  beginCall(call: { kind: string; command: string; floor?: number }): number {
    const floor = call.floor ?? 1;
    if (!Number.isInteger(floor) || floor < 1) throw new RangeError(`Expected an integer >= 1 for floor but received ${describe(floor)}`);
    return storeCall(this.path, () => this.db.transaction(() => {
      const max = (this.db.prepare(`SELECT max(id) FROM calls`).pluck().get() as number | null) ?? 0;
      const id = Math.max(floor, max + 1);
      this.db.prepare(`INSERT INTO calls (id, kind, command, status, started_at) VALUES (?, ?, ?, 'running', ?)`).run(id, call.kind, call.command, new Date().toISOString());
      return id;
    }).immediate());
  }

  /**
   * Marks a call done (or failed with its reason) and keeps what it found: `record` (any JSON value) and,
   * for a clustering, each face's id and label, so later calls and tools read any earlier call from here.
   */
  endCall(id: number, outcome: { error?: string; record?: unknown; faceIds?: Int32Array; labels?: Int32Array } = {}): void {
    const { error, record, faceIds, labels } = outcome;
    if ((faceIds === undefined) !== (labels === undefined) || (faceIds && labels && faceIds.length !== labels.length)) {
      throw new RangeError(`Expected faceIds and labels of the same length (or neither) but received ${faceIds?.length ?? 'none'} and ${labels?.length ?? 'none'}`);
    }
    const blob = (a: Int32Array | undefined) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : null);
    storeCall(this.path, () =>
      this.db
        .prepare(`UPDATE calls SET status = ?, error = ?, finished_at = ?, record = ?, face_ids = ?, labels = ? WHERE id = ?`)
        .run(error === undefined ? 'done' : 'failed', error ?? null, new Date().toISOString(), record === undefined ? null : JSON.stringify(record), blob(faceIds), blob(labels), id),
    );
  }

  /** Every call recorded, oldest first, with its record (labels: see {@link getCallLabels}). */
  listCalls(): CallRow[] {
    const rows = storeCall(this.path, () =>
      this.db.prepare(`SELECT id, kind, command, status, error, started_at AS startedAt, finished_at AS finishedAt, record FROM calls ORDER BY id`).all(),
    ) as { id: number; kind: string; command: string; status: CallRow['status']; error: string | null; startedAt: string; finishedAt: string | null; record: string | null }[];
    return rows.map((r) => ({
      id: r.id, kind: r.kind, command: r.command, status: r.status, startedAt: r.startedAt,
      ...(r.error === null ? {} : { error: r.error }), ...(r.finishedAt === null ? {} : { finishedAt: r.finishedAt }), ...(r.record === null ? {} : { record: JSON.parse(r.record) as unknown }),
    }));
  }

  /** The face ids and labels a clustering call kept, or undefined when it kept none (or there is no such call). */
  getCallLabels(id: number): { faceIds: Int32Array; labels: Int32Array } | undefined {
    if (!Number.isInteger(id)) throw new TypeError(`Expected an integer call number for id but received ${describe(id)}`);
    const r = storeCall(this.path, () => this.db.prepare(`SELECT face_ids, labels FROM calls WHERE id = ?`).get(id)) as { face_ids: Buffer | null; labels: Buffer | null } | undefined;
    if (!r?.face_ids || !r.labels) return undefined;
    // copies: blobs need not be 4-byte aligned
    const ints = (b: Buffer) => new Int32Array(new Uint8Array(b).buffer);
    return { faceIds: ints(r.face_ids), labels: ints(r.labels) };
  }

  /**
   * Forgets images (and their faces) by absolute path, for the model given or every model: what
   * `faceclust prune` does with photos that are gone. One transaction.
   */
  forgetImages(paths: string[], opts: { model?: string } = {}): { images: number; faces: number } {
    if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) throw new TypeError(`Expected an array of paths for paths but received ${describe(paths)}`);
    const model = opts.model === undefined ? undefined : opts.model.includes('@sha256:') ? opts.model : this.modelId(opts.model);
    const select = this.db.prepare(`SELECT id, faces FROM images WHERE path = ?${model ? ' AND model = ?' : ''}`);
    const del = this.db.prepare(`DELETE FROM images WHERE id = ?`);
    let images = 0;
    let faces = 0;
    storeCall(this.path, this.db.transaction(() => {
      for (const p of paths) {
        for (const r of select.all(...(model ? [path.resolve(p), model] : [path.resolve(p)])) as { id: number; faces: number }[]) {
          del.run(r.id);
          images++;
          faces += r.faces;
        }
      }
    }));
    return { images, faces };
  }

  /**
   * Images of `model` (an id, 'default' or an .onnx path) whose file had `size` bytes, oldest first: the
   * candidates when a path new to the store may hold a photo it already knows (moved, renamed or copied),
   * to be confirmed by `hash` before reuse. Sizes rarely collide, so most new photos are never hashed twice.
   */
  findByContent(model: string, size: number): (ImageRow & { id: number })[] {
    if (typeof model !== 'string' || model.length === 0) throw new TypeError(`Expected a model id or path for model but received ${describe(model)}`);
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError(`Expected an integer for size but received ${describe(size)}`);
    if (size < 0) throw new RangeError(`Expected an integer >= 0 for size but received ${size}`);
    const id = model.includes('@sha256:') ? model : this.modelId(model);
    const rows = storeCall(this.path, () =>
      this.db.prepare(`SELECT id, path, size, mtime_ms AS mtimeMs, hash, status, error, faces FROM images WHERE model = ? AND size = ? ORDER BY id`).all(id, size),
    ) as { id: number; path: string; size: number; mtimeMs: number; hash: string | null; status: 'done' | 'error'; error: string | null; faces: number }[];
    return rows.map((r) => ({ id: r.id, path: r.path, model: id, status: r.status, faces: r.faces, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash ?? undefined, error: r.error ?? undefined }));
  }

  /**
   * Points image `id` at `newPath` (a photo moved or renamed on disk), with the file's size and mtime now;
   * its faces keep their ids. A row already at `newPath` for the same model is replaced. One transaction.
   */
  moveImage(id: number, newPath: string, size: number, mtimeMs: number): void {
    const to = this.checkReuse(id, newPath, size, mtimeMs);
    storeCall(this.path, this.db.transaction(() => {
      const from = this.imageAt(id);
      this.db.prepare(`DELETE FROM images WHERE path = ? AND model = ? AND id != ?`).run(to, from.model, id);
      this.db.prepare(`UPDATE images SET path = ?, size = ?, mtime_ms = ?, updated_at = ? WHERE id = ?`).run(to, size, mtimeMs, new Date().toISOString(), id);
    }));
  }

  /**
   * Records `newPath` (a copy on disk of image `id`'s file, with its own size and mtime) as a new image
   * with the same outcome and faces: boxes, crops and embeddings copied inside SQLite under new face ids.
   * A row already at `newPath` for the same model is replaced. One transaction; returns the new image id.
   */
  copyImage(id: number, newPath: string, size: number, mtimeMs: number): number {
    const to = this.checkReuse(id, newPath, size, mtimeMs);
    return storeCall(this.path, this.db.transaction(() => {
      const from = this.imageAt(id);
      if (from.path === to) throw new RangeError(`Expected a path other than image ${id}'s own for newPath but received ${describe(newPath)}`);
      this.db.prepare(`DELETE FROM images WHERE path = ? AND model = ?`).run(to, from.model);
      const copy = this.db
        .prepare(`
          INSERT INTO images (path, model, size, mtime_ms, hash, status, error, faces, width, height, updated_at)
          SELECT ?, model, ?, ?, hash, status, error, faces, width, height, ? FROM images WHERE id = ?
          RETURNING id`)
        .pluck()
        .get(to, size, mtimeMs, new Date().toISOString(), id) as number;
      this.db
        .prepare(`
          INSERT INTO faces (image_id, model, face_index, x, y, w, h, score, landmarks, sharpness, size, crop, embedding)
          SELECT ?, model, face_index, x, y, w, h, score, landmarks, sharpness, size, crop, embedding
          FROM faces WHERE image_id = ? ORDER BY face_index`)
        .run(copy, id);
      return copy;
    }));
  }

  /** Validates the arguments of moveImage and copyImage; returns `newPath` made absolute. */
  private checkReuse(id: number, newPath: string, size: number, mtimeMs: number): string {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new TypeError(`Expected an integer image id for id but received ${describe(id)}`);
    if (typeof newPath !== 'string' || newPath.length === 0) throw new TypeError(`Expected a file path for newPath but received ${describe(newPath)}`);
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new TypeError(`Expected an integer for size but received ${describe(size)}`);
    if (size < 0) throw new RangeError(`Expected an integer >= 0 for size but received ${size}`);
    if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) throw new TypeError(`Expected a finite number for mtimeMs but received ${describe(mtimeMs)}`);
    return path.resolve(newPath);
  }

  /** The path and model of image `id`; a RangeError when there is none. */
  private imageAt(id: number): { path: string; model: string } {
    const row = this.db.prepare(`SELECT path, model FROM images WHERE id = ?`).get(id) as { path: string; model: string } | undefined;
    if (!row) throw new RangeError(`No image with id ${id} in ${this.path}`);
    return row;
  }

  /**
   * Runs `fn` in one transaction (nested calls become savepoints): e.g. many writeImage calls committed
   * at once when filling a store in bulk.
   */
  transaction<T>(fn: () => T): T {
    return storeCall(this.path, this.db.transaction(fn));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
