import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { FaceStore } from './store.js';

const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-people-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A store with `photos` photos of `perPhoto` faces each (face ids 1…), as embedding runs would leave it; `scores[p]`: the detector score of photo p's faces (default 0.9). */
function storeWith(name: string, photos: number, perPhoto: number, scores: number[] = []): FaceStore {
  const store = FaceStore.open(path.join(dir, `${name}.sqlite`));
  store.registerModel('m@sha256:0000000000000000', 'm.onnx', 2, { mean: 0, std: 1 });
  for (let p = 0; p < photos; p++) {
    store.writeImage({
      path: path.join(dir, `p${p}.jpg`), model: 'm@sha256:0000000000000000', size: 1, mtimeMs: 0,
      faces: Array.from({ length: perPhoto }, () => ({
        box: [0, 0, 10, 10], score: scores[p] ?? 0.9, landmarks: [], quality: { sharpness: 1, size: 10 }, crop: new Uint8Array(1), embedding: new Float32Array(2),
      })),
    });
  }
  return store;
}

/** Each person's faces, as a plain object for comparisons. */
function snapshot(store: FaceStore) {
  return { people: store.people.list(), constraints: store.people.constraints() };
}

describe('PeopleStore corrections', () => {
  let store: FaceStore;
  beforeEach(() => {
    store?.close();
    store = storeWith(`s${Math.random().toString(36).slice(2)}`, 6, 1);
    // people 1: faces 1, 2, 3; 2: faces 4, 5; 3: face 6
    store.people.assign(Int32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 1, 1, 2, 2, 3]));
  });

  it('merge confirms every face to the person merged into and removes the others; undo puts all back', () => {
    store.people.name(2, 'Ana');
    const before = snapshot(store);
    const c = store.people.merge([1, 2, 3]);
    expect(c.summary).toBe('merged 2 people 2, 3 into 1 (6 faces confirmed)');
    expect(store.people.list()).toEqual([{ id: 1, name: 'Ana', faceIds: [1, 2, 3, 4, 5, 6], confirmed: [1, 2, 3, 4, 5, 6] }]);
    expect(store.people.undo()?.id).toBe(c.id);
    expect(snapshot(store)).toEqual(before);
    expect(store.people.corrections().map((x) => [x.kind, x.undoneAt !== undefined])).toEqual([['name', false], ['merge', true]]);
  });

  it('move adds cannot links to the faces left behind and confirms the target; reject removes and links', () => {
    store.people.move([3], 2);
    // face 3 is confirmed to person 2 with one anchor, the face of 2 nearest to it (all embeddings here are equal: the first)
    expect(store.people.list().map((p) => [p.id, p.faceIds, p.confirmed])).toEqual([[1, [1, 2], []], [2, [3, 4, 5], [3, 4]], [3, [6], []]]);
    expect([...store.people.constraints().cannotLink]).toEqual([1, 3, 2, 3]);
    store.people.reject([5], 2);
    expect(store.people.list()[1]).toEqual({ id: 2, name: null, faceIds: [3, 4], confirmed: [3, 4] });
    expect([...store.people.constraints().cannotLink]).toEqual([1, 3, 2, 3, 3, 5, 4, 5]);
    // the latest correction wins: moving face 5 back to person 2 drops its cannot links to 3 and 4
    const back = store.people.move([5], 2);
    expect(back.summary).toContain('2 earlier ones dropped');
    expect([...store.people.constraints().cannotLink]).toEqual([1, 3, 2, 3]);
  });

  it('move to a new person takes an id never used, even after undo', () => {
    const c = store.people.move([6, 5], 'new');
    expect(c.summary).toBe('moved 2 faces to new person 4 from 3, 2 (1 cannot link added)');
    store.people.undo();
    expect(store.people.list().map((p) => p.id)).toEqual([1, 2, 3]);
    expect(store.people.nextPersonId()).toBe(5);
  });

  it('notface leaves people and is listed in the constraints; remove needs an empty person', () => {
    store.people.notFace([6]);
    expect([...store.people.constraints().notFaces]).toEqual([6]);
    expect(store.people.list()[2]).toEqual({ id: 3, name: null, faceIds: [], confirmed: [] });
    expect(() => store.people.remove(1)).toThrow('Expected a person without faces for id but person 1 still has 3; move or reject them first');
    store.people.remove(3);
    expect(store.people.list().map((p) => p.id)).toEqual([1, 2]);
  });

  it('refuses bad input with messages naming it, and changes nothing', () => {
    const before = snapshot(store);
    expect(() => store.people.merge([1])).toThrow('Expected at least two different people to merge but received 1');
    expect(() => store.people.merge([1, 9])).toThrow(/No person 9 in .*\(faceclust people lists them\)/);
    expect(() => store.people.merge([1, 2], { into: 3 })).toThrow('Expected into to be one of the people merged (1, 2) but received 3');
    expect(() => store.people.reject([4], 1)).toThrow('Expected faces of person 1 but received face 4, not in it');
    expect(() => store.people.move([99], 1)).toThrow(/No face 99 in /);
    expect(() => store.people.name(1, '  ')).toThrow('Expected a non-empty name (or null) for name');
    expect(snapshot(store)).toEqual(before);
    expect(store.people.corrections()).toEqual([]);
    expect(store.people.undo()).toBeUndefined();
  });

  it('undo steps back one correction at a time, and skips rows of faces forgotten since', () => {
    const start = snapshot(store);
    store.people.move([1], 3);
    const afterMove = snapshot(store);
    store.people.merge([2, 3]);
    store.people.undo();
    expect(snapshot(store)).toEqual(afterMove);
    store.forgetImages([path.join(dir, 'p0.jpg')]); // face 1 is gone
    store.people.undo();
    const expected = start.people.map((p) => ({ ...p, faceIds: p.faceIds.filter((f) => f !== 1) }));
    expect(store.people.list()).toEqual(expected);
  });

  it('findFace finds a face by photo and index', () => {
    expect(store.findFace(path.join(dir, 'p2.jpg'), 0)).toBe(3);
    expect(store.findFace(path.join(dir, 'p2.jpg'), 1)).toBeUndefined();
  });
});

