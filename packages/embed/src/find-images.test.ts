import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImages } from './find-images.js';
import { hasPhotosSmall, photosSmallDir } from './test-data.js';

describe('findImages', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'faceclust-find-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['b/2.JPG', 'b/1.png', 'a/deep/x.webp', 'a/notes.txt', 'top.jpeg', '.hidden/y.jpg', 'c/z.heic', 'c/t.TIFF']) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), 'x');
  }

  it('walks folders recursively, keeps image extensions (any case), sorts, skips hidden entries', async () => {
    const { files, problems, hidden, skippedFolders } = await findImages([dir]);
    expect(files).toEqual(['a/deep/x.webp', 'b/1.png', 'b/2.JPG', 'c/t.TIFF', 'c/z.heic', 'top.jpeg'].map((f) => path.join(dir, f)));
    expect(problems).toEqual([]);
    expect(hidden).toEqual([path.join(dir, '.hidden')]);
    expect(skippedFolders).toEqual([]);
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

  it('BAD CALL – options and skipFolder are checked, and so is what skipFolder returns', async () => {
    await expect(findImages([dir], null as never)).rejects.toThrow(new TypeError('Expected an options object for options but received null'));
    await expect(findImages([dir], { skipFolder: 'out' as never })).rejects.toThrow(
      new TypeError('Expected a function for skipFolder but received "out" of type string'),
    );
    await expect(findImages([dir], { skipFolder: () => true as never })).rejects.toThrow(
      new TypeError('Expected skipFolder to return a reason string or undefined but received true of type boolean'),
    );
  });
});

describe.skipIf(!hasPhotosSmall)('findImages on real photos: links, hidden entries, skipped folders', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'faceclust-find-real-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const lib = path.join(root, 'lib');
  const at = (...p: string[]) => path.join(lib, ...p);
  const put = (rel: string, to: string) => {
    mkdirSync(path.dirname(to), { recursive: true });
    writeFileSync(to, readFileSync(path.join(photosSmallDir, rel)));
  };
  put('biden/biden.jpg', at('biden/biden.jpg'));
  put('obama/obama.jpg', at('obama/obama.jpg'));
  put('kit_harington/john1.jpeg', path.join(root, 'elsewhere/kit/john1.jpeg'));
  put('rose_leslie/img1.jpg', path.join(root, 'elsewhere/rose.jpg'));
  symlinkSync(at('obama'), at('alias-obama')); // sorts before obama/, so obama's photo is listed through it
  symlinkSync('..', at('biden/up')); // a loop: biden/up/biden/up/...
  symlinkSync(lib, at('self'));
  symlinkSync(path.join(root, 'elsewhere/kit'), at('kit-link')); // a folder outside the inputs
  symlinkSync(at('biden/biden.jpg'), at('same-as-biden.jpg')); // a second path to a file already listed
  symlinkSync(path.join(root, 'elsewhere/rose.jpg'), at('z-rose.jpg')); // a link to a file: kept as the link
  symlinkSync(path.join(root, 'nowhere.jpg'), at('broken.jpg'));

  it('follows linked folders, walks each real folder once (loops end), lists each real file once by the first path met', async () => {
    const { files, problems, hidden, skippedFolders } = await findImages([lib, at('biden/biden.jpg')]);
    expect(files).toEqual([at('alias-obama/obama.jpg'), at('biden/biden.jpg'), at('kit-link/john1.jpeg'), at('z-rose.jpg')]);
    expect(problems).toEqual([{ path: at('broken.jpg'), reason: 'broken symbolic link' }]);
    expect(hidden).toEqual([]);
    expect(skippedFolders).toEqual([]);
    // the same tree given by its linked path and twice over: still each photo once
    expect((await findImages([at('self'), lib, at('alias-obama')])).files).toHaveLength(4);
  });

  it('hidden folders and hidden photos are skipped but listed in hidden; other dot-files stay silent', async () => {
    const dir = path.join(root, 'hidden');
    put('obama/obama2.jpg', path.join(dir, 'visible.jpg'));
    put('biden/biden2.jpg', path.join(dir, '.thumbs/b.jpg'));
    put('rose_leslie/img2.jpg', path.join(dir, 'sub/.secret.JPG'));
    writeFileSync(path.join(dir, '.DS_Store'), 'not a photo');
    mkdirSync(path.join(dir, '.git/objects'), { recursive: true });
    symlinkSync(path.join(dir, 'visible.jpg'), path.join(dir, '.linked.jpg'));
    const { files, hidden, problems } = await findImages([dir]);
    expect(files).toEqual([path.join(dir, 'visible.jpg')]);
    expect(hidden).toEqual(['.git', '.linked.jpg', '.thumbs', 'sub/.secret.JPG'].map((f) => path.join(dir, f)));
    expect(problems).toEqual([]);
  });

  it('skipFolder keeps a folder out, with its reason, before it is walked (an input folder too)', async () => {
    const dir = path.join(root, 'skip');
    put('alex_lacamoire/img1.jpg', path.join(dir, 'photos/alex.jpg'));
    put('alex_lacamoire/img1.jpg', path.join(dir, 'out/people/alex/alex.jpg'));
    writeFileSync(path.join(dir, 'out/faces.sqlite'), '');
    const seen: string[] = [];
    const skipFolder = (d: string) => {
      seen.push(d);
      return existsSync(path.join(d, 'faces.sqlite')) ? 'faceclust output folder' : undefined;
    };
    const found = await findImages([dir], { skipFolder });
    expect(found.files).toEqual([path.join(dir, 'photos/alex.jpg')]);
    expect(found.skippedFolders).toEqual([{ path: path.join(dir, 'out'), reason: 'faceclust output folder' }]);
    expect(seen).toEqual([dir, path.join(dir, 'out'), path.join(dir, 'photos')]); // never below out/
    const asInput = await findImages([path.join(dir, 'out')], { skipFolder });
    expect(asInput).toEqual({ files: [], problems: [], hidden: [], skippedFolders: [{ path: path.join(dir, 'out'), reason: 'faceclust output folder' }] });
  });
});
