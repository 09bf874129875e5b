import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelledOnly, loadTruth, parseTruthFlag, splitCsvLine } from './ground-truth.js';
import { UsageError } from './options.js';
import { tempDir } from './test-helpers.js';

const dir = tempDir('faceclust truth ');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ground truth', () => {
  const files = ['/p/Ann/1.jpg', '/p/Bob/1.jpg', '/p/Ann/2.jpg', '/q/x/3.jpg'];

  it('takes the parent folder name', () => {
    const t = loadTruth(files, 'folder');
    expect(Array.from(t.labels)).toEqual([0, 1, 0, 2]);
    expect([t.identities, t.unlabelled, t.source]).toEqual([3, 0, 'parent folder name']);
  });

  it('reads a CSV of file,identity: relative to the CSV, by absolute path, or by a unique file name; quotes and a header', () => {
    const csv = path.join(dir, 'people.csv');
    fs.writeFileSync(csv, `\uFEFFfile,identity\n/p/Ann/1.jpg,"Ann, A."\n/p/Bob/1.jpg,Bob\r\n2.jpg,"Ann, A."\n\n`);
    const t = loadTruth([...files, path.join(dir, 'sub', '2.jpg')], parseTruthFlag(csv) as { csv: string });
    // /p/Ann/2.jpg matches 2.jpg by name (unique); 3.jpg has no row
    expect(Array.from(t.labels)).toEqual([0, 1, 0, -1, 0]);
    expect([t.identities, t.unlabelled]).toEqual([2, 1]);
    expect(labelledOnly(Int32Array.from([5, 6, 7, 8, 9]), t.labels)).toEqual({ labels: Int32Array.from([5, 6, 7, 9]), truth: Int32Array.from([0, 1, 0, 0]) });
    expect(splitCsvLine('a,"b ""c"", d",e')).toEqual(['a', 'b "c", d', 'e']);
  });

  it('takes the subfolder of a labelled folder, at any depth; photos directly in it or outside it are unlabelled', () => {
    const root = path.join(dir, 'labelled ü');
    fs.mkdirSync(path.join(root, 'Ann'), { recursive: true });
    const source = parseTruthFlag(root);
    expect(source).toEqual({ dir: root });
    const t = loadTruth([
      path.join(root, 'Ann', '1.jpg'), path.join(root, 'Bob', '2019', 'summer', '1.jpg'), path.join(root, 'Ann', '2.jpg'),
      path.join(root, 'loose.jpg'), path.join(dir, 'other', 'Ann', '3.jpg'), `${root}-2${path.sep}Ann${path.sep}4.jpg`,
    ], source);
    expect(Array.from(t.labels)).toEqual([0, 1, 0, -1, -1, -1]);
    expect([t.identities, t.unlabelled, t.source]).toEqual([2, 3, `subfolders of ${root}`]);
    // through a symlink: photos embedded by their real path still match, and the other way round
    const link = path.join(dir, 'link');
    fs.symlinkSync(root, link);
    expect(Array.from(loadTruth([path.join(root, 'Ann', '1.jpg'), path.join(link, 'Bob', '1.jpg')], parseTruthFlag(link)).labels)).toEqual([0, 1]);
  });

  it('keeps the keyword folder unless a folder of that name exists; relative paths resolve against the working folder', () => {
    const cwd = process.cwd();
    const here = path.join(dir, 'cwd');
    fs.mkdirSync(here);
    try {
      process.chdir(here);
      expect(parseTruthFlag('folder')).toBe('folder');
      fs.mkdirSync(path.join(here, 'folder'));
      expect(parseTruthFlag('folder')).toEqual({ dir: path.join(here, 'folder') });
      expect(parseTruthFlag('./folder/')).toEqual({ dir: path.join(here, 'folder') });
    } finally {
      process.chdir(cwd);
    }
  });

  it('BAD CALL – --truth values and malformed CSVs name what was received', () => {
    const expected = 'expected folder (each photo\'s parent folder names the person), a folder with one subfolder per person, or a .csv file of file,identity rows';
    const missing = path.join(dir, 'no such folder');
    expect(() => parseTruthFlag(missing)).toThrow(new UsageError(`Invalid value for --truth: ${JSON.stringify(missing)} does not exist; ${expected}`));
    expect(() => parseTruthFlag('names.txt')).toThrow(`Invalid value for --truth: "names.txt" does not exist (${path.resolve('names.txt')}); ${expected}`);
    const txt = path.join(dir, 'names.txt');
    fs.writeFileSync(txt, 'Ann\n');
    expect(() => parseTruthFlag(txt)).toThrow(new UsageError(`Invalid value for --truth: ${expected} but received ${JSON.stringify(txt)}, a file that is not .csv`));
    expect(() => parseTruthFlag('')).toThrow(new UsageError(`Invalid value for --truth: ${expected} but received ""`));
    expect(() => parseTruthFlag(path.join(dir, 'missing.csv'))).toThrow(`Invalid value for --truth: the file ${path.join(dir, 'missing.csv')} does not exist`);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'a.jpg,Ann\nb.jpg\n');
    expect(() => loadTruth(files, { csv: bad })).toThrow(`Invalid truth CSV ${bad}, line 2: expected file,identity but received "b.jpg"`);
  });
});
