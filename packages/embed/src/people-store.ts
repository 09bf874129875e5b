/**
 * The people of an output folder and the user's corrections, in the folder's face store.
 *
 * A clustering call is adopted as the people (`assign`); the user's corrections are kept apart from it, as
 * the constraints every later clustering honours (docs/ALGORITHMS.md, "Constraints"):
 * - a **confirmed** face belongs to its person for good: the confirmed faces of one person are must-linked,
 *   those of two people are never clustered together;
 * - a **cannot link** says two faces are different people (`reject`, `move` away from a person, `separate`);
 * - a face marked **not a face** is left out of every clustering.
 * Each correction is one transaction that journals the rows it changes, so `undo` puts them back exactly.
 * The latest correction wins: one that contradicts an earlier one replaces it (a moved face loses its
 * earlier cannot links to its new person, a merged person's cannot links inside the merge are dropped).
 */
import type Database from 'better-sqlite3';
import { describe } from './errors.js';
import { storeCall } from './store-call.js';

export const PEOPLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS people (
  id INTEGER PRIMARY KEY,           -- stable: kept by every later adoption that matches it
  name TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS person_faces (
  face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS person_faces_by_person ON person_faces (person_id);
CREATE TABLE IF NOT EXISTS corrections (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,               -- merge, move, reject, notface, name, remove, split, separate
  args TEXT NOT NULL,               -- JSON, as given
  summary TEXT NOT NULL,            -- one line: what it did
  command TEXT,
  created_at TEXT NOT NULL,
  undone_at TEXT
);
CREATE TABLE IF NOT EXISTS confirmed_faces (
  face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS confirmed_faces_by_person ON confirmed_faces (person_id);
CREATE TABLE IF NOT EXISTS cannot_links (
  face_a INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
  face_b INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
  correction_id INTEGER NOT NULL,
  PRIMARY KEY (face_a, face_b),
  CHECK (face_a < face_b)
);
CREATE INDEX IF NOT EXISTS cannot_links_by_b ON cannot_links (face_b);
CREATE TABLE IF NOT EXISTS not_faces (
  face_id INTEGER PRIMARY KEY REFERENCES faces(id) ON DELETE CASCADE,
  correction_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS correction_undo (
  correction_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  tbl TEXT NOT NULL,
  key TEXT NOT NULL,                -- JSON array of the key columns' values
  row TEXT,                         -- JSON object of the row before the correction; NULL: there was none
  after TEXT,                       -- … and after it: undo refuses when a later call changed the row since
  PRIMARY KEY (correction_id, seq)
);
`;

/**
 * Per person (grouped or filtered by the caller): faces `n`, `confirmed` faces, and the representative `face`:
 * a confirmed one first, then the best detector score (SQLite takes the bare face_id from the row of
 * max(rank)). One scan of person_faces and the faces' (id, score) index, never the face rows.
 */
const PERSON_COUNTS = `
  SELECT pf.person_id AS id, count(*) AS n, count(cf.face_id) AS confirmed,
         max((cf.face_id IS NOT NULL) * 2 + f.score) AS rank, pf.face_id AS face
  FROM person_faces pf JOIN faces f INDEXED BY faces_by_id_score ON f.id = pf.face_id
  LEFT JOIN confirmed_faces cf ON cf.face_id = pf.face_id AND cf.person_id = pf.person_id`;

/** The tables a correction changes, with their key columns and all columns (the journal restores whole rows). */
const TABLES = {
  people: { key: ['id'], columns: ['id', 'name', 'created_at'] },
  person_faces: { key: ['face_id'], columns: ['face_id', 'person_id'] },
  confirmed_faces: { key: ['face_id'], columns: ['face_id', 'person_id'] },
  cannot_links: { key: ['face_a', 'face_b'], columns: ['face_a', 'face_b', 'correction_id'] },
  not_faces: { key: ['face_id'], columns: ['face_id', 'correction_id'] },
} as const;
type Table = keyof typeof TABLES;
type Row = Record<string, number | string | null>;

export const CORRECTION_KINDS = ['merge', 'move', 'reject', 'notface', 'name', 'remove', 'split', 'separate'] as const;
export type CorrectionKind = (typeof CORRECTION_KINDS)[number];

/** One correction as the store keeps it. */
export interface Correction {
  id: number;
  kind: CorrectionKind;
  args: unknown;
  /** One line: what it did, e.g. "merged people 3, 7 into 3 (42 faces)". */
  summary: string;
  command?: string;
  createdAt: string;
  undoneAt?: string;
}

/** A person as {@link PeopleStore.list} gives it. */
export interface PersonRow {
  id: number;
  name: string | null;
  /** Its faces, ascending. */
  faceIds: number[];
  /** Those the user confirmed (merge, move), ascending. */
  confirmed: number[];
}

/** A person as a people grid shows it ({@link PeopleStore.summaries}). */
export interface PersonSummary {
  id: number;
  name: string | null;
  /** Faces, and how many of them the user confirmed. */
  faces: number;
  confirmed: number;
  /** The representative face's id (absent for a person with no face). */
  face?: number;
}

/** A face as a person page lists it. */
export interface PersonFace {
  faceId: number;
  /** The photo: absolute path, as stored. */
  file: string;
  /** Index of the face in its photo (0-based). */
  face: number;
  /** x, y, width, height in the photo's displayed pixels. */
  box: [number, number, number, number];
  score: number;
  /** Whether the user confirmed the face to this person (merge, move). */
  confirmed: boolean;
}

/** What clustering must honour, as store face ids. */
export interface StoredConstraints {
  /** Confirmed faces and their people: the confirmed faces of one person are one must-link group. */
  confirmed: { faceIds: Int32Array; personIds: Int32Array };
  /** Cannot-link pairs, flat [a0, b0, a1, b1, …], a < b. */
  cannotLink: Int32Array;
  /** Faces marked not a face: left out of every clustering. */
  notFaces: Int32Array;
}

export class PeopleStore {
  /** The correction being made and the rows it has journalled already (a row is journalled once, before its first change). */
  private open?: { id: number; seq: number; seen: Set<string> };

  /** Private and untyped in the declarations, so the public types never name better-sqlite3 (as FaceStore's). */
  private readonly db: Database.Database;
  private readonly path: string;

  /** Made by FaceStore, which owns the connection (`db`: its better-sqlite3 Database). */
  constructor(db: object, path: string) {
    this.db = db as Database.Database;
    this.path = path;
  }

  /** Every face that belongs to a person: face ids and person ids, in face id order. */
  personOfFaces(): { faceIds: Int32Array; personIds: Int32Array } {
    const rows = this.call(() => this.db.prepare(`SELECT face_id, person_id FROM person_faces ORDER BY face_id`).raw().all()) as [number, number][];
    return { faceIds: Int32Array.from(rows, (r) => r[0]), personIds: Int32Array.from(rows, (r) => r[1]) };
  }

  /** The people in id order, with names, faces and confirmed faces (a person whose faces are all gone is kept, empty). */
  list(): PersonRow[] {
    return this.call(() => {
      const people = this.db.prepare(`SELECT id, name FROM people ORDER BY id`).all() as { id: number; name: string | null }[];
      const byPerson = new Map(people.map((p) => [p.id, { id: p.id, name: p.name, faceIds: [] as number[], confirmed: [] as number[] }]));
      for (const [face, person] of this.db.prepare(`SELECT face_id, person_id FROM person_faces ORDER BY face_id`).raw().all() as [number, number][]) byPerson.get(person)?.faceIds.push(face);
      for (const [face, person] of this.db.prepare(`SELECT face_id, person_id FROM confirmed_faces ORDER BY face_id`).raw().all() as [number, number][]) byPerson.get(person)?.confirmed.push(face);
      return [...byPerson.values()];
    });
  }

  /**
   * One page of the people with faces, largest first (ties: smaller id), without loading their faces: what
   * a people grid shows at library scale. Each has its face count, confirmed count and a representative
   * face: its confirmed face with the best detector score, else its best-scored face.
   */
  summaries(opts: { offset?: number; limit?: number } = {}): { total: number; people: PersonSummary[] } {
    const sql = `
      WITH c AS (${PERSON_COUNTS} GROUP BY pf.person_id)
      SELECT p.id, p.name, c.n, c.confirmed, c.face, count(*) OVER () FROM c JOIN people p ON p.id = c.id
      ORDER BY c.n DESC, p.id LIMIT ? OFFSET ?`;
    return this.call(() => {
      const rows = this.db.prepare(sql).raw().all(opts.limit ?? -1, opts.offset ?? 0) as [number, string | null, number, number, number, number][];
      // past the last page there are no rows to carry the total: count again (rare)
      const total = rows[0]?.[5] ?? (opts.offset ? this.summaries({ limit: 1 }).total : 0);
      return { total, people: rows.map(([id, name, faces, confirmed, face]) => ({ id, name, faces, confirmed, face })) };
    });
  }

  /** One person's name and counts as {@link summaries} gives them; undefined when there is no such person (a person of no face has faces 0 and face undefined). */
  summary(id: number): PersonSummary | undefined {
    return this.call(() => {
      const p = this.db.prepare(`SELECT id, name FROM people WHERE id = ?`).get(id) as { id: number; name: string | null } | undefined;
      if (!p) return undefined;
      const c = this.db.prepare(`SELECT n, confirmed, face FROM (${PERSON_COUNTS} WHERE pf.person_id = ?)`).raw().get(id) as [number, number, number | null];
      return { id: p.id, name: p.name, faces: c[0], confirmed: c[1], ...(c[2] === null ? {} : { face: c[2] }) };
    });
  }

  /** The person (id and name) of each of `faceIds` that has one. */
  ofFaces(faceIds: number[]): Map<number, { id: number; name: string | null }> {
    return this.call(() => {
      const read = this.db.prepare(`SELECT p.id, p.name FROM person_faces pf JOIN people p ON p.id = pf.person_id WHERE pf.face_id = ?`).raw();
      const out = new Map<number, { id: number; name: string | null }>();
      for (const f of faceIds) {
        const r = read.get(f) as [number, string | null] | undefined;
        if (r) out.set(f, { id: r[0], name: r[1] });
      }
      return out;
    });
  }

  /**
   * One page of a person's faces, confirmed first, then by face id: each with its photo (absolute path), index
   * in the photo, box and score. A person of 20,000 faces costs one page's rows, not 20,000.
   */
  facesOfPerson(id: number, opts: { offset?: number; limit?: number } = {}): PersonFace[] {
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
    return this.call(() => {
      // the page's ids from the indexes alone (confirmed ones first), then only those faces' rows: a page of a
      // person of 20,000 faces reads a page of rows, not 20,000
      const confirmed = this.confirmedOf(id);
      const ids = confirmed.slice(offset, offset + limit);
      if (ids.length < limit) {
        const rest = this.db.prepare(`
          SELECT pf.face_id FROM person_faces pf
          WHERE pf.person_id = ? AND NOT EXISTS (SELECT 1 FROM confirmed_faces cf WHERE cf.face_id = pf.face_id AND cf.person_id = pf.person_id)
          ORDER BY pf.face_id LIMIT ? OFFSET ?`).pluck().all(id, limit - ids.length, Math.max(0, offset - confirmed.length)) as number[];
        ids.push(...rest);
      }
      const read = this.db.prepare(`SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score FROM faces f JOIN images i ON i.id = f.image_id WHERE f.id = ?`).raw();
      const isConfirmed = new Set(confirmed);
      return ids.map((face) => {
        const r = read.get(face) as [number, string, number, number, number, number, number, number];
        return { faceId: r[0], file: r[1], face: r[2], box: [r[3], r[4], r[5], r[6]] as [number, number, number, number], score: r[7], confirmed: isConfirmed.has(face) };
      });
    });
  }

  /** One page of the faces of `model` that belong to nobody and are not marked "not a face" (the clustering's no_class), by face id; and how many there are. */
  unassigned(model: string, opts: { offset?: number; limit?: number } = {}): { total: number; faces: PersonFace[] } {
    const from = `FROM faces f JOIN images i ON i.id = f.image_id
      WHERE f.model = ? AND NOT EXISTS (SELECT 1 FROM person_faces pf WHERE pf.face_id = f.id) AND NOT EXISTS (SELECT 1 FROM not_faces n WHERE n.face_id = f.id)`;
    return this.call(() => {
      const total = this.db.prepare(`SELECT count(*) ${from}`).pluck().get(model) as number;
      const rows = this.db.prepare(`SELECT f.id, i.path, f.face_index, f.x, f.y, f.w, f.h, f.score ${from} ORDER BY f.id LIMIT ? OFFSET ?`).raw().all(model, opts.limit ?? -1, opts.offset ?? 0) as [number, string, number, number, number, number, number, number][];
      return { total, faces: rows.map((r) => ({ faceId: r[0], file: r[1], face: r[2], box: [r[3], r[4], r[5], r[6]], score: r[7], confirmed: false })) };
    });
  }

  /**
   * Makes `faceIds[i]` belong to person `personIds[i]` (a face listed with −1 belongs to nobody), creating the
   * people not yet in the store; faces not listed keep their person. One transaction: all or nothing. This is
   * adoption of a clustering, not a correction: the caller keeps confirmed faces with their people.
   */
  assign(faceIds: Int32Array, personIds: Int32Array): void {
    if (!(faceIds instanceof Int32Array) || !(personIds instanceof Int32Array) || faceIds.length !== personIds.length) {
      throw new TypeError(`Expected faceIds and personIds to be Int32Arrays of one length but received ${describe(faceIds)} and ${describe(personIds)}`);
    }
    this.call(this.db.transaction(() => {
      const now = new Date().toISOString();
      const person = this.db.prepare(`INSERT INTO people (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`);
      const assign = this.db.prepare(`INSERT INTO person_faces (face_id, person_id) VALUES (?, ?) ON CONFLICT (face_id) DO UPDATE SET person_id = excluded.person_id`);
      const unassign = this.db.prepare(`DELETE FROM person_faces WHERE face_id = ?`);
      for (let i = 0; i < faceIds.length; i++) {
        if (personIds[i]! < 0) unassign.run(faceIds[i]);
        else {
          person.run(personIds[i], now);
          assign.run(faceIds[i], personIds[i]);
        }
      }
      this.keepIdsUsed();
    }));
  }

  /** One more than the largest person id ever used here: ids of people merged away or removed are never handed out again. */
  nextPersonId(): number {
    return this.call(() => {
      const people = (this.db.prepare(`SELECT max(id) FROM people`).pluck().get() as number | null) ?? 0;
      const confirmed = (this.db.prepare(`SELECT max(person_id) FROM confirmed_faces`).pluck().get() as number | null) ?? 0;
      const floor = Number(this.db.prepare(`SELECT value FROM meta WHERE key = 'next_person_id'`).pluck().get() ?? 1);
      return Math.max(people + 1, confirmed + 1, floor);
    });
  }

  /** Raises the id counter past every person there is now (called before and after anything that adds or removes people). */
  private keepIdsUsed(): void {
    this.db
      .prepare(`INSERT INTO meta (key, value) VALUES ('next_person_id', ?) ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`)
      .run(String(this.maxPersonId() + 1));
  }

  /** The confirmed faces, cannot links and not-a-face marks that clustering honours. */
  constraints(): StoredConstraints {
    return this.call(() => {
      const confirmed = this.db.prepare(`SELECT face_id, person_id FROM confirmed_faces ORDER BY face_id`).raw().all() as [number, number][];
      const cannot = this.db.prepare(`SELECT face_a, face_b FROM cannot_links ORDER BY face_a, face_b`).raw().all() as [number, number][];
      const notFaces = this.db.prepare(`SELECT face_id FROM not_faces ORDER BY face_id`).pluck().all() as number[];
      return {
        confirmed: { faceIds: Int32Array.from(confirmed, (r) => r[0]), personIds: Int32Array.from(confirmed, (r) => r[1]) },
        cannotLink: Int32Array.from(cannot.flat()),
        notFaces: Int32Array.from(notFaces),
      };
    });
  }

  /** Every correction, oldest first (undone ones too, with `undoneAt`). */
  corrections(): Correction[] {
    const rows = this.call(() => this.db.prepare(`SELECT id, kind, args, summary, command, created_at, undone_at FROM corrections ORDER BY id`).all()) as {
      id: number; kind: CorrectionKind; args: string; summary: string; command: string | null; created_at: string; undone_at: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id, kind: r.kind, args: JSON.parse(r.args) as unknown, summary: r.summary, createdAt: r.created_at,
      ...(r.command === null ? {} : { command: r.command }), ...(r.undone_at === null ? {} : { undoneAt: r.undone_at }),
    }));
  }

  /**
   * Merges people into one (`into`, default the first listed): all their faces become `into`'s and are
   * confirmed to it, the others are removed, cannot links among the merged faces are dropped (the latest
   * correction wins). `into` keeps its name; unnamed, it takes the name of the only named one.
   */
  merge(personIds: number[], opts: { into?: number; command?: string } = {}): Correction {
    const ids = this.expectPeople('people', personIds);
    if (new Set(ids).size < 2) throw new RangeError(`Expected at least two different people to merge but received ${ids.join(", ")}`);
    const into = opts.into === undefined ? ids[0]! : this.expectPeople('into', [opts.into])[0]!;
    if (!ids.includes(into)) throw new RangeError(`Expected into to be one of the people merged (${ids.join(', ')}) but received ${into}`);
    return this.correct('merge', { people: ids, into }, opts.command, () => {
      const group = new Set<number>();
      for (const id of ids) for (const f of this.facesOf(id)) group.add(f);
      for (const f of group) {
        this.put('person_faces', [f], { face_id: f, person_id: into });
        this.put('confirmed_faces', [f], { face_id: f, person_id: into });
      }
      const dropped = this.dropCannotLinksWithin([...group]);
      const names = ids.map((id) => this.personRow(id)).filter((p) => p.name !== null);
      const intoRow = this.personRow(into);
      const distinctNames = new Set(names.map((p) => p.name));
      if (intoRow.name === null && distinctNames.size === 1) this.put('people', [into], { ...intoRow, name: names[0]!.name });
      for (const id of ids) if (id !== into) this.put('people', [id], null);
      const others = ids.filter((id) => id !== into);
      return `merged ${plural(others.length, 'person', 'people')} ${others.join(', ')} into ${into} (${plural(group.size, 'face')} confirmed)${dropped ? `, ${plural(dropped, 'earlier cannot link')} dropped` : ''}`;
    });
  }

  /**
   * Moves faces to a person (`'new'`: a new one): the faces are confirmed to it (with the person's face
   * nearest to them when it had no confirmed face yet, so they stay with its bulk) and get a cannot link to
   * each face left in the person they came from. Their earlier cannot links to the target's faces are
   * dropped (the latest correction wins), a not-a-face mark is cleared.
   */
  move(faceIds: number[], to: number | 'new', opts: { command?: string } = {}): Correction {
    const faces = this.expectFaces(faceIds);
    const target = to === 'new' ? this.nextPersonId() : this.expectPeople('to', [to])[0]!;
    return this.correct('move', { faces, to }, opts.command, () => {
      if (to === 'new') this.put('people', [target], { id: target, name: null, created_at: new Date().toISOString() });
      const moving = new Set(faces);
      const sources = new Map<number, number[]>();
      for (const f of faces) {
        const from = this.personOf(f);
        if (from !== undefined && from !== target) sources.set(from, [...(sources.get(from) ?? []), f]);
      }
      let links = 0;
      for (const [from, moved] of sources) {
        const left = this.facesOf(from).filter((f) => !moving.has(f));
        for (const f of moved) for (const g of left) links += this.link(f, g);
      }
      // the moved faces are confirmed there, with one anchor when the person has no confirmed face yet: its
      // face nearest to them, so they stay with the bulk of the person without vouching for all its faces
      const already = this.facesOf(target).filter((f) => !moving.has(f));
      const anchor = this.confirmedOf(target).length === 0 ? this.nearestOf(faces, already) : undefined;
      const confirm = anchor === undefined ? faces : [...faces, anchor];
      for (const f of faces) this.put('person_faces', [f], { face_id: f, person_id: target });
      for (const f of confirm) this.put('confirmed_faces', [f], { face_id: f, person_id: target });
      for (const f of faces) this.put('not_faces', [f], null);
      const dropped = this.dropCannotLinksWithin([...this.confirmedOf(target), ...already], faces);
      const from = [...sources.keys()];
      return `moved ${plural(faces.length, 'face')} to ${to === 'new' ? 'new ' : ''}person ${target}${from.length ? ` from ${from.join(', ')}` : ''} (${plural(links, 'cannot link')} added${dropped ? `, ${dropped} earlier ones dropped` : ''})`;
    });
  }

  /**
   * "Not this person": the faces leave person `from` (they belong to nobody until the next clustering) and get
   * a cannot link to each face it keeps; a confirmation to `from` is withdrawn.
   */
  reject(faceIds: number[], from: number, opts: { command?: string } = {}): Correction {
    const faces = this.expectFaces(faceIds);
    const person = this.expectPeople('from', [from])[0]!;
    const members = new Set(this.facesOf(person));
    const outside = faces.filter((f) => !members.has(f));
    if (outside.length) throw new RangeError(`Expected faces of person ${person} but received face${outside.length > 1 ? 's' : ''} ${outside.join(', ')}, not in it`);
    return this.correct('reject', { faces, from: person }, opts.command, () => {
      const rejected = new Set(faces);
      const kept = [...members].filter((f) => !rejected.has(f));
      let links = 0;
      for (const f of faces) {
        for (const g of kept) links += this.link(f, g);
        this.put('person_faces', [f], null);
        if (this.confirmedTo(f) === person) this.put('confirmed_faces', [f], null);
      }
      return `rejected ${plural(faces.length, 'face')} from person ${person} (${plural(links, 'cannot link')} added)`;
    });
  }

  /** Marks faces as not faces: they leave their people and every later clustering. */
  notFace(faceIds: number[], opts: { command?: string } = {}): Correction {
    const faces = this.expectFaces(faceIds);
    return this.correct('notface', { faces }, opts.command, (id) => {
      for (const f of faces) {
        this.put('not_faces', [f], { face_id: f, correction_id: id });
        this.put('person_faces', [f], null);
        this.put('confirmed_faces', [f], null);
      }
      return `marked ${plural(faces.length, 'face')} as not a face`;
    });
  }

  /** Names person `id` (null: unnamed). */
  name(id: number, name: string | null, opts: { command?: string } = {}): Correction {
    const person = this.expectPeople('id', [id])[0]!;
    if (name !== null && (typeof name !== 'string' || name.trim() === '')) throw new TypeError(`Expected a non-empty name (or null) for name but received ${describe(name)}`);
    const clean = name === null ? null : name.trim();
    return this.correct('name', { person, name: clean }, opts.command, () => {
      const row = this.personRow(person);
      this.put('people', [person], { ...row, name: clean });
      return clean === null ? `removed the name of person ${person}${row.name ? ` (${row.name})` : ''}` : `named person ${person} ${JSON.stringify(clean)}${row.name ? ` (was ${JSON.stringify(row.name)})` : ''}`;
    });
  }

  /** Removes a person that has no faces left (its photos were deleted or its faces moved). */
  remove(id: number, opts: { command?: string } = {}): Correction {
    const person = this.expectPeople('id', [id])[0]!;
    const faces = this.facesOf(person).length + this.confirmedOf(person).length;
    if (faces > 0) throw new RangeError(`Expected a person without faces for id but person ${person} still has ${faces}; move or reject them first, or merge the person into another`);
    return this.correct('remove', { person }, opts.command, () => {
      this.put('people', [person], null);
      return `removed person ${person}`;
    });
  }

  /**
   * Splits person `id` (what `faceclust recluster <person>` does with its clustering of the person's faces):
   * the faces of `parts[0]` stay, each further part becomes a new person, the faces in `nobody` (e.g.
   * DBSCAN's noise) belong to nobody; faces listed nowhere stay with the person. Nothing is confirmed or
   * linked: a split is the clustering's word, not the user's; the person's confirmed faces must stay with it.
   * Undo puts it back.
   */
  split(id: number, parts: number[][], opts: { nobody?: number[]; command?: string } = {}): Correction & { people: number[] } {
    const person = this.expectPeople('id', [id])[0]!;
    const members = new Set(this.facesOf(person));
    if (!Array.isArray(parts) || parts.length === 0) throw new TypeError(`Expected a non-empty array of face id arrays for parts but received ${describe(parts)}`);
    const nobody = opts.nobody ?? [];
    const seen = new Set<number>();
    for (const [name, list] of [...parts.map((part, k) => [`parts[${k}]`, part] as const), ['nobody', nobody] as const]) {
      if (!Array.isArray(list)) throw new TypeError(`Expected an array of face ids for ${name} but received ${describe(list)}`);
      for (const f of list) {
        if (!members.has(f)) throw new RangeError(`Expected faces of person ${person} in ${name} but received face ${f}, which is not in it`);
        if (seen.has(f)) throw new RangeError(`Expected each face in one part at most but received face ${f} twice`);
        seen.add(f);
      }
    }
    const leaving = new Set([...parts.slice(1).flat(), ...nobody]);
    const confirmed = this.confirmedOf(person).filter((f) => leaving.has(f));
    if (confirmed.length) throw new RangeError(`Expected the faces confirmed to person ${person} to stay with it but received face${confirmed.length > 1 ? 's' : ''} ${confirmed.join(', ')} in another part`);
    const people: number[] = [person];
    const correction = this.correct('split', { person, parts: parts.map((p) => p.length), nobody: nobody.length }, opts.command, () => {
      let next = this.nextPersonId();
      const now = new Date().toISOString();
      parts.slice(1).forEach((part) => {
        const target = next++;
        people.push(target);
        this.put('people', [target], { id: target, name: null, created_at: now });
        for (const f of part) this.put('person_faces', [f], { face_id: f, person_id: target });
      });
      for (const f of nobody) this.put('person_faces', [f], null);
      return `split person ${person} into ${people.join(', ')} (${parts.map((p) => p.length).join(' + ')} faces${nobody.length ? `, ${nobody.length} to nobody` : ''})`;
    });
    return { ...correction, people };
  }

  /**
   * "Different people": the answer no to "may be the same person?". Each of the two people gets an anchor, its
   * confirmed face with the lowest id or else its face with the best detector score, confirmed to it; the two
   * anchors get a cannot link. Two confirmed people are never clustered together, and a cannot link between
   * them keeps the pair out of the suggestions.
   */
  separate(a: number, b: number, opts: { command?: string } = {}): Correction {
    for (const [name, id] of [['a', a], ['b', b]] as const) {
      if (typeof id !== 'number' || !Number.isInteger(id)) throw new TypeError(`Expected an integer person id for ${name} but received ${describe(id)}`);
      this.expectPeople(name, [id]);
    }
    if (a === b) throw new RangeError(`Expected two different people for a and b but received person ${a} twice`);
    for (const [name, id] of [['a', a], ['b', b]] as const) {
      if (this.call(() => this.facesOf(id)).length === 0) throw new RangeError(`Expected a person with faces for ${name} but person ${id} has none`);
    }
    return this.correct('separate', { a, b }, opts.command, () => {
      const anchors = [this.anchorOf(a, 'a'), this.anchorOf(b, 'b')];
      const confirmed: number[] = [];
      anchors.forEach((f, k) => {
        const person = k === 0 ? a : b;
        if (this.confirmedTo(f) === person) return;
        this.put('confirmed_faces', [f], { face_id: f, person_id: person });
        confirmed.push(f);
      });
      // each anchor is cannot-linked to every face of the other person: no face of one can join a cluster
      // holding the other's anchor, however loose a later clustering is
      let links = 0;
      for (const f of this.facesOf(b)) links += this.link(anchors[0]!, f);
      for (const f of this.facesOf(a)) if (f !== anchors[0]) links += this.link(anchors[1]!, f);
      const faces = confirmed.length === 0 ? `faces ${anchors.join(' and ')} already confirmed` : `${confirmed.length === 1 ? 'face' : 'faces'} ${confirmed.join(' and ')} confirmed`;
      return `kept people ${a} and ${b} apart (${faces}, ${plural(links, 'cannot link')} added)`;
    });
  }

  /**
   * The face that stands for `person` in {@link separate}: its confirmed face with the lowest id, else its face
   * with the best detector score (ties: the lower id) that is confirmed to nobody else.
   */
  private anchorOf(person: number, name: string): number {
    const confirmed = this.confirmedOf(person)[0];
    if (confirmed !== undefined) return confirmed;
    const best = this.db.prepare(`
      SELECT pf.face_id FROM person_faces pf JOIN faces f ON f.id = pf.face_id
      WHERE pf.person_id = ? AND NOT EXISTS (SELECT 1 FROM confirmed_faces cf WHERE cf.face_id = pf.face_id)
      ORDER BY f.score DESC, pf.face_id LIMIT 1`).pluck().get(person) as number | undefined;
    if (best === undefined) throw new RangeError(`Expected a person with a face to confirm for ${name} but every face of person ${person} is confirmed to another person`);
    return best;
  }

  /** Undoes the latest correction not yet undone (rows put back as they were); undefined when there is none. */
  undo(): Correction | undefined {
    return this.call(this.db.transaction(() => {
      const id = this.db.prepare(`SELECT max(id) FROM corrections WHERE undone_at IS NULL`).pluck().get() as number | null;
      if (id === null) return undefined;
      const entries = this.db.prepare(`SELECT tbl, key, row, after FROM correction_undo WHERE correction_id = ? ORDER BY seq DESC`).all(id) as { tbl: Table; key: string; row: string | null; after: string | null }[];
      this.checkUndoable(id, entries);
      for (const e of entries) {
        this.write(e.tbl, JSON.parse(e.key) as number[], e.row === null ? null : (JSON.parse(e.row) as Row), true);
      }
      this.db.prepare(`UPDATE corrections SET undone_at = ? WHERE id = ?`).run(new Date().toISOString(), id);
      return this.corrections().find((c) => c.id === id);
    }).immediate);
  }

  /**
   * Refuses to undo correction `id` when a later call changed what it wrote (e.g. a run assigned new faces to
   * a person it made): putting its rows back would lose that work. Rows of faces forgotten since are fine.
   */
  private checkUndoable(id: number, entries: { tbl: Table; key: string; row: string | null; after: string | null }[]): void {
    const changed: string[] = [];
    const journalled = new Set(entries.filter((e) => e.tbl === 'person_faces').map((e) => (JSON.parse(e.key) as number[])[0]));
    for (const e of entries) {
      const key = JSON.parse(e.key) as number[];
      const now = this.read(e.tbl, key);
      const faceGone = e.tbl !== 'people' && this.db.prepare(`SELECT 1 FROM faces WHERE id = ?`).pluck().get(key[0]) === undefined;
      if (!faceGone && JSON.stringify(now ?? null) !== (e.after ?? 'null')) changed.push(`${e.tbl} ${key.join(', ')}`);
      // a person the correction made goes again: faces a later call gave it must not go with it
      if (e.tbl === 'people' && e.row === null) {
        const others = (this.db.prepare(`SELECT face_id FROM person_faces WHERE person_id = ?`).pluck().all(key[0]) as number[]).filter((f) => !journalled.has(f));
        if (others.length) changed.push(`person ${key[0]} has faces ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''} given to it since`);
      }
    }
    if (changed.length) {
      throw new RangeError(
        `Correction ${id} cannot be undone: a later call changed what it wrote (${changed.slice(0, 3).join('; ')}${changed.length > 3 ? '; …' : ''}). ` +
          'Correct the people as they are now instead (merge, move, reject).',
      );
    }
  }

  /** Runs one correction in an IMMEDIATE transaction, journalling what it changes; returns the correction. */
  private correct(kind: CorrectionKind, args: unknown, command: string | undefined, apply: (id: number) => string): Correction {
    return this.call(this.db.transaction(() => {
      const now = new Date().toISOString();
      const id = this.db.prepare(`INSERT INTO corrections (kind, args, summary, command, created_at) VALUES (?, ?, '', ?, ?) RETURNING id`).pluck().get(kind, JSON.stringify(args), command ?? null, now) as number;
      this.open = { id, seq: 0, seen: new Set() };
      try {
        // ids of people a correction removes or makes are never handed out again, even after an undo
        this.keepIdsUsed();
        const summary = apply(id);
        this.db.prepare(`UPDATE corrections SET summary = ? WHERE id = ?`).run(summary, id);
        this.keepIdsUsed();
        // each journalled row as the correction left it, for undo to see whether a later call changed it
        const record = this.db.prepare(`UPDATE correction_undo SET after = ? WHERE correction_id = ? AND seq = ?`);
        for (const e of this.db.prepare(`SELECT seq, tbl, key FROM correction_undo WHERE correction_id = ?`).all(id) as { seq: number; tbl: Table; key: string }[]) {
          const now = this.read(e.tbl, JSON.parse(e.key) as number[]);
          record.run(now ? JSON.stringify(now) : null, id, e.seq);
        }
        return { id, kind, args, summary, createdAt: now, ...(command === undefined ? {} : { command }) };
      } finally {
        this.open = undefined;
      }
    }).immediate);
  }

  /** Sets (row) or deletes (null) one row, journalling its earlier state once per correction. */
  private put(tbl: Table, key: number[], row: Row | null): void {
    const open = this.open!;
    const tag = `${tbl}:${key.join(',')}`;
    if (!open.seen.has(tag)) {
      open.seen.add(tag);
      const before = this.read(tbl, key);
      this.db.prepare(`INSERT INTO correction_undo (correction_id, seq, tbl, key, row) VALUES (?, ?, ?, ?, ?)`).run(open.id, open.seq++, tbl, JSON.stringify(key), before ? JSON.stringify(before) : null);
    }
    this.write(tbl, key, row, false);
  }

  private read(tbl: Table, key: number[]): Row | undefined {
    const { key: cols, columns } = TABLES[tbl];
    return this.db.prepare(`SELECT ${columns.join(', ')} FROM ${tbl} WHERE ${cols.map((c) => `${c} = ?`).join(' AND ')}`).get(...key) as Row | undefined;
  }

  /**
   * Deletes the row at `key` (null) or upserts `row` (never delete-then-insert: deleting a person would take its
   * faces with it, by cascade); on undo, a row whose face is gone (pruned) is skipped.
   */
  private write(tbl: Table, key: number[], row: Row | null, undoing: boolean): void {
    const { key: cols, columns } = TABLES[tbl];
    if (row === null) {
      this.db.prepare(`DELETE FROM ${tbl} WHERE ${cols.map((c) => `${c} = ?`).join(' AND ')}`).run(...key);
      return;
    }
    const rest = columns.filter((c) => !(cols as readonly string[]).includes(c));
    try {
      this.db
        .prepare(`INSERT INTO ${tbl} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${cols.join(', ')}) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`)
        .run(...columns.map((c) => row[c] ?? null));
    } catch (err) {
      if (!(undoing && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw err;
    }
  }

  /** Adds the cannot link f–g (as a < b) unless there is one; returns 1 when added. */
  private link(f: number, g: number): number {
    const [a, b] = f < g ? [f, g] : [g, f];
    if (a === b || this.read('cannot_links', [a, b])) return 0;
    this.put('cannot_links', [a, b], { face_a: a, face_b: b, correction_id: this.open!.id });
    return 1;
  }

  /**
   * Drops every cannot link between two faces of `faces` with one of them in `touching` (a confirmation
   * replaces them); returns how many.
   */
  private dropCannotLinksWithin(faces: number[], touching: number[] = faces): number {
    const inGroup = new Set([...faces, ...touching]);
    let dropped = 0;
    const query = this.db.prepare(`SELECT face_a, face_b FROM cannot_links WHERE face_a = ? OR face_b = ?`).raw();
    for (const f of touching) {
      for (const [a, b] of query.all(f, f) as [number, number][]) {
        if (inGroup.has(a) && inGroup.has(b) && this.read('cannot_links', [a, b])) {
          this.put('cannot_links', [a, b], null);
          dropped++;
        }
      }
    }
    return dropped;
  }

  /** Of `candidates`, the face whose embedding is nearest (euclidean) to any of `faces`; undefined when there is none. */
  private nearestOf(faces: number[], candidates: number[]): number | undefined {
    if (candidates.length === 0) return undefined;
    const read = this.db.prepare(`SELECT embedding FROM faces WHERE id = ?`).pluck();
    const vector = (id: number) => {
      const b = read.get(id) as Buffer;
      return new Float32Array(new Uint8Array(b).buffer); // copied: blobs need not be 4-byte aligned
    };
    const from = faces.map(vector);
    let best: number | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
      const v = vector(c);
      for (const f of from) {
        let d = 0;
        for (let k = 0; k < Math.min(v.length, f.length); k++) d += (v[k]! - f[k]!) ** 2;
        if (d < bestDistance) [best, bestDistance] = [c, d];
      }
    }
    return best;
  }

  private facesOf(person: number): number[] {
    return this.db.prepare(`SELECT face_id FROM person_faces WHERE person_id = ? ORDER BY face_id`).pluck().all(person) as number[];
  }

  private confirmedOf(person: number): number[] {
    return this.db.prepare(`SELECT face_id FROM confirmed_faces WHERE person_id = ? ORDER BY face_id`).pluck().all(person) as number[];
  }

  private personOf(face: number): number | undefined {
    return (this.db.prepare(`SELECT person_id FROM person_faces WHERE face_id = ?`).pluck().get(face) as number | undefined) ?? undefined;
  }

  private confirmedTo(face: number): number | undefined {
    return (this.db.prepare(`SELECT person_id FROM confirmed_faces WHERE face_id = ?`).pluck().get(face) as number | undefined) ?? undefined;
  }

  private personRow(id: number): Row & { name: string | null } {
    return this.read('people', [id]) as Row & { name: string | null };
  }

  private maxPersonId(): number {
    return (this.db.prepare(`SELECT max(id) FROM people`).pluck().get() as number | null) ?? 0;
  }

  /** Validates person ids that must exist here; returns them. */
  private expectPeople(name: string, ids: unknown): number[] {
    if (!Array.isArray(ids) || ids.length === 0) throw new TypeError(`Expected a non-empty array of person ids for ${name} but received ${describe(ids)}`);
    const exists = this.db.prepare(`SELECT 1 FROM people WHERE id = ?`).pluck();
    for (const id of ids) {
      if (typeof id !== 'number' || !Number.isInteger(id)) throw new TypeError(`Expected integer person ids for ${name} but received ${describe(id)}`);
      if (this.call(() => exists.get(id)) === undefined) throw new RangeError(`No person ${id} in ${this.path} (faceclust people lists them)`);
    }
    return ids as number[];
  }

  /** Validates face ids that must exist here; returns them without repeats, in the order given. */
  private expectFaces(ids: unknown): number[] {
    if (!Array.isArray(ids) || ids.length === 0) throw new TypeError(`Expected a non-empty array of face ids for faces but received ${describe(ids)}`);
    const exists = this.db.prepare(`SELECT 1 FROM faces WHERE id = ?`).pluck();
    for (const id of ids) {
      if (typeof id !== 'number' || !Number.isInteger(id)) throw new TypeError(`Expected integer face ids for faces but received ${describe(id)}`);
      if (this.call(() => exists.get(id)) === undefined) throw new RangeError(`No face ${id} in ${this.path}`);
    }
    return [...new Set(ids as number[])];
  }

  private call<T>(fn: () => T): T {
    return storeCall(this.path, fn);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
