/**
 * Renumbering (docs/ALGORITHMS.md, "Renumbering"), shared by both backends: raw labels in, public labels
 * out: cluster 0 the largest, ties to the cluster holding the lowest index, −1 noise.
 */
import { describe, expectInteger } from './validate.js';

/** Renumbered labels and their counts. */
export interface Renumbered {
  labels: Int32Array;
  clusterCount: number;
  noiseCount: number;
}

/**
 * Renumbers raw labels (any integers in [−1, n), −1 noise) by decreasing cluster size, ties broken by the
 * lowest member index. Clusters with fewer than `minClusterSize` members become noise (−1) first.
 * Returns a new array; O(n + k log k) for k clusters.
 */
export function renumberLabels(raw: Int32Array, minClusterSize = 1): Renumbered {
  if (!(raw instanceof Int32Array)) throw new TypeError(`Expected labels to be an Int32Array but received ${describe(raw)}`);
  expectInteger('minClusterSize', minClusterSize, 1);
  const n = raw.length;
  const size = new Int32Array(n);
  // first[l]: lowest index holding raw label l; scanning i upward, the first visit is the lowest.
  const first = new Int32Array(n).fill(-1);
  const clusters: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = raw[i];
    if (l === -1) continue;
    if (l < -1 || l >= n) throw new RangeError(`Expected raw labels to lie in [-1, ${n}) but received ${l} at index ${i}`);
    if (size[l]++ === 0) {
      first[l] = i;
      clusters.push(l);
    }
  }
  const kept = clusters.filter((l) => size[l] >= minClusterSize);
  kept.sort((a, b) => size[b] - size[a] || first[a] - first[b]);
  const newLabel = new Int32Array(n).fill(-1);
  kept.forEach((l, rank) => (newLabel[l] = rank));
  const labels = new Int32Array(n);
  let noiseCount = 0;
  for (let i = 0; i < n; i++) {
    const l = raw[i];
    const v = l === -1 ? -1 : newLabel[l];
    labels[i] = v;
    if (v === -1) noiseCount++;
  }
  return { labels, clusterCount: kept.length, noiseCount };
}
