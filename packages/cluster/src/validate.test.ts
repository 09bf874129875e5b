import { describe, expect, it } from 'vitest';
import { chineseWhispers } from './chinese-whispers.js';
import { dbscan } from './dbscan.js';
import { radiusGraph } from './radius-graph.js';
import { caught } from './test-helpers.js';

const ok = new Float32Array([0, 0, 1, 1, 5, 5]);
type Call = () => Promise<unknown>;

// [description, call, error class, exact message]
const badCalls: [string, Call, ErrorConstructor, string][] = [
  // vectors and dim (shared normaliser)
  ['vectors a Float64Array', () => dbscan(new Float64Array(4) as never, 2, { eps: 1 }), TypeError,
    'Expected vectors to be a Float32Array (row-major n×dim), an array of Float32Array rows or an array of number arrays but received Float64Array of length 4'],
  ['vectors a string', () => chineseWhispers('abc' as never, 2, { threshold: 1 }), TypeError,
    'Expected vectors to be a Float32Array (row-major n×dim), an array of Float32Array rows or an array of number arrays but received "abc" of type string'],
  ['vectors undefined', () => radiusGraph(undefined as never, 2, { radius: 1 }), TypeError,
    'Expected vectors to be a Float32Array (row-major n×dim), an array of Float32Array rows or an array of number arrays but received undefined'],
  ['length not a multiple of dim', () => dbscan(new Float32Array(7), 3, { eps: 1 }), RangeError,
    'Expected vectors.length to be a multiple of dim (3) but received 7 (7 / 3 = 2.333 rows)'],
  ['dim 0', () => dbscan(ok, 0, { eps: 1 }), RangeError, 'Expected dim to be an integer >= 1 but received 0'],
  ['dim 1.5', () => dbscan(ok, 1.5, { eps: 1 }), RangeError, 'Expected dim to be an integer >= 1 but received 1.5'],
  ['dim a string', () => dbscan(ok, '2' as never, { eps: 1 }), TypeError, 'Expected dim to be an integer >= 1 but received "2" of type string'],
  ['NaN in vectors', () => dbscan(new Float32Array([0, 0, 1, Number.NaN]), 2, { eps: 1 }), RangeError,
    'Expected vectors to contain only finite numbers but received NaN at row 1, column 1'],
  ['Infinity in vectors', () => chineseWhispers(new Float32Array([0, 0, 1, 2, -Infinity, 3]), 2, { threshold: 1 }), RangeError,
    'Expected vectors to contain only finite numbers but received -Infinity at row 2, column 0'],
  ['number too large for float32', () => dbscan([[0, 1], [1e39, 0]], 2, { eps: 1 }), RangeError,
    'Expected vectors to contain only finite numbers but received Infinity at row 1, column 0'],
  ['row of wrong length', () => dbscan([[0, 1], [1, 2, 3]], 2, { eps: 1 }), RangeError,
    'Expected vectors[1] to have length dim (2) but received length 3'],
  ['Float32Array row of wrong length', () => dbscan([new Float32Array(2), new Float32Array(1)], 2, { eps: 1 }), RangeError,
    'Expected vectors[1] to have length dim (2) but received length 1'],
  ['row not an array', () => dbscan([[0, 1], 'ab'] as never, 2, { eps: 1 }), TypeError,
    'Expected vectors[1] to be a Float32Array or an array of numbers but received "ab" of type string'],
  ['non-number in a row', () => dbscan([[0, '1']] as never, 2, { eps: 1 }), TypeError,
    'Expected vectors[0][1] to be a number but received "1" of type string'],
  // options
  ['options missing', () => dbscan(ok, 2, undefined as never), TypeError, 'Expected options to be an object but received undefined'],
  ['eps negative', () => dbscan(ok, 2, { eps: -1 }), RangeError, 'Expected eps to be a finite number > 0 but received -1'],
  ['eps 0', () => dbscan(ok, 2, { eps: 0 }), RangeError, 'Expected eps to be a finite number > 0 but received 0'],
  ['eps NaN', () => dbscan(ok, 2, { eps: Number.NaN }), RangeError, 'Expected eps to be a finite number > 0 but received NaN'],
  ['eps Infinity', () => dbscan(ok, 2, { eps: Infinity }), RangeError, 'Expected eps to be a finite number > 0 but received Infinity'],
  ['eps missing', () => dbscan(ok, 2, {} as never), TypeError, 'Expected eps to be a finite number > 0 but received undefined'],
  ['eps a string', () => dbscan(ok, 2, { eps: '1' as never }), TypeError, 'Expected eps to be a finite number > 0 but received "1" of type string'],
  ['threshold -0.5', () => chineseWhispers(ok, 2, { threshold: -0.5 }), RangeError, 'Expected threshold to be a finite number > 0 but received -0.5'],
  ['threshold missing', () => chineseWhispers(ok, 2, {} as never), TypeError, 'Expected threshold to be a finite number > 0 but received undefined'],
  ['radius -Infinity', () => radiusGraph(ok, 2, { radius: -Infinity }), RangeError, 'Expected radius to be a finite number > 0 but received -Infinity'],
  ['minSamples 0', () => dbscan(ok, 2, { eps: 1, minSamples: 0 }), RangeError, 'Expected minSamples to be an integer >= 1 but received 0'],
  ['minSamples 2.5', () => dbscan(ok, 2, { eps: 1, minSamples: 2.5 }), RangeError, 'Expected minSamples to be an integer >= 1 but received 2.5'],
  ['minSamples null', () => dbscan(ok, 2, { eps: 1, minSamples: null as never }), TypeError, 'Expected minSamples to be an integer >= 1 but received null'],
  ['iterations 0', () => chineseWhispers(ok, 2, { threshold: 1, iterations: 0 }), RangeError, 'Expected iterations to be an integer >= 1 but received 0'],
  ['minClusterSize 0', () => chineseWhispers(ok, 2, { threshold: 1, minClusterSize: 0 }), RangeError, 'Expected minClusterSize to be an integer >= 1 but received 0'],
  ['seed negative', () => chineseWhispers(ok, 2, { threshold: 1, seed: -1 }), RangeError, 'Expected seed to be an integer between 0 and 4294967295 but received -1'],
  ['unknown metric', () => dbscan(ok, 2, { eps: 1, metric: 'cosin' as never }), RangeError,
    "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis', 'precomputed' or a function (a, b) => distance but received \"cosin\" of type string"],
  ['metric not a string', () => radiusGraph(ok, 2, { radius: 1, metric: 3 as never }), TypeError,
    "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis', 'precomputed' or a function (a, b) => distance but received 3"],
  ['unknown weighting', () => chineseWhispers(ok, 2, { threshold: 1, weighting: 'cosine' as never }), RangeError,
    "Expected weighting to be one of 'similarity', 'unit' but received \"cosine\" of type string"],
  ['unknown backend', () => dbscan(ok, 2, { eps: 1, backend: 'gpu' as never }), RangeError,
    "Expected backend to be one of 'auto', 'native', 'ts' but received \"gpu\" of type string"],
  ['threads 0', () => dbscan(ok, 2, { eps: 1, threads: 0 }), RangeError, 'Expected threads to be an integer between 1 and 1024 but received 0'],
];

