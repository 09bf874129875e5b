import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { METRICS, bf16Words, mulberry32, randomVectors, referenceDistance, referenceDotBf16 } from './test-helpers.js';

const native = loadNative();
const { supported, active } = native.capabilities();

// fp32 kernels against the float64 reference: error bounds grow with dim (sums of dim fp32 terms).
function tolerance(metric: string, ref: number, dim: number): number {
  const u = 2 ** -24;
  switch (metric) {
    case 'chebyshev':
      return 2 * u * Math.abs(ref);
    case 'cosine':
      return 4 * (dim + 4) * u;
    case 'euclidean':
      return 4 * (dim + 4) * u * Math.max(1, Math.abs(ref));
    default:
      return 4 * (dim + 4) * u * Math.max(1, Math.abs(ref));
  }
}

describe.each(supported)('pairwiseSync on %s', (isa) => {
  it.each([1, 3, 7, 16, 31, 128, 512])('dim=%i, every metric, within fp32 error of the float64 reference', (dim) => {
    native.setIsa(isa);
    try {
      const na = 5;
      const nb = 7;
      const a = randomVectors(na, dim, dim);
      const b = randomVectors(nb, dim, dim + 1000);
      const both = new Float32Array([...a, ...b]);
      for (const metric of METRICS) {
        const out = new Float32Array(na * nb);
        native.pairwiseSync(a, na, b, nb, dim, metric, out);
        for (let i = 0; i < na; i++) {
          for (let j = 0; j < nb; j++) {
            const ref = referenceDistance(both, i, na + j, dim, metric);
            expect(Math.abs(out[i * nb + j] - ref), `${metric} (${i}, ${j}): ${out[i * nb + j]} vs ${ref}`).toBeLessThanOrEqual(
              tolerance(metric, ref, dim),
            );
          }
        }
      }
    } finally {
      native.setIsa(active);
    }
  });
});

describe('pairwise', () => {
  it('scalar is the float64 reference rounded once', () => {
    native.setIsa('scalar');
    try {
      const a = randomVectors(3, 33, 1);
      const b = randomVectors(4, 33, 2);
      const both = new Float32Array([...a, ...b]);
      for (const metric of METRICS) {
        const out = new Float32Array(12);
        native.pairwiseSync(a, 3, b, 4, 33, metric, out);
        for (let t = 0; t < 12; t++) {
          expect(out[t]).toBe(Math.fround(referenceDistance(both, Math.floor(t / 4), 3 + (t % 4), 33, metric)));
        }
      }
    } finally {
      native.setIsa(active);
    }
  });

  it('async (threads) equals sync, and reads subarray() views', async () => {
    const dim = 19;
    const backing = randomVectors(60, dim, 3);
    const a = backing.subarray(dim, 41 * dim); // 40 rows at a byteOffset
    const b = backing.subarray(41 * dim, 60 * dim); // 19 rows
    const outBacking = new Float32Array(5 + 40 * 19);
    const out = outBacking.subarray(5);
    for (const metric of METRICS) {
      const expected = new Float32Array(40 * 19);
      native.pairwiseSync(Float32Array.from(a), 40, Float32Array.from(b), 19, dim, metric, expected);
      await native.pairwise(a, 40, b, 19, dim, metric, out, 2);
      expect(Array.from(out)).toEqual(Array.from(expected));
      expect(outBacking.subarray(0, 5).every((v) => v === 0)).toBe(true);
    }
  });

  it('BAD CALL - out of the wrong length, a of the wrong length', async () => {
    const a = new Float32Array(6);
    expect(() => native.pairwiseSync(a, 2, a, 2, 3, 'euclidean', new Float32Array(3))).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_DIM', message: expect.stringMatching(/out\.length == na \* nb = 4 but received length 3/) }),
    );
    await expect(native.pairwise(a, 3, a, 2, 3, 'euclidean', new Float32Array(6), 1)).rejects.toMatchObject({
      code: 'ERR_FACECLUST_DIM',
      message: expect.stringMatching(/a\.length == na \* dim = 3 \* 3 but received length 6/),
    });
  });
});

