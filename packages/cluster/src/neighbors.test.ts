import { describe, expect, it } from 'vitest';
import { tryLoadNative } from '@faceclust/core-native';
import { AUTO_HNSW_FROM, resolveNeighbors } from './neighbors.js';

const hasNative = tryLoadNative().binding !== undefined;

describe('resolveNeighbors: the one exact-or-hnsw decision for callers that prepare the search themselves', () => {
  it('auto: exact below AUTO_HNSW_FROM faces, hnsw from there with the native backend, exact on the ts backend', async () => {
    expect(await resolveNeighbors('auto', AUTO_HNSW_FROM - 1)).toBe('exact');
    expect(await resolveNeighbors('auto', AUTO_HNSW_FROM, 'auto')).toBe(hasNative ? 'hnsw' : 'exact');
    // no HNSW in pure TypeScript: a large library falls back to exact, as the clustering calls do
    expect(await resolveNeighbors('auto', 500_000, 'ts')).toBe('exact');
    expect(await resolveNeighbors('auto', 10, 'auto', true)).toBe('hnsw');
  });

  it('an explicit choice stands', async () => {
    expect(await resolveNeighbors('exact', 500_000)).toBe('exact');
    expect(await resolveNeighbors('hnsw', 10)).toBe('hnsw');
  });

  it.each([
    [['sometimes', 10], RangeError, "Expected neighbors to be one of 'exact', 'hnsw', 'auto' but received \"sometimes\" of type string"],
    [['auto', -1], RangeError, 'Expected n to be an integer >= 0 but received -1'],
    [['auto', 10, 'gpu'], RangeError, "Expected backend to be one of 'auto', 'native', 'ts' but received \"gpu\" of type string"],
  ])('BAD CALL – resolveNeighbors(%j) throws %s', async (args, cls, message) => {
    const call = resolveNeighbors(...(args as Parameters<typeof resolveNeighbors>));
    await expect(call).rejects.toThrow(cls);
    await expect(resolveNeighbors(...(args as Parameters<typeof resolveNeighbors>))).rejects.toThrow(message);
  });
});
