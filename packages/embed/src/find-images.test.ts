import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImages } from './find-images.js';

describe('findImages', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-find-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['b/2.JPG', 'b/1.png', 'a/deep/x.webp', 'a/notes.txt', 'top.jpeg', '.hidden/y.jpg', 'c/z.heic', 'c/t.TIFF']) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), 'x');
  }

  it('walks folders recursively, keeps image extensions (any case), sorts, skips hidden entries', async () => {
    const { files, problems } = await findImages([dir]);
    expect(files).toEqual(['a/deep/x.webp', 'b/1.png', 'b/2.JPG', 'c/t.TIFF', 'c/z.heic', 'top.jpeg'].map((f) => path.join(dir, f)));
    expect(problems).toEqual([]);
  });

  it('reports missing inputs and explicit non-images instead of throwing, and de-duplicates', async () => {
    const { files, problems } = await findImages([path.join(dir, 'nope'), path.join(dir, 'a/notes.txt'), path.join(dir, 'top.jpeg'), dir]);
    expect(files).toHaveLength(6);
    expect(problems).toEqual([
      { path: path.join(dir, 'nope'), reason: 'no such file or folder' },
      { path: path.join(dir, 'a/notes.txt'), reason: expect.stringMatching(/^not an image file extension/) },
    ]);
  });

  it('BAD CALL – inputs must be an array of strings', async () => {
    await expect(findImages('x' as never)).rejects.toThrow(TypeError);
  });
});
