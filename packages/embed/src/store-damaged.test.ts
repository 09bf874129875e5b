// A damaged faces.sqlite (garbage, cut short, pages overwritten) gives one EmbedError ERR_STORE_CORRUPT that
// names the file and says what is wrong, from whichever FaceStore call meets the damage, and from embedImages.
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedImages } from './embed-images.js';
import { EmbedError } from './errors.js';
import { FaceStore } from './store.js';
import { hasDist, hasPhotosSmall, photosSmall, photosSmallDir } from './test-data.js';

/** Runs `fn` and returns what it threw (sync or async). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

function expectCorrupt(err: unknown, message: string): void {
  expect(err).toBeInstanceOf(EmbedError);
  expect(err).toMatchObject({ code: 'ERR_STORE_CORRUPT', message });
}

describe.skipIf(!hasPhotosSmall || !hasDist)('a damaged store gives one clear error', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'faceclust-damaged-'));
  const photos = path.join(root, 'photos');
  const base = path.join(root, 'base/faces.sqlite');
  let files: string[];
  let size: number;
  let pageSize: number;
  let pages: { pageno: number; name: string; pagetype: string }[];

  beforeAll(async () => {
    files = photosSmall().map((rel) => {
      mkdirSync(path.join(photos, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(photos, rel), readFileSync(path.join(photosSmallDir, rel)));
      return path.join(photos, rel);
    });
    for await (const ev of embedImages(files, { storePath: base, threads: 2 })) expect(ev.status).toBe('done');
    // embedImages closed the store, which checkpoints WAL: the one file holds everything
    expect(existsSync(`${base}-wal`)).toBe(false);
    size = statSync(base).size;
    const db = new Database(base, { readonly: true });
    pageSize = db.pragma('page_size', { simple: true }) as number;
    pages = db.prepare(`SELECT pageno, name, pagetype FROM dbstat ORDER BY pageno`).all() as typeof pages;
    db.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the store in its own folder, then damaged by `harm`. */
  const damaged = (name: string, harm: (file: string) => void): string => {
    const file = path.join(root, name, 'faces.sqlite');
    mkdirSync(path.dirname(file));
    copyFileSync(base, file);
    harm(file);
    return file;
  };
  const zeroPages = (file: string, pagenos: number[]) => {
    const fd = openSync(file, 'r+');
    for (const p of pagenos) writeSync(fd, Buffer.alloc(pageSize), 0, pageSize, (p - 1) * pageSize);
    closeSync(fd);
  };

  it('garbage: open throws "is damaged (SQLite: file is not a database)", and so does embedImages', async () => {
    const file = damaged('garbage', (f) => writeFileSync(f, randomBytes(size)));
    const message = `Face store ${file} is damaged (SQLite: file is not a database).`;
    expectCorrupt(await thrown(() => FaceStore.open(file)), message);
    expectCorrupt(await thrown(async () => { for await (const _ of embedImages(files, { storePath: file, threads: 1 })) void _; }), message);
  });

  it('cut to half its size: open throws "is damaged: it is cut short at N of M bytes", and so does embedImages', async () => {
    const half = Math.floor(size / 2);
    const file = damaged('truncated', (f) => truncateSync(f, half));
    const message = `Face store ${file} is damaged: it is cut short at ${half} of ${size} bytes (SQLite: database disk image is malformed).`;
    expectCorrupt(await thrown(() => FaceStore.open(file)), message);
    expectCorrupt(await thrown(async () => { for await (const _ of embedImages(files, { storePath: file, threads: 1 })) void _; }), message);
  });

  it('4 KiB zeroed in the middle of the faces: open works (no full check), reading them throws, and embedImages throws', async () => {
    const overflow = pages.filter((p) => p.name === 'faces' && p.pagetype === 'overflow');
    expect(overflow.length).toBeGreaterThan(10);
    const middle = overflow[Math.floor(overflow.length / 2)].pageno;
    const file = damaged('overwritten', (f) => zeroPages(f, [middle]));
    const message = `Face store ${file} is damaged (SQLite: database disk image is malformed).`;
    const store = FaceStore.open(file);
    expect(store.listImages()).toHaveLength(9); // the damage is only met where it lies
    expectCorrupt(await thrown(() => store.loadFaces('default')), message);
    store.close();
    // the same photos elsewhere: recognised by content, so their faces are copied, which reads every face
    const elsewhere = files.map((f) => path.join(root, 'elsewhere', path.relative(photos, f)));
    elsewhere.forEach((f, i) => {
      mkdirSync(path.dirname(f), { recursive: true });
      copyFileSync(files[i], f);
    });
    expectCorrupt(await thrown(async () => { for await (const _ of embedImages(elsewhere, { storePath: file, threads: 1 })) void _; }), message);
  });

  it('damage first met when a worker result is written: the run ends with the same error instead of hanging', async () => {
    const file = damaged('images-page', (f) => zeroPages(f, pages.filter((p) => p.name === 'images').map((p) => p.pageno)));
    // a photo new to the store, of a size no stored photo has: looking it up reads no damaged page
    const fresh = path.join(root, 'fresh.jpg');
    writeFileSync(fresh, Buffer.concat([readFileSync(files[0]), Buffer.from([0])]));
    const seen: string[] = [];
    const err = await thrown(async () => {
      for await (const ev of embedImages([fresh], { storePath: file, threads: 1 })) seen.push(ev.path);
    });
    expectCorrupt(err, `Face store ${file} is damaged (SQLite: database disk image is malformed).`);
    expect(seen).toEqual([]);
  });

  it('every FaceStore method maps damage it meets to the same error (all pages zeroed but those opening reads)', async () => {
    const keep = new Set(pages.filter((p) => ['sqlite_schema', 'meta', 'sqlite_autoindex_meta_1'].includes(p.name)).map((p) => p.pageno));
    const file = damaged('zeroed', (f) => zeroPages(f, pages.map((p) => p.pageno).filter((p) => !keep.has(p))));
    const message = `Face store ${file} is damaged (SQLite: database disk image is malformed).`;
    const store = FaceStore.open(file);
    const model = store.modelId();
    const calls: [string, () => unknown][] = [
      ['lookup', () => store.lookup(files[0], model)],
      ['writeImage', () => store.writeImage({ path: path.join(root, 'new.jpg'), model, size: 1, mtimeMs: 1, faces: [] })],
      ['loadFaces', () => store.loadFaces('default')],
      ['getCrop', () => store.getCrop(1)],
      ['listImages', () => store.listImages()],
      ['listModels', () => store.listModels()],
      ['registerModel', () => store.registerModel(model, 'x.onnx', 512, { mean: 127, std: 128 })],
      ['findByContent', () => store.findByContent(model, statSync(files[0]).size)],
      ['moveImage', () => store.moveImage(1, path.join(root, 'moved.jpg'), 1, 1)],
      ['copyImage', () => store.copyImage(1, path.join(root, 'copied.jpg'), 1, 1)],
    ];
    for (const [name, call] of calls) {
      const err = await thrown(call);
      expect(err, name).toBeInstanceOf(EmbedError);
      expect(err, name).toMatchObject({ code: 'ERR_STORE_CORRUPT', message });
    }
    store.close();
    expectCorrupt(await thrown(async () => { for await (const _ of embedImages(files, { storePath: file, threads: 1 })) void _; }), message);
  });
});
