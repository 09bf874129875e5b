import { describe, expect, it } from 'vitest';
import { photoOrder } from './cli-child.js';
import { generateClustered } from './generator.js';

describe('photoOrder', () => {
  it('is a permutation that puts no two faces of one person in one photo', () => {
    const { truth, n } = generateClustered({ n: 4000, dim: 4, seed: 3 });
    const order = photoOrder(truth, 4);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let photo = 0; photo < n / 4; photo++) {
      const people = new Set([0, 1, 2, 3].map((f) => truth[order[photo * 4 + f]!]));
      expect(people.size).toBe(4);
    }
  });

  it('rejects a count that does not fill the photos', () => {
    expect(() => photoOrder(new Int32Array(10), 4)).toThrow(new RangeError('Expected n to be a multiple of 4 faces per photo but received 10'));
  });
});
