// Photos moved, renamed or copied on disk are recognised by content (same size, then same sha1): their rows
// follow them or are copied, nothing is embedded twice, and no face shows up twice.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbedEvent, embedImages } from './embed-images.js';
import { findImages } from './find-images.js';
import { FaceStore } from './store.js';
import { hasDist, hasPhotosSmall, photosSmall, photosSmallDir } from './test-data.js';

async function embedFolder(dir: string, storePath: string): Promise<Map<string, EmbedEvent>> {
  const { files } = await findImages([dir]);
  const out = new Map<string, EmbedEvent>();
  for await (const ev of embedImages(files, { storePath, threads: 2 })) out.set(path.relative(dir, ev.path), ev);
  return out;
}

/** Face ids, embeddings (as bytes, to compare exactly) and crops of the store, by file. */
function facesByFile(storePath: string): Map<string, { id: number; embedding: Buffer; crop: Buffer }[]> {
  const store = FaceStore.open(storePath);
  const set = store.loadFaces('default');
  const out = new Map<string, { id: number; embedding: Buffer; crop: Buffer }[]>();
  set.faces.forEach((f, i) => {
    const embedding = Buffer.from(set.vectors.buffer, i * set.dim * 4, set.dim * 4);
    out.set(f.file, [...(out.get(f.file) ?? []), { id: f.id, embedding, crop: store.getCrop(f.id) }]);
  });
  store.close();
  return out;
}

describe.skipIf(!hasPhotosSmall || !hasDist)('moved, renamed and copied photos are recognised by content', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'faceclust-moved-'));
  const storePath = path.join(root, 'out/faces.sqlite');
  const before = path.join(root, 'photos');
  const after = path.join(root, 'moved');
  let first: Map<string, EmbedEvent>;
  let faces: Map<string, { id: number; embedding: Buffer; crop: Buffer }[]>;

  beforeAll(async () => {
    for (const rel of photosSmall()) {
      mkdirSync(path.join(before, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(before, rel), readFileSync(path.join(photosSmallDir, rel))); // writable copies
    }
    writeFileSync(path.join(before, 'notes.jpg'), 'A text file with a photo extension: recorded as an error.\n');
    first = await embedFolder(before, storePath);
    faces = facesByFile(storePath);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a moved folder: nothing is embedded again, every photo is cached with reused moved, face ids are kept', async () => {
    expect([...first.values()].filter((e) => e.status === 'done')).toHaveLength(9);
    expect(first.get('notes.jpg')).toMatchObject({ status: 'skipped' });
    renameSync(before, after);
    const events = await embedFolder(after, storePath);
    expect(events.size).toBe(10);
    for (const [rel, ev] of events) {
      const was = first.get(rel)!;
      expect(ev).toMatchObject({ status: was.status === 'done' ? 'cached' : 'skipped', faces: was.faces, reused: { from: path.join(before, rel), how: 'moved' } });
    }
    expect(events.get('notes.jpg')!.error).toBe(first.get('notes.jpg')!.error); // an error row moves too, and stays an error

    const now = facesByFile(storePath);
    expect([...now.keys()].sort()).toEqual([...faces.keys()].map((f) => path.join(after, path.relative(before, f))).sort());
    for (const [file, list] of faces) expect(now.get(path.join(after, path.relative(before, file)))!.map((f) => f.id)).toEqual(list.map((f) => f.id));
    const store = FaceStore.open(storePath);
    expect(store.listImages().every((r) => r.path.startsWith(after + path.sep))).toBe(true); // no row left at the old paths
    store.close();
  });

  it('a renamed photo: its row follows it with the same face ids; the others stay plainly cached', async () => {
    const oldIds = faces.get(path.join(before, 'biden/biden.jpg'))!.map((f) => f.id);
    renameSync(path.join(after, 'biden/biden.jpg'), path.join(after, 'biden/joe.jpg'));
    const events = await embedFolder(after, storePath);
    expect(events.get('biden/joe.jpg')).toMatchObject({ status: 'cached', reused: { from: path.join(after, 'biden/biden.jpg'), how: 'moved' } });
    expect([...events.values()].filter((e) => e.reused)).toHaveLength(1);
    expect([...events.values()].every((e) => e.status !== 'done')).toBe(true);
    expect(facesByFile(storePath).get(path.join(after, 'biden/joe.jpg'))!.map((f) => f.id)).toEqual(oldIds);
  });

  it('a copied photo: its faces appear under new ids with identical embeddings and crops; the original keeps its own', async () => {
    const original = path.join(after, 'obama/obama.jpg');
    const copy = path.join(after, 'obama/obama-copy.jpg');
    copyFileSync(original, copy);
    const events = await embedFolder(after, storePath);
    expect(events.get('obama/obama-copy.jpg')).toMatchObject({ status: 'cached', reused: { from: original, how: 'copied' } });
    expect([...events.values()].every((e) => e.status !== 'done')).toBe(true);
    const now = facesByFile(storePath);
    const a = now.get(original)!, b = now.get(copy)!;
    expect(a.map((f) => f.id)).toEqual(faces.get(path.join(before, 'obama/obama.jpg'))!.map((f) => f.id));
    expect(b).toHaveLength(a.length);
    b.forEach((f, i) => {
      expect(a.map((x) => x.id)).not.toContain(f.id);
      expect(f.embedding.equals(a[i].embedding)).toBe(true);
      expect(f.crop.equals(a[i].crop)).toBe(true);
    });
    expect([...now.values()].flat()).toHaveLength([...faces.values()].flat().length + a.length);
  });

  it('two new files with the content of one photo whose file is gone: the first takes the move, the second is a copy', async () => {
    const dir = path.join(after, 'rose_leslie');
    const ids = faces.get(path.join(before, 'rose_leslie/img1.jpg'))!.map((f) => f.id);
    renameSync(path.join(dir, 'img1.jpg'), path.join(dir, 'a.jpg'));
    copyFileSync(path.join(dir, 'a.jpg'), path.join(dir, 'b.jpg'));
    const events = await embedFolder(after, storePath);
    expect(events.get('rose_leslie/a.jpg')).toMatchObject({ status: 'cached', reused: { from: path.join(dir, 'img1.jpg'), how: 'moved' } });
    expect(events.get('rose_leslie/b.jpg')).toMatchObject({ status: 'cached', reused: { from: path.join(dir, 'a.jpg'), how: 'copied' } });
    const now = facesByFile(storePath);
    expect(now.get(path.join(dir, 'a.jpg'))!.map((f) => f.id)).toEqual(ids);
    expect(now.get(path.join(dir, 'b.jpg'))).toHaveLength(ids.length);
    expect(now.has(path.join(dir, 'img1.jpg'))).toBe(false);
  });

  it('a changed file (same path, other content) is embedded again, as before', async () => {
    const file = path.join(after, 'kit_harington/john1.jpeg');
    writeFileSync(file, readFileSync(path.join(photosSmallDir, 'alex_lacamoire/img1.jpg')));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const events = await embedFolder(after, storePath);
    expect(events.get('kit_harington/john1.jpeg')).toMatchObject({ status: 'done' });
    expect(events.get('kit_harington/john1.jpeg')!.reused).toBeUndefined();
    expect([...events.values()].filter((e) => e.status === 'done')).toHaveLength(1);
  });
});

