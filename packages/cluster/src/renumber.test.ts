import { describe, expect, it } from 'vitest';
import { renumberLabels } from './renumber.js';

describe('renumberLabels', () => {
  it.each([
    ['largest first', [5, 5, 2, 5, 2, 4], 1, [0, 0, 1, 0, 1, 2], 3, 0],
    ['ties to the cluster holding the lowest index', [3, 1, 1, 3, 0, 0], 1, [0, 1, 1, 0, 2, 2], 3, 0],
    ['noise stays −1', [-1, 4, 4, -1, 2], 1, [-1, 0, 0, -1, 1], 2, 2],
    ['minClusterSize sends small clusters to −1', [0, 0, 0, 1, 1, 2, -1], 2, [0, 0, 0, 1, 1, -1, -1], 2, 2],
    ['minClusterSize above every size', [0, 0, 1], 5, [-1, -1, -1], 0, 3],
    ['empty', [], 1, [], 0, 0],
  ])('%s', (_what, raw, minClusterSize, labels, clusterCount, noiseCount) => {
    expect(renumberLabels(Int32Array.from(raw), minClusterSize)).toEqual({
      labels: Int32Array.from(labels),
      clusterCount,
      noiseCount,
    });
  });

  it('BAD CALL – raw labels out of range', () => {
    expect(() => renumberLabels(Int32Array.from([0, 3]))).toThrow(new RangeError('Expected raw labels to lie in [-1, 2) but received 3 at index 1'));
    expect(() => renumberLabels([0] as never)).toThrow(TypeError);
  });
});
