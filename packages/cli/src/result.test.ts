import { describe, expect, it } from 'vitest';
import { handMadeResult } from './reports/test-result.js';
import { toJson, writeJson } from './result.js';

describe('writeJson', () => {
  it('writes the bytes of JSON.stringify(toJson(r)), in pieces, for no face, a few and more than one piece holds', () => {
    for (const faces of [0, 3, 25_001]) {
      const list: [string, number][] = [];
      for (let i = 0; i < faces; i++) list.push([`/photos/p "${i % 7}".jpg`, i % 5 === 4 ? -1 : i % 3]);
      const r = handMadeResult(list, ['/photos/none.jpg']);
      r.faces.forEach((f, i) => {
        if (i % 4 === 1) f.person = { id: 2, name: i % 8 === 1 ? 'Ann' : null };
      });
      const pieces: string[] = [];
      writeJson(r, (text) => pieces.push(text));
      expect(pieces.join('')).toBe(JSON.stringify(toJson(r)));
      expect(pieces.length).toBe(2 + Math.ceil(faces / 10_000));
    }
  });
});