describe('dotI8Sync: the HNSW int8 search dot, exact on every kernel table', () => {
  const pair = (bytes: number, seed: number) => {
    const next = mulberry32(seed);
    const row = () => Int8Array.from({ length: bytes }, () => Math.floor(next() * 256) - 128);
    return [row(), row()] as const;
  };
  const reference = (a: Int8Array, b: Int8Array) => a.reduce((s, v, k) => s + v * b[k], 0);

  it.each(supported)('%s equals the integer sum', (isa) => {
    native.setIsa(isa);
    try {
      for (const bytes of [64, 128, 512, 576]) {
        const [a, b] = pair(bytes, bytes);
        expect(native.dotI8Sync(a, b), `${isa} ${bytes} bytes`).toBe(reference(a, b));
      }
      // the extremes: -128 · -128 in every byte (the offset trick's widest case)
      const low = new Int8Array(512).fill(-128);
      expect(native.dotI8Sync(low, low)).toBe(512 * 128 * 128);
      const [a, b] = pair(128, 9);
      const backing = new Int8Array(3 + 128);
      backing.set(a, 3);
      expect(native.dotI8Sync(backing.subarray(3), b)).toBe(reference(a, b));
    } finally {
      native.setIsa(active);
    }
  });

  it('BAD CALL - lengths that differ or are not a multiple of 64', () => {
    expect(() => native.dotI8Sync(new Int8Array(64), new Int8Array(128))).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_DIM', message: 'Expected a.length == b.length, a multiple of 64, but received lengths 64 and 128' }),
    );
    expect(() => native.dotI8Sync(new Uint8Array(64) as never, new Int8Array(64))).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG' }),
    );
  });
});

describe('dotBf16Sync: the HNSW bf16 search dot, an entry of every kernel table', () => {
  // 32 words (64 values) is one step of the widest kernel; 256 words is a 512-d row; 288 adds odd steps.
  const sizes = [32, 64, 256, 288];
  const pair = (words: number, seed: number) => {
    const scale = 1 + (seed % 7);
    return [bf16Words(randomVectors(1, 2 * words, seed, scale)), bf16Words(randomVectors(1, 2 * words, seed + 500, scale))];
  };

  it('scalar is the float64 sum in index order, rounded once', () => {
    native.setIsa('scalar');
    try {
      for (const words of sizes) {
        const [a, b] = pair(words, words);
        expect(native.dotBf16Sync(a, b), `${words} words`).toBe(Math.fround(referenceDotBf16(a, b).dot));
      }
    } finally {
      native.setIsa(active);
    }
  });

  it.each(supported)('%s is within fp32 error of the scalar reference', (isa) => {
    native.setIsa(isa);
    try {
      for (const words of sizes) {
        for (const seed of [1, 2, 3]) {
          const [a, b] = pair(words, words * 10 + seed);
          const { dot, abs } = referenceDotBf16(a, b);
          // bf16 products are exact in fp32; only the 2·words fp32 additions round.
          const bound = 4 * (2 * words + 4) * 2 ** -24 * abs;
          const got = native.dotBf16Sync(a, b);
          expect(Math.abs(got - dot), `${isa} ${words} words seed ${seed}: ${got} vs ${dot}`).toBeLessThanOrEqual(bound);
        }
      }
      // subarray() views are read at their byteOffset
      const [a, b] = pair(64, 9);
      const backing = new Uint32Array(3 + 64);
      backing.set(a, 3);
      expect(native.dotBf16Sync(backing.subarray(3), b)).toBe(native.dotBf16Sync(a, b));
    } finally {
      native.setIsa(active);
    }
  });

  it('BAD CALL - lengths that differ or are not a multiple of 32, arrays of another type', () => {
    const a = new Uint32Array(32);
    expect(() => native.dotBf16Sync(a, new Uint32Array(64))).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_DIM', message: 'Expected a.length == b.length, a multiple of 32, but received lengths 32 and 64' }),
    );
    expect(() => native.dotBf16Sync(new Uint32Array(16), new Uint32Array(16))).toThrow(expect.objectContaining({ code: 'ERR_FACECLUST_DIM' }));
    expect(() => native.dotBf16Sync(new Float32Array(32) as never, a)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG', message: 'Expected Uint32Array for a but received a typed array of another type' }),
    );
  });
});