describe('PeopleStore.split', () => {
  it('keeps the first part, makes new people of the others, sends `nobody` to nobody, leaves unlisted faces; undo puts it back', () => {
    const store = storeWith('split', 6, 1);
    store.people.assign(Int32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 1, 1, 1, 1, 1]));
    store.people.name(1, 'Ana');
    const before = snapshot(store);
    const c = store.people.split(1, [[1, 2], [3, 4]], { nobody: [5] });
    expect(c.people).toEqual([1, 2]);
    expect(c.summary).toBe('split person 1 into 1, 2 (2 + 2 faces, 1 to nobody)');
    expect(store.people.list().map((p) => [p.id, p.faceIds])).toEqual([[1, [1, 2, 6]], [2, [3, 4]]]);
    expect(() => store.people.split(1, [[3]])).toThrow('Expected faces of person 1 in parts[0] but received face 3, which is not in it');
    store.people.undo();
    expect(snapshot(store)).toEqual(before);
    store.people.move([2], 1); // confirms face 2 (and an anchor, face 1) to person 1
    expect(() => store.people.split(1, [[1], [2]])).toThrow('Expected the faces confirmed to person 1 to stay with it but received face 2 in another part');
    store.close();
  });
});

describe('PeopleStore.separate', () => {
  let store: FaceStore;
  beforeEach(() => {
    store?.close();
    // people 1: faces 1, 2, 3; 2: faces 4, 5; 3: face 6; the best-scored faces are 2 (of 1) and 4 (of 2)
    store = storeWith(`sep${Math.random().toString(36).slice(2)}`, 6, 1, [0.8, 0.95, 0.9, 0.99, 0.85, 0.9]);
    store.people.assign(Int32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 1, 1, 2, 2, 3]));
  });

  it('confirms each person\'s best-scored face and links it to every face of the other; undo puts every row back', () => {
    const before = snapshot(store);
    const c = store.people.separate(1, 2, { command: 'faceclust separate 1 2' });
    expect(c).toMatchObject({ kind: 'separate', args: { a: 1, b: 2 }, command: 'faceclust separate 1 2', summary: 'kept people 1 and 2 apart (faces 2 and 4 confirmed, 4 cannot links added)' });
    expect(store.people.list().map((p) => [p.id, p.faceIds, p.confirmed])).toEqual([[1, [1, 2, 3], [2]], [2, [4, 5], [4]], [3, [6], []]]);
    const pairs = (flat: Int32Array) => Array.from({ length: flat.length / 2 }, (_, i) => `${flat[2 * i]}-${flat[2 * i + 1]}`).sort();
    // anchor 2 (of person 1) against faces 4, 5 (person 2); anchor 4 against faces 1, 3
    expect(pairs(store.people.constraints().cannotLink)).toEqual(['1-4', '2-4', '2-5', '3-4']);
    expect(store.people.corrections().map((x) => x.kind)).toEqual(['separate']);
    expect(store.people.undo()?.id).toBe(c.id);
    expect(snapshot(store)).toEqual(before);
  });

  it('anchors a person on its confirmed face with the lowest id, and never takes a face confirmed to someone else', () => {
    store.people.move([3], 1); // confirms face 3 and an anchor, face 1, to person 1
    store.people.move([4], 3); // face 4 (the best of person 2) confirmed to person 3 …
    store.people.assign(Int32Array.from([4]), Int32Array.from([2])); // … though an adoption gave it back to 2
    const before = snapshot(store);
    const c = store.people.separate(2, 1);
    expect(c.summary).toBe('kept people 2 and 1 apart (face 5 confirmed, 4 cannot links added)');
    expect(store.people.list().find((p) => p.id === 2)!.confirmed).toEqual([5]);
    expect([...store.people.constraints().cannotLink]).toContain(1);
    expect(store.people.separate(1, 2).summary).toBe('kept people 1 and 2 apart (faces 1 and 5 already confirmed, 0 cannot links added)');
    store.people.undo();
    store.people.undo();
    expect(snapshot(store)).toEqual(before);
  });

  it('BAD CALL – refuses one person twice, unknown people, non-integers and a person without faces, naming a or b; changes nothing', () => {
    store.people.notFace([6]); // person 3 has no face left
    const before = snapshot(store);
    expect(() => store.people.separate(1, 1)).toThrow(new RangeError('Expected two different people for a and b but received person 1 twice'));
    expect(() => store.people.separate(9, 1)).toThrow(/No person 9 in .*\(faceclust people lists them\)/);
    expect(() => store.people.separate('1' as unknown as number, 2)).toThrow(new TypeError('Expected an integer person id for a but received "1" of type string'));
    expect(() => store.people.separate(1, 2.5)).toThrow(new TypeError('Expected an integer person id for b but received 2.5 of type number'));
    expect(() => store.people.separate(1, 3)).toThrow(new RangeError('Expected a person with faces for b but person 3 has none'));
    expect(snapshot(store)).toEqual(before);
    expect(store.people.corrections().map((x) => x.kind)).toEqual(['notface']);
  });
});

