import { describe, expect, it } from 'vitest';
import { cwParams, dbscanParams, DEFAULTS, expectSaveAs, paramTag, parseChoiceFlag, parseNumberFlag, parseSaveAsFlag, UsageError } from './options.js';

describe('options', () => {
  it('fills the defaults', () => {
    expect(cwParams({})).toEqual({ threshold: DEFAULTS.threshold, iterations: 30, seed: 0, minClusterSize: 1, mergeRadius: 0.9, metric: 'euclidean', backend: 'auto' });
    // the merge radius follows the threshold and the metric; given, it is checked against the threshold
    expect(cwParams({ threshold: 0.8 }).mergeRadius).toBe(0.72);
    expect(cwParams({ metric: 'cosine' }).mergeRadius).toBe(0.405);
    expect(() => cwParams({ threshold: 0.8, mergeRadius: 0.9 })).toThrow('Expected mergeRadius to be a finite number >= 0 and <= 0.8 (the graph holds the edges up to the threshold) but received 0.9');
    expect(dbscanParams({})).toEqual({ eps: DEFAULTS.eps, minSamples: DEFAULTS.minSamples, metric: 'euclidean', backend: 'auto' });
  });

  it.each([
    [() => cwParams({ threshold: 0 }), RangeError, 'Expected threshold to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received 0'],
    [() => cwParams({ threshold: Infinity }), RangeError, 'Expected threshold to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received Infinity'],
    [() => cwParams({ threshold: NaN }), RangeError, 'Expected threshold to be a finite number > 0 and <= 2 (the largest euclidean distance between two face embeddings) but received NaN'],
    [() => cwParams({ seed: 2 ** 32 }), RangeError, 'Expected seed to be an integer between 0 and 4294967295 but received 4294967296'],
    [() => cwParams({ minClusterSize: 0 }), RangeError, 'Expected minClusterSize to be an integer >= 1 but received 0'],
    [() => dbscanParams({ metric: 7 }), TypeError, "Expected metric to be one of 'euclidean', 'sqeuclidean', 'cosine', 'manhattan', 'chebyshev', 'minkowski', 'correlation', 'braycurtis', 'canberra', 'seuclidean', 'mahalanobis' but received 7"],
    [() => expectSaveAs(1), RangeError, "Expected saveas to be true, false, 'faces' or 'photos' but received 1"],
  ])('BAD CALL – %s', (fn, cls, msg) => {
    expect(fn).toThrow(cls);
    expect(fn).toThrow(msg);
  });

  it('parses command-line strings, naming the flag and the text received', () => {
    expect(parseNumberFlag('--eps', { min: 0, minOpen: true })('0.5')).toBe(0.5);
    expect(() => parseNumberFlag('--eps', { min: 0, minOpen: true })('')).toThrow(new UsageError('Invalid value for --eps: expected a finite number > 0 but received ""'));
    expect(() => parseNumberFlag('--seed', { min: 0, integer: true })('1e400')).toThrow('Invalid value for --seed: expected an integer >= 0 but received "1e400"');
    expect(parseChoiceFlag('--metric', ['cosine', 'euclidean'])('cosine')).toBe('cosine');
    expect(() => parseChoiceFlag('--metric', ['cosine'])('Cosine')).toThrow("Invalid value for --metric: expected one of 'cosine' but received \"Cosine\"");
    expect([parseSaveAsFlag(true), parseSaveAsFlag('faces'), parseSaveAsFlag('photos')]).toEqual(['faces', 'faces', 'photos']);
  });

  it('tags output names with the main parameters', () => {
    expect(paramTag('cw', cwParams({ threshold: 0.85 }))).toBe('cw-t0.85');
    expect(paramTag('dbscan', dbscanParams({ eps: 0.4, minSamples: 3, metric: 'cosine' }))).toBe('dbscan-e0.4-m3-cosine');
  });
});
