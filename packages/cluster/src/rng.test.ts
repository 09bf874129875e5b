import { describe, expect, it } from 'vitest';
import { Mulberry32, shuffleInPlace } from './rng.js';

/** The spec's formulas in BigInt, independent of the double-precision tricks in rng.ts. */
function referenceBelow(x: number, m: number): number {
  return Number((BigInt(x) * BigInt(m)) >> 32n);
}

describe('Mulberry32', () => {
  it('produces the published mulberry32 sequence for seed 0 and 42', () => {
    const zero = new Mulberry32(0);
    // First outputs of the reference C implementation (state += 0x6D2B79F5 …) for seed 0.
    expect([zero.next(), zero.next(), zero.next()]).toEqual([1144304738, 1416247, 958946056]);
    const a = new Mulberry32(42);
    const b = new Mulberry32(42);
    for (let i = 0; i < 100; i++) expect(a.next()).toBe(b.next());
  });

  it('treats the seed as uint32 (seed and seed + 2^32 agree)', () => {
    const a = new Mulberry32(7);
    const b = new Mulberry32(7 + 2 ** 32);
    expect(a.next()).toBe(b.next());
  });

  it('below(m) equals (uint64(next) · m) >> 32 for small and large m', () => {
    for (const m of [1, 2, 3, 10, 1000, 0x200000, 0x200001, 1e6 + 3, 2 ** 31 - 1, 2 ** 32 - 1]) {
      const a = new Mulberry32(99);
      const b = new Mulberry32(99);
      for (let i = 0; i < 300; i++) {
        const got = a.below(m);
        expect(got).toBe(referenceBelow(b.next(), m));
        expect(got).toBeGreaterThanOrEqual(0);
        expect(got).toBeLessThan(m);
      }
    }
  });
});

describe('shuffleInPlace', () => {
  it('is Fisher–Yates from the top, continuing the generator', () => {
    const order = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const rng = new Mulberry32(5);
    shuffleInPlace(order, rng);
    const expected = [0, 1, 2, 3, 4, 5, 6, 7];
    const check = new Mulberry32(5);
    for (let i = expected.length - 1; i > 0; i--) {
      const j = referenceBelow(check.next(), i + 1);
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect(Array.from(order)).toEqual(expected);
    expect(rng.next()).toBe(check.next());
  });
});
