import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';
import { clusteredVectors, csr, mulberry32, referenceDistance } from './test-helpers.js';

const native = loadNative();
const dbscan = (g: ReturnType<typeof csr>, minSamples: number) => Array.from(native.dbscanSync(g.offsets, g.indices, g.n, minSamples));

describe('dbscan', () => {
  it('a path 0-1-2-3 and an isolated 4: core points depend on minSamples (the point itself counts)', () => {
    const g = csr(5, [[0, 1], [1, 2], [2, 3]]);
    expect(dbscan(g, 3)).toEqual([0, 0, 0, 0, -1]); // 1 and 2 are core, 0 and 3 border, 4 noise
    expect(dbscan(g, 1)).toEqual([0, 0, 0, 0, 1]); // everything is core
    expect(dbscan(g, 2)).toEqual([0, 0, 0, 0, -1]); // 4 alone has 1 point < 2
    expect(dbscan(g, 4)).toEqual([-1, -1, -1, -1, -1]);
  });

  it('a border point between two clusters joins the first one that reaches it', () => {
    const edges: Array<[number, number]> = [];
    for (const base of [0, 5]) for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) edges.push([base + a, base + b]);
    edges.push([3, 4], [4, 5]);
    const g = csr(9, edges);
    expect(dbscan(g, 4)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    // the same point is core at minSamples 3, which merges everything
    expect(dbscan(g, 3)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('matches a direct implementation of the definition on a radius graph of real vectors', async () => {
    const n = 400;
    const dim = 8;
    const x = clusteredVectors(n, dim, 6, 12, 0.35);
    const eps = 0.9;
    const g = await native.radiusGraph(x, n, dim, 'euclidean', eps, 2);
    const neighbours = (i: number) =>
      Array.from({ length: n }, (_, j) => j).filter((j) => j !== i && referenceDistance(x, i, j, dim, 'euclidean') <= eps);
    const nbr = Array.from({ length: n }, (_, i) => neighbours(i));
    for (const minSamples of [1, 3, 5, 10]) {
      const labels = Array.from(await native.dbscan(g.offsets, g.indices, n, minSamples));
      const core = nbr.map((l) => l.length + 1 >= minSamples);
      for (let i = 0; i < n; i++) {
        if (core[i]) {
          expect(labels[i]).toBeGreaterThanOrEqual(0);
          for (const j of nbr[i]) if (core[j]) expect(labels[j]).toBe(labels[i]); // core neighbours share a cluster
        } else if (labels[i] >= 0) {
          expect(nbr[i].some((j) => core[j] && labels[j] === labels[i])).toBe(true); // border: next to a core of its cluster
        } else {
          expect(nbr[i].every((j) => !core[j])).toBe(true); // noise: no core neighbour
        }
      }
    }
  });

  it('empty input, subarray() views, and BAD CALL - minSamples 0', async () => {
    expect(Array.from(native.dbscanSync(new Uint32Array(1), new Int32Array(0), 0, 5))).toEqual([]);
    const g = csr(5, [[0, 1], [1, 2], [2, 3]]);
    const offsets = new Uint32Array(8);
    offsets.set(g.offsets, 2);
    const indices = new Int32Array(g.indices.length + 1);
    indices.set(g.indices, 1);
    expect(Array.from(await native.dbscan(offsets.subarray(2), indices.subarray(1), 5, 3))).toEqual([0, 0, 0, 0, -1]);
    expect(() => native.dbscanSync(g.offsets, g.indices, 5, 0)).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_ARG', message: 'Expected minSamples >= 1 but received 0' }),
    );
  });
});

/** The constrained expansion written from docs/ALGORITHMS.md ("Constraints"): given core flags, refusals. */
function referenceConstrainedDbscan(g: ReturnType<typeof csr>, core: Uint8Array, cannot: Array<[number, number]>): number[] {
  const { offsets, indices, n } = g;
  const partners = Array.from({ length: n }, () => [] as number[]);
  for (const [a, b] of cannot) partners[a].push(b), partners[b].push(a);
  const label = new Array<number>(n).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (label[i] !== -1 || !core[i]) continue;
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (label[v] !== -1 || partners[v].some((p) => label[p] === next)) continue;
      label[v] = next;
      if (core[v]) for (let e = offsets[v]; e < offsets[v + 1]; e++) if (label[indices[e]] === -1) stack.push(indices[e]);
    }
    next++;
  }
  return label;
}

describe('dbscan with constraints (core flags and cannot-links)', () => {
  it('a refused node is left for a later cluster: a path 0-1-2 with 0 and 2 cannot-linked', () => {
    const g = csr(3, [[0, 1], [1, 2]]);
    const all = Uint8Array.of(1, 1, 1);
    const { offsets, indices } = csr(3, [[0, 2]]);
    // 0 seeds cluster 0 and pushes 1; 1 pushes 2, which is refused (0 holds 0); 2 then seeds cluster 1.
    expect(Array.from(native.dbscanSync(g.offsets, g.indices, 3, 1, all, offsets, indices))).toEqual([0, 0, 1]);
    // core flags replace minSamples: with none core, everything is noise whatever minSamples says
    expect(Array.from(native.dbscanSync(g.offsets, g.indices, 3, 1, new Uint8Array(3), offsets, indices))).toEqual([-1, -1, -1]);
  });

  it('equals the reference on random graphs; cannot-linked nodes never share a cluster', async () => {
    const next = mulberry32(7);
    for (const [n, m, c] of [[5, 6, 2], [40, 120, 15], [300, 1500, 80]]) {
      for (let round = 0; round < 5; round++) {
        const edges: Array<[number, number]> = [];
        while (edges.length < m) {
          const a = next() % n;
          const b = next() % n;
          if (a !== b && !edges.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) edges.push([a, b]);
        }
        const g = csr(n, edges);
        const core = Uint8Array.from({ length: n }, () => (next() % 3 === 0 ? 0 : 1));
        const cannot: Array<[number, number]> = [];
        while (cannot.length < c) {
          const a = next() % n;
          const b = next() % n;
          if (a !== b) cannot.push([a, b]);
        }
        const cc = csr(n, cannot);
        const labels = Array.from(await native.dbscan(g.offsets, g.indices, n, 1, core, cc.offsets, cc.indices));
        expect(labels, `n=${n} round=${round}`).toEqual(referenceConstrainedDbscan(g, core, cannot));
        for (const [a, b] of cannot) if (labels[a] !== -1) expect(labels[a]).not.toBe(labels[b]);
      }
    }
  });

  it('BAD CALL - core of the wrong length, a malformed cannot-link CSR', () => {
    const g = csr(3, [[0, 1]]);
    expect(() => native.dbscanSync(g.offsets, g.indices, 3, 1, new Uint8Array(2), new Uint32Array(4), new Int32Array(0))).toThrow(
      expect.objectContaining({ name: 'RangeError', code: 'ERR_FACECLUST_GRAPH', message: 'Expected core.length == n = 3 but received 2' }),
    );
    expect(() => native.dbscanSync(g.offsets, g.indices, 3, 1, new Uint8Array(3), Uint32Array.of(1, 1, 1, 1), new Int32Array(1))).toThrow(
      expect.objectContaining({ code: 'ERR_FACECLUST_GRAPH', message: 'Expected cannotOffsets[0] == 0 but received 1' }),
    );
    expect(() => native.dbscanSync(g.offsets, g.indices, 3, 1, new Uint8Array(3))).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_FACECLUST_ARG', message: 'Expected Uint32Array for cannotOffsets but received undefined' }),
    );
  });
});
