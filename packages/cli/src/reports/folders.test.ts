import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderTag, savedName } from './folders.js';

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