describe('FaceStore.findByContent, moveImage, copyImage', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'faceclust-reuse-calls-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const model = 'm@sha256:0000000000000000';

  it('move keeps the id, copy makes a new row with the same outcome; a row already at the new path is replaced', () => {
    const store = FaceStore.open(path.join(root, 'faces.sqlite'));
    store.writeImage({ path: '/a/x.jpg', model, size: 10, mtimeMs: 1, hash: 'h', faces: [], error: 'bad bytes' });
    store.writeImage({ path: '/b/x.jpg', model, size: 10, mtimeMs: 1, hash: 'old', faces: [] });
    const [row] = store.findByContent(model, 10);
    expect(row).toMatchObject({ path: '/a/x.jpg', status: 'error', error: 'bad bytes', hash: 'h', size: 10 });
    expect(store.findByContent(model, 11)).toEqual([]);
    store.moveImage(row.id, '/b/x.jpg', 10, 2);
    expect(store.lookup('/b/x.jpg', model)).toMatchObject({ id: row.id, status: 'error', hash: 'h', mtimeMs: 2 });
    expect(store.lookup('/a/x.jpg', model)).toBeUndefined();
    const copy = store.copyImage(row.id, '/c/x.jpg', 10, 3);
    expect(copy).not.toBe(row.id);
    expect(store.lookup('/c/x.jpg', model)).toMatchObject({ id: copy, status: 'error', error: 'bad bytes', hash: 'h', mtimeMs: 3 });
    expect(store.listImages().map((r) => r.path)).toEqual(['/b/x.jpg', '/c/x.jpg']);
    store.close();
  });

  it('BAD CALL – arguments are checked, and an unknown image id is a RangeError', () => {
    const store = FaceStore.open(path.join(root, 'faces.sqlite'));
    expect(() => store.findByContent(7 as never, 1)).toThrow(new TypeError('Expected a model id or path for model but received 7 of type number'));
    expect(() => store.findByContent(model, 1.5)).toThrow(new TypeError('Expected an integer for size but received 1.5 of type number'));
    expect(() => store.findByContent(model, -1)).toThrow(new RangeError('Expected an integer >= 0 for size but received -1'));
    expect(() => store.moveImage('1' as never, '/x.jpg', 1, 1)).toThrow(new TypeError('Expected an integer image id for id but received "1" of type string'));
    expect(() => store.copyImage(1, '', 1, 1)).toThrow(new TypeError('Expected a file path for newPath but received "" of type string'));
    expect(() => store.moveImage(1, '/x.jpg', -2, 1)).toThrow(new RangeError('Expected an integer >= 0 for size but received -2'));
    expect(() => store.copyImage(1, '/x.jpg', 1, NaN)).toThrow(new TypeError('Expected a finite number for mtimeMs but received NaN of type number'));
    expect(() => store.moveImage(999, '/x.jpg', 1, 1)).toThrow(new RangeError(`No image with id 999 in ${store.path}`));
    const id = store.lookup('/b/x.jpg', model)!.id;
    expect(() => store.copyImage(id, '/b/x.jpg', 1, 1)).toThrow(new RangeError(`Expected a path other than image ${id}'s own for newPath but received "/b/x.jpg" of type string`));
    store.close();
  });
});
