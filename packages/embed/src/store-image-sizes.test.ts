/** FaceStore.imageSizes: each photo's displayed size by path, from the images table (no face data needed). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FaceStore } from './store.js';

describe('FaceStore.imageSizes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-sizes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives width and height per absolute path for photos read fine, of one model or any; leaves out errors and rows without a size', () => {
    const store = FaceStore.open(path.join(dir, 'faces.sqlite'));
    try {
      const base = { size: 10, mtimeMs: 1, faces: [] };
      store.writeImage({ ...base, path: path.join(dir, 'b.jpg'), model: 'm@sha256:1', width: 640, height: 480 });
      store.writeImage({ ...base, path: path.join(dir, 'a.jpg'), model: 'm@sha256:1', width: 3000, height: 4000 });
      store.writeImage({ ...base, path: path.join(dir, 'c.jpg'), model: 'm@sha256:2', width: 20, height: 10 });
      store.writeImage({ ...base, path: path.join(dir, 'broken.jpg'), model: 'm@sha256:1', error: 'not an image' });
      store.writeImage({ ...base, path: path.join(dir, 'old.jpg'), model: 'm@sha256:1' });
      expect([...store.imageSizes({ model: 'm@sha256:1' })]).toEqual([
        [path.join(dir, 'a.jpg'), { width: 3000, height: 4000 }],
        [path.join(dir, 'b.jpg'), { width: 640, height: 480 }],
      ]);
      expect([...store.imageSizes().keys()]).toEqual(['a.jpg', 'b.jpg', 'c.jpg'].map((f) => path.join(dir, f)));
    } finally {
      store.close();
    }
  });
});
