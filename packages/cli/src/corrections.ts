/**
 * The user's corrections to the people of an output folder: merge, move, reject, notface, name, remove,
 * separate and undo. Each is stored at once, in one transaction under the folder's write lock, and logged;
 * the store keeps them as the constraints every later clustering honours (@faceclust/embed people-store.ts).
 */
import path from 'node:path';
import { type Correction, type FaceStore } from '@faceclust/embed';
import { acquireWriteLock } from './lock.js';
import { UsageError } from './options.js';
import { openStore } from './people.js';
import { appendLog } from './reports/log.js';

/** A face as the xlsx and `--json` show it: its face id, or its photo and face index (0-based). */
export type FaceRef = number | { file: string; face: number };

/**
 * Reads a face argument: `123` (a face id) or `<photo>#<index>` (`IMG_1.jpg#0`, the file as the xlsx shows
 * it, relative to the current folder or absolute).
 */
export function parseFaceRef(raw: string): FaceRef {
  const id = /^\d+$/.test(raw) ? Number(raw) : undefined;
  if (id !== undefined && Number.isSafeInteger(id) && id >= 1) return id;
  const hash = raw.lastIndexOf('#');
  const index = hash > 0 ? raw.slice(hash + 1) : '';
  if (/^\d+$/.test(index)) return { file: raw.slice(0, hash), face: Number(index) };
  throw new UsageError(`Invalid value for <face>: expected a face id (e.g. 123) or a photo and face index (e.g. IMG_1.jpg#0), as the xlsx and --json show them, but received "${raw}"`);
}

/** Face ids of `refs` in the store; a face that is not there is an error naming it. */
export function resolveFaces(store: FaceStore, refs: readonly FaceRef[]): number[] {
  if (!Array.isArray(refs) || refs.length === 0) throw new TypeError(`Expected a non-empty array of faces (face ids, or { file, face }) but received ${JSON.stringify(refs)}`);
  return refs.map((ref) => {
    if (typeof ref === 'number') {
      if (!Number.isSafeInteger(ref) || ref < 1) throw new RangeError(`Expected face ids to be integers >= 1 but received ${ref}`);
      return ref;
    }
    if (typeof ref !== 'object' || ref === null || typeof ref.file !== 'string' || !Number.isInteger(ref.face)) {
      throw new TypeError(`Expected faces to be face ids or { file, face } but received ${JSON.stringify(ref)}`);
    }
    const id = store.findFace(path.resolve(ref.file), ref.face);
    if (id === undefined) throw new RangeError(`No face ${ref.face} of ${path.resolve(ref.file)} in ${store.path} (faces are numbered from 0, as the xlsx shows)`);
    return id;
  });
}

/**
 * Opens the folder's store under its write lock, makes one correction (or undo) and logs it. The store's
 * RangeErrors and TypeErrors (no such person or face, a bad argument) pass as they are.
 */
function correct(out: string, command: string, make: (store: FaceStore) => Correction | undefined, title: (c: Correction) => string): Correction | undefined {
  const { dir, store } = openStore(out);
  const release = acquireWriteLock(dir, command);
  try {
    const correction = make(store);
    if (correction) appendLog(dir, title(correction), new Date(), [['command', command], ['did', correction.summary]]);
    return correction;
  } finally {
    store.close();
    release();
  }
}

const logTitle = (c: Correction) => `correction ${c.id}: ${c.kind}`;

/** Merges people into one (`into`, default the first listed): all their faces are confirmed to it. */
export function merge(out: string, people: number[], opts: { into?: number; command?: string } = {}): Correction {
  const command = opts.command ?? 'merge()';
  return correct(out, command, (s) => s.people.merge(people, { into: opts.into, command }), logTitle)!;
}

/** Moves faces to person `to` (or a new one): confirmed there, and never again with the faces they left. */
export function move(out: string, faces: FaceRef[], to: number | 'new', opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'move()';
  return correct(out, command, (s) => s.people.move(resolveFaces(s, faces), to, { command }), logTitle)!;
}

/** "Not this person": the faces leave person `from` and are never again clustered with its faces. */
export function reject(out: string, faces: FaceRef[], from: number, opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'reject()';
  return correct(out, command, (s) => s.people.reject(resolveFaces(s, faces), from, { command }), logTitle)!;
}

/** Marks faces as not faces: out of their people and of every later clustering. */
export function notFace(out: string, faces: FaceRef[], opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'notFace()';
  return correct(out, command, (s) => s.people.notFace(resolveFaces(s, faces), { command }), logTitle)!;
}

/** Names person `id` (null: removes the name). */
export function namePerson(out: string, id: number, name: string | null, opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'namePerson()';
  return correct(out, command, (s) => s.people.name(id, name, { command }), logTitle)!;
}

/** Removes a person with no faces left. */
export function removePerson(out: string, id: number, opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'removePerson()';
  return correct(out, command, (s) => s.people.remove(id, { command }), logTitle)!;
}

/** "Different people": people `a` and `b` are never clustered together nor suggested as one again. */
export function separate(out: string, a: number, b: number, opts: { command?: string } = {}): Correction {
  const command = opts.command ?? 'separate()';
  return correct(out, command, (s) => s.people.separate(a, b, { command }), logTitle)!;
}

/** Undoes the latest correction not undone yet; undefined when there is none. */
export function undo(out: string, opts: { command?: string } = {}): Correction | undefined {
  return correct(out, opts.command ?? 'undo()', (s) => s.people.undo(), (c) => `undo of correction ${c.id}: ${c.kind}`);
}

/** Every correction of the folder, oldest first (undone ones marked). */
export function listCorrections(out: string): Correction[] {
  const { store } = openStore(out);
  try {
    return store.people.corrections();
  } finally {
    store.close();
  }
}
