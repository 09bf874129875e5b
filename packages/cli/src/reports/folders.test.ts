import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterFolderName, folderTag, savedName } from './folders.js';

describe('saveas names', () => {
  it('keep the source name and never collide across folders', () => {
    const a = '/photos/2019/IMG_0001.jpg';
    const b = '/photos/2020/IMG_0001.jpg';
    expect(savedName(a, 0)).toMatch(/^[0-9a-f]{8}_IMG_0001\.jpg_face0\.png$/);
    expect(savedName(a, null)).toMatch(/^[0-9a-f]{8}_IMG_0001\.jpg$/);
    expect(savedName(a, 0)).not.toBe(savedName(b, 0));
    expect(savedName(a, null)).not.toBe(savedName(b, null));
    expect(savedName(a, 0)).not.toBe(savedName(a, 1));
    expect(folderTag(a)).toBe(folderTag('/photos/2019/other.png'));
    // IMG_0001.JPG and IMG_0001.HEIC side by side (a camera's two files of one shot)
    expect(savedName('/p/IMG_0001.JPG', 0)).not.toBe(savedName('/p/IMG_0001.HEIC', 0));
  });

  it('keep spaces and non-ASCII characters, and resolve relative paths', () => {
    expect(savedName('/x/fête d’été/Zoë 1.jpeg', 2, 'jpg')).toMatch(/^[0-9a-f]{8}_Zoë 1\.jpeg_face2\.jpg$/);
    expect(folderTag('rel/a.jpg')).toBe(folderTag(path.resolve('rel/a.jpg')));
  });
});

describe('clusterFolderName', () => {
  it('adds the person and a name safe on every file system', () => {
    expect(clusterFolderName(0, null)).toBe('0');
    expect(clusterFolderName(-1, { id: 3, name: 'Ana' })).toBe('no_class');
    expect(clusterFolderName(2, { id: 3, name: null })).toBe('2 person 3');
    expect(clusterFolderName(0, { id: 7, name: 'Zoë  "Z" ../O\'Neil: a/b\\c?\n' })).toBe("0 person 7 Zoë Z .. O'Neil a b c");
    expect(clusterFolderName(1, { id: 4, name: '...' })).toBe('1 person 4');
    expect(clusterFolderName(1, { id: 4, name: 'x'.repeat(200) })).toHaveLength('1 person 4 '.length + 80);
  });
});
