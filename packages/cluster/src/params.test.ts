import { describe, expect, it } from 'vitest';
import { CHINESE_WHISPERS_PARAMS as CW, COMMON_PARAMS, DBSCAN_PARAMS, HNSW_PARAMS, checkParam, hnswSearchParams, paramOrDefault, parseParamFlag, ruleText } from './params.js';

describe('parameter specs: one rule, one wording, one default', () => {
  it('words every kind of rule the same way everywhere', () => {
    expect(ruleText(CW.threshold.rule)).toBe('a finite number > 0');
    expect(ruleText(CW.iterations.rule)).toBe('an integer >= 1');
    expect(ruleText(CW.seed.rule)).toBe('an integer between 0 and 4294967295');
    expect(ruleText(COMMON_PARAMS.metric.rule)).toBe("one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev'");
    expect(ruleText({ kind: 'number', min: 0, max: 1 })).toBe('a finite number >= 0 and <= 1');
    expect(ruleText({ kind: 'integer', min: 40, minOf: 'k' })).toBe('an integer >= k (40)');
  });

  it.each([
    [CW.threshold, -1, RangeError, 'Expected threshold to be a finite number > 0 but received -1'],
    [CW.threshold, '1', TypeError, 'Expected threshold to be a finite number > 0 but received "1" of type string'],
    [CW.threshold, Infinity, RangeError, 'Expected threshold to be a finite number > 0 but received Infinity'],
    [CW.iterations, 2.5, RangeError, 'Expected iterations to be an integer >= 1 but received 2.5'],
    [DBSCAN_PARAMS.minSamples, 0, RangeError, 'Expected minSamples to be an integer >= 1 but received 0'],
    [COMMON_PARAMS.metric, 'l2', RangeError, "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev' but received \"l2\" of type string"],
    [COMMON_PARAMS.metric, 2, TypeError, "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev' but received 2"],
  ])('BAD CALL – checkParam(%s, %j) throws %s', (spec, value, cls, message) => {
    expect(() => checkParam(spec, value)).toThrow(cls);
    expect(() => checkParam(spec, value)).toThrow(message);
  });

  it('fills in the default, and keeps a value given', () => {
    expect(paramOrDefault(CW.iterations, undefined)).toBe(30);
    expect(paramOrDefault(DBSCAN_PARAMS.minSamples, undefined)).toBe(5);
    expect(paramOrDefault(COMMON_PARAMS.metric, 'cosine')).toBe('cosine');
    expect(() => paramOrDefault(CW.threshold, undefined)).toThrow('Expected threshold to be a finite number > 0 but received undefined');
  });

  it('parses command-line strings with the same rule, naming the flag and quoting what was typed', () => {
    expect(parseParamFlag(DBSCAN_PARAMS.eps, '0.9')).toBe(0.9);
    expect(parseParamFlag(COMMON_PARAMS.metric, 'cosine')).toBe('cosine');
    expect(() => parseParamFlag(DBSCAN_PARAMS.eps, '-1')).toThrow(new RangeError('Invalid value for --eps: expected a finite number > 0 but received "-1"'));
    expect(() => parseParamFlag(DBSCAN_PARAMS.eps, '')).toThrow('Invalid value for --eps: expected a finite number > 0 but received ""');
    expect(() => parseParamFlag(CW.seed, '1e400')).toThrow('Invalid value for --seed: expected an integer between 0 and 4294967295 but received "1e400"');
    expect(() => parseParamFlag(COMMON_PARAMS.metric, 'Cosine')).toThrow("Invalid value for --metric: expected one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev' but received \"Cosine\"");
  });

  it('hnswSearchParams: defaults, the rules that depend on k, and the names a caller gives them', () => {
    expect(hnswSearchParams({})).toEqual({ k: HNSW_PARAMS.k.default, ef: HNSW_PARAMS.ef.default, maxNeighbors: HNSW_PARAMS.k.default });
    expect(hnswSearchParams({}, 50)).toEqual({ k: 50, ef: 64, maxNeighbors: 50 });
    expect(() => hnswSearchParams({ k: 40, ef: 10 })).toThrow('Expected ef to be an integer >= k (40) but received 10');
    expect(() => hnswSearchParams({ k: 3 }, 4)).toThrow('Expected k to be an integer >= 4 (minSamples − 1: DBSCAN needs that many neighbours to find core points) but received 3');
    const flags = (s: { flag: string }) => s.flag;
    expect(() => hnswSearchParams({ maxNeighbors: 16 }, 1, flags)).toThrow('Expected --hnsw-max-neighbors to be an integer >= k (32) but received 16');
  });
});