describe('bad input', () => {
  it.each(badCalls)('BAD CALL – %s', async (_what, call, ErrorClass, message) => {
    const error = await caught(call);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.message).toBe(message);
  });
});

describe('degenerate but valid input', () => {
  it.each(['ts', 'auto'] as const)('empty input gives an empty result (backend %s)', async (backend) => {
    for (const vectors of [new Float32Array(0), [] as number[][]]) {
      const d = await dbscan(vectors, 8, { eps: 1, backend });
      expect(d.labels).toEqual(new Int32Array(0));
      expect([d.clusterCount, d.noiseCount, d.graph.edges]).toEqual([0, 0, 0]);
      const c = await chineseWhispers(vectors, 8, { threshold: 1, backend });
      expect(c.labels).toEqual(new Int32Array(0));
      expect([c.clusterCount, c.noiseCount]).toEqual([0, 0]);
    }
  });

  it('one point: Chinese Whispers gives one cluster of one; DBSCAN a core point iff minSamples <= 1', async () => {
    const one = new Float32Array([0.5, 0.5]);
    const cw = await chineseWhispers(one, 2, { threshold: 1, backend: 'ts' });
    expect(Array.from(cw.labels)).toEqual([0]);
    expect(cw.clusterCount).toBe(1);
    const core = await dbscan(one, 2, { eps: 1, minSamples: 1, backend: 'ts' });
    expect(Array.from(core.labels)).toEqual([0]);
    const noise = await dbscan(one, 2, { eps: 1, minSamples: 2, backend: 'ts' });
    expect(Array.from(noise.labels)).toEqual([-1]);
    expect(noise.noiseCount).toBe(1);
  });
});
