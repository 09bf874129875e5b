import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { csr } from './test-helpers.js';

const native = loadNative();
const merge = (g: ReturnType<typeof csr>, labels: number[], radius: number, c?: [number[], Uint32Array, Int32Array]) =>
  Array.from(native.mergeClustersSync(g.offsets, g.indices, g.distances, g.n, Int32Array.from(labels), radius, c && Int32Array.from(c[0]), c?.[1], c?.[2]));

describe('mergeClusters', () => {
  // clusters {0,1} label 0, {2,3} label 2, {4} label 4; edges between clusters at 0.75 (1-2) and 0.875 (3-4),
  // distances a float32 holds exactly (the radius is compared as a double)
  const g = csr(5, [[0, 1, 0.25], [1, 2, 0.75], [2, 3, 0.25], [3, 4, 0.875]]);
  const labels = [0, 0, 2, 2, 4];

  it('joins clusters whose closest faces are within the radius, to the smallest label', () => {
    expect(merge(g, labels, 0)).toEqual(labels);
    expect(merge(g, labels, 0.74)).toEqual(labels);
    expect(merge(g, labels, 0.75)).toEqual([0, 0, 0, 0, 4]);
    expect(merge(g, labels, 1)).toEqual([0, 0, 0, 0, 0]);
  });

  it('never joins two sets while a node of one is cannot-linked to a node of the other', () => {
    // nodes = rows here; 0 cannot-linked with 4: {0,1}+{2,3} joins first (0.75), then {0..3}+{4} is refused
    const cannotOffsets = Uint32Array.of(0, 1, 1, 1, 1, 2);
    const cannotIndices = Int32Array.of(4, 0);
    expect(merge(g, labels, 1, [labels, cannotOffsets, cannotIndices])).toEqual([0, 0, 0, 0, 4]);
    // 1 cannot-linked with 2: the first join is refused, the second (3-4, 0.875) still happens
    const c2 = Uint32Array.of(0, 0, 1, 2, 2, 2);
    expect(merge(g, labels, 1, [labels, c2, Int32Array.of(2, 1)])).toEqual([0, 0, 2, 2, 2]);
  });

  it('the async form returns the same labels', async () => {
    const out = await native.mergeClusters(g.offsets, g.indices, g.distances, g.n, Int32Array.from(labels), 0.75);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 4]);
  });

  it('bad arguments name the argument', () => {
    expect(() => native.mergeClustersSync(g.offsets, g.indices, g.distances, 5, Int32Array.of(0, 0, 2), 1)).toThrow(/labels\.length == n = 5/);
    expect(() => native.mergeClustersSync(g.offsets, g.indices, g.distances, 5, Int32Array.of(0, 0, 2, 2, 9), 1)).toThrow(/labels to lie in \[0, n\)/);
    expect(() => native.mergeClustersSync(g.offsets, g.indices, g.distances, 5, Int32Array.from(labels), -1)).toThrow(/radius >= 0/);
    expect(() => native.mergeClustersSync(g.offsets, g.indices, g.distances, 5, Int32Array.from(labels), 1, Int32Array.from(labels))).toThrow(/cannotOffsets/);
  });
});