describe('PeopleStore ids and undo after later calls', () => {
  it('never hands out an id again: not after a merge or remove of the highest id, nor after an adoption', () => {
    const store = storeWith('ids', 4, 1);
    store.people.assign(Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 2, 3, 3]));
    store.people.merge([1, 3]); // removes 3, the highest id
    expect(store.people.nextPersonId()).toBe(4);
    store.people.assign(Int32Array.from([4]), Int32Array.from([7]));
    store.people.assign(Int32Array.from([4]), Int32Array.from([1]));
    expect(store.people.nextPersonId()).toBe(8);
    store.close();
  });

  it('undo refuses when a later call changed what the correction wrote, and changes nothing', () => {
    const store = storeWith('later', 4, 1);
    store.people.assign(Int32Array.from([1, 2, 3]), Int32Array.from([1, 1, 2]));
    const c = store.people.move([3], 'new'); // person 3
    // a later run gives a new face to the new person
    store.people.assign(Int32Array.from([4]), Int32Array.from([3]));
    const before = snapshot(store);
    expect(() => store.people.undo()).toThrow(`Correction ${c.id} cannot be undone: a later call changed what it wrote (person 3 has faces 4 given to it since)`);
    expect(snapshot(store)).toEqual(before);
    // a later adoption that moved a face the correction wrote
    store.people.assign(Int32Array.from([4]), Int32Array.from([-1]));
    store.people.assign(Int32Array.from([3]), Int32Array.from([1]));
    expect(() => store.people.undo()).toThrow(/cannot be undone: a later call changed what it wrote \(person_faces 3\)/);
    store.close();
  });
});

