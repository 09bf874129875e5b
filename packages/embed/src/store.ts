import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EmbedError, describe } from './errors.js';
import { embedderId } from './models.js';

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
`;

export interface FaceInfo {
  id: number;
  file: string;
  faceIndex: number;
  /** x, y, w, h in original pixels. */
  box: [number, number, number, number];
  score: number;
  /** 5 points flat x,y in original pixels. */
  landmarks: number[];
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
  readonly db: Database.Database;
  private readonly stmts;

  private constructor(file: string) {
    this.path = file;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new EmbedError('ERR_STORE', `Could not open face store ${file}: ${(err as Error).message}`, { cause: err });
    }
    const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
    if (version === undefined) this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(SCHEMA_VERSION));
    else if (Number(version) !== SCHEMA_VERSION) {
      this.db.close();
      throw new EmbedError('ERR_STORE', `Face store ${file} has schema version ${version}; this version of @faceclust/embed reads ${SCHEMA_VERSION}`);
    }
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

  /** Opens (creating if absent) the store at `file`. */
  static open(file: string): FaceStore {
    if (typeof file !== 'string' || file.length === 0) {
      throw new TypeError(`Expected a file path for storePath but received ${describe(file)}`);
    }
    return new FaceStore(path.resolve(file));
  }

  /** The id (name + hash) of a model: 'default' (or nothing) or a path to an .onnx file. */
  modelId(model?: string): string {
    return embedderId(model);
  }

  /** The stored row of one image for one model, if any. */
  lookup(file: string, model: string): (ImageRow & { id: number }) | undefined {
    const r = this.stmts.lookup.get(path.resolve(file), model) as
      | { id: number; size: number; mtimeMs: number; hash: string | null; status: 'done' | 'error'; error: string | null; faces: number }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, path: path.resolve(file), model, status: r.status, faces: r.faces, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash ?? undefined, error: r.error ?? undefined };
  }

  registerModel(id: string, file: string, dim: number, normalization: { mean: number; std: number }): void {
    this.stmts.upsertModel.run(id, file, dim, JSON.stringify(normalization), new Date().toISOString());
  }

  /** Writes one image's outcome (faces, or its error) in one transaction, replacing what was there. */
  readonly writeImage = (r: ImageResult): void => {
    this.db.transaction(() => {
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
    })();
  };

  /**
   * Every face of `model` (an id, 'default' or an .onnx path) from images that are done, ordered by file
   * then face index, with all embeddings in ONE Float32Array. `files` restricts to those images.
   */
  loadFaces(model: string, opts: { files?: string[] } = {}): FaceSet {
    if (typeof model !== 'string') throw new TypeError(`Expected a model id or path for model but received ${describe(model)}`);
    const id = model.includes('@sha256:') ? model : this.modelId(model);
    let only: Set<string> | undefined;
    if (opts.files !== undefined) {
      if (!Array.isArray(opts.files)) throw new TypeError(`Expected an array of paths for files but received ${describe(opts.files)}`);
      only = new Set(opts.files.map((f) => path.resolve(f)));
    }
    const rows = this.db
      .prepare(`
        SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score, f.landmarks, f.sharpness, f.size, f.embedding
        FROM faces f JOIN images i ON i.id = f.image_id
        WHERE f.model = ? AND i.status = 'done'
        ORDER BY i.path, f.face_index`)
      .raw()
      .all(id) as [number, string, number, number, number, number, number, number, string, number | null, number | null, Buffer][];
    const kept = only ? rows.filter((r) => only.has(r[1])) : rows;
    const dimRow = this.db.prepare(`SELECT dim FROM models WHERE id = ?`).pluck().get(id) as number | undefined;
    const dim = dimRow ?? (kept.length ? kept[0][11].length / 4 : 0);
    const vectors = new Float32Array(kept.length * dim);
    const bytes = new Uint8Array(vectors.buffer);
    const faces: FaceInfo[] = new Array(kept.length);
    kept.forEach((r, i) => {
      if (r[11].length !== dim * 4) {
        throw new EmbedError('ERR_STORE', `Face ${r[0]} in ${this.path} has an embedding of ${r[11].length / 4} values; expected ${dim} for model ${id}`);
      }
      bytes.set(r[11], i * dim * 4); // copies bytes: blobs need not be 4-byte aligned
      faces[i] = {
        id: r[0], file: r[1], faceIndex: r[2], box: [r[3], r[4], r[5], r[6]], score: r[7], landmarks: JSON.parse(r[8]),
        ...(r[9] !== null && r[10] !== null ? { quality: { sharpness: r[9], size: r[10] } } : {}),
      };
    });
    return { model: id, dim, vectors, faces };
  }

  /** The aligned 112×112 crop of a face, as PNG bytes. */
  getCrop(faceId: number): Buffer {
    if (!Number.isInteger(faceId)) throw new TypeError(`Expected an integer face id for faceId but received ${describe(faceId)}`);
    const crop = this.db.prepare(`SELECT crop FROM faces WHERE id = ?`).pluck().get(faceId) as Buffer | undefined;
    if (!crop) throw new RangeError(`No face with id ${faceId} in ${this.path}`);
    return crop;
  }

  /** Every image recorded, with its status ('done' or 'error'), error reason and face count. */
  listImages(opts: { model?: string } = {}): { path: string; model: string; status: string; error?: string; faces: number }[] {
    const rows = (
      opts.model
        ? this.db.prepare(`SELECT path, model, status, error, faces FROM images WHERE model = ? ORDER BY path`).all(opts.model.includes('@sha256:') ? opts.model : this.modelId(opts.model))
        : this.db.prepare(`SELECT path, model, status, error, faces FROM images ORDER BY path, model`).all()
    ) as { path: string; model: string; status: string; error: string | null; faces: number }[];
    return rows.map((r) => ({ path: r.path, model: r.model, status: r.status, faces: r.faces, ...(r.error !== null ? { error: r.error } : {}) }));
  }

  /** Model ids present in the store. */
  listModels(): { id: string; file: string; dim: number }[] {
    return this.db.prepare(`SELECT id, file, dim FROM models ORDER BY id`).all() as { id: string; file: string; dim: number }[];
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
