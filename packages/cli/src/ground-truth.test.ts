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

  it('BAD CALL – --truth values and malformed CSVs name what was received', () => {
    expect(() => parseTruthFlag('names.txt')).toThrow(new UsageError('Invalid value for --truth: expected folder or a path to a .csv file of file,identity rows but received "names.txt"'));
    expect(() => parseTruthFlag(path.join(dir, 'missing.csv'))).toThrow(`Invalid value for --truth: the file ${path.join(dir, 'missing.csv')} does not exist`);
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'a.jpg,Ann\nb.jpg\n');
    expect(() => loadTruth(files, { csv: bad })).toThrow(`Invalid truth CSV ${bad}, line 2: expected file,identity but received "b.jpg"`);
  });
});