describe('what the review page reads', () => {
  let store: FaceStore;
  const model = 'm@sha256:0000000000000000';
  beforeEach(() => {
    store?.close();
    // people 1: faces 1, 2, 3; 2: faces 4, 5; 3: face 6; the best-scored faces are 2 (of 1) and 4 (of 2)
    store = storeWith(`read${Math.random().toString(36).slice(2)}`, 6, 1, [0.8, 0.95, 0.9, 0.99, 0.85, 0.9]);
    store.people.assign(Int32Array.from([1, 2, 3, 4, 5, 6]), Int32Array.from([1, 1, 1, 2, 2, 3]));
  });

  it('summaries: largest first, counts, the best-scored face, pages with their total', () => {
    expect(store.people.summaries()).toEqual({
      total: 3,
      people: [
        { id: 1, name: null, faces: 3, confirmed: 0, face: 2 },
        { id: 2, name: null, faces: 2, confirmed: 0, face: 4 },
        { id: 3, name: null, faces: 1, confirmed: 0, face: 6 },
      ],
    });
    expect(store.people.summaries({ offset: 1, limit: 1 })).toEqual({ total: 3, people: [{ id: 2, name: null, faces: 2, confirmed: 0, face: 4 }] });
    expect(store.people.summaries({ offset: 7, limit: 5 })).toEqual({ total: 3, people: [] });
    store.people.name(3, 'Ana');
    expect(store.people.summary(3)).toEqual({ id: 3, name: 'Ana', faces: 1, confirmed: 0, face: 6 });
    expect(store.people.summary(99)).toBeUndefined();
  });

  it('a confirmed face is the representative, before better-scored unconfirmed ones; an emptied person has no face', () => {
    store.people.move([1], 1); // face 1 (score 0.8) confirmed to its own person, with one anchor
    const s = store.people.summary(1)!;
    const confirmed = store.people.list().find((p) => p.id === 1)!.confirmed;
    expect(s.confirmed).toBe(confirmed.length);
    expect(confirmed).toContain(s.face);
    expect(store.people.summaries().people[0]).toEqual(s);
    store.people.notFace([6]);
    expect(store.people.summary(3)).toEqual({ id: 3, name: null, faces: 0, confirmed: 0 });
    expect(store.people.summaries().people.map((p) => p.id)).toEqual([1, 2]); // the grid lists people with faces
  });

  it('facesOfPerson: confirmed first, then by id, a page at a time, each with its photo, box and score', () => {
    store.people.move([3], 1);
    const anchor = store.people.list().find((p) => p.id === 1)!.confirmed.find((f) => f !== 3)!;
    const faces = store.people.facesOfPerson(1);
    expect(faces.map((f) => [f.faceId, f.confirmed])).toEqual([...[3, anchor].sort().map((f) => [f, true]), ...[1, 2].filter((f) => f !== anchor).map((f) => [f, false])]);
    expect(faces[0]).toMatchObject({ file: path.join(dir, `p${faces[0]!.faceId - 1}.jpg`), face: 0, box: [0, 0, 10, 10] });
    expect(store.people.facesOfPerson(1, { offset: 1, limit: 1 })).toEqual([faces[1]]);
    expect(store.people.facesOfPerson(99)).toEqual([]);
  });

  it('unassigned: faces of nobody, not those marked not a face', () => {
    store.people.assign(Int32Array.from([4, 5]), Int32Array.from([-1, -1]));
    store.people.notFace([5]);
    const u = store.people.unassigned(model);
    expect(u.total).toBe(1);
    expect(u.faces.map((f) => [f.faceId, f.confirmed])).toEqual([[4, false]]);
    expect(store.people.unassigned(model, { offset: 1 }).faces).toEqual([]);
  });

  it('people.ofFaces, imageSize, and hasImagesIn (a folder holding photos directly, not a parent or a name that merely starts alike)', () => {
    expect(store.people.ofFaces([1, 4, 99])).toEqual(new Map([[1, { id: 1, name: null }], [4, { id: 2, name: null }]]));
    expect(store.imageSize(path.join(dir, 'p0.jpg'), model)).toBeUndefined(); // written without a size
    expect(store.hasImagesIn(dir)).toBe(true);
    expect(store.hasImagesIn(`${dir}${path.sep}`)).toBe(true);
    expect(store.hasImagesIn(path.dirname(dir))).toBe(false);
    expect(store.hasImagesIn(`${dir}x`)).toBe(false);
    expect(store.hasImagesIn(path.join(dir, 'p0.jpg'))).toBe(false);
  });

  it('dataVersion changes when another connection commits, not on reads', () => {
    const other = FaceStore.open(store.path);
    try {
      const v = store.dataVersion();
      store.people.summaries();
      expect(store.dataVersion()).toBe(v);
      other.people.name(1, 'Ana');
      expect(store.dataVersion()).not.toBe(v);
    } finally {
      other.close();
    }
  });
});
