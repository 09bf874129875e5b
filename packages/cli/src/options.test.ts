import { describe, expect, it } from 'vitest';
import { cwParams, dbscanParams, DEFAULTS, expectSaveAs, paramTag, parseChoiceFlag, parseNumberFlag, parseSaveAsFlag, UsageError } from './options.js';

describe('options', () => {
  it('fills the defaults', () => {
    expect(cwParams({})).toEqual({ threshold: DEFAULTS.threshold, iterations: 30, seed: 0, minClusterSize: 1, metric: 'euclidean', backend: 'auto' });
    expect(dbscanParams({})).toEqual({ eps: DEFAULTS.eps, minSamples: DEFAULTS.minSamples, metric: 'euclidean', backend: 'auto' });
  });

  it.each([
    [() => cwParams({ threshold: 0 }), RangeError, 'Expected a number > 0 for threshold but received 0'],
    [() => cwParams({ threshold: Infinity }), RangeError, 'Expected a number > 0 for threshold but received Infinity'],
    [() => cwParams({ threshold: NaN }), TypeError, 'Expected a number for threshold but received NaN of type number'],
    [() => cwParams({ seed: 2 ** 32 }), RangeError, 'Expected an integer >= 0 and <= 4294967295 for seed but received 4294967296'],
    [() => cwParams({ minClusterSize: 0 }), RangeError, 'Expected an integer >= 1 for minClusterSize but received 0'],
    [() => dbscanParams({ metric: 7 }), TypeError, 'Expected one of euclidean, sqeuclidean, cosine, manhattan, chebyshev for metric but received 7 of type number'],
    [() => expectSaveAs(1), RangeError, "Expected true, false, 'faces' or 'photos' for saveas but received 1 of type number"],
  ])('BAD CALL – %s', (fn, cls, msg) => {
    expect(fn).toThrow(cls);
    expect(fn).toThrow(msg);
  });

  it('parses command-line strings, naming the flag and the text received', () => {
    expect(parseNumberFlag('--eps', { min: 0, minOpen: true })('0.5')).toBe(0.5);
    expect(() => parseNumberFlag('--eps', { min: 0, minOpen: true })('')).toThrow(new UsageError('Invalid value for --eps: expected a number > 0 but received ""'));
    expect(() => parseNumberFlag('--seed', { min: 0, integer: true })('1e400')).toThrow('Invalid value for --seed: expected an integer >= 0 but received "1e400"');
    expect(parseChoiceFlag('--metric', ['cosine', 'euclidean'])('cosine')).toBe('cosine');
    expect(() => parseChoiceFlag('--metric', ['cosine'])('Cosine')).toThrow('Invalid value for --metric: expected one of cosine but received "Cosine"');
    expect([parseSaveAsFlag(true), parseSaveAsFlag('faces'), parseSaveAsFlag('photos')]).toEqual(['faces', 'faces', 'photos']);
  });

  it('tags output names with the main parameters', () => {
    expect(paramTag('cw', cwParams({ threshold: 0.85 }))).toBe('cw-t0.85');
    expect(paramTag('dbscan', dbscanParams({ eps: 0.4, minSamples: 3, metric: 'cosine' }))).toBe('dbscan-e0.4-m3-cosine');
  });
});
