import { describe, expect, it } from 'vitest';
import { resolveBackend, type BackendName } from './backend.js';
import { chineseWhispers, chineseWhispersOnGraph } from './chinese-whispers.js';
import { defaultMergeRadius, MERGE_RATIO } from './params.js';
import { sweepGraph, sweepThresholds } from './sweep.js';
import { blobs, firstDifference, graphOf } from './test-helpers.js';

const nativeLoads = await resolveBackend('native').then(
  () => true,
  () => false,
);
const BACKENDS: BackendName[] = nativeLoads ? ['ts', 'native'] : ['ts'];

/**
 * A person of 8 faces (rows 0-7, all pairs 0.8 apart) and a burst of 5 near-identical frames of one more
 * photo (rows 8-12, 0.1 apart) whose closest face of the person is 0.85 away: the burst's own edges outvote
 * its one edge to the person, so Chinese Whispers alone keeps it apart. Two strangers (rows 13-14) sit 0.95
 * from the burst.
 */
function burstGraph() {
  const edges: [number, number, number][] = [];
  for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) edges.push([a, b, 0.8]);
  for (let a = 8; a < 13; a++) for (let b = a + 1; b < 13; b++) edges.push([a, b, 0.1]);
  edges.push([3, 10, 0.85]);
  // two strangers (13, 14) 0.3 apart, 0.95 from the burst: within the threshold, outside the merge radius
  edges.push([13, 14, 0.3], [12, 13, 0.95]);
  return graphOf(15, edges);
}

describe('merge pass after Chinese Whispers', () => {
  it('joins a tight burst to its person when their closest faces are within the radius, and only then', async () => {
    const g = burstGraph();
    for (const backend of BACKENDS) {
      const alone = await chineseWhispersOnGraph(g, { backend });
      expect(alone.clusterCount, backend).toBe(3); // person, burst, stranger
      const merged = await chineseWhispersOnGraph(g, { backend, mergeRadius: 0.9 });
      expect(Array.from(merged.labels), backend).toEqual([...Array(13).fill(0), 1, 1]);
      expect((await chineseWhispersOnGraph(g, { backend, mergeRadius: 0.84 })).clusterCount, backend).toBe(3);
      // a cannot-link between a person's face and a burst frame keeps them apart
      const kept = await chineseWhispersOnGraph(g, { backend, mergeRadius: 0.9, constraints: { cannotLink: [[0, 9]] } });
      expect(kept.labels[0]).not.toBe(kept.labels[9]);
      expect(kept.clusterCount).toBe(3);
    }
  });

  it('chineseWhispers merges by default at defaultMergeRadius(threshold, metric); 0 turns it off', async () => {
    expect(MERGE_RATIO).toBe(0.9);
    expect(defaultMergeRadius(1, 'euclidean')).toBe(0.9);
    expect(defaultMergeRadius(0.5, 'cosine')).toBe(0.405);
    expect(defaultMergeRadius(1, 'sqeuclidean')).toBe(0.81);
    expect(defaultMergeRadius(17.5, 'manhattan')).toBe(15.75);
    const { vectors } = blobs(12, 20, 8, 2.5, 3);
    const threshold = 5;
    for (const backend of BACKENDS) {
      const byDefault = await chineseWhispers(vectors, 8, { threshold, backend });
      const explicit = await chineseWhispers(vectors, 8, { threshold, backend, mergeRadius: defaultMergeRadius(threshold, 'euclidean') });
      expect(firstDifference(byDefault.labels, explicit.labels)).toBeUndefined();
      expect(byDefault.timings.mergeMs).toBeGreaterThanOrEqual(0);
      const off = await chineseWhispers(vectors, 8, { threshold, backend, mergeRadius: 0 });
      expect(off.clusterCount).toBeGreaterThanOrEqual(byDefault.clusterCount);
    }
  });

  it('a sweep equals separate chineseWhispers calls, merge pass included', async () => {
    const { vectors } = blobs(10, 15, 8, 3, 8);
    const thresholds = [4, 5, 6];
    const swept = await sweepThresholds(vectors, 8, { method: 'cw', thresholds, backend: 'ts' });
    for (const [k, threshold] of thresholds.entries()) {
      const direct = await chineseWhispers(vectors, 8, { threshold, backend: 'ts' });
      expect(swept.rows[k].clusters).toBe(direct.clusterCount);
    }
    const fixed = await sweepThresholds(vectors, 8, { method: 'cw', thresholds, mergeRadius: 3, backend: 'ts' });
    for (const [k, threshold] of thresholds.entries()) {
      expect(fixed.rows[k].clusters).toBe((await chineseWhispers(vectors, 8, { threshold, mergeRadius: 3, backend: 'ts' })).clusterCount);
    }
  });

  it('BAD CALLs name mergeRadius and its bound', async () => {
    const v = [[0, 0], [1, 0]];
    await expect(chineseWhispers(v, 2, { threshold: 1, mergeRadius: 1.5 })).rejects.toThrow(
      'Expected mergeRadius to be a finite number >= 0 and <= 1 (the graph holds the edges up to the threshold) but received 1.5',
    );
    await expect(chineseWhispers(v, 2, { threshold: 1, mergeRadius: -0.1 })).rejects.toThrow(RangeError);
    await expect(chineseWhispers(v, 2, { threshold: 1, mergeRadius: '0.9' as unknown as number })).rejects.toThrow(TypeError);
    await expect(chineseWhispersOnGraph(burstGraph(), { mergeRadius: Number.NaN })).rejects.toThrow(/mergeRadius/);
    await expect(sweepGraph(burstGraph(), { method: 'cw', thresholds: [0.5, 1], mergeRadius: 0.9 })).rejects.toThrow(
      /Expected mergeRadius to be a finite number >= 0 and <= 0.5/,
    );
  });
});
